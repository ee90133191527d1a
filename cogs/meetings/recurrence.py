"""When a meeting happens: its schedule read from what a specialist types, described back
in words, and its starts worked out as UTC instants. No Discord and no database here.

A schedule is a wall time in the group's zone, so the UTC instant moves with daylight
saving: a meeting at 19:00 in New York is 00:00 UTC in winter and 23:00 UTC in summer.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from itertools import islice, takewhile
from zoneinfo import ZoneInfo

from core.errors import UserFacingError
from core.times import read_weekday
from db.models.meetings import FORTNIGHTLY, MONTHLY, WEEKLY

# Beyond this, a schedule that never falls (every day skipped, a first day years ahead)
# is taken as having no next start, so a search always ends.
HORIZON = timedelta(days=400)
ONE_DAY = timedelta(days=1)
MONTH_WEEKS = (1, 2, 3, 4, -1)
MIN_REMINDER_MINUTES = 1
MAX_REMINDER_MINUTES = 7 * 24 * 60
MAX_REMINDERS = 4
# What a refusal may repeat of what was typed.
ECHO_LENGTH = 100

# --- Words ----------------------------------------------------------------------------------

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")
DAY_NAMES_PLURAL = (
    "Mondays",
    "Tuesdays",
    "Wednesdays",
    "Thursdays",
    "Fridays",
    "Saturdays",
    "Sundays",
)
MONTH_WEEK_WORDS = {1: "first", 2: "second", 3: "third", 4: "fourth", -1: "last"}
LIST_AND = " and "
WEEKLY_DESCRIPTION = "{days} at {time}"
FORTNIGHTLY_DESCRIPTION = "every other {days} at {time}"
MONTHLY_DESCRIPTION = "the {which} {day} of each month at {time}"

# --- Refusals -------------------------------------------------------------------------------

UNREADABLE_WEEKDAYS = (
    "I couldn't read “{text}” as days of the week. Try “mon, thu” or “Tuesday and Thursday”."
)
NO_WEEKDAYS = (
    "Which days of the week is it on? Write them like “mon, thu” or “Tuesday and Thursday”."
)
UNREADABLE_MONTHLY_DAY = (
    "I couldn't read “{text}” as a day of the month. Try “first tue”, “third wed” or “last friday”."
)
NO_MONTHLY_DAY = "Which day of the month is it on? Write it like “first tue” or “last friday”."
MONTHLY_NEEDS_WHICH = "Which {day} of the month? Write it like “first {day}” or “last {day}”."
MONTHLY_NEEDS_WEEKDAY = "Which day of the week? Write it like “{which} tue” or “{which} friday”."
ONE_MONTHLY_DAY = (
    "A monthly meeting falls on one day each month, like “first tue” or “last friday”."
    " For more than one day a month, a weekly or fortnightly meeting may suit it better."
)
NO_FIFTH_WEEK = (
    "Not every month has a fifth one of each weekday, so a monthly meeting can be on the"
    " first to fourth, or the last. Try “last fri”."
)
UNREADABLE_REMINDERS = (
    "I couldn't read “{text}” as reminder times. Write how long before the start each one"
    " goes, like “24h, 15m” or “1d 2h”, or “none” for no reminders."
)
NO_REMINDER_TIMES = (
    "Write how long before the start each reminder goes, like “24h, 15m”, or “none” for no"
    " reminders."
)
REMINDER_OUT_OF_RANGE = "A reminder can go from 1 minute to 7 days before the meeting starts."
TOO_MANY_REMINDERS = (
    "A meeting can have {most} reminders at most. Choose the ones that help most, like “24h, 15m”."
)

# --- Reading what was typed -----------------------------------------------------------------

_SEPARATORS = re.compile(r"[\s,;&/+.]+")
_DAY_FILLER = frozenset({"and", "every", "each", "on"})
_FILLER = {
    WEEKLY: _DAY_FILLER,
    FORTNIGHTLY: _DAY_FILLER | {"other"},
    MONTHLY: _DAY_FILLER | {"the", "of", "a", "in", "month"},
}
_WHICH = {
    **{word: week for week, word in MONTH_WEEK_WORDS.items()},
    **{"1st": 1, "2nd": 2, "3rd": 3, "4th": 4},
    **{str(week): week for week in (1, 2, 3, 4)},
}
_FIFTH = frozenset({"fifth", "5th", "5"})
_NO_REMINDERS = frozenset({"none", "off"})
# Between reminders: a comma or "and", or a space before the next number ("1d 2h").
_REMINDER_SEPARATOR = re.compile(r"\s*(?:[,;&]|\band\b)\s*|\s+(?=\d)")
_REMINDER = re.compile(r"(\d+)\s*([a-z]+)")
_MINUTES_PER_UNIT = {
    **dict.fromkeys(("m", "min", "mins", "minute", "minutes"), 1),
    **dict.fromkeys(("h", "hr", "hrs", "hour", "hours"), 60),
    **dict.fromkeys(("d", "day", "days"), 24 * 60),
}


def _echo(text: str) -> str:
    """What was typed, as a refusal repeats it: one line, never more than ECHO_LENGTH."""
    line = " ".join(text.split())
    return line if len(line) <= ECHO_LENGTH else line[: ECHO_LENGTH - 1].rstrip() + "…"


def _weekday(word: str) -> int | None:
    found = read_weekday(word)
    if found is None and word.endswith("s"):
        # "Tuesdays", as a schedule is often said.
        found = read_weekday(word[:-1])
    return found


def _words(text: str, cadence: str) -> list[str]:
    if cadence not in _FILLER:
        raise ValueError(f"unknown cadence {cadence!r}")
    filler = _FILLER[cadence]
    return [word for word in _SEPARATORS.split(text.casefold()) if word and word not in filler]


def parse_days(text: str, cadence: str) -> tuple[tuple[int, ...], int | None]:
    """The weekdays (Monday 0) and, for a monthly meeting, which of the month's (1 to 4,
    or -1 for the last) in `text`: "mon, thu" → ((0, 3), None), "last friday" → ((4,), -1)."""
    words = _words(text, cadence)
    if cadence == MONTHLY:
        return _monthly_day(text, words)
    days = [_weekday(word) for word in words]
    if not days:
        raise UserFacingError(NO_WEEKDAYS)
    if None in days:
        raise UserFacingError(UNREADABLE_WEEKDAYS.format(text=_echo(text)))
    return tuple(sorted({day for day in days if day is not None})), None


def _monthly_day(text: str, words: list[str]) -> tuple[tuple[int, ...], int]:
    which: list[int] = []
    days: list[int] = []
    for word in words:
        day = _weekday(word)
        if word in _WHICH:
            which.append(_WHICH[word])
        elif word in _FIFTH:
            raise UserFacingError(NO_FIFTH_WEEK)
        elif day is not None:
            days.append(day)
        else:
            raise UserFacingError(UNREADABLE_MONTHLY_DAY.format(text=_echo(text)))
    if len(which) > 1 or len(days) > 1:
        raise UserFacingError(ONE_MONTHLY_DAY)
    if which and days:
        return (days[0],), which[0]
    if days:
        raise UserFacingError(MONTHLY_NEEDS_WHICH.format(day=DAY_NAMES[days[0]]))
    if which:
        raise UserFacingError(MONTHLY_NEEDS_WEEKDAY.format(which=MONTH_WEEK_WORDS[which[0]]))
    raise UserFacingError(NO_MONTHLY_DAY)


def parse_reminders(text: str) -> tuple[int, ...]:
    """How many minutes before the start each reminder goes, latest-sent last:
    "24h, 15m" → (1440, 15), "1d 2h" → (1440, 120), "none" or "off" → ()."""
    cleaned = text.strip().casefold()
    if cleaned in _NO_REMINDERS:
        return ()
    pieces = [piece for piece in _REMINDER_SEPARATOR.split(cleaned) if piece]
    if not pieces:
        raise UserFacingError(NO_REMINDER_TIMES)
    minutes = {_reminder_minutes(piece, text) for piece in pieces}
    if len(minutes) > MAX_REMINDERS:
        raise UserFacingError(TOO_MANY_REMINDERS.format(most=MAX_REMINDERS))
    return tuple(sorted(minutes, reverse=True))


def _reminder_minutes(piece: str, text: str) -> int:
    found = _REMINDER.fullmatch(piece)
    if found is None or found[2] not in _MINUTES_PER_UNIT:
        raise UserFacingError(UNREADABLE_REMINDERS.format(text=_echo(text)))
    amount = found[1].lstrip("0") or "0"
    # Python refuses to read an integer of thousands of digits; any that long is too far.
    if len(amount) > len(str(MAX_REMINDER_MINUTES)):
        raise UserFacingError(REMINDER_OUT_OF_RANGE)
    minutes = int(amount) * _MINUTES_PER_UNIT[found[2]]
    if not MIN_REMINDER_MINUTES <= minutes <= MAX_REMINDER_MINUTES:
        raise UserFacingError(REMINDER_OUT_OF_RANGE)
    return minutes


# --- Schedules ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Recurrence:
    cadence: str
    # Monday 0. Weekly and fortnightly: sorted, unique, at least one. Monthly: exactly one.
    weekdays: tuple[int, ...]
    # Monthly only: which of the month's weekdays, 1 to 4 or -1 for the last.
    month_week: int | None
    # Wall time in `zone`, naive.
    local_time: time
    zone: ZoneInfo
    # No start before this local date; fortnights count from its (Monday-based) week.
    first_day: date
    # Local dates left out.
    skipped_days: frozenset[date] = frozenset()

    def __post_init__(self) -> None:
        # These come from code and the database, never straight from a person: a bad one
        # is a bug, and a loud one is better than a schedule that silently never falls.
        if self.cadence not in _FILLER:
            raise ValueError(f"unknown cadence {self.cadence!r}")
        if not self.weekdays or list(self.weekdays) != sorted(set(self.weekdays)):
            raise ValueError(f"weekdays must be sorted and unique: {self.weekdays!r}")
        if not all(0 <= day <= 6 for day in self.weekdays):
            raise ValueError(f"weekdays are 0 (Monday) to 6: {self.weekdays!r}")
        if self.cadence == MONTHLY:
            if len(self.weekdays) != 1 or self.month_week not in MONTH_WEEKS:
                raise ValueError("a monthly recurrence has one weekday and a month_week")
        elif self.month_week is not None:
            raise ValueError("only a monthly recurrence has a month_week")
        if self.local_time.tzinfo is not None:
            raise ValueError("local_time is a wall time, without a zone")


def falls_on(rec: Recurrence, day: date) -> bool:
    """Whether local `day` is one of the schedule's days (skips left out; `first_day`
    is the caller's to check)."""
    if day.weekday() not in rec.weekdays or day in rec.skipped_days:
        return False
    if rec.cadence == FORTNIGHTLY:
        return _weeks_apart(rec.first_day, day) % 2 == 0
    if rec.cadence == MONTHLY:
        if rec.month_week == -1:
            return (day + timedelta(weeks=1)).month != day.month
        return (day.day - 1) // 7 + 1 == rec.month_week
    return True


def _weeks_apart(first: date, day: date) -> int:
    """Whole Monday-to-Sunday weeks from `first`'s week to `day`'s."""
    return (_monday(day) - _monday(first)).days // 7


def _monday(day: date) -> date:
    return day - timedelta(days=day.weekday())


def _start(rec: Recurrence, day: date) -> datetime:
    # A wall time with fold=0 (whatever `local_time` carries) reads, by PEP 495, with the
    # offset in force before a change: in a spring-forward gap that is the winter offset,
    # so 02:30 lands on what clocks call 03:30; in an autumn overlap, the first 01:30.
    wall = datetime.combine(day, rec.local_time, tzinfo=rec.zone)
    return wall.replace(fold=0).astimezone(UTC)


def _starts(rec: Recurrence, first: date, last: date) -> Iterator[datetime]:
    """The starts on the local dates `first` to `last`, earliest first, each once.

    Day order is UTC order: two consecutive dates' starts are a day apart, give or take
    a daylight-saving change of an hour or so. A skipped day is the exception: Samoa's
    30 December 2011 never happened, so its start moved onto the 31st's, given once."""
    day = max(first, rec.first_day)
    previous: datetime | None = None
    while day <= last:
        if falls_on(rec, day):
            start = _start(rec, day)
            if previous is None or start > previous:
                yield start
            previous = start
        day += ONE_DAY


def _local_day(instant: datetime, zone: ZoneInfo) -> date:
    if instant.utcoffset() is None:
        raise ValueError(f"an aware datetime is needed, not {instant!r}")
    return instant.astimezone(zone).date()


def next_start(rec: Recurrence, after: datetime) -> datetime | None:
    """The first start strictly after `after` (aware), in UTC; None if there is none
    within HORIZON of it."""
    until = after + HORIZON
    # From the day before: a start moved forward out of a gap can fall on the next local
    # date (Samoa skipped 30 December 2011 whole).
    first = _local_day(after, rec.zone) - ONE_DAY
    for start in _starts(rec, first, _local_day(until, rec.zone)):
        if start > until:
            return None
        if start > after:
            return start
    return None


def starts_between(
    rec: Recurrence, start: datetime, end: datetime, limit: int = 100
) -> list[datetime]:
    """The starts from `start` (included) to `end` (left out), both aware, in UTC,
    earliest first, at most `limit` of them."""
    # From the day before, as in `next_start`.
    days = _starts(rec, _local_day(start, rec.zone) - ONE_DAY, _local_day(end, rec.zone))
    inside = takewhile(lambda each: each < end, (each for each in days if each >= start))
    return list(islice(inside, limit))


def describe(rec: Recurrence) -> str:
    """The schedule in words: "Tuesdays and Thursdays at 19:00", "every other Monday at
    18:30", "the last Friday of each month at 12:00"."""
    at = f"{rec.local_time:%H:%M}"
    if rec.cadence == MONTHLY and rec.month_week is not None:
        which = MONTH_WEEK_WORDS[rec.month_week]
        return MONTHLY_DESCRIPTION.format(which=which, day=DAY_NAMES[rec.weekdays[0]], time=at)
    if rec.cadence == FORTNIGHTLY:
        days = _listed([DAY_NAMES[day] for day in rec.weekdays])
        return FORTNIGHTLY_DESCRIPTION.format(days=days, time=at)
    return WEEKLY_DESCRIPTION.format(
        days=_listed([DAY_NAMES_PLURAL[day] for day in rec.weekdays]), time=at
    )


def _listed(names: list[str]) -> str:
    """ "Monday", "Monday and Friday", "Monday, Wednesday and Friday"."""
    if len(names) == 1:
        return names[0]
    return ", ".join(names[:-1]) + LIST_AND + names[-1]
