"""The hot queries the bot really runs are served by an index, on SQLite and PostgreSQL.

Each test runs a real code path against a migrated database, records every statement it
sends (text and parameters, as the driver got them) and asks the same database to plan
each one that reads or changes a hot table. A query planned as a walk through the whole
table (or the whole of an index) is slow once the table holds every server's rows, however
fast it is in a test: that is what these tests refuse.

SQLite: `EXPLAIN QUERY PLAN` must show each hot table only as `SEARCH` (a range or a key
of an index, or of the row id), never `SCAN`. PostgreSQL: the tables are empty, so the
planner would read them whole whatever the indexes; with `enable_seqscan` off it takes an
index wherever one fits, and a `Seq Scan` is left only where none does. Its plan must
then read each hot table through an index condition: an index walked from end to end
without one is a full scan too.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, time, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import discord
from cryptography.fernet import MultiFernet
from sqlalchemy import event

from cogs.checkins import records
from cogs.checkins.preferences import claim_reminders, set_reminders
from cogs.helpnow.journal import Journal
from cogs.helpnow.service import HelpDesk
from cogs.meetings import service as meetings
from cogs.meetings.recurrence import Recurrence
from cogs.sober import service as sober
from core.outbox import Outbox, Outgoing, enqueue, message_body
from db.engine import Database
from db.models import Checkin, GuildSettings
from db.models.meetings import VOICE, WEEKLY
from tests.cogs.checkins.helpers import (
    ALICE,
    BOB,
    CHANNEL,
    CHECKINS,
    GOOD,
    GUILD,
    OTHER_GUILD,
    schedule,
    utc,
)
from tests.cogs.helpnow.desk_helpers import CHAIN, POLICY, open_request
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

NOW = utc(2026, 11, 10, 18, 0)
# Two processes on two shards, as a scale-out deployment runs: the shard rule joins the
# conditions of the queries that look across servers.
SHARDS = ([0], 2)
MILESTONES = (1, 7, 30)


@dataclass(frozen=True)
class Sent:
    sql: str
    parameters: Any


@dataclass(frozen=True)
class Plan:
    sql: str
    lines: list[str]
    # What reads a hot table other than through an index condition.
    offending: list[str]

    def __str__(self) -> str:
        return "\n".join([self.sql, *(f"    {line}" for line in self.lines)])


@contextmanager
def recording(database: Database) -> Iterator[list[Sent]]:
    """Every statement the engine sends meanwhile, as the driver receives it."""
    sent: list[Sent] = []

    def record(
        _connection: Any,
        _cursor: Any,
        statement: str,
        parameters: Any,
        _context: Any,
        executemany: bool,
    ) -> None:
        if not executemany:
            sent.append(Sent(statement, parameters))

    engine = database.engine.sync_engine
    event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", record)


_READS_OR_CHANGES = re.compile(r"^\s*(SELECT|UPDATE|DELETE|WITH)\b", re.IGNORECASE)
_TABLE = re.compile(r"\b(?:FROM|JOIN|UPDATE)\s+\"?(\w+)\"?(?:\s+AS\s+\"?(\w+)\"?)?", re.IGNORECASE)


def tables_of(sql: str) -> set[str]:
    return {table.lower() for table, _alias in _TABLE.findall(sql)}


def names_of(sql: str, hot: set[str]) -> set[str]:
    """The hot tables of the statement and their aliases: SQLite's plan names a table
    by its alias."""
    names = set()
    for table, alias in _TABLE.findall(sql):
        if table.lower() in hot:
            names |= {table.lower(), alias.lower()} - {""}
    return names


def touching(sent: Sequence[Sent], hot: set[str]) -> list[Sent]:
    """The statements that read or change a hot table, each once."""
    kept: dict[str, Sent] = {}
    for statement in sent:
        if _READS_OR_CHANGES.match(statement.sql) and tables_of(statement.sql) & hot:
            kept.setdefault(statement.sql, statement)
    return list(kept.values())


async def plan_of(database: Database, statement: Sent, hot: set[str]) -> Plan:
    async with database.engine.connect() as connection:
        if database.engine.dialect.name == "sqlite":
            rows = await connection.exec_driver_sql(
                f"EXPLAIN QUERY PLAN {statement.sql}", statement.parameters
            )
            lines = [str(row.detail) for row in rows]
            return Plan(
                statement.sql, lines, _sqlite_offending(lines, names_of(statement.sql, hot))
            )
        async with connection.begin():
            await connection.exec_driver_sql("SET LOCAL enable_seqscan = off")
            found = await connection.exec_driver_sql(
                f"EXPLAIN (FORMAT JSON) {statement.sql}", statement.parameters
            )
            raw = found.scalar_one()
            # Nothing to keep, and the setting must not outlive this plan.
            await connection.rollback()
    tree = (json.loads(raw) if isinstance(raw, str) else raw)[0]["Plan"]
    lines = list(_postgres_lines(tree))
    return Plan(statement.sql, lines, list(_postgres_offending(tree, hot)))


def _sqlite_offending(lines: list[str], hot: set[str]) -> list[str]:
    # "SCAN t", "SCAN t USING INDEX i" and "SCAN t USING COVERING INDEX i" all read every
    # row of t (or of i); only "SEARCH" reads a range.
    offending = []
    for line in lines:
        words = line.split()
        if len(words) >= 2 and words[0] == "SCAN" and words[1].lower() in hot:
            offending.append(line)
    return offending


def _postgres_lines(node: dict[str, Any], depth: int = 0) -> Iterator[str]:
    described = node["Node Type"]
    if "Relation Name" in node:
        described += f" on {node['Relation Name']}"
    if "Index Name" in node:
        described += f" using {node['Index Name']}"
    for key in ("Index Cond", "Recheck Cond", "Filter"):
        if key in node:
            described += f" [{key}: {node[key]}]"
    yield "  " * depth + described
    for child in node.get("Plans", []):
        yield from _postgres_lines(child, depth + 1)


def _postgres_offending(node: dict[str, Any], hot: set[str]) -> Iterator[str]:
    relation = str(node.get("Relation Name", "")).lower()
    kind = node["Node Type"]
    if relation in hot:
        if kind == "Seq Scan":
            yield f"Seq Scan on {relation}"
        elif kind in ("Index Scan", "Index Only Scan") and "Index Cond" not in node:
            yield f"{kind} on {relation} using {node['Index Name']} with no index condition"
    for child in node.get("Plans", []):
        yield from _postgres_offending(child, hot)


async def assert_served_by_index(
    database: Database, sent: Sequence[Sent], hot: set[str], *, at_least: int
) -> list[Plan]:
    """Plan each statement that touches a hot table; every one must read them by index."""
    statements = touching(sent, hot)
    # The path really ran its queries: a listener or a set-up gone wrong would otherwise
    # leave nothing to check, and the test would pass on nothing.
    assert len(statements) >= at_least, [statement.sql for statement in statements]
    plans = [await plan_of(database, statement, hot) for statement in statements]
    bad = [plan for plan in plans if plan.offending]
    assert not bad, "read without an index:\n" + "\n\n".join(str(plan) for plan in bad)
    return plans


# --- Check-ins by member and day --------------------------------------------------------------


async def test_a_members_check_ins_are_found_by_index_when_submitting_and_in_history(
    database: Database,
) -> None:
    await schedule(database, at="09:00", zone="UTC")
    # Every day for longer than the streak's first read: the streak goes on to count
    # older days in bands, its own statement.
    today = NOW.date()
    async with database.guild_session(GUILD) as session, session.begin():
        session.add_all(
            Checkin(
                guild_id=GUILD,
                user_id=ALICE,
                local_date=today - timedelta(days=back),
                mood=3,
                craving=2,
                sleep_hours=7.0,
                triggers=[],
            )
            for back in range(1, records.STREAK_FIRST_DAYS + 10)
        )
    with recording(database) as sent:
        outcome = await records.record_checkin(database, GUILD, ALICE, GOOD, CHECKINS, NOW)
        await records.record_checkin(database, GUILD, ALICE, GOOD, CHECKINS, NOW)
        await records.todays_answers(database, GUILD, ALICE, CHECKINS, NOW)
        await records.set_triggers(database, GUILD, ALICE, ("Loneliness",), CHECKINS, NOW)
        seen = await records.history(database, GUILD, ALICE, 30, NOW)
        await records.member_streak(database, GUILD, ALICE, NOW)
    assert outcome.streak == seen.streak == records.STREAK_FIRST_DAYS + 10
    await assert_served_by_index(database, sent, {"checkins"}, at_least=5)


# --- Reminders --------------------------------------------------------------------------------


def reminder_body(guild_id: int, channel_id: int) -> dict[str, Any]:
    return message_body("Time to check in")


async def test_due_reminders_are_found_by_index_across_servers(database: Database) -> None:
    await schedule(database, guild_id=GUILD, at="09:00", zone="UTC")
    await schedule(database, guild_id=OTHER_GUILD, at="09:00", zone="UTC")
    await set_reminders(database, GUILD, ALICE, True, hour=18)
    await set_reminders(database, OTHER_GUILD, BOB, True, hour=18)
    await records.record_checkin(database, OTHER_GUILD, BOB, GOOD, CHECKINS, NOW)
    with recording(database) as sent:
        claimed = await claim_reminders(database, [GUILD, OTHER_GUILD], NOW, reminder_body)
    # Claimed, so the claim's UPDATE ran too, not only the reads before it.
    assert [(reminder.guild_id, reminder.user_id) for reminder in claimed] == [(GUILD, ALICE)]
    await assert_served_by_index(database, sent, {"checkin_preferences", "checkins"}, at_least=3)


# --- Sober counters by milestone day ----------------------------------------------------------


def congratulations(
    reached: sober.MilestoneReached,
) -> tuple[dict[str, Any], dict[str, Any] | None]:
    return message_body(f"{reached.days} days"), None


async def test_milestones_due_are_found_by_index_on_every_shard_rule(database: Database) -> None:
    for guild_id in (GUILD, OTHER_GUILD):
        async with database.guild_session(guild_id) as session, session.begin():
            session.add(GuildSettings(guild_id=guild_id, timezone="UTC"))
    started = utc(2026, 11, 10, 9)
    for guild_id in (GUILD, OTHER_GUILD):
        await sober.start(database, guild_id, ALICE, "alcohol", None, started, MILESTONES)
    day_one = utc(2026, 11, 11)
    with recording(database) as sent:
        everywhere = await sober.claim_milestones(
            database, day_one, MILESTONES, None, congratulations
        )
        await sober.claim_milestones(database, day_one, MILESTONES, SHARDS, congratulations)
    assert len(everywhere) == 2
    await assert_served_by_index(database, sent, {"sober_counters"}, at_least=3)


# --- /help-now requests by state and due time -------------------------------------------------


async def test_help_now_requests_are_found_by_index_when_recorded_claimed_and_loaded(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = FakeClock(utc(2026, 11, 25, 20, 0))
    desk = HelpDesk(database, Journal(tmp_path / "journal", cipher, database), clock)
    with recording(database) as sent:
        public_id = open_request(desk)
        page = desk.page_owed(public_id, CHAIN, None)
        assert page is not None
        desk.page_posted(page.case, CHANNEL, 1)
        desk.step_paged(page, POLICY)
        assert await desk.flush()
        clock.advance(minutes=10)
        # The step's wait is over: this process moves the request on, once.
        assert await desk.claim_escalation(public_id, CHAIN)
        assert await desk.flush()
        case = desk.get(public_id)
        assert case is not None
        assert await desk.claim_owner_notice(case)
        # A restart: the desk fills its memory with the open requests.
        restarted = HelpDesk(database, Journal(tmp_path / "journal", cipher, database), clock)
        loaded = await restarted.load()
    assert [case.public_id for case in loaded] == [public_id]
    await assert_served_by_index(database, sent, {"help_requests", "help_events"}, at_least=4)


# --- The outbox's claim of due messages -------------------------------------------------------


async def test_the_outbox_finds_due_messages_by_index(database: Database) -> None:
    later = Outgoing(
        kind="test.post",
        dedupe_key="plans:later",
        guild_id=GUILD,
        body=message_body("later"),
        # Not due: the worker claims and purges, and never reaches Discord.
        not_before=NOW + timedelta(hours=1),
        expires_at=NOW + timedelta(hours=2),
        channel_id=CHANNEL,
    )
    async with database.all_guilds_session() as session, session.begin():
        await enqueue(session, [later])
    # Never used: nothing is due, so the worker sends nothing.
    client = discord.Client(intents=discord.Intents.none())
    with recording(database) as sent:
        for shards in (None, SHARDS):
            outbox = Outbox(database, client, lambda: NOW, identity="plans", shards=shards)
            assert await outbox.waiting() == 0
            started = len(sent)
            await outbox.start()
            # A round that claims nothing ends with the purge of old rows: by then the
            # claim's statements have all run.
            await wait_for(
                functools.partial(_purged, sent, started),
                within=10,
                what="the outbox's claim and purge",
            )
            await outbox.stop(grace_seconds=5)
    await assert_served_by_index(database, sent, {"outbox_messages"}, at_least=6)


async def _purged(sent: Sequence[Sent], since: int) -> bool | None:
    deleted = any(s.sql.lstrip().upper().startswith("DELETE") for s in sent[since:])
    return True if deleted else None


# --- Meetings' due occurrences ----------------------------------------------------------------


def meeting_plan() -> meetings.Plan:
    recurrence = Recurrence(
        WEEKLY, (1,), None, time(19, 0), ZoneInfo("America/New_York"), date(2027, 3, 8)
    )
    return meetings.Plan("Tuesday circle", recurrence, 60, VOICE, channel_id=555)


def nobody_in_the_room(guild_id: int, channel_id: int) -> list[int]:
    return []


def meeting_messages() -> meetings.Messages:
    return meetings.Messages(
        reminder=lambda info, occurrence, minutes: message_body(f"in {minutes} minutes"),
        opening=lambda info, occurrence: message_body("opening"),
        channels=lambda guild_id: (CHANNEL, None),
    )


async def test_meetings_due_are_found_by_index(database: Database) -> None:
    scheduled_at = utc(2027, 3, 8, 17, 0)
    first_start = utc(2027, 3, 10, 0, 0)
    await meetings.schedule(database, GUILD, ALICE, meeting_plan(), scheduled_at)
    with recording(database) as sent:
        soon = first_start - timedelta(minutes=10)
        handled = await meetings.run_due(
            database, soon, None, meeting_messages(), nobody_in_the_room
        )
        await meetings.run_due(database, soon, SHARDS, meeting_messages(), nobody_in_the_room)
        await meetings.next_due(database, None)
        await meetings.next_due(database, SHARDS)
    assert [due.reminded for due in handled] == [True]
    await assert_served_by_index(database, sent, {"meeting_occurrences"}, at_least=3)
