"""Days are counted on the member's calendar, and a milestone begins at their local
midnight, whatever the zone (ahead of UTC or behind it), across daylight-saving changes
(a midnight Santiago skips included) and leap days."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, assume, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from cogs.sober import service
from db.engine import Database
from db.models import SoberCounter
from tests.cogs.sober.helpers import GUILD, MILESTONES, set_member_zone

# Two ahead of UTC (one with daylight saving, one without), two behind (Santiago's
# daylight saving starts by skipping midnight).
ZONES = ("Pacific/Auckland", "Asia/Kolkata", "America/New_York", "America/Santiago")
# Each example is a new member: no clean-up between examples.
MEMBERS = itertools.count(700_000_000_000_000_000)
# Two leap days and every zone's changes of 2023 to 2025 inside.
FIRST_DAY = date(2023, 1, 1)
LAST_DAY = date(2025, 12, 31)


@st.composite
def wall_times(draw: st.DrawFn, zone: ZoneInfo, since: date) -> datetime:
    """A wall-clock time in `zone` on or after `since`, one that exists there."""
    day = draw(st.dates(since, min(since + timedelta(days=800), LAST_DAY)))
    wall = datetime.combine(day, draw(st.times()), tzinfo=zone)
    # A time daylight saving skips is not on anyone's clock.
    assume(wall.astimezone(UTC).astimezone(zone).replace(tzinfo=None) == wall.replace(tzinfo=None))
    return wall


@st.composite
def members(draw: st.DrawFn) -> tuple[str, date, datetime]:
    zone = draw(st.sampled_from(ZONES))
    since = draw(st.dates(FIRST_DAY, LAST_DAY))
    return zone, since, draw(wall_times(ZoneInfo(zone), since))


def first_instant_of(day: date, at: datetime, zone: ZoneInfo) -> bool:
    """`at` is on `day` in `zone`, and the instant before it was still the day before."""
    just_before = at - timedelta(microseconds=1)
    return at.astimezone(zone).date() == day and just_before.astimezone(zone).date() < day


@settings(
    max_examples=50,
    deadline=None,
    database=None,  # nothing written into the checkout
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(member=members())
# Auckland is already on 1 March 2024 while UTC is still on the leap day.
@example(("Pacific/Auckland", date(2024, 2, 28), datetime(2024, 3, 1, 0, 30)))
# New York's spring day has 23 hours; its autumn day 25.
@example(("America/New_York", date(2024, 3, 9), datetime(2024, 3, 10, 23, 59)))
@example(("America/New_York", date(2024, 11, 2), datetime(2024, 11, 3, 23, 59)))
# Santiago skips midnight on 8 September 2024: the day begins at 01:00.
@example(("America/Santiago", date(2024, 9, 7), datetime(2024, 9, 8, 1, 0)))
@example(("Asia/Kolkata", date(2023, 2, 28), datetime(2024, 2, 29, 0, 0)))
async def test_days_are_the_calendar_days_between_since_and_now_on_the_members_clock(
    database: Database, member: tuple[str, date, datetime]
) -> None:
    zone_name, since, wall = member
    zone = ZoneInfo(zone_name)
    wall = wall.replace(tzinfo=zone)
    now = wall.astimezone(UTC)
    user_id = next(MEMBERS)
    await set_member_zone(database, GUILD, user_id, zone_name)

    await service.start(database, GUILD, user_id, "alcohol", since, now, MILESTONES)
    [counter] = await service.show(database, GUILD, user_id, now, MILESTONES)
    async with database.guild_session(GUILD) as session:
        row = await session.scalar(select(SoberCounter).where(SoberCounter.user_id == user_id))

    days = (wall.date() - since).days
    assert counter.days == days
    assert row is not None
    ahead = min(n for n in MILESTONES if n > days)
    assert (counter.next_milestone, row.next_milestone_days) == (ahead, ahead)
    assert row.next_milestone_at is not None
    assert row.next_milestone_at > now
    assert first_instant_of(since + timedelta(days=ahead), row.next_milestone_at, zone)


def test_every_milestone_instant_is_its_days_local_midnight_or_its_first_valid_time() -> None:
    days = (LAST_DAY - FIRST_DAY).days
    for zone_name in ZONES:
        zone = ZoneInfo(zone_name)
        for n in range(days):
            at = service.milestone_at(FIRST_DAY, n, zone)
            day = FIRST_DAY + timedelta(days=n)
            assert first_instant_of(day, at, zone), (zone_name, day)
            on_the_clock = at.astimezone(zone)
            midnight_skipped = (
                on_the_clock.utcoffset() != (at - timedelta(seconds=1)).astimezone(zone).utcoffset()
            )
            assert on_the_clock.time() == time(0) or midnight_skipped, (zone_name, day)


def test_santiagos_skipped_midnight_begins_the_day_at_one() -> None:
    zone = ZoneInfo("America/Santiago")

    at = service.milestone_at(date(2024, 9, 7), 1, zone)

    assert at == datetime(2024, 9, 8, 4, 0, tzinfo=UTC)
    assert at.astimezone(zone).time() == time(1, 0)


@given(
    zone_name=st.sampled_from(ZONES),
    since=st.dates(FIRST_DAY, LAST_DAY),
    days=st.integers(0, 800),
)
@settings(max_examples=50, deadline=None, database=None)
def test_a_day_counts_exactly_from_its_milestone_instant(
    zone_name: str, since: date, days: int
) -> None:
    zone = ZoneInfo(zone_name)
    at = service.milestone_at(since, days, zone)

    assert service.days_on(since, at, zone) == days
    assert service.days_on(since, at - timedelta(microseconds=1), zone) == max(days - 1, 0)
