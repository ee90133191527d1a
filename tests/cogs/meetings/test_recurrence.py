"""A meeting's starts fall on its wall time in its zone whatever daylight saving does, on
the days its schedule names and no others; what specialists type is read, or refused in
kind words that never repeat more than 100 characters of it."""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import ParamSpec, TypeVar
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.meetings import recurrence
from cogs.meetings.recurrence import Recurrence, describe, next_start, starts_between
from core.errors import UserFacingError
from db.models.meetings import FORTNIGHTLY, MONTHLY, WEEKLY

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
# Southern daylight saving, a 30-minute change, a gap at midnight, and none at all.
ZONES = tuple(
    ZoneInfo(name)
    for name in (
        "America/New_York",
        "Europe/London",
        "Pacific/Auckland",
        "Australia/Lord_Howe",
        "America/Santiago",
        "Asia/Kolkata",
    )
)
# In 2027 the US springs forward on 14 March and falls back on 7 November; the EU on 28
# March and 31 October.
P = ParamSpec("P")
T = TypeVar("T")
LONGEST_TEXT = max(
    len(value)
    for name, value in vars(recurrence).items()
    if name.isupper() and isinstance(value, str)
)


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def schedule(
    weekdays: tuple[int, ...] = (1,),
    *,
    cadence: str = WEEKLY,
    month_week: int | None = None,
    at: time = time(19),
    zone: ZoneInfo = NEW_YORK,
    first_day: date = date(2027, 1, 1),
    skipped: frozenset[date] = frozenset(),
) -> Recurrence:
    return Recurrence(cadence, weekdays, month_week, at, zone, first_day, skipped)


def read_or_refusal(call: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T | UserFacingError:
    """What `call` read, or the refusal it raised; any other exception fails the test."""
    try:
        return call(*args, **kwargs)
    except UserFacingError as refused:
        return refused


def refusal(call: Callable[..., object], *args: object) -> str:
    with pytest.raises(UserFacingError) as caught:
        call(*args)
    return caught.value.message


# --- Daylight saving ------------------------------------------------------------------------


def test_new_york_evening_meeting_is_midnight_utc_before_spring_change_and_23_after() -> None:
    tuesdays = schedule((1,))
    assert next_start(tuesdays, utc(2027, 3, 8)) == utc(2027, 3, 10, 0)
    assert next_start(tuesdays, utc(2027, 3, 15)) == utc(2027, 3, 16, 23)


def test_new_york_evening_meeting_goes_back_to_midnight_utc_after_november_change() -> None:
    tuesdays = schedule((1,))
    assert next_start(tuesdays, utc(2027, 11, 1)) == utc(2027, 11, 2, 23)
    assert next_start(tuesdays, utc(2027, 11, 8)) == utc(2027, 11, 10, 0)


def test_london_meeting_moves_an_hour_earlier_in_utc_after_march_change_and_back_in_october() -> (
    None
):
    thursdays = schedule((3,), zone=LONDON)
    assert next_start(thursdays, utc(2027, 3, 22)) == utc(2027, 3, 25, 19)
    assert next_start(thursdays, utc(2027, 3, 29)) == utc(2027, 4, 1, 18)
    assert next_start(thursdays, utc(2027, 10, 25)) == utc(2027, 10, 28, 18)
    assert next_start(thursdays, utc(2027, 11, 1)) == utc(2027, 11, 4, 19)


def test_daily_starts_keep_their_wall_time_through_the_us_spring_change() -> None:
    every_day = schedule(tuple(range(7)), at=time(9, 15))
    starts = starts_between(every_day, utc(2027, 3, 12), utc(2027, 3, 17))
    assert [s.astimezone(NEW_YORK).time() for s in starts] == [time(9, 15)] * 5
    assert [s.hour for s in starts] == [14, 14, 13, 13, 13]


def test_time_in_spring_forward_gap_moves_forward_by_the_gap_in_new_york() -> None:
    sundays = schedule((6,), at=time(2, 30))
    start = next_start(sundays, utc(2027, 3, 13))
    assert start == utc(2027, 3, 14, 7, 30)
    assert start.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2027, 3, 14, 3, 30)


def test_time_in_spring_forward_gap_moves_forward_by_the_gap_in_london() -> None:
    sundays = schedule((6,), at=time(1, 30), zone=LONDON)
    start = next_start(sundays, utc(2027, 3, 27))
    assert start == utc(2027, 3, 28, 1, 30)
    assert start.astimezone(LONDON).replace(tzinfo=None) == datetime(2027, 3, 28, 2, 30)


def test_time_in_a_half_hour_gap_moves_forward_by_half_an_hour() -> None:
    lord_howe = ZoneInfo("Australia/Lord_Howe")
    # Lord Howe Island skips 02:00 to 02:30 on the first Sunday of October.
    sundays = schedule((6,), at=time(2, 10), zone=lord_howe)
    start = next_start(sundays, utc(2027, 10, 1))
    assert start is not None
    assert start.astimezone(lord_howe).replace(tzinfo=None) == datetime(2027, 10, 3, 2, 40)


def test_ambiguous_autumn_time_is_the_first_of_the_two_in_new_york() -> None:
    sundays = schedule((6,), at=time(1, 30))
    assert next_start(sundays, utc(2027, 11, 6)) == utc(2027, 11, 7, 5, 30)


def test_ambiguous_autumn_time_is_the_first_of_the_two_in_london() -> None:
    sundays = schedule((6,), at=time(1, 30), zone=LONDON)
    assert next_start(sundays, utc(2027, 10, 30)) == utc(2027, 10, 31, 0, 30)


def test_ambiguous_autumn_time_is_the_first_even_from_a_time_marked_for_the_second() -> None:
    sundays = schedule((6,), at=time(1, 30, fold=1))
    assert next_start(sundays, utc(2027, 11, 6)) == utc(2027, 11, 7, 5, 30)


def test_a_start_between_the_two_ambiguous_hours_is_not_given_again_for_the_second() -> None:
    sundays = schedule((6,), at=time(1, 30))
    first = utc(2027, 11, 7, 5, 30)
    assert next_start(sundays, first) == utc(2027, 11, 14, 6, 30)


def test_a_start_carried_past_midnight_by_a_gap_is_still_found_the_day_after() -> None:
    # Samoa skipped Friday 30 December 2011 whole: that Friday's meeting came at 19:00 on
    # the Saturday, a local date after the one it was scheduled on.
    apia = ZoneInfo("Pacific/Apia")
    fridays = schedule((4,), zone=apia, first_day=date(2011, 12, 1))
    saturday_morning = datetime(2011, 12, 31, 8, tzinfo=apia)
    assert next_start(fridays, saturday_morning) == utc(2011, 12, 31, 5)
    saturday = datetime(2011, 12, 31, tzinfo=apia)
    assert starts_between(fridays, saturday, saturday + timedelta(days=1)) == [utc(2011, 12, 31, 5)]


def test_a_day_a_zone_skipped_whole_gives_its_start_once() -> None:
    # Samoa's 30 December 2011 never happened: its 19:00 is the 31st's 19:00.
    apia = ZoneInfo("Pacific/Apia")
    every_day = schedule(tuple(range(7)), zone=apia, first_day=date(2011, 12, 1))
    starts = starts_between(
        every_day, datetime(2011, 12, 29, tzinfo=apia), datetime(2012, 1, 2, tzinfo=apia)
    )
    assert [s.astimezone(apia).date() for s in starts] == [
        date(2011, 12, 29),
        date(2011, 12, 31),
        date(2012, 1, 1),
    ]
    assert next_start(every_day, starts[0]) == starts[1]


# --- Which days -----------------------------------------------------------------------------


def test_next_start_is_strictly_after_the_instant_given() -> None:
    tuesdays = schedule((1,))
    start = utc(2027, 3, 16, 23)
    assert next_start(tuesdays, start - timedelta(microseconds=1)) == start
    assert next_start(tuesdays, start) == utc(2027, 3, 23, 23)


def test_weekly_meeting_falls_on_each_of_its_weekdays_and_no_other() -> None:
    mon_thu = schedule((0, 3))
    starts = starts_between(mon_thu, utc(2027, 2, 1), utc(2027, 2, 15))
    assert [s.astimezone(NEW_YORK).date() for s in starts] == [
        date(2027, 2, 1),
        date(2027, 2, 4),
        date(2027, 2, 8),
        date(2027, 2, 11),
    ]


def test_fortnightly_meeting_counts_its_weeks_from_the_monday_of_first_days_week() -> None:
    # 6 January 2027 is a Wednesday: its week began on Monday the 4th, a day before it.
    fortnightly = schedule((0, 3), cadence=FORTNIGHTLY, first_day=date(2027, 1, 6))
    starts = starts_between(fortnightly, utc(2027, 1, 1), utc(2027, 2, 8))
    assert [s.astimezone(NEW_YORK).date() for s in starts] == [
        date(2027, 1, 7),
        date(2027, 1, 18),
        date(2027, 1, 21),
        date(2027, 2, 1),
        date(2027, 2, 4),
    ]


def test_fortnightly_on_a_sunday_belongs_to_the_week_that_began_the_monday_before() -> None:
    # First day Monday 4 January: Sunday the 10th is in its week, Sunday the 17th is not.
    sundays = schedule((6,), cadence=FORTNIGHTLY, first_day=date(2027, 1, 4))
    starts = starts_between(sundays, utc(2027, 1, 1), utc(2027, 2, 1))
    assert [s.astimezone(NEW_YORK).date() for s in starts] == [date(2027, 1, 10), date(2027, 1, 24)]


@pytest.mark.parametrize(
    ("month_week", "weekday", "expected"),
    [
        # March 2027 begins on a Monday: its Tuesdays are the 2nd, 9th, 16th, 23rd, 30th.
        (1, 1, date(2027, 3, 2)),
        (2, 1, date(2027, 3, 9)),
        (3, 1, date(2027, 3, 16)),
        (4, 1, date(2027, 3, 23)),
        (-1, 1, date(2027, 3, 30)),
        # Its Mondays: the first is the 1st; it has five, the last the 29th.
        (1, 0, date(2027, 3, 1)),
        (-1, 0, date(2027, 3, 29)),
        # Its Sundays: four, the last the 28th (the EU's change).
        (4, 6, date(2027, 3, 28)),
        (-1, 6, date(2027, 3, 28)),
    ],
)
def test_monthly_meeting_falls_on_the_named_weekday_of_the_month(
    month_week: int, weekday: int, expected: date
) -> None:
    monthly = schedule((weekday,), cadence=MONTHLY, month_week=month_week)
    # From Monday 1 March's evening (Sunday 28 February's is 00:00 UTC on the 1st).
    starts = starts_between(monthly, utc(2027, 3, 1, 6), utc(2027, 4, 1, 5))
    assert [s.astimezone(NEW_YORK).date() for s in starts] == [expected]


def test_last_friday_of_february_in_a_leap_year_and_not() -> None:
    last_friday = schedule((4,), cadence=MONTHLY, month_week=-1, first_day=date(2027, 1, 1))
    assert next_start(last_friday, utc(2027, 2, 1)) == utc(2027, 2, 27, 0)
    assert next_start(last_friday, utc(2028, 2, 1)) == utc(2028, 2, 26, 0)


def test_skipped_days_are_left_out() -> None:
    tuesdays = schedule((1,), skipped=frozenset({date(2027, 3, 16), date(2027, 3, 23)}))
    assert next_start(tuesdays, utc(2027, 3, 10)) == utc(2027, 3, 30, 23)
    starts = starts_between(tuesdays, utc(2027, 3, 1), utc(2027, 4, 1))
    assert [s.astimezone(NEW_YORK).day for s in starts] == [2, 9, 30]


def test_no_start_comes_before_first_day() -> None:
    tuesdays = schedule((1,), first_day=date(2027, 6, 9))
    assert next_start(tuesdays, utc(2027, 1, 1)) == utc(2027, 6, 15, 23)
    assert starts_between(tuesdays, utc(2027, 1, 1), utc(2027, 6, 15)) == []


def test_a_start_on_first_day_itself_counts() -> None:
    tuesdays = schedule((1,), first_day=date(2027, 6, 15))
    assert next_start(tuesdays, utc(2027, 1, 1)) == utc(2027, 6, 15, 23)


def test_next_start_is_none_when_nothing_falls_within_400_days() -> None:
    after = utc(2027, 1, 1)
    far = schedule((1,), first_day=date(2028, 2, 7))
    assert next_start(far, after) is None
    # Just inside: Tuesday 1 February 2028, 396 days on.
    near = schedule((1,), first_day=date(2028, 2, 1))
    assert next_start(near, after) == utc(2028, 2, 2, 0)


def test_a_start_later_on_the_400th_day_is_beyond_reach() -> None:
    # 400 days after 2027-01-01 00:00 UTC is 2028-02-05 00:00 UTC: 19:00 on Friday 4
    # February in New York. 18:00 that evening is within reach, 20:00 is not.
    after = utc(2027, 1, 1)
    assert next_start(schedule((4,), at=time(18), first_day=date(2028, 2, 4)), after) == utc(
        2028, 2, 4, 23
    )
    assert next_start(schedule((4,), at=time(20), first_day=date(2028, 2, 4)), after) is None


def test_next_start_is_none_when_every_day_in_400_days_is_skipped() -> None:
    every_day = {date(2027, 1, 1) + timedelta(days=n) for n in range(410)}
    all_skipped = schedule(tuple(range(7)), skipped=frozenset(every_day))
    assert next_start(all_skipped, utc(2027, 1, 1)) is None


def test_starts_between_includes_its_start_and_leaves_out_its_end() -> None:
    tuesdays = schedule((1,))
    first, second = utc(2027, 3, 16, 23), utc(2027, 3, 23, 23)
    assert starts_between(tuesdays, first, second) == [first]


def test_starts_between_gives_at_most_limit_earliest_first() -> None:
    every_day = schedule(tuple(range(7)))
    starts = starts_between(every_day, utc(2027, 1, 1), utc(2028, 1, 1), limit=3)
    assert starts == [utc(2027, 1, 2, 0), utc(2027, 1, 3, 0), utc(2027, 1, 4, 0)]
    assert len(starts_between(every_day, utc(2027, 1, 1), utc(2028, 1, 1))) == 100


def test_naive_instants_are_refused() -> None:
    with pytest.raises(ValueError, match="aware"):
        next_start(schedule(), datetime(2027, 1, 1))


@pytest.mark.parametrize(
    ("cadence", "weekdays", "month_week", "at"),
    [
        ("daily", (1,), None, time(19)),
        (WEEKLY, (), None, time(19)),
        (WEEKLY, (3, 1), None, time(19)),
        (WEEKLY, (1, 1), None, time(19)),
        (WEEKLY, (7,), None, time(19)),
        (WEEKLY, (1,), 1, time(19)),
        (MONTHLY, (1, 3), 1, time(19)),
        (MONTHLY, (1,), None, time(19)),
        (MONTHLY, (1,), 5, time(19)),
        (WEEKLY, (1,), None, time(19, tzinfo=UTC)),
    ],
)
def test_a_recurrence_that_could_never_be_meant_is_refused_when_built(
    cadence: str, weekdays: tuple[int, ...], month_week: int | None, at: time
) -> None:
    with pytest.raises(ValueError, match=r"."):
        Recurrence(cadence, weekdays, month_week, at, NEW_YORK, date(2027, 1, 1))


# --- Properties -----------------------------------------------------------------------------


def expected_day(
    cadence: str, weekdays: tuple[int, ...], month_week: int | None
) -> Callable[[date, date], bool]:
    """An oracle written apart from the module: does the schedule fall on `day`?"""

    def falls(day: date, first_day: date) -> bool:
        if day < first_day or day.weekday() not in weekdays:
            return False
        if cadence == FORTNIGHTLY:
            weeks = (day.toordinal() - day.weekday()) - (
                first_day.toordinal() - first_day.weekday()
            )
            return weeks % 14 == 0
        if cadence == MONTHLY:
            same = [
                week[weekdays[0]]
                for week in calendar.monthcalendar(day.year, day.month)
                if week[weekdays[0]]
            ]
            index = -1 if month_week == -1 else (month_week or 0) - 1
            return day.day == same[index]
        return True

    return falls


@st.composite
def recurrences(draw: st.DrawFn) -> Recurrence:
    cadence = draw(st.sampled_from((WEEKLY, FORTNIGHTLY, MONTHLY)))
    if cadence == MONTHLY:
        weekdays: tuple[int, ...] = (draw(st.integers(0, 6)),)
        month_week: int | None = draw(st.sampled_from(recurrence.MONTH_WEEKS))
    else:
        weekdays = tuple(sorted(draw(st.sets(st.integers(0, 6), min_size=1))))
        month_week = None
    first_day = draw(st.dates(date(2026, 1, 1), date(2029, 12, 31)))
    skipped = draw(st.frozensets(st.dates(first_day, first_day + timedelta(days=120)), max_size=10))
    return Recurrence(
        cadence,
        weekdays,
        month_week,
        draw(st.times()),
        draw(st.sampled_from(ZONES)),
        first_day,
        skipped,
    )


instants = st.datetimes(datetime(2026, 1, 1), datetime(2030, 1, 1), timezones=st.just(UTC))


def exists(rec: Recurrence, wall: datetime) -> bool:
    """Whether clocks in the zone ever show `wall` (not inside a spring-forward gap)."""
    there = wall.replace(tzinfo=rec.zone).astimezone(UTC).astimezone(rec.zone)
    return there.replace(tzinfo=None) == wall


@given(recurrences(), instants)
def test_every_start_is_on_a_scheduled_day_at_its_wall_time_or_just_past_a_gap(
    rec: Recurrence, start: datetime
) -> None:
    falls = expected_day(rec.cadence, rec.weekdays, rec.month_week)
    for each in starts_between(rec, start, start + timedelta(days=90)):
        assert each.tzinfo is UTC
        local = each.astimezone(rec.zone)
        # An ambiguous wall time is its first occurrence.
        assert local.fold == 0
        # None of these zones skips across midnight, so the date is the scheduled one.
        assert falls(local.date(), rec.first_day)
        assert local.date() not in rec.skipped_days
        wanted = datetime.combine(local.date(), rec.local_time)
        if not exists(rec, wanted):
            # Moved forward by the gap: by how much the offset changed.
            before = (each - timedelta(hours=6)).astimezone(rec.zone).utcoffset()
            after = local.utcoffset()
            assert before is not None
            assert after is not None
            assert after > before
            wanted += after - before
        assert local.replace(tzinfo=None) == wanted


@given(recurrences(), instants)
def test_starts_between_finds_every_scheduled_day_the_oracle_finds(
    rec: Recurrence, start: datetime
) -> None:
    falls = expected_day(rec.cadence, rec.weekdays, rec.month_week)
    end = start + timedelta(days=70)
    found = {s.astimezone(rec.zone).date() for s in starts_between(rec, start, end, limit=1000)}
    local_first = start.astimezone(rec.zone).date()
    local_last = end.astimezone(rec.zone).date()
    for n in range(1, (local_last - local_first).days):
        day = local_first + timedelta(days=n)
        assert (day in found) == (falls(day, rec.first_day) and day not in rec.skipped_days)


@given(recurrences(), instants)
def test_next_start_is_the_first_of_starts_between(rec: Recurrence, after: datetime) -> None:
    following = next_start(rec, after)
    window = starts_between(rec, after, after + recurrence.HORIZON + timedelta(seconds=1), 2)
    later = [s for s in window if s > after]
    assert following == (later[0] if later else None)
    if following is not None:
        assert after < following <= after + recurrence.HORIZON


@given(recurrences(), instants)
def test_starts_come_in_order_each_the_next_start_after_the_one_before(
    rec: Recurrence, start: datetime
) -> None:
    starts = starts_between(rec, start, start + timedelta(days=60))
    assert starts == sorted(set(starts))
    for earlier, later in pairwise(starts):
        assert next_start(rec, earlier) == later


# --- Reading days ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "cadence", "expected"),
    [
        ("mon, thu", WEEKLY, (0, 3)),
        ("Tuesday and Thursday", WEEKLY, (1, 3)),
        ("mon thu", WEEKLY, (0, 3)),
        ("Tuesdays & Thursdays", WEEKLY, (1, 3)),
        ("thu, mon, Monday", WEEKLY, (0, 3)),
        ("every sat", WEEKLY, (5,)),
        ("SUN", FORTNIGHTLY, (6,)),
        ("every other Monday", FORTNIGHTLY, (0,)),
        ("tues/thurs/sat", FORTNIGHTLY, (1, 3, 5)),
    ],
)
def test_weekly_and_fortnightly_days_are_read_as_typed(
    text: str, cadence: str, expected: tuple[int, ...]
) -> None:
    assert recurrence.parse_days(text, cadence) == (expected, None)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("first tue", ((1,), 1)),
        ("1st Tuesday", ((1,), 1)),
        ("last friday", ((4,), -1)),
        ("third wed", ((2,), 3)),
        ("2nd sun", ((6,), 2)),
        ("4 thu", ((3,), 4)),
        ("the fourth Saturday of each month", ((5,), 4)),
        ("Monday, the last", ((0,), -1)),
    ],
)
def test_a_monthly_day_is_read_as_one_weekday_and_which_of_the_month(
    text: str, expected: tuple[tuple[int, ...], int]
) -> None:
    assert recurrence.parse_days(text, MONTHLY) == expected


def test_unreadable_weekdays_are_refused_showing_what_was_typed() -> None:
    message = refusal(recurrence.parse_days, "mon, funday", WEEKLY)
    assert message == recurrence.UNREADABLE_WEEKDAYS.format(text="mon, funday")


def test_a_monthly_day_for_a_weekly_meeting_is_refused() -> None:
    message = refusal(recurrence.parse_days, "first tue", WEEKLY)
    assert message == recurrence.UNREADABLE_WEEKDAYS.format(text="first tue")


def test_every_other_is_refused_for_a_weekly_meeting() -> None:
    message = refusal(recurrence.parse_days, "every other monday", WEEKLY)
    assert message == recurrence.UNREADABLE_WEEKDAYS.format(text="every other monday")


@pytest.mark.parametrize("text", ["", "  ", "and", ", ,"])
def test_no_day_at_all_is_refused_asking_for_days(text: str) -> None:
    assert refusal(recurrence.parse_days, text, WEEKLY) == recurrence.NO_WEEKDAYS
    assert refusal(recurrence.parse_days, text, MONTHLY) == recurrence.NO_MONTHLY_DAY


@pytest.mark.parametrize("text", ["fifth friday", "5th fri", "5 fri"])
def test_a_fifth_weekday_is_refused_suggesting_the_last(text: str) -> None:
    message = refusal(recurrence.parse_days, text, MONTHLY)
    assert message == recurrence.NO_FIFTH_WEEK
    assert "last" in message


@pytest.mark.parametrize("text", ["first and third tue", "first tue, thu", "last mon fri"])
def test_a_monthly_day_with_more_than_one_weekday_or_ordinal_is_refused(text: str) -> None:
    assert refusal(recurrence.parse_days, text, MONTHLY) == recurrence.ONE_MONTHLY_DAY


def test_a_monthly_weekday_without_which_is_refused_asking_which() -> None:
    message = refusal(recurrence.parse_days, "tuesday", MONTHLY)
    assert message == recurrence.MONTHLY_NEEDS_WHICH.format(day="Tuesday")
    assert "first Tuesday" in message


def test_a_monthly_which_without_weekday_is_refused_asking_the_weekday() -> None:
    message = refusal(recurrence.parse_days, "last", MONTHLY)
    assert message == recurrence.MONTHLY_NEEDS_WEEKDAY.format(which="last")


def test_an_unreadable_monthly_day_is_refused_showing_what_was_typed() -> None:
    message = refusal(recurrence.parse_days, "first blursday", MONTHLY)
    assert message == recurrence.UNREADABLE_MONTHLY_DAY.format(text="first blursday")


def test_an_unknown_cadence_is_a_bug_not_a_refusal() -> None:
    with pytest.raises(ValueError, match="daily"):
        recurrence.parse_days("mon", "daily")


def test_a_refusal_repeats_at_most_100_characters_on_one_line() -> None:
    typed = "blursday\n" * 500
    message = refusal(recurrence.parse_days, typed, WEEKLY)
    echoed = message.split("“")[1].split("”")[0]
    assert len(echoed) <= recurrence.ECHO_LENGTH
    assert echoed.endswith("blursday…")
    assert "\n" not in echoed
    assert echoed.startswith("blursday blursday")


@given(st.text(max_size=300), st.sampled_from((WEEKLY, FORTNIGHTLY, MONTHLY)))
def test_any_text_is_read_into_a_valid_schedule_or_refused_kindly(text: str, cadence: str) -> None:
    read = read_or_refusal(recurrence.parse_days, text, cadence)
    if isinstance(read, UserFacingError):
        assert len(read.message) <= LONGEST_TEXT + recurrence.ECHO_LENGTH
        return
    weekdays, month_week = read
    # Whatever is read builds a schedule (Recurrence refuses anything it could not be).
    rec = Recurrence(cadence, weekdays, month_week, time(19), NEW_YORK, date(2027, 1, 1))
    assert rec.weekdays == weekdays


@given(st.sets(st.integers(0, 6), min_size=1), st.booleans())
def test_any_set_of_day_names_reads_back_as_those_days(days: set[int], short: bool) -> None:
    names = [recurrence.DAY_NAMES[d][: 3 if short else None] for d in days]
    assert recurrence.parse_days(" and ".join(names), WEEKLY) == (tuple(sorted(days)), None)


@given(st.integers(0, 6), st.sampled_from(recurrence.MONTH_WEEKS))
def test_every_described_monthly_day_reads_back(day: int, month_week: int) -> None:
    rec = schedule((day,), cadence=MONTHLY, month_week=month_week)
    words = describe(rec).removesuffix(" at 19:00")
    assert recurrence.parse_days(words, MONTHLY) == ((day,), month_week)


# --- Reading reminders ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("24h, 15m", (1440, 15)),
        ("1d 2h", (1440, 120)),
        ("90m", (90,)),
        ("none", ()),
        (" Off ", ()),
        ("15m, 24h", (1440, 15)),
        ("1 day and 2 hours", (1440, 120)),
        ("60m, 1h", (60,)),
        ("7d", (7 * 24 * 60,)),
        ("1m", (1,)),
        ("10 min, 1 hr, 2 hrs, 3 days", (4320, 120, 60, 10)),
    ],
)
def test_reminders_are_read_as_minutes_before_latest_sent_last(
    text: str, expected: tuple[int, ...]
) -> None:
    assert recurrence.parse_reminders(text) == expected


@pytest.mark.parametrize("text", ["0m", "8d", "10081m", "169h", "9" * 5000 + "m"])
def test_a_reminder_outside_a_minute_to_a_week_is_refused(text: str) -> None:
    assert refusal(recurrence.parse_reminders, text) == recurrence.REMINDER_OUT_OF_RANGE


def test_more_than_four_reminders_are_refused() -> None:
    message = refusal(recurrence.parse_reminders, "24h, 2h, 1h, 15m, 5m")
    assert message == recurrence.TOO_MANY_REMINDERS.format(most=4)


def test_four_reminders_said_five_ways_are_four() -> None:
    assert recurrence.parse_reminders("1d, 24h, 2h, 1h, 15m") == (1440, 120, 60, 15)


@pytest.mark.parametrize("text", ["soon", "90", "1.5h", "h", "15 m s", "24h then 15m", "-5m"])
def test_unreadable_reminders_are_refused_showing_what_was_typed(text: str) -> None:
    message = refusal(recurrence.parse_reminders, text)
    assert message == recurrence.UNREADABLE_REMINDERS.format(text=text)


@pytest.mark.parametrize("text", ["", "   ", ",,"])
def test_no_reminder_times_at_all_are_refused_asking_for_them(text: str) -> None:
    assert refusal(recurrence.parse_reminders, text) == recurrence.NO_REMINDER_TIMES


@given(st.text(max_size=200))
def test_any_text_is_read_as_valid_reminders_or_refused(text: str) -> None:
    read = read_or_refusal(recurrence.parse_reminders, text)
    if isinstance(read, UserFacingError):
        opening, ending = recurrence.UNREADABLE_REMINDERS.split("{text}")
        fixed = (
            recurrence.NO_REMINDER_TIMES,
            recurrence.REMINDER_OUT_OF_RANGE,
            recurrence.TOO_MANY_REMINDERS.format(most=recurrence.MAX_REMINDERS),
        )
        assert read.message in fixed or (
            read.message.startswith(opening) and read.message.endswith(ending)
        )
        return
    assert list(read) == sorted(set(read), reverse=True)
    assert len(read) <= recurrence.MAX_REMINDERS
    assert all(1 <= m <= 7 * 24 * 60 for m in read)


@given(st.sets(st.integers(1, 7 * 24 * 60), max_size=4), st.sampled_from(("m", " minutes")))
def test_any_allowed_reminders_read_back_as_typed(minutes: set[int], unit: str) -> None:
    text = ", ".join(f"{m}{unit}" for m in minutes) or "none"
    assert recurrence.parse_reminders(text) == tuple(sorted(minutes, reverse=True))


# --- Describing -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rec", "words"),
    [
        (schedule((1, 3)), "Tuesdays and Thursdays at 19:00"),
        (schedule((6,), at=time(10)), "Sundays at 10:00"),
        (schedule((0, 2, 4), at=time(7, 5)), "Mondays, Wednesdays and Fridays at 07:05"),
        (schedule((0,), cadence=FORTNIGHTLY, at=time(18, 30)), "every other Monday at 18:30"),
        (
            schedule((0, 3), cadence=FORTNIGHTLY, at=time(18, 30)),
            "every other Monday and Thursday at 18:30",
        ),
        (
            schedule((1,), cadence=MONTHLY, month_week=1),
            "the first Tuesday of each month at 19:00",
        ),
        (
            schedule((4,), cadence=MONTHLY, month_week=-1, at=time(12)),
            "the last Friday of each month at 12:00",
        ),
    ],
)
def test_a_schedule_is_described_in_plain_words(rec: Recurrence, words: str) -> None:
    assert describe(rec) == words
