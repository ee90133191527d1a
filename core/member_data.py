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

The hooks are written with the helpers at the end of this module, so each one reads
as which tables, which columns:
- `MemberTable(key, member_column, fields)`: a table whose rows naming the member in
  one column are theirs; `export_tables` / `erase_tables` export or delete them.
- `member_rows(session, model, guild_id, *where)` selects, `erase_rows` deletes, the
  rows of a server that meet other conditions; `exported(row, fields, **computed)`
  turns a row into the export's dict (JSON-able, free text decrypted).
Every one of them puts `guild_id` in the query itself: a hook stays scoped to its
server even in a session that is not (a test runs them in `all_guilds_session`).

A feature whose data peer specialists may read (with the member's consent) also records
each read, and implements `RecordsLooks` on the same hooks object: the registry's
`looks_at` gathers them for `/privacy access-log`, so a new feature that records reads
joins the log without any change to /privacy.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from typing import Any, Protocol, TypeVar, cast, runtime_checkable

from sqlalchemy import ColumnElement, delete, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from db.base import Base, GuildScoped
from db.engine import Database
from db.models import AppMeta, AuditEntry, Member, OutboxMessage

log = logging.getLogger(__name__)

ERASED_ACTION = "privacy.member_erased"
# The event a feature dispatches (`bot.dispatch(STORED_EVENT, interaction)`) once it has
# answered an interaction that stored something about the member outside a slash command
# (a form's submit): the privacy notice follows it, if due (cogs/privacy/consent.py).
STORED_EVENT = "member_data_stored"
# The columns that name whose record a row is, by convention (`members_with_data`).
MEMBER_COLUMN_NAMES = ("user_id", "member_user_id")
S = TypeVar("S", bound=GuildScoped)


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


@dataclass(frozen=True)
class Look:
    """One read of a member's data by someone else (a peer specialist).

    `what` is which part was read, in words for the member ("your relapse-prevention
    plan"): it is shown to them as it is, in their access log.
    """

    viewer_user_id: int
    what: str
    at: datetime


@runtime_checkable
class RecordsLooks(Protocol):
    """A feature that records every read of a member's data by someone else.

    Optional, beside `MemberData` on the same object. The session is the caller's, as
    for the other hooks (scoped to `guild_id`, never committed here).
    """

    async def looks_at_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> list[Look]:
        """Every recorded read of the member's data in that server, in any order."""
        ...


@runtime_checkable
class ForgetsServer(Protocol):
    """A feature that holds data of a whole server outside the database (the /help-now
    journal may hold requests of members found nowhere in the tables): the server's
    erasure has it forget them all, before its transaction, with an undo as above."""

    async def forget_server(self, guild_id: int) -> Callable[[], None]: ...


@runtime_checkable
class NoticesLeaving(Protocol):
    """A feature that acts as soon as a member is found gone from the server, before
    their erasure is due (partners: a pairing ends at once). In the caller's session and
    transaction, as for the other hooks."""

    async def member_left(self, session: AsyncSession, guild_id: int, user_id: int) -> None: ...


@runtime_checkable
class WarnsBeforeErasure(Protocol):
    """A feature whose erasure would stop something still under way for the member (an
    open /help-now request's pages): the member is told before they confirm."""

    def erasure_stops(self, guild_id: int, user_id: int) -> str | None:
        """What erasing now would stop, in words for the member; None when nothing."""
        ...


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

    def erasure_warnings(self, guild_id: int, user_id: int) -> list[str]:
        """What erasing the member now would stop, feature by feature (from memory)."""
        return [
            warning
            for hooks in self._hooks.values()
            if isinstance(hooks, WarnsBeforeErasure)
            and (warning := hooks.erasure_stops(guild_id, user_id)) is not None
        ]

    async def member_left(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        """Tell every feature that acts on it that the member was found gone.

        Each in a savepoint: one that fails is logged and left out, and the presence
        check (marking the member gone, erasing those due) goes on."""
        for hooks in self._hooks.values():
            if not isinstance(hooks, NoticesLeaving):
                continue
            try:
                async with session.begin_nested():
                    await hooks.member_left(session, guild_id, user_id)
            except Exception:
                log.exception("The %s feature failed on a member who left", hooks.name)

    async def members_with_data(
        self, session: AsyncSession, guild_id: int, *, among: Collection[int] | None = None
    ) -> set[int]:
        """Every user with a row that is theirs in server `guild_id`, in any owned table
        (only those of `among`, if given).

        A row is someone's when its member column says so: `member_columns` of the
        owning hooks if they give one, else the table's `user_id` or `member_user_id`
        column (the convention every feature keeps: whose record it is). Ids only found
        in another role (a specialist's `acknowledged_by`, the rota's `specialist_user_id`,
        an audit line's subject) are not counted: an erasure keeps those (and writes an
        audit line about its subject), so counting them would find the person again,
        every day, after they were erased.
        """
        found: set[int] = set()
        for column in self._member_columns():
            model = cast(type[GuildScoped], column.class_)
            query = select(column).where(model.guild_id == guild_id, column.is_not(None))
            if among is not None:
                query = query.where(column.in_(among))
            found.update(int(user_id) for user_id in (await session.scalars(query.distinct())))
        return found

    def _member_columns(self) -> list[InstrumentedAttribute[Any]]:
        columns: list[InstrumentedAttribute[Any]] = []
        for hooks in self._hooks.values():
            declared = getattr(hooks, "member_columns", None)
            if declared is not None:
                columns.extend(declared)
                continue
            for table in hooks.tables:
                if not issubclass(table, GuildScoped):
                    continue
                for name in MEMBER_COLUMN_NAMES:
                    column = getattr(table, name, None)
                    if isinstance(column, InstrumentedAttribute):
                        columns.append(column)
                        break
        return columns

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

    async def looks_at(self, db: Database, guild_id: int, user_id: int) -> list[Look]:
        """Every recorded read of the member's data in that server, newest first."""
        async with db.guild_session(guild_id) as session, session.begin():
            looks = [
                look
                for hooks in self._hooks.values()
                if isinstance(hooks, RecordsLooks)
                for look in await hooks.looks_at_member(session, guild_id, user_id)
            ]
        return sorted(looks, key=lambda look: look.at, reverse=True)

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


# -- the helpers every hook is written with ------------------------------------------


@dataclass(frozen=True)
class MemberTable:
    """A table whose rows naming a member in one column are that member's record.

    `member` is that column (`Checkin.user_id`; its class is the table), `key` the
    rows' place in the feature's export, `fields` what the export shows of each row
    (attribute names separated by spaces, as in `namedtuple`). A table with at most
    one row per member (`one`) is exported as that row or None, others as a list in
    `order_by` order (by default the primary key's).
    """

    key: str
    member: InstrumentedAttribute[int] | InstrumentedAttribute[int | None]
    fields: str
    order_by: Any = None
    one: bool = False

    @property
    def model(self) -> type[GuildScoped]:
        return cast(type[GuildScoped], self.member.class_)


async def export_tables(
    session: AsyncSession, guild_id: int, user_id: int, *tables: MemberTable
) -> dict[str, Any]:
    """The member's rows of each table in that server, exported under the table's key."""
    export: dict[str, Any] = {}
    for table in tables:
        rows = await member_rows(
            session, table.model, guild_id, table.member == user_id, order_by=table.order_by
        )
        found = [exported(row, table.fields) for row in rows]
        export[table.key] = (found[0] if found else None) if table.one else found
    return export


async def erase_tables(
    session: AsyncSession, guild_id: int, user_id: int, *tables: MemberTable
) -> None:
    """Delete the member's rows of each table in that server."""
    for table in tables:
        await erase_rows(session, table.model, guild_id, table.member == user_id)


async def member_rows(
    session: AsyncSession,
    model: type[S],
    guild_id: int,
    *where: ColumnElement[bool],
    order_by: Any = None,
) -> list[S]:
    """The rows of `model` in server `guild_id` that meet every condition in `where`.

    In `order_by` order (a column or a tuple of them), by default the primary key's.
    The server is in the query itself, not left to the session's scoping.
    """
    if order_by is None:
        order_by = tuple(inspect(model).primary_key)
    elif not isinstance(order_by, tuple):
        order_by = (order_by,)
    query = select(model).where(model.guild_id == guild_id, *where).order_by(*order_by)
    return list((await session.scalars(query)).all())


async def erase_rows(
    session: AsyncSession, model: type[GuildScoped], guild_id: int, *where: ColumnElement[bool]
) -> None:
    """Delete the rows of `model` in server `guild_id` that meet every condition in `where`.

    The session is not synchronized: a hook reads nothing back after it erases.
    """
    await session.execute(
        delete(model)
        .where(model.guild_id == guild_id, *where)
        .execution_options(synchronize_session=False)
    )


def exported(row: object, fields: str, **computed: Any) -> dict[str, Any]:
    """A row as an export shows it: JSON-able, keyed by `fields`, in that order.

    `fields` are names separated by spaces (as in `namedtuple`); each is `row`'s
    attribute of that name, or its key if `row` is a mapping (a journal entry's
    request), unless `computed` gives the value (a renamed or derived field).
    `row` is a model instance (encrypted free text is decrypted on load) or any
    object with those attributes. Dates and times become ISO text.
    """
    get = row.get if isinstance(row, Mapping) else partial(getattr, row)
    values = {name: computed[name] if name in computed else get(name) for name in fields.split()}
    return {name: iso(value) for name, value in (values | computed).items()}


def iso(value: Any) -> Any:
    """A datetime or date as ISO text (JSON has neither); anything else as it is."""
    return value.isoformat() if hasattr(value, "isoformat") else value


class CoreMemberData:
    """The shared tables: the member's settings row, and the audit log.

    - `members`: the member's row (time zone, consents) is theirs: deleted.
    - `audit_log`: lines whose subject is the member are deleted (their details can
      say what was shared about them, such as which warning signs); the registry then
      writes one line without content saying the member's data was erased. Lines where
      the member is only the actor on someone or something else (a specialist adding
      another's shift, an admin changing settings) are the server's accountability
      record, not the member's health data: kept, with their id.
    - `outbox_messages`: messages queued for the member's DMs (reminders, nudges):
      exported as what kind and when, deleted, so nothing is sent after an erasure.
    - `app_meta` names nobody.
    """

    name = "core"
    tables: tuple[type[Base], ...] = (AppMeta, Member, AuditEntry, OutboxMessage)
    _settings = MemberTable(
        "settings",
        Member.user_id,
        "timezone share_signals_with_specialists share_signals_with_partner"
        " consent_updated_at keep_checkin_notes privacy_notice_version privacy_notice_at"
        " presence_checked_at left_server_at created_at updated_at",
        one=True,
    )
    _messages_to_me = MemberTable(
        "messages_to_me", OutboxMessage.user_id, "kind state created_at done_at"
    )

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        about = await member_rows(
            session, AuditEntry, guild_id, AuditEntry.subject_user_id == user_id
        )
        acted = await member_rows(
            session,
            AuditEntry,
            guild_id,
            AuditEntry.actor_user_id == user_id,
            AuditEntry.subject_user_id.is_distinct_from(user_id),
        )
        mine = await export_tables(session, guild_id, user_id, self._settings, self._messages_to_me)
        return mine | {
            "audit_about_me": [
                exported(
                    entry,
                    "at action by_me details",
                    at=entry.created_at,
                    by_me=entry.actor_user_id == user_id,
                )
                for entry in about
            ],
            # What the member did to others' records: only what and when, never whom.
            "audit_my_actions": [
                exported(entry, "at action", at=entry.created_at) for entry in acted
            ],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        await erase_tables(session, guild_id, user_id, self._settings, self._messages_to_me)
        await erase_rows(session, AuditEntry, guild_id, AuditEntry.subject_user_id == user_id)
