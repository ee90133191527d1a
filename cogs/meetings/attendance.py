"""Who was at a meeting, and a member's run of meetings attended or missed. Pure: the
times come from the caller.

A member counts as there when they stayed long enough (10 minutes by default, or half a
short meeting) or pressed "I'm here" (a text or link meeting has no voice channel to
stay in).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from itertools import takewhile

SECOND = timedelta(seconds=1)


@dataclass(frozen=True)
class Stay:
    """One time a member was in the meeting's channel."""

    start: datetime
    # None: still there.
    end: datetime | None


def seconds_within(
    stays: Sequence[Stay], window_start: datetime, window_end: datetime, now: datetime
) -> int:
    """Whole seconds of the stays inside the window, up to `now` if the window hasn't
    closed yet; time covered by two stays at once (a second device, a rejoin recorded
    before the leave) counts once."""
    close = min(window_end, now)
    pieces = sorted(
        (max(stay.start, window_start), min(close if stay.end is None else stay.end, close))
        for stay in stays
    )
    total = timedelta()
    reached = window_start
    for begin, finish in pieces:
        begin = max(begin, reached)
        if finish > begin:
            total += finish - begin
            reached = finish
    return total // SECOND


def required_seconds(duration_minutes: int, min_present_minutes: int) -> int:
    """How long a member must be there to count: the minimum, or half the meeting,
    whichever is less, so a 15-minute meeting never asks for more than it lasts."""
    return min(min_present_minutes * 60, duration_minutes * 60 // 2)


def attended(seconds_present: int, here_pressed: bool, required: int) -> bool:
    return here_pressed or seconds_present >= required


@dataclass(frozen=True)
class Past:
    """One closed occurrence of a meeting the member belongs to, and whether they came."""

    starts_at: datetime
    attended: bool


def _latest_first(history: Sequence[Past]) -> list[Past]:
    # Of two meetings at the same time a member can be at one only: the one they were at
    # is taken as the later, so missing the other never breaks their streak, and the
    # answer doesn't depend on the order the history came in.
    return sorted(history, key=lambda past: (past.starts_at, past.attended), reverse=True)


def streak(history: Sequence[Past]) -> int:
    """Meetings attended in a row, counting back from the latest."""
    return sum(1 for _ in takewhile(lambda past: past.attended, _latest_first(history)))


def missed_in_a_row(history: Sequence[Past]) -> int:
    """Meetings missed in a row, counting back from the latest."""
    return len(_trailing_misses(history))


def _trailing_misses(history: Sequence[Past]) -> list[Past]:
    return list(takewhile(lambda past: not past.attended, _latest_first(history)))
