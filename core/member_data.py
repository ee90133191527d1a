"""The feature contract's privacy hooks: export and erase one member's data in one server.

Every feature package registers one `MemberData` from its `setup()` (`bot.member_data`,
a `MemberDataRegistry`), naming the tables it owns. The privacy work (issue 14) calls
the registry, never a feature directly:

- `MemberDataRegistry.export` reads every feature's part in one session scoped to the
  server and returns one JSON-able dict (free text decrypted: it goes to the member).
- `MemberDataRegistry.erase` runs every feature's `erase_member` in ONE transaction of a
  session scoped to the server, then writes one content-free audit line. A failure
  anywhere rolls the whole erasure back (and puts back what `ForgetsMember` hooks took
  out of memory and disk first), so a member's data is either all erased or not at all.

"The member" is the person as a member of that server: a hook deletes the rows that are
that member's record (their check-ins, their requests, their settings). Rows that are
another member's record and only mention them in another role (the specialist who
acknowledged someone else's request) are kept; each hook's module says which and why.
This module and the hooks import no discord: they are plain database code.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol, TypeVar, runtime_checkable

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base
from db.engine import Database
from db.models import AppMeta, AuditEntry, Member

ERASED_ACTION = "privacy.member_erased"
M = TypeVar("M", bound=Base)


@runtime_checkable
class MemberData(Protocol):
    """What every feature gives the privacy work about one member in one server.

    Both hooks take a session the caller owns, opened with `Database.guild_session`
    for `guild_id` (so every statement is already scoped to that server), inside the
    caller's transaction: a hook never commits, and never opens a session of its own.
    """

    #: The feature's name: the key of its part in an export.
    name: str
    #: Every table the feature owns (a test checks each table has exactly one owner).
    tables: tuple[type[Base], ...]

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        """Everything the feature stores about the member, JSON-able, decrypted."""
        ...

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        """Delete every row that is the member's record in the feature; keep other members'."""
        ...


@runtime_checkable
class ForgetsMember(Protocol):
    """A feature that also holds member data outside the database (memory, a file).

    `forget_member` runs before the erasure's transaction opens (so it never waits on
    a database lock the transaction holds): it drops the member's data from memory and
    disk, stops anything still working on it, and returns how to put it all back, which
    the registry calls if the transaction then fails.
    """

    async def forget_member(self, guild_id: int, user_id: int) -> Callable[[], None]: ...


class MemberDataRegistry:
    """The hooks of every loaded feature, in the order they registered."""

    def __init__(self) -> None:
        self._hooks: dict[str, MemberData] = {}

    def register(self, hooks: MemberData) -> None:
        # By name: a feature reloaded replaces its own hooks instead of adding twice.
        self._hooks[hooks.name] = hooks

    def unregister(self, name: str) -> None:
        self._hooks.pop(name, None)

    def hooks(self) -> list[MemberData]:
        return list(self._hooks.values())

    def owned_tables(self) -> dict[str, str]:
        """Table name -> the feature that owns it."""
        return {
            table.__tablename__: hooks.name
            for hooks in self._hooks.values()
            for table in hooks.tables
        }

    async def export(self, db: Database, guild_id: int, user_id: int) -> dict[str, Any]:
        async with db.guild_session(guild_id) as session, session.begin():
            features = {
                hooks.name: await hooks.export_member(session, guild_id, user_id)
                for hooks in self._hooks.values()
            }
        return {"guild_id": guild_id, "user_id": user_id, "features": features}

    async def erase(
        self, db: Database, guild_id: int, user_id: int, *, actor_user_id: int | None = None
    ) -> None:
        """Erase the member in every feature, all or nothing, and leave one audit line."""
        undos: list[Callable[[], None]] = []
        try:
            for hooks in self._hooks.values():
                if isinstance(hooks, ForgetsMember):
                    undos.append(await hooks.forget_member(guild_id, user_id))
            async with db.guild_session(guild_id) as session, session.begin():
                for hooks in self._hooks.values():
                    await hooks.erase_member(session, guild_id, user_id)
                session.add(
                    AuditEntry(
                        guild_id=guild_id,
                        actor_user_id=user_id if actor_user_id is None else actor_user_id,
                        subject_user_id=user_id,
                        action=ERASED_ACTION,
                        details={},
                    )
                )
        except BaseException:
            for undo in reversed(undos):
                undo()
            raise


class CoreMemberData:
    """The shared tables: the member's settings row, and the audit log.

    - `members`: the member's row (time zone, consents) is theirs: deleted.
    - `audit_log`: lines whose subject is the member are deleted (their details can
      say what was shared about them, such as which warning signs); the registry then
      writes one line without content saying the member's data was erased. Lines where
      the member is only the actor on someone or something else (a specialist adding
      another's shift, an admin changing settings) are the server's accountability
      record, not the member's health data: kept, with their id.
    - `app_meta` names nobody.
    """

    name = "core"
    tables: tuple[type[Base], ...] = (AppMeta, Member, AuditEntry)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        member = await session.scalar(
            select(Member).where(Member.guild_id == guild_id, Member.user_id == user_id)
        )
        about = await rows_where(
            session,
            AuditEntry,
            AuditEntry.guild_id == guild_id,
            AuditEntry.subject_user_id == user_id,
            order_by=AuditEntry.id,
        )
        acted = await rows_where(
            session,
            AuditEntry,
            AuditEntry.guild_id == guild_id,
            AuditEntry.actor_user_id == user_id,
            AuditEntry.subject_user_id.is_distinct_from(user_id),
            order_by=AuditEntry.id,
        )
        return {
            "settings": None
            if member is None
            else {
                "timezone": member.timezone,
                "share_signals_with_specialists": member.share_signals_with_specialists,
                "share_signals_with_partner": member.share_signals_with_partner,
                "consent_updated_at": iso(member.consent_updated_at),
                "created_at": iso(member.created_at),
                "updated_at": iso(member.updated_at),
            },
            "audit_about_me": [
                {
                    "at": iso(entry.created_at),
                    "action": entry.action,
                    "by_me": entry.actor_user_id == user_id,
                    "details": entry.details,
                }
                for entry in about
            ],
            # What the member did to others' records: only what and when, never whom.
            "audit_my_actions": [
                {"at": iso(entry.created_at), "action": entry.action} for entry in acted
            ],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        await session.execute(
            delete(Member).where(Member.guild_id == guild_id, Member.user_id == user_id)
        )
        await session.execute(
            delete(AuditEntry).where(
                AuditEntry.guild_id == guild_id, AuditEntry.subject_user_id == user_id
            )
        )


async def rows_where(
    session: AsyncSession, model: type[M], *conditions: Any, order_by: Any
) -> list[M]:
    """The rows of `model` that meet every condition, in order (for an export)."""
    query = select(model).where(*conditions).order_by(order_by)
    return list((await session.scalars(query)).all())


def iso(value: Any) -> Any:
    """A datetime or date as ISO text (JSON has neither); anything else as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value
