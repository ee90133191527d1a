"""A member's privacy choices and the notice that tells them what is kept. No Discord here.

The rule for the notice (`asks_for_notice`): it follows the first thing a member does in a
server that stores something about them, meaning any slash command of theirs except the
exempt ones below, and the submits that features announce with `STORED_EVENT` (the
check-in form). It is sent once per `NOTICE_VERSION`: `members.privacy_notice_version`
below the current version (or empty) means "not yet seen", and claiming it
(`claim_notice`) writes the version and the time in one conditional UPDATE, so two
commands at once show it once. Raising `NOTICE_VERSION` (a changed notice) shows it again.

Exempt: /help-now, so nothing ever comes between a member in crisis and help (what a
request keeps is described in the notice they get at their next command); /privacy
itself (its settings show the same choices, and a notice after /privacy delete would
write a new row about someone who just erased everything); the admins' /setup and the
specialists' /oncall rota, which are about a role rather than a member's recovery; and
commands that only read (/checkin history, /checkin group, /plan show, /plan view,
/sober show, /sober history, /cope, /partner list) or only delete (/sober delete,
/partner end). A command answered with a form (/checkin today, /plan edit) stores
nothing yet: the form's submit does.

The choices, each a column of `members` read where it is used, so a change takes effect
at once (one source of truth; `/checkin consent` writes the same column):
- `keep_checkin_notes` (default on): off, a check-in's note is not stored (see
  `cogs.checkins.records`). Notes stored before are kept until the member deletes them,
  which turning the choice off offers (`delete_checkin_notes`), or erases everything
  with /privacy delete.
- `share_signals_with_specialists` (default off): the warning-sign detector reads it at
  each run, so a withdrawal stops the very next signal.
Every change writes one audit line, action `privacy.consent`, details
{"choice": <column>, "value": <bool>, "notice_version": <the version the member saw>},
never free text.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from sqlalchemy import Row, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.members import member_row
from db.engine import Database
from db.inserts import insert_for
from db.models import AuditEntry, Checkin, Member

# Raise this whenever the notice's words (texts.NOTICE) change what they tell a member:
# everyone is then shown the new notice once, at their next data-storing command.
NOTICE_VERSION = 3


CONSENT_ACTION = "privacy.consent"
NOTES_DELETED_ACTION = "privacy.notes_deleted"

# Slash commands (qualified names, or a group's name for all of its commands) after which
# no notice is sent: see the module's docstring for why each.
EXEMPT_COMMANDS = frozenset(
    {
        "help-now",
        "privacy",
        "setup",
        "oncall",
        "checkin history",
        "checkin group",
        "checkin today",
        "plan show",
        "plan view",
        "plan edit",
        "sober show",
        "sober history",
        "sober delete",
        "cope",
        "partner list",
        "partner end",
    }
)


def asks_for_notice(command_name: str) -> bool:
    """Whether a completed slash command (its qualified name, "checkin consent") is one
    after which the notice is due for a member who hasn't seen it."""
    words = command_name.split()
    return not any(" ".join(words[:n]) in EXEMPT_COMMANDS for n in range(1, len(words) + 1))


class Choice(StrEnum):
    """A member's choice, named as its column."""

    KEEP_NOTES = "keep_checkin_notes"
    SHARE_SIGNALS = "share_signals_with_specialists"


@dataclass(frozen=True)
class Choices:
    keep_checkin_notes: bool
    share_signals_with_specialists: bool

    def value(self, choice: Choice) -> bool:
        return bool(getattr(self, choice.value))


# What a member who never chose has: notes kept, nothing shared.
DEFAULTS = Choices(keep_checkin_notes=True, share_signals_with_specialists=False)


def _choices(member: Member | None) -> Choices:
    if member is None:
        return DEFAULTS
    return Choices(
        keep_checkin_notes=bool(member.keep_checkin_notes),
        share_signals_with_specialists=bool(member.share_signals_with_specialists),
    )


async def _member(session: AsyncSession, user_id: int) -> Member | None:
    return await session.scalar(select(Member).where(Member.user_id == user_id))


async def choices_of(db: Database, guild_id: int, user_id: int) -> Choices:
    async with db.guild_session(guild_id) as session:
        return _choices(await _member(session, user_id))


@dataclass(frozen=True)
class Claimed:
    """The notice is this member's to be shown now: their choices, and what the row held
    before, to put back if the notice could not be sent."""

    choices: Choices
    previous_version: int | None
    previous_at: datetime | None


class NoticesSeen:
    """The members of each server this process knows have seen the current notice.

    Nearly every answer after a member's first is theirs: this spares each of them the
    database read that `claim_notice` would make only to find the notice seen (on a
    group's daily burst of check-ins, that read was a third of the submit's work). Once
    seen, a version stays seen, except after an erasure, which has the member forgotten
    here too (`PrivacyMemberData.forget_member`), so they are told again what is kept.
    An erasure run by another process (two holding one shard during a deploy) is not
    seen here: until this process restarts, such a member is not shown the notice again.
    """

    def __init__(self) -> None:
        self._seen: dict[tuple[int, int], int] = {}  # member -> the version they saw

    def has_seen(self, guild_id: int, user_id: int, version: int) -> bool:
        return self._seen.get((guild_id, user_id), -1) >= version

    def add(self, guild_id: int, user_id: int, version: int) -> None:
        member = (guild_id, user_id)
        self._seen[member] = max(version, self._seen.get(member, version))

    def forget_member(self, guild_id: int, user_id: int) -> Callable[[], None]:
        member = (guild_id, user_id)
        version = self._seen.pop(member, None)
        if version is None:
            return _nothing
        return lambda: self.add(guild_id, user_id, version)

    def forget_server(self, guild_id: int) -> Callable[[], None]:
        members = {member: v for member, v in self._seen.items() if member[0] == guild_id}
        for member in members:
            del self._seen[member]
        return lambda: self._seen.update(members)


def _nothing() -> None:
    pass


async def claim_notice(
    db: Database, seen_here: NoticesSeen, guild_id: int, user_id: int, now: datetime, version: int
) -> Claimed | None:
    """Mark the notice `version` shown to the member now, if they haven't seen it (or
    only an older one); None when it is not due. Only one of two claims at once wins.
    `seen_here`: who has seen which version; the caller adds the member once it is sent."""
    if seen_here.has_seen(guild_id, user_id, version):
        return None
    async with db.guild_session(guild_id) as session, session.begin():
        seen = (
            await session.execute(
                select(Member.privacy_notice_version, Member.privacy_notice_at).where(
                    Member.user_id == user_id
                )
            )
        ).one_or_none()
        if seen is not None and seen[0] is not None and seen[0] >= version:
            seen_here.add(guild_id, user_id, seen[0])
            return None  # seen in an earlier run of the bot: one read, nothing written
        # A member's first: their row made with the notice marked seen, in one statement
        # (or, made a moment ago by another feature, marked below like anyone's).
        won = None
        if seen is None:
            won = await _made_seen(session, guild_id, user_id, now, version)
        if won is None:
            marked = await session.execute(
                update(Member)
                .where(
                    Member.user_id == user_id,
                    or_(
                        Member.privacy_notice_version.is_(None),
                        Member.privacy_notice_version < version,
                    ),
                )
                .values(privacy_notice_version=version, privacy_notice_at=now)
                .returning(Member.keep_checkin_notes, Member.share_signals_with_specialists)
                .execution_options(synchronize_session=False)
            )
            won = marked.one_or_none()
    if won is None:
        return None
    return Claimed(
        Choices(bool(won[0]), bool(won[1])),
        previous_version=seen[0] if seen is not None else None,
        previous_at=seen[1] if seen is not None else None,
    )


async def _made_seen(
    session: AsyncSession, guild_id: int, user_id: int, now: datetime, version: int
) -> Row[bool, bool] | None:
    """The member's row, made now with `version` marked seen; None when it was there."""
    insert = insert_for(session.get_bind().dialect.name)
    made = await session.execute(
        insert(Member)
        .values(
            guild_id=guild_id,
            user_id=user_id,
            privacy_notice_version=version,
            privacy_notice_at=now,
        )
        .on_conflict_do_nothing(index_elements=[Member.guild_id, Member.user_id])
        .returning(Member.keep_checkin_notes, Member.share_signals_with_specialists)
    )
    return made.one_or_none()


async def release_notice(
    db: Database, guild_id: int, user_id: int, claimed: Claimed, version: int
) -> None:
    """The notice could not be sent: mark it unseen again (unless a newer one was since
    shown), so it is offered at the member's next command."""
    async with db.guild_session(guild_id) as session, session.begin():
        await session.execute(
            update(Member)
            .where(Member.user_id == user_id, Member.privacy_notice_version == version)
            .values(
                privacy_notice_version=claimed.previous_version,
                privacy_notice_at=claimed.previous_at,
            )
            .execution_options(synchronize_session=False)
        )


def _audit(guild_id: int, user_id: int, choice: str, value: bool, version: int) -> AuditEntry:
    return AuditEntry(
        guild_id=guild_id,
        actor_user_id=user_id,
        subject_user_id=user_id,
        action=CONSENT_ACTION,
        details={"choice": choice, "value": value, "notice_version": version},
    )


async def set_choice(
    db: Database,
    guild_id: int,
    user_id: int,
    choice: Choice,
    value: bool,
    *,
    notice_version: int,
    now: datetime,
) -> tuple[Choices, bool]:
    """The member's choice, in effect from the moment this returns, with one audit line
    when it changed (a second press of the same choice changes nothing); the choices
    now, and whether this one changed."""
    async with db.guild_session(guild_id) as session, session.begin():
        member = await member_row(session, guild_id, user_id)
        changed = _choices(member).value(choice) != value
        if changed:
            setattr(member, choice.value, value)
            member.consent_updated_at = now
            session.add(_audit(guild_id, user_id, choice.value, value, notice_version))
        return _choices(member), changed


async def acknowledge_notice(
    db: Database, guild_id: int, user_id: int, *, notice_version: int, now: datetime
) -> Choices:
    """The member read the notice and kept their choices as they are: recorded, so their
    agreement to this version of it can be shown later."""
    async with db.guild_session(guild_id) as session, session.begin():
        member = await member_row(session, guild_id, user_id)
        if member.privacy_notice_version is None or member.privacy_notice_version < notice_version:
            member.privacy_notice_version = notice_version
        member.privacy_notice_at = now
        session.add(_audit(guild_id, user_id, "notice", True, notice_version))
        return _choices(member)


async def delete_checkin_notes(db: Database, guild_id: int, user_id: int) -> int:
    """Remove the note from every check-in of the member's in this server (the answers
    stay); how many notes there were. The audit line holds the count only."""
    async with db.guild_session(guild_id) as session, session.begin():
        result = await session.execute(
            update(Checkin)
            .where(Checkin.user_id == user_id, Checkin.note.is_not(None))
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
        deleted = int(getattr(result, "rowcount", 0) or 0)
        session.add(
            AuditEntry(
                guild_id=guild_id,
                actor_user_id=user_id,
                subject_user_id=user_id,
                action=NOTES_DELETED_ACTION,
                details={"notes": deleted},
            )
        )
    return deleted
