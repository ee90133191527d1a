"""Times of day and weekdays read the same way in check-ins and on-call (core/times.py)."""

from __future__ import annotations

import pytest

from cogs.checkins.schedule import parse_local_time, parse_weekdays
from cogs.oncall.rota import MINUTES_PER_DAY, parse_time, parse_weekday
from core.errors import UserFacingError
from core.times import read_time_of_day, read_weekday


@pytest.mark.parametrize(
    ("typed", "read"),
    [
        ("19:30", (19, 30)),
        ("7:05", (7, 5)),
        ("0730", (7, 30)),
        ("7pm", (19, 0)),
        ("7", (7, 0)),
        ("12:15 am", (0, 15)),
        ("5 PM", (17, 0)),
        ("17.45", (17, 45)),
    ],
)
def test_a_time_of_day_reads_alike_in_every_feature(typed: str, read: tuple[int, int]) -> None:
    assert read_time_of_day(typed) == read
    assert parse_local_time(typed) == read
    assert parse_time(typed) == read[0] * 60 + read[1]


@pytest.mark.parametrize("typed", ["", "25:00", "7:60", "13pm", "0am", "noon", "1:2"])
def test_what_is_not_a_time_of_day_is_refused_by_every_feature(typed: str) -> None:
    assert read_time_of_day(typed) is None
    with pytest.raises(UserFacingError):
        parse_local_time(typed)
    with pytest.raises(UserFacingError):
        parse_time(typed)


def test_midnight_ends_a_shift_but_starts_nothing() -> None:
    assert parse_time("24:00", allow_midnight_end=True) == MINUTES_PER_DAY
    with pytest.raises(UserFacingError):
        parse_time("24:00")


@pytest.mark.parametrize(
    ("typed", "day"),
    [("Monday", 0), ("tue", 1), ("WEDN", 2), ("thurs", 3), ("fri", 4), ("saturday", 5)],
)
def test_a_weekday_reads_alike_in_every_feature(typed: str, day: int) -> None:
    assert read_weekday(typed) == day
    assert parse_weekday(typed) == day
    assert parse_weekdays(typed) == [day]


@pytest.mark.parametrize("typed", ["mo", "wedding", "sundays!", "someday"])
def test_what_is_not_a_weekday_is_refused_by_every_feature(typed: str) -> None:
    assert read_weekday(typed) is None
    with pytest.raises(UserFacingError):
        parse_weekday(typed)
    with pytest.raises(UserFacingError):
        parse_weekdays(typed)
