"""The meetings' rules against a real database, SQLite and PostgreSQL: what falls due when,
claimed once however many workers look at the same moment, only on this process's shards,
and each server's attendance kept to itself."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cogs.meetings import service
from cogs.meetings.recurrence import Recurrence
from core.errors import UserFacingError
from db.engine import Database
from db.models import MeetingAttendance, MeetingOccurrence, OutboxMessage
from db.models.meetings import CLOSED, OPEN, VOICE, WEEKLY
from tests.cogs.meetings.helpers import FIRST_START, MONDAY_BEFORE_DST, utc

# Two servers on different shards of two: (guild_id >> 22) % 2 is 0 and 1.
GUILD = 4_194_304 * 1000
OTHER_GUILD = 4_194_304 * 1001
SPECIALIST = 900
ALICE, BOB = 101, 102
ROOM, MEETINGS_CHANNEL = 555, 556
TUESDAY = utc(2027, 3, 9).date()  # the first meeting's day in New York


def plan(**changes: Any) -> service.Plan:
    values: dict[str, Any] = {
        "title": "Tuesday circle",
        "recurrence": Recurrence(
            WEEKLY, (1,), None, time(19, 0), ZoneInfo("America/New_York"), MONDAY_BEFORE_DST.date()
        ),
        "duration_minutes": 60,
        "place": VOICE,
        "channel_id": ROOM,
    }
    values.update(changes)
    return service.Plan(**values)


def messages() -> service.Messages:
    return service.Messages(
        reminder=lambda info, occurrence, minutes: {"content": f"reminder {minutes}"},
        opening=lambda info, occurrence: {"content": "opening"},
        channels=lambda guild_id: (MEETINGS_CHANNEL, None),
    )


def nobody(guild_id: int, channel_id: int) -> list[int]:
    return []


async def run(
    db: Database, now: datetime, shards: service.ShardSet = None, in_voice: Any = nobody
) -> list[service.Due]:
    return await service.run_due(db, now, shards, messages(), in_voice)


async def outbox(db: Database) -> list[str]:
    async with db.all_guilds_session() as session:
        rows = (await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all()
    return [row.dedupe_key for row in rows]


async def test_the_first_occurrence_waits_for_the_next_reminder_and_a_past_one_is_never_due(
    database: Database,
) -> None:
    # Scheduled 31 hours ahead: the 24-hour reminder is the first thing due.
    info = await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    assert info.next is not None
    assert info.next.starts_at == FIRST_START
    assert await service.next_due(database, None) == MONDAY_BEFORE_DST  # its event to make

    late = FIRST_START - timedelta(minutes=10)
    tonight = await service.schedule(database, OTHER_GUILD, SPECIALIST, plan(), late)
    assert tonight.next is not None
    async with database.guild_session(OTHER_GUILD) as session:
        row = await session.get(MeetingOccurrence, tonight.next.id)
    assert row is not None
    # Both reminders were past when it was made: none is sent late.
    assert sorted(row.reminders_done) == [15, 24 * 60]


async def test_after_an_outage_only_the_latest_reminder_due_is_queued_and_only_once(
    database: Database,
) -> None:
    await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    moment = FIRST_START - timedelta(minutes=10)

    # Two workers at once (two processes on PostgreSQL; SQLite has one writer anyway).
    await asyncio.gather(run(database, moment), run(database, moment))

    assert [key for key in await outbox(database) if ":reminder:" in key] == [
        service.reminder_key(1, 15, FIRST_START)
    ]
    assert await run(database, moment) == []


async def test_a_meeting_opens_with_who_is_already_in_the_room_and_closes_with_attendance(
    database: Database,
) -> None:
    info = await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    assert info.next is not None
    start = info.next.starts_at

    def in_room(guild_id: int, channel_id: int) -> list[int]:
        return [ALICE] if (guild_id, channel_id) == (GUILD, ROOM) else []

    [opened] = [due for due in await run(database, start, in_voice=in_room) if due.opened]
    [room] = await service.open_rooms(database, None)
    assert (room.guild_id, room.channel_id, room.occurrence_id) == (
        GUILD,
        ROOM,
        opened.occurrence_id,
    )
    await service.voice_joined(database, room, BOB, start + timedelta(minutes=20))
    await service.voice_left(database, room, BOB, start + timedelta(minutes=22))

    [closed] = [due for due in await run(database, start + timedelta(hours=1)) if due.closed]

    async with database.guild_session(GUILD) as session:
        rows = {
            row.user_id: row for row in (await session.scalars(select(MeetingAttendance))).all()
        }
        states = [
            row.state
            for row in (
                await session.scalars(select(MeetingOccurrence).order_by(MeetingOccurrence.id))
            ).all()
        ]
    assert rows[ALICE].attended is True
    assert rows[ALICE].seconds_present == 3600
    assert rows[BOB].attended is False
    assert states[0] == CLOSED
    assert closed.next_id is not None
    assert await service.open_rooms(database, None) == []


async def test_each_process_handles_only_its_own_shards(database: Database) -> None:
    for guild_id in (GUILD, OTHER_GUILD):
        await service.schedule(database, guild_id, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    moment = FIRST_START - timedelta(hours=24)

    shard_zero = await run(database, moment, shards=([0], 2))
    shard_one = await run(database, moment, shards=([1], 2))

    assert [due.guild_id for due in shard_zero] == [GUILD]
    assert [due.guild_id for due in shard_one] == [OTHER_GUILD]


async def hold_weeks(
    database: Database, guild_id: int, meeting_id: int, weeks: int, present: Any
) -> list[datetime]:
    """The meeting held `weeks` times; `present(week)` says who is in the room."""
    starts = []
    for week in range(weeks):
        info = await service.find(database, guild_id, meeting_id)
        assert info.next is not None
        at = info.next.starts_at
        starts.append(at)
        people = present(week)
        await run(
            database, at, in_voice=lambda g, c, people=people: people if g == guild_id else []
        )
        await run(database, at + timedelta(hours=1))
    return starts


async def test_missed_runs_count_from_a_regular_meeting_and_stay_in_their_server(
    database: Database,
) -> None:
    info = await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    await service.schedule(database, OTHER_GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    starts = await hold_weeks(database, GUILD, info.id, 5, lambda week: [ALICE] if week < 2 else [])
    end = starts[-1] + timedelta(hours=2)

    async with database.guild_session(GUILD) as session:
        found = await service.missing_members(session, 3, end)
    async with database.guild_session(OTHER_GUILD) as session:
        elsewhere = await service.missing_members(session, 3, end)

    # The run began with the third meeting, on its day in New York.
    assert found == [
        service.Missing(ALICE, starts[2].astimezone(ZoneInfo("America/New_York")).date(), False)
    ]
    assert elsewhere == []
    record = await service.record_of(database, GUILD, ALICE, end)
    assert (record.streak, record.missed_in_a_row) == (0, 3)
    assert await service.record_of(database, GUILD, BOB, end) == service.Record((), 0, 0, False)


async def test_a_meeting_tried_once_is_no_run_of_absences_beside_a_regular_one(
    database: Database,
) -> None:
    tried = await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    thursday = replace(plan().recurrence, weekdays=(3,))
    regular = await service.schedule(
        database,
        GUILD,
        SPECIALIST,
        plan(title="Thursday circle", recurrence=thursday),
        MONDAY_BEFORE_DST,
    )
    await hold_weeks(database, GUILD, tried.id, 1, lambda week: [ALICE])
    starts = await hold_weeks(database, GUILD, regular.id, 5, lambda week: [ALICE])
    # The tried meeting goes on without her.
    await hold_weeks(database, GUILD, tried.id, 4, lambda week: [])
    end = max(starts[-1], FIRST_START + timedelta(weeks=5)) + timedelta(hours=2)

    async with database.guild_session(GUILD) as session:
        assert await service.missing_members(session, 3, end) == []
    record = await service.record_of(database, GUILD, ALICE, end)
    assert record.streak == 5
    assert record.missed_in_a_row == 0


@pytest.mark.parametrize("state", [OPEN, CLOSED])
async def test_a_meeting_under_way_or_over_cannot_be_skipped(
    database: Database, state: str
) -> None:
    info = await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    assert info.next is not None
    await run(database, FIRST_START)
    if state == CLOSED:
        await run(database, FIRST_START + timedelta(hours=1))

    with pytest.raises(UserFacingError):
        await service.skip(
            database,
            GUILD,
            SPECIALIST,
            info.id,
            utc(2027, 3, 9).date(),
            FIRST_START + timedelta(hours=2),
        )


async def test_a_meeting_opened_late_counts_nobody_absent_but_keeps_who_was_there(
    database: Database,
) -> None:
    info = await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    assert info.next is not None
    late = info.next.starts_at + timedelta(minutes=20)

    await run(database, late, in_voice=lambda g, c: [ALICE])
    await run(database, info.next.ends_at)

    [first, _] = await occurrences_of(database)
    assert first.state == CLOSED
    assert not first.observed
    async with database.guild_session(GUILD) as session:
        [alice] = (await session.scalars(select(MeetingAttendance))).all()
    assert alice.attended is True  # 40 minutes seen
    record = await service.record_of(database, GUILD, ALICE, late + timedelta(hours=2))
    assert [item.attended for item in record.history] == [True]


async def test_a_meeting_whose_room_is_gone_counts_nobody_absent(database: Database) -> None:
    info = await service.schedule(database, GUILD, SPECIALIST, plan(), MONDAY_BEFORE_DST)
    assert info.next is not None

    await run(database, info.next.starts_at, in_voice=lambda g, c: None)
    await run(database, info.next.ends_at)

    [first, _] = await occurrences_of(database)
    assert (first.state, first.observed) == (CLOSED, False)


async def test_reminders_longer_than_the_gap_between_meetings_are_named_as_never_sent() -> None:
    daily = replace(plan().recurrence, weekdays=(0, 1, 2, 3, 4, 5, 6))
    weekly = plan(reminder_minutes=(24 * 60, 15))

    assert service.reminders_too_early(plan(recurrence=daily), MONDAY_BEFORE_DST) == (24 * 60,)
    assert service.reminders_too_early(weekly, MONDAY_BEFORE_DST) == ()


async def occurrences_of(database: Database) -> list[MeetingOccurrence]:
    async with database.guild_session(GUILD) as session:
        return list(
            (await session.scalars(select(MeetingOccurrence).order_by(MeetingOccurrence.id))).all()
        )
