"""The streak read back from today only as far as it goes is the streak of the whole
history (`streak_length` over every date), whatever the history, weekdays and today."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import insert

from cogs.checkins import records
from cogs.checkins.schedule import save_schedule
from db.engine import Database
from db.models import Checkin
from tests.cogs.checkins.helpers import ADMIN, CHANNEL, GUILD

History = tuple[set[date], date, frozenset[int]]
# Each example writes a new member's check-ins: no clean-up between examples.
MEMBERS = itertools.count(700_000_000_000_000_000)
WEEKDAYS_ONLY = frozenset(range(5))
EVERY_DAY = frozenset(range(7))
TUESDAY = date(2026, 11, 10)


@st.composite
def histories(draw: st.DrawFn) -> History:
    """Runs of days checked in, newest first, with gaps between them; a member may skip
    the days the group has off. A few stray days too, some after today (a member whose
    zone is ahead of the group's)."""
    weekdays = frozenset(draw(st.sets(st.integers(0, 6))))
    today = draw(st.dates(date(2025, 1, 1), date(2027, 12, 31)))
    day = today - timedelta(days=draw(st.integers(-2, 3)))
    dates: set[date] = set()
    # Lengths about the edges of the first days read (64) and of the first older band.
    lengths = st.integers(1, 700) | st.sampled_from([62, 63, 64, 65, 66, 318, 319, 320, 321])
    runs = st.tuples(lengths, st.integers(1, 9), st.booleans())
    for length, gap, scheduled_days_only in draw(st.lists(runs, max_size=5)):
        for _ in range(length):
            if not scheduled_days_only or day.weekday() in weekdays:
                dates.add(day)
            day -= timedelta(days=1)
        day -= timedelta(days=gap)
    strays = draw(st.sets(st.integers(-3, 3000), max_size=4))
    dates |= {today - timedelta(days=back) for back in strays}
    return dates, today, weekdays


def _days(today: date, *backs: range) -> set[date]:
    return {today - timedelta(days=back) for span in backs for back in span}


async def _store(database: Database, user_id: int, dates: set[date]) -> None:
    rows: list[dict[str, object]] = [
        {
            "guild_id": GUILD,
            "user_id": user_id,
            "local_date": day,
            "mood": 3,
            "craving": 2,
            "sleep_hours": 7.0,
            "triggers": [],
            "note": None,
        }
        for day in dates
    ]
    async with database.guild_session(GUILD) as session, session.begin():
        if rows:
            await session.execute(insert(Checkin), rows)


@settings(
    max_examples=50,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(history=histories(), days=st.sampled_from([7, 30, 365]))
# Four years without a day missed, the benchmark's member.
@example(history=(_days(TUESDAY, range(1461)), TUESDAY, EVERY_DAY), days=30)
# The streak ends exactly where the first days read end, and just past them.
@example(history=(_days(TUESDAY, range(64), range(65, 400)), TUESDAY, EVERY_DAY), days=30)
@example(history=(_days(TUESDAY, range(65), range(66, 400)), TUESDAY, EVERY_DAY), days=7)
# A member who began exactly where the first days read begin.
@example(history=(_days(TUESDAY, range(64)), TUESDAY, EVERY_DAY), days=30)
# Days missed at the very start of an older band, a run after them filling the next.
@example(history=(_days(TUESDAY, range(318), range(320, 700)), TUESDAY, EVERY_DAY), days=7)
# Weekdays only, for years, a missed Wednesday long ago; today not yet checked in.
@example(
    history=(
        {d for d in _days(TUESDAY, range(1, 900), range(901, 2000)) if d.weekday() < 5},
        TUESDAY,
        WEEKDAYS_ONLY,
    ),
    days=30,
)
async def test_the_streak_read_back_from_today_is_the_streak_of_the_whole_history(
    database: Database, history: History, days: int
) -> None:
    dates, today, weekdays = history
    user_id = next(MEMBERS)
    await save_schedule(
        database, GUILD, ADMIN, channel_id=CHANNEL, timezone="UTC", weekdays=sorted(weekdays)
    )
    await _store(database, user_id, dates)
    now = datetime.combine(today, time(12), tzinfo=UTC)
    expected = records.streak_length(dates, today, weekdays)
    assert await records.member_streak(database, GUILD, user_id, now) == expected
    mine = await records.history(database, GUILD, user_id, days, now)
    assert mine.streak == expected
    first = today - timedelta(days=days - 1)
    assert [point.local_date for point in mine.points] == sorted(d for d in dates if d >= first)
