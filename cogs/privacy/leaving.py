"""The rules of leaving (issue 14): a member who left, the bot removed, old notes purged.

No discord import: the jobs (`leaving_jobs`) ask Discord who is still there and call these.

- A member who left: the bot has no members intent (it is privileged), so it never hears
  that someone left. A daily check asks Discord, member by member, about everyone with data
  in a server (`MemberDataRegistry.members_with_data`); a member Discord says is not there
  (404, Unknown Member) is marked `members.left_server_at`, one found again is unmarked,
  and one still gone `erase_after_days` after the mark is erased through the registry. The
  check keeps when it last looked in the member's `members` row (created for it if the
  member has none; it goes with their erasure). Any other answer says nothing: the member
  is left as they were and asked again at the next check, never erased on a doubt.
- The bot removed from a server: `guild_settings.bot_removed_at`, cleared when it is added
  back; `erase_after_days` after it, every row of that server in every table that has a
  `guild_id` (read from the metadata, so a new table cannot be forgotten) is deleted in one
  transaction, after the features holding members' data in memory or on disk (the /help-now
  journal) forgot the server's members.
- Retention: check-in notes and journal entries older than the server's `retention_days`
  are purged (a note set to NULL, the check-in's numbers kept; an entry deleted).
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import CursorResult, delete, select, update

from core.member_data import ForgetsMember, ForgetsServer, MemberDataRegistry
from core.members import member_row
from db.base import Base
from db.engine import Database
from db.models import AuditEntry, Checkin, GuildSettings, JournalEntry, Member

log = logging.getLogger(__name__)

# What an admin may choose in /setup privacy (days).
ERASE_AFTER_DAYS_MIN, ERASE_AFTER_DAYS_MAX = 0, 365
RETENTION_DAYS_MIN, RETENTION_DAYS_MAX = 30, 3650
# A member checked less than this long ago is not asked again: a day, less a margin so a
# daily run a few minutes earlier than yesterday's still finds yesterday's checks due.
CHECK_EVERY = timedelta(hours=20)
# Members asked about in one run, over every server: at the pacer's 48 a second this is
# about 35 minutes of requests. More members than this are checked a little less often
# than daily (the oldest checks first), never all at once.
MAX_CHECKS_PER_RUN = 100_000
# Results written to the database per transaction.
CHUNK = 100
# How often the whole-server erasure asks the features to forget members again, for
# members a first forgetting brought to light (a journal entry copied to the database).
_FORGET_ROUNDS = 3

RETENTION_ACTION = "privacy.retention_purged"


class Presence(enum.Enum):
    """What Discord said about a member."""

    HERE = "here"
    GONE = "gone"  # 404 Unknown Member: they are not in the server
    UNKNOWN = "unknown"  # any other answer (an outage, a timeout): says nothing


@dataclass(frozen=True)
class Candidate:
    guild_id: int
    user_id: int
    checked_at: datetime | None


def due_at(since: datetime, days: int) -> datetime:
    """When something marked at `since` with a grace of `days` is erased (0: at once)."""
    return since + timedelta(days=days)


def due_for_check(
    candidates: Iterable[Candidate], now: datetime, limit: int = MAX_CHECKS_PER_RUN
) -> list[Candidate]:
    """The members to ask about now: not checked for `CHECK_EVERY`, the oldest first
    (never checked before all), at most `limit`."""
    due = [c for c in candidates if c.checked_at is None or c.checked_at <= now - CHECK_EVERY]
    due.sort(key=lambda c: (c.checked_at is not None, c.checked_at or now, c.guild_id, c.user_id))
    return due[:limit]


def check_erase_after_days(days: int) -> bool:
    return ERASE_AFTER_DAYS_MIN <= days <= ERASE_AFTER_DAYS_MAX


def check_retention_days(days: int) -> bool:
    return RETENTION_DAYS_MIN <= days <= RETENTION_DAYS_MAX


# -- members who left ----------------------------------------------------------------


async def presence_candidates(
    db: Database, registry: MemberDataRegistry, guild_id: int, *, exclude: Collection[int] = ()
) -> list[Candidate]:
    """Everyone with data in the server, with when the check last asked about them."""
    async with db.guild_session(guild_id) as session:
        users = await registry.members_with_data(session, guild_id)
        rows = await session.execute(
            select(Member.user_id, Member.presence_checked_at).where(Member.guild_id == guild_id)
        )
        checked = {user_id: at for user_id, at in rows}
    return [
        Candidate(guild_id, user_id, checked.get(user_id))
        for user_id in sorted(users)
        if user_id not in exclude
    ]


async def record_presence(
    db: Database,
    registry: MemberDataRegistry,
    guild_id: int,
    answers: Mapping[int, Presence],
    now: datetime,
    erase_after_days: int,
) -> list[int]:
    """Write what Discord said about these members; the ones now due to be erased.

    A member found is unmarked; one gone is marked (once: the first time counts) and due
    once the grace since the mark has passed. An unknown answer changes nothing.
    """
    known = {
        user: presence for user, presence in answers.items() if presence is not Presence.UNKNOWN
    }
    if not known:
        return []
    due: list[int] = []
    async with db.guild_session(guild_id) as session, session.begin():
        rows = {
            row.user_id: row
            for row in await session.scalars(
                select(Member).where(Member.guild_id == guild_id, Member.user_id.in_(known))
            )
        }
        missing = set(known) - set(rows)
        if missing:
            # Only for someone who still has data: an erasure since the check began
            # (/privacy delete) must not leave a row behind that names them.
            still = await registry.members_with_data(session, guild_id, among=missing)
            for user_id in sorted(still):
                rows[user_id] = await member_row(session, guild_id, user_id)
        for user_id, row in rows.items():
            row.presence_checked_at = now
            if known[user_id] is Presence.HERE:
                row.left_server_at = None
                continue
            if row.left_server_at is None:
                row.left_server_at = now
                await registry.member_left(session, guild_id, user_id)
            if due_at(row.left_server_at, erase_after_days) <= now:
                due.append(user_id)
    return sorted(due)


# -- the bot removed from a server ---------------------------------------------------


async def mark_bot_removed(db: Database, guild_id: int, now: datetime) -> bool:
    """Note when the bot was removed (the first time counts); False if it was already."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(GuildSettings, guild_id)
        if row is None:
            row = GuildSettings(guild_id=guild_id)
            session.add(row)
        if row.bot_removed_at is not None:
            return False
        row.bot_removed_at = now
    return True


async def clear_bot_removed(db: Database, guild_id: int) -> bool:
    """The bot is back: nothing is erased. False if it was not marked."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(GuildSettings, guild_id)
        if row is None or row.bot_removed_at is None:
            return False
        row.bot_removed_at = None
    return True


@dataclass(frozen=True)
class Removed:
    guild_id: int
    removed_at: datetime
    erase_after_days: int


async def removed_servers(db: Database) -> list[Removed]:
    """Every server the bot was removed from, with its grace."""
    async with db.all_guilds_session() as session:
        rows = await session.execute(
            select(
                GuildSettings.guild_id,
                GuildSettings.bot_removed_at,
                GuildSettings.erase_after_days,
            ).where(GuildSettings.bot_removed_at.is_not(None))
        )
        return [Removed(g, cast(datetime, at), days) for g, at, days in rows]


def server_tables() -> list[Any]:
    """Every table holding a server's rows (a `guild_id` column), children first, so a
    row is deleted before the row it refers to."""
    return [table for table in reversed(Base.metadata.sorted_tables) if "guild_id" in table.c]


async def erase_server(db: Database, registry: MemberDataRegistry, guild_id: int) -> dict[str, int]:
    """Delete every row of the server in every table, in one transaction; rows per table.

    First the features holding members' data outside the database (memory, the /help-now
    journal on disk) forget each member with data there, then whatever else of the
    server they hold; if the transaction then fails they get it all back, as an erasure
    of one member does.
    """
    undos: list[Callable[[], None]] = []
    forgetting = [hooks for hooks in registry.hooks() if isinstance(hooks, ForgetsMember)]
    try:
        forgotten: set[int] = set()
        for _ in range(_FORGET_ROUNDS):
            async with db.guild_session(guild_id) as session:
                users = await registry.members_with_data(session, guild_id) - forgotten
            if not users:
                break
            for hooks in forgetting:
                for user_id in sorted(users):
                    undos.append(await hooks.forget_member(guild_id, user_id))
            forgotten |= users
        # What no table names any more (a /help-now request the database refused).
        for server_wide in registry.hooks():
            if isinstance(server_wide, ForgetsServer):
                undos.append(await server_wide.forget_server(guild_id))
        counts: dict[str, int] = {}
        async with db.guild_session(guild_id) as session, session.begin():
            for table in server_tables():
                result = await session.execute(delete(table).where(table.c.guild_id == guild_id))
                counts[table.name] = cast(CursorResult[Any], result).rowcount
    except BaseException:
        for undo in reversed(undos):
            undo()
        raise
    return {name: count for name, count in counts.items() if count}


# -- retention ------------------------------------------------------------------------


async def servers_with_old_words(db: Database) -> list[int]:
    """The servers holding any check-in note or journal entry (the purge's candidates)."""
    async with db.all_guilds_session() as session:
        notes = await session.scalars(
            select(Checkin.guild_id).where(Checkin.note.is_not(None)).distinct()
        )
        entries = await session.scalars(select(JournalEntry.guild_id).distinct())
        return sorted({*notes, *entries})


@dataclass(frozen=True)
class Purged:
    checkin_notes: int
    journal_entries: int

    def __bool__(self) -> bool:
        return bool(self.checkin_notes or self.journal_entries)


async def purge_older_than(
    db: Database, guild_id: int, cutoff: datetime, actor_user_id: int | None
) -> Purged:
    """Purge the server's check-in notes and journal entries written before `cutoff`,
    and leave an audit line with the counts only."""
    async with db.guild_session(guild_id) as session, session.begin():
        notes = await session.execute(
            update(Checkin)
            .where(
                Checkin.guild_id == guild_id,
                Checkin.note.is_not(None),
                Checkin.created_at < cutoff,
            )
            .values(note=None)
            .execution_options(synchronize_session=False)
        )
        entries = await session.execute(
            delete(JournalEntry)
            .where(JournalEntry.guild_id == guild_id, JournalEntry.written_at < cutoff)
            .execution_options(synchronize_session=False)
        )
        purged = Purged(
            cast(CursorResult[Any], notes).rowcount, cast(CursorResult[Any], entries).rowcount
        )
        if purged:
            session.add(
                AuditEntry(
                    guild_id=guild_id,
                    actor_user_id=actor_user_id,
                    action=RETENTION_ACTION,
                    details={
                        "checkin_notes": purged.checkin_notes,
                        "journal_entries": purged.journal_entries,
                    },
                )
            )
    return purged
