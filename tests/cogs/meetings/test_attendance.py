"""A member was at a meeting when they stayed long enough inside it (time in two places at
once counted once) or pressed "I'm here"; their streak and run of misses count back from
the latest meeting, whatever order the history comes in."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from itertools import pairwise

import pytest
from hypothesis import given
from hypothesis import strategies as st

from cogs.meetings.attendance import (
    Past,
    Stay,
    attended,
    missed_in_a_row,
    required_seconds,
    seconds_within,
    streak,
)

OPENS = datetime(2027, 3, 16, 23, tzinfo=UTC)
CLOSES = OPENS + timedelta(hours=1)
LATER = CLOSES + timedelta(hours=1)


def at(minutes: float) -> datetime:
    return OPENS + timedelta(minutes=minutes)


def stay(start: float, end: float | None) -> Stay:
    return Stay(at(start), None if end is None else at(end))


# --- Time inside the meeting ----------------------------------------------------------------


def test_a_stay_inside_the_meeting_counts_whole() -> None:
    assert seconds_within([stay(5, 35)], OPENS, CLOSES, LATER) == 30 * 60


def test_time_before_the_start_and_after_the_end_is_left_out() -> None:
    assert seconds_within([stay(-30, 15)], OPENS, CLOSES, LATER) == 15 * 60
    assert seconds_within([stay(50, 90)], OPENS, CLOSES, LATER) == 10 * 60


def test_a_stay_entirely_outside_the_meeting_counts_nothing() -> None:
    assert seconds_within([stay(-60, -1), stay(61, 80)], OPENS, CLOSES, LATER) == 0


def test_a_member_still_there_counts_up_to_now() -> None:
    assert seconds_within([stay(10, None)], OPENS, CLOSES, at(25)) == 15 * 60


def test_a_member_still_there_after_the_end_counts_up_to_the_end() -> None:
    assert seconds_within([stay(10, None)], OPENS, CLOSES, LATER) == 50 * 60


def test_a_meeting_not_yet_begun_has_no_time_in_it() -> None:
    assert seconds_within([stay(-10, None)], OPENS, CLOSES, at(-5)) == 0


def test_time_in_two_stays_at_once_counts_once() -> None:
    # A second device, or a rejoin recorded before the leave.
    assert seconds_within([stay(0, 30), stay(10, 40)], OPENS, CLOSES, LATER) == 40 * 60
    assert seconds_within([stay(0, 60), stay(10, 20)], OPENS, CLOSES, LATER) == 60 * 60


def test_leaving_and_rejoining_counts_the_time_in_both_stays() -> None:
    assert seconds_within([stay(0, 5), stay(10, 20)], OPENS, CLOSES, LATER) == 15 * 60


def test_a_stay_ending_before_it_began_counts_nothing() -> None:
    assert seconds_within([stay(20, 10)], OPENS, CLOSES, LATER) == 0


def test_part_of_a_second_is_not_counted_as_a_second() -> None:
    almost = Stay(OPENS, OPENS + timedelta(seconds=9, microseconds=999_999))
    assert seconds_within([almost], OPENS, CLOSES, LATER) == 9


# --- How long is enough ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("duration", "minimum", "expected"),
    [(60, 10, 600), (15, 10, 450), (20, 10, 600), (1, 10, 30), (90, 45, 2700), (7, 10, 210)],
)
def test_required_time_is_the_minimum_or_half_the_meeting_whichever_is_less(
    duration: int, minimum: int, expected: int
) -> None:
    assert required_seconds(duration, minimum) == expected


def test_staying_the_required_time_is_attending_and_a_second_less_is_not() -> None:
    assert attended(600, here_pressed=False, required=600)
    assert not attended(599, here_pressed=False, required=600)


def test_pressing_im_here_is_attending_whatever_the_time() -> None:
    assert attended(0, here_pressed=True, required=600)


# --- Properties of time inside --------------------------------------------------------------

# Stays on a grid of seconds, some before the meeting, some after, some still going.
seconds = st.integers(-300, 4000)
stays = st.lists(
    st.builds(
        lambda start, length, open_: Stay(
            OPENS + timedelta(seconds=start),
            None if open_ else OPENS + timedelta(seconds=start + length),
        ),
        seconds,
        st.integers(0, 1500),
        st.booleans(),
    ),
    max_size=8,
)
nows = st.integers(-300, 4000).map(lambda s: OPENS + timedelta(seconds=s))


def covered_seconds(visits: list[Stay], now: datetime) -> int:
    """The oracle: each whole second of the meeting, up to now, that some stay covers."""
    close = min(CLOSES, now)
    count = 0
    second = OPENS
    while second < close:
        if any(v.start <= second and second < (v.end or now) for v in visits):
            count += 1
        second += timedelta(seconds=1)
    return count


@given(stays, nows)
def test_time_inside_is_every_covered_second_of_the_meeting_up_to_now(
    visits: list[Stay], now: datetime
) -> None:
    assert seconds_within(visits, OPENS, CLOSES, now) == covered_seconds(visits, now)


@given(st.lists(st.builds(Stay, st.datetimes(timezones=st.just(UTC)), st.none())), st.data())
def test_time_inside_does_not_depend_on_the_order_of_the_stays(
    visits: list[Stay], data: st.DataObject
) -> None:
    shuffled = data.draw(st.permutations(visits))
    assert seconds_within(shuffled, OPENS, CLOSES, LATER) == seconds_within(
        visits, OPENS, CLOSES, LATER
    )


@given(stays, stays, nows)
def test_more_stays_never_mean_less_time_and_never_more_than_the_meeting(
    some: list[Stay], more: list[Stay], now: datetime
) -> None:
    fewer = seconds_within(some, OPENS, CLOSES, now)
    all_of_them = seconds_within(some + more, OPENS, CLOSES, now)
    assert fewer <= all_of_them <= max(0, int((min(CLOSES, now) - OPENS).total_seconds()))


@given(st.integers(-300, 3700), st.integers(0, 120), st.integers(1, 20), st.integers(3, 60))
def test_a_two_minute_visit_never_counts_for_an_hour_long_meeting(
    start: int, length: int, copies: int, minimum: int
) -> None:
    # However many times the same visit was recorded (several devices, a flapping
    # connection), it is two minutes.
    visit = Stay(OPENS + timedelta(seconds=start), OPENS + timedelta(seconds=start + length))
    present = seconds_within([visit] * copies, OPENS, CLOSES, LATER)
    assert not attended(present, here_pressed=False, required=required_seconds(60, minimum))


@given(st.integers(0, 3000), st.lists(st.integers(1, 600), min_size=1, max_size=6))
def test_a_stay_split_by_leaves_and_rejoins_at_once_counts_as_one(
    start: int, pieces: list[int]
) -> None:
    edges = [start]
    for piece in pieces:
        edges.append(edges[-1] + piece)
    split = [
        Stay(OPENS + timedelta(seconds=a), OPENS + timedelta(seconds=b)) for a, b in pairwise(edges)
    ]
    whole = Stay(OPENS + timedelta(seconds=edges[0]), OPENS + timedelta(seconds=edges[-1]))
    assert seconds_within(split, OPENS, CLOSES, LATER) == seconds_within(
        [whole], OPENS, CLOSES, LATER
    )


# --- Streaks and misses ---------------------------------------------------------------------


def history(marks: str) -> list[Past]:
    """ "AAM": attended, attended, missed, a week apart, oldest first."""
    return [Past(OPENS + timedelta(weeks=n), mark == "A") for n, mark in enumerate(marks)]


def test_a_streak_counts_the_meetings_attended_since_the_last_miss() -> None:
    past = history("AAMAA")
    assert streak(past) == 2
    assert missed_in_a_row(past) == 0


def test_misses_in_a_row_count_back_from_the_latest() -> None:
    past = history("AMAMMM")
    assert streak(past) == 0
    assert missed_in_a_row(past) == 3


def test_no_history_is_no_streak_and_no_misses() -> None:
    assert streak([]) == 0
    assert missed_in_a_row([]) == 0


def test_history_in_any_order_is_read_from_the_latest_meeting() -> None:
    past = history("MMAAA")
    backwards = list(reversed(past))
    assert streak(backwards) == 3
    assert missed_in_a_row(list(reversed(history("AAMM")))) == 2


def test_missing_a_meeting_held_at_the_same_time_as_one_attended_keeps_the_streak() -> None:
    same_time = [Past(OPENS, attended=False), Past(OPENS, attended=True)]
    for order in (same_time, same_time[::-1]):
        assert streak(order) == 1
        assert missed_in_a_row(order) == 0


histories = st.lists(st.booleans(), max_size=30).map(
    lambda marks: history("".join("A" if mark else "M" for mark in marks))
)


@given(histories, st.data())
def test_streak_and_misses_agree_with_each_other_and_with_the_marks(
    past: list[Past], data: st.DataObject
) -> None:
    marks = "".join("A" if p.attended else "M" for p in past)
    shuffled = data.draw(st.permutations(past))
    trailing_attended = len(marks) - len(marks.rstrip("A"))
    trailing_missed = len(marks) - len(marks.rstrip("M"))
    assert streak(shuffled) == trailing_attended
    assert missed_in_a_row(shuffled) == trailing_missed
    # The latest meeting was either attended or missed: exactly one count runs.
    assert (streak(shuffled) > 0) != (missed_in_a_row(shuffled) > 0) or not past
    assert streak(shuffled) + missed_in_a_row(shuffled) <= len(past)
