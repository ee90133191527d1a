"""When a group's prompt is due: local time, daylight saving, downtime, never twice."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from cogs.checkins.preferences import (
    REMINDER_KIND,
    REMINDER_WINDOW,
    claim_reminders,
    servers_with_reminders,
    set_reminders,
)
from cogs.checkins.schedule import (
    CATCH_UP_GRACE,
    PROMPT_KIND,
    ClaimedPrompt,
    ScheduleState,
    claim_prompts,
    describe_weekdays,
    due_prompt,
    due_prompts,
    load_schedules,
    next_prompt_after,
    occurrence_on,
    parse_local_time,
    parse_weekdays,
    prompt_trigger,
    save_schedule,
)
from core.errors import UserFacingError
from core.outbox import message_body
from db.engine import Database
from db.models import AuditEntry, CheckinSchedule, OutboxMessage
from tests.cogs.checkins.helpers import (
    ADMIN,
    ALICE,
    BOB,
    CHANNEL,
    GUILD,
    OTHER_GUILD,
    check_in,
    local,
    schedule,
    set_member_zone,
    set_server_zone,
    utc,
)

NEW_YORK = "America/New_York"


PROMPT = message_body("Time for today's check-in")
THIRD_GUILD = 555_000_000_000_000_006


def reminder_body(guild_id: int, channel_id: int) -> dict[str, Any]:
    return message_body(f"A gentle reminder for {guild_id} in {channel_id}")


async def queued(database: Database) -> list[OutboxMessage]:
    async with database.all_guilds_session() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.dedupe_key))
        return list(found.all())


async def claim_one(database: Database, guild_id: int, now: datetime) -> ClaimedPrompt | None:
    """The one server's claimed prompt, if the batch claim took it."""
    claimed = await claim_prompts(database, [guild_id], now, PROMPT)
    assert len(claimed) <= 1
    return claimed[0] if claimed else None


def _fire_times(state: ScheduleState, start: datetime, end: datetime) -> list[datetime]:
    """When APScheduler's cron trigger for this schedule fires between start and end."""
    trigger = prompt_trigger(state)
    times: list[datetime] = []
    previous = None
    now = start
    while True:
        fire = trigger.get_next_fire_time(previous, now)
        if fire is None or fire > end:
            return times
        # APScheduler hands back wall times in the zone, which may be ambiguous (and such
        # times never compare equal across zones): compare instants.
        times.append(fire.astimezone(UTC))
        previous, now = fire, fire


async def _claims_at(database: Database, times: list[datetime]) -> list[tuple[date, datetime]]:
    claimed = []
    for at in times:
        claim = await claim_one(database, GUILD, at)
        if claim is not None:
            claimed.append((claim.local_date, at))
    return claimed


@pytest.mark.parametrize(
    ("at", "start", "transition", "expected_utc"),
    [
        # 02:30 does not exist on 8 March 2026 in New York: the prompt goes at 03:30 EDT.
        ("02:30", utc(2026, 3, 6), date(2026, 3, 8), utc(2026, 3, 8, 7, 30)),
        # 01:30 happens twice on 1 November 2026: the prompt goes at the first one only.
        ("01:30", utc(2026, 10, 30), date(2026, 11, 1), utc(2026, 11, 1, 5, 30)),
        # An evening prompt simply moves with the clocks.
        ("19:00", utc(2026, 3, 6), date(2026, 3, 8), utc(2026, 3, 8, 23, 0)),
        ("19:00", utc(2026, 10, 30), date(2026, 11, 1), utc(2026, 11, 2, 0, 0)),
    ],
)
async def test_the_cron_path_prompts_once_a_day_across_daylight_saving(
    database: Database, at: str, start: datetime, transition: date, expected_utc: datetime
) -> None:
    state = await schedule(database, at=at, zone=NEW_YORK)
    fires = _fire_times(state, start, start + timedelta(days=4))
    fire_days = {fire.astimezone(state.zone).date() for fire in fires}
    claimed = await _claims_at(database, fires)
    days = [day for day, _ in claimed]
    assert days == sorted(fire_days)  # every day once: none skipped, none twice
    assert transition in days
    assert (transition, expected_utc) in claimed


async def test_the_doubled_hour_in_november_really_fires_twice_and_prompts_once(
    database: Database,
) -> None:
    state = await schedule(database, at="01:30", zone=NEW_YORK)
    fires = _fire_times(state, utc(2026, 11, 1), utc(2026, 11, 1, 12))
    assert fires == [utc(2026, 11, 1, 5, 30), utc(2026, 11, 1, 6, 30)]
    assert await _claims_at(database, fires) == [(date(2026, 11, 1), utc(2026, 11, 1, 5, 30))]


@pytest.mark.parametrize(
    ("at", "first_day"),
    [("02:30", date(2026, 3, 7)), ("01:30", date(2026, 10, 31)), ("00:00", date(2026, 3, 7))],
)
def test_checking_every_five_minutes_finds_each_days_prompt_exactly_once(
    at: str, first_day: date
) -> None:
    hour, minute = parse_local_time(at)
    state = ScheduleState(GUILD, CHANNEL, hour, minute, NEW_YORK, frozenset(range(7)), True)
    now = local(NEW_YORK, first_day.year, first_day.month, first_day.day)
    last = first_day + timedelta(days=3)
    end = local(NEW_YORK, last.year, last.month, last.day)
    sent: list[tuple[date, datetime]] = []
    while now < end:
        day = due_prompt(state, now)
        if day is not None:
            sent.append((day, now))
            state = replace(state, last_prompt_date=day)
        now += timedelta(minutes=5)
    assert [day for day, _ in sent] == [first_day + timedelta(days=n) for n in range(3)]
    for day, when in sent:
        assert when == occurrence_on(state, day)  # on time, not late


async def test_after_downtime_the_prompt_goes_out_once_within_the_grace_period(
    database: Database,
) -> None:
    await schedule(database, at="19:00", zone=NEW_YORK)
    # Down at 19:00 on the 10th, back at 20:30: sent once, not again on a second start.
    back = local(NEW_YORK, 2026, 11, 10, 20, 30)
    claim = await claim_one(database, GUILD, back)
    assert claim is not None
    assert (claim.local_date, claim.channel_id) == (date(2026, 11, 10), CHANNEL)
    assert await claim_one(database, GUILD, back + timedelta(minutes=1)) is None
    # The regular prompt the next day still goes out.
    assert await claim_one(database, GUILD, local(NEW_YORK, 2026, 11, 11, 19)) is not None


async def test_after_a_longer_downtime_the_days_prompt_is_skipped(database: Database) -> None:
    await schedule(database, at="19:00", zone=NEW_YORK)
    too_late = local(NEW_YORK, 2026, 11, 10, 19) + CATCH_UP_GRACE + timedelta(minutes=1)
    assert await claim_one(database, GUILD, too_late) is None
    states = await load_schedules(database)
    assert due_prompts(states, too_late) == []
    assert states[0].last_prompt_date is None


async def test_a_late_evening_prompt_is_caught_up_after_midnight(database: Database) -> None:
    await schedule(database, at="23:30", zone=NEW_YORK)
    claim = await claim_one(database, GUILD, local(NEW_YORK, 2026, 11, 11, 0, 45))
    assert claim is not None
    assert claim.local_date == date(2026, 11, 10)
    assert await claim_one(database, GUILD, local(NEW_YORK, 2026, 11, 11, 1)) is None


async def test_due_prompts_names_only_the_groups_that_are_due(database: Database) -> None:
    await schedule(database, at="19:00", zone=NEW_YORK)
    await schedule(database, guild_id=OTHER_GUILD, at="19:00", zone="Europe/London")
    now = local(NEW_YORK, 2026, 11, 10, 19, 5)
    due = due_prompts(await load_schedules(database), now)
    assert [(state.guild_id, day) for state, day in due] == [(GUILD, date(2026, 11, 10))]


async def test_no_prompt_on_days_off_or_when_turned_off(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC", days="mon-fri")
    saturday = utc(2026, 11, 14, 19, 0)
    assert await claim_one(database, GUILD, saturday) is None
    await save_schedule(database, GUILD, ADMIN, enabled=False)
    assert await claim_one(database, GUILD, utc(2026, 11, 16, 19, 0)) is None


async def test_one_claim_takes_the_due_servers_prompts_and_queues_each_until_the_grace_ends(
    database: Database,
) -> None:
    await schedule(database, guild_id=GUILD, at="19:00", zone=NEW_YORK)
    await schedule(database, guild_id=OTHER_GUILD, at="19:00", zone=NEW_YORK)
    await schedule(database, guild_id=THIRD_GUILD, at="21:00", zone=NEW_YORK)  # not yet
    servers = [GUILD, OTHER_GUILD, THIRD_GUILD]
    at = local(NEW_YORK, 2026, 11, 10, 19)

    claimed = await claim_prompts(database, servers, at, PROMPT)
    day = date(2026, 11, 10)
    assert sorted(claimed, key=lambda claim: claim.guild_id) == [
        ClaimedPrompt(GUILD, CHANNEL, day, at),
        ClaimedPrompt(OTHER_GUILD, CHANNEL, day, at),
    ]
    rows = await queued(database)
    assert [(row.kind, row.dedupe_key, row.channel_id, row.expires_at) for row in rows] == [
        (PROMPT_KIND, f"checkins:prompt:{GUILD}:2026-11-10", CHANNEL, at + CATCH_UP_GRACE),
        (PROMPT_KIND, f"checkins:prompt:{OTHER_GUILD}:2026-11-10", CHANNEL, at + CATCH_UP_GRACE),
    ]
    assert [json.loads(row.body) for row in rows] == [PROMPT, PROMPT]
    assert await claim_prompts(database, servers, at + timedelta(minutes=1), PROMPT) == []
    assert len(await queued(database)) == 2


async def test_the_first_schedule_takes_defaults_and_the_audit_log_records_changes(
    database: Database,
) -> None:
    await set_server_zone(database, GUILD, "Europe/Berlin")
    with pytest.raises(UserFacingError, match="Which channel"):
        await save_schedule(database, GUILD, ADMIN)
    state = await save_schedule(database, GUILD, ADMIN, default_channel_id=CHANNEL)
    assert (state.channel_id, state.hour, state.minute) == (CHANNEL, 19, 0)
    assert (state.timezone, state.weekdays, state.enabled) == (
        "Europe/Berlin",
        frozenset(range(7)),
        True,
    )
    changed = await save_schedule(database, GUILD, ADMIN, hour=8, minute=15)
    assert (changed.hour, changed.minute, changed.timezone) == (8, 15, "Europe/Berlin")
    async with database.guild_session(GUILD) as session:
        actions = (await session.scalars(select(AuditEntry.details))).all()
    assert {"prompt_hour": 8, "prompt_minute": 15} in actions


async def test_an_unknown_time_zone_is_refused_and_nothing_changes(database: Database) -> None:
    await schedule(database, zone=NEW_YORK)
    with pytest.raises(UserFacingError, match="Mars/Base"):
        await save_schedule(database, GUILD, ADMIN, timezone="Mars/Base", hour=5)
    async with database.guild_session(GUILD) as session:
        row = await session.get(CheckinSchedule, GUILD)
    assert row is not None
    assert (row.timezone, row.prompt_hour) == (NEW_YORK, 19)


def test_local_times_and_days_are_read_the_way_people_write_them() -> None:
    assert parse_local_time("19:30") == (19, 30)
    assert parse_local_time("7:05") == (7, 5)
    assert parse_local_time("0730") == (7, 30)
    assert parse_local_time("7pm") == (19, 0)
    assert parse_local_time("12:15 am") == (0, 15)
    for bad in ("25:00", "7:60", "soon", "13pm", ""):
        with pytest.raises(UserFacingError, match="HH:MM"):
            parse_local_time(bad)
    assert parse_weekdays("every day") == list(range(7))
    assert parse_weekdays("mon-fri") == [0, 1, 2, 3, 4]
    assert parse_weekdays("Mon, Wed, Friday") == [0, 2, 4]
    assert parse_weekdays("fri-mon") == [0, 4, 5, 6]
    assert parse_weekdays("weekends") == [5, 6]
    with pytest.raises(UserFacingError, match="days"):
        parse_weekdays("someday")
    assert describe_weekdays([0, 2, 4]) == "Mon, Wed, Fri"


def test_the_next_prompt_is_shown_in_the_groups_time() -> None:
    state = ScheduleState(GUILD, CHANNEL, 19, 0, NEW_YORK, frozenset({0}), True)
    monday_evening = next_prompt_after(state, utc(2026, 11, 10, 12))
    assert monday_evening == local(NEW_YORK, 2026, 11, 16, 19)
    assert next_prompt_after(replace(state, enabled=False), utc(2026, 11, 10)) is None


# --- Reminders ------------------------------------------------------------------------------


async def reminded(database: Database, now: datetime, *guild_ids: int) -> list[int]:
    """Whom a reminder run at `now` claims in these servers (GUILD by default)."""
    claimed = await claim_reminders(database, guild_ids or [GUILD], now, reminder_body)
    return sorted(reminder.user_id for reminder in claimed)


async def test_a_reminder_goes_once_to_opted_in_members_who_have_not_checked_in(
    database: Database,
) -> None:
    await schedule(database, at="09:00", zone="UTC")
    await set_member_zone(database, GUILD, ALICE, "Europe/Paris")  # UTC+1 in November
    await set_reminders(database, GUILD, ALICE, True, hour=18)
    await set_reminders(database, GUILD, BOB, True, hour=18)
    before = utc(2026, 11, 10, 16, 45)  # 17:45 in Paris
    assert await reminded(database, before) == []
    await check_in(database, utc(2026, 11, 10, 12), user_id=BOB)
    at_six = utc(2026, 11, 10, 17, 0)  # 18:00 in Paris
    assert await reminded(database, at_six) == [ALICE]
    assert await reminded(database, at_six + timedelta(minutes=15)) == []
    # Not checked in the next day either: one more, the next day.
    assert await reminded(database, at_six + timedelta(days=1)) == [ALICE]


async def test_no_reminder_when_turned_off_or_long_after_the_hour(database: Database) -> None:
    await schedule(database, at="09:00", zone="UTC")
    setting = await set_reminders(database, GUILD, ALICE, True, hour=8)
    assert (setting.enabled, setting.hour, setting.timezone) == (True, 8, "UTC")
    late = utc(2026, 11, 10, 8) + REMINDER_WINDOW
    assert await reminded(database, late) == []
    await set_reminders(database, GUILD, ALICE, False)
    assert await reminded(database, utc(2026, 11, 11, 8)) == []


async def test_one_run_claims_the_reminders_of_several_servers_each_kept_until_its_window_ends(
    database: Database,
) -> None:
    await schedule(database, guild_id=GUILD, at="09:00", zone="UTC")
    await schedule(database, guild_id=OTHER_GUILD, at="09:00", zone="Europe/Paris")
    await schedule(database, guild_id=THIRD_GUILD, at="09:00", zone="UTC")
    await set_reminders(database, GUILD, ALICE, True, hour=18)
    await set_reminders(database, OTHER_GUILD, BOB, True, hour=19)  # 18:00 UTC in Paris
    await set_reminders(database, OTHER_GUILD, ALICE, False)
    await set_reminders(database, THIRD_GUILD, BOB, True, hour=18)
    await save_schedule(database, THIRD_GUILD, ADMIN, enabled=False)  # no prompt, no reminder
    servers = await servers_with_reminders(database)
    assert servers == [GUILD, OTHER_GUILD]

    at = utc(2026, 11, 10, 18, 0)
    claimed = await claim_reminders(database, servers, at, reminder_body)
    assert sorted((r.guild_id, r.user_id, r.local_date) for r in claimed) == [
        (GUILD, ALICE, date(2026, 11, 10)),
        (OTHER_GUILD, BOB, date(2026, 11, 10)),
    ]
    rows = await queued(database)
    assert [(row.kind, row.dedupe_key, row.user_id, row.expires_at) for row in rows] == [
        (
            REMINDER_KIND,
            f"checkins:reminder:{GUILD}:{ALICE}:2026-11-10",
            ALICE,
            at + REMINDER_WINDOW,
        ),
        (
            REMINDER_KIND,
            f"checkins:reminder:{OTHER_GUILD}:{BOB}:2026-11-10",
            BOB,
            at + REMINDER_WINDOW,
        ),
    ]
    assert json.loads(rows[0].body) == reminder_body(GUILD, CHANNEL)
    assert await claim_reminders(database, servers, at + timedelta(minutes=15), reminder_body) == []
