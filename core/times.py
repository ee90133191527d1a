"""Reading the times of day and weekdays people type, and showing moments, the same way
in every feature.

The readers only read; each feature refuses what they can't read in its own words.
"""

from __future__ import annotations

import re
from datetime import datetime

# 0 = Monday, as `datetime.weekday()` counts.
WEEKDAY_NAMES = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
_TIME_OF_DAY = re.compile(r"(\d{1,2})(?:[:.h]?(\d{2}))?(am|pm)?")


def read_time_of_day(text: str) -> tuple[int, int] | None:
    """ "19:30", "7:30", "1930", "7pm", "7:30 pm" → (hour, minute); None if it isn't one."""
    cleaned = text.strip().lower().replace(" ", "")
    match = _TIME_OF_DAY.fullmatch(cleaned)
    if match is None:
        return None
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3]:
        if not 1 <= hour <= 12:
            return None
        hour = hour % 12 + (12 if match[3] == "pm" else 0)
    elif match[2] is None and len(match[1]) < 3 and not cleaned.isdigit():
        return None
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        return None
    return hour, minute


def read_weekday(word: str) -> int | None:
    """A weekday's name or the first three letters or more of it, any case; 0 = Monday."""
    cleaned = word.strip().lower()
    if len(cleaned) < 3:
        return None
    return next((n for n, name in enumerate(WEEKDAY_NAMES) if name.startswith(cleaned)), None)


def timestamp(moment: datetime, style: str = "f") -> str:
    """A moment as a Discord timestamp, which each reader sees in their own time zone
    ("f": 'Tuesday 4 March 2026 17:00' without the weekday; "F" with it; "t": the time)."""
    return f"<t:{int(moment.timestamp())}:{style}>"
