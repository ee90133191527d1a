"""The check-in form's answers: what a member typed and picked, and the values it is read as.

Every answer is checked at once, so one message names all that needs fixing; a refused
check-in keeps nothing. No Discord here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from cogs.checkins import texts
from cogs.checkins.common import echo
from config.content import CheckinContent
from core.errors import UserFacingError

NOTE_MAX_LENGTH = 1000
OTHER = "other"


# --- Values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawCheckin:
    """What a member typed into the form, exactly as the form gave it; `triggers` are the
    values picked in its menu (trigger names and "other")."""

    mood: str
    craving: str
    sleep: str
    triggers: tuple[str, ...] = ()
    note: str = ""


@dataclass(frozen=True)
class CheckinValues:
    mood: int
    craving: int
    sleep_hours: float
    triggers: tuple[str, ...]
    note: str | None


def parse_checkin(raw: RawCheckin, content: CheckinContent) -> CheckinValues:
    """Validate every answer; all problems are named in one message, nothing is kept."""
    scales = content.scales
    problems: list[str] = []
    mood = _whole_number(raw.mood, scales.mood_min, scales.mood_max)
    if mood is None:
        problems.append(
            texts.FIX_MOOD.format(low=scales.mood_min, high=scales.mood_max, value=echo(raw.mood))
        )
    craving = _whole_number(raw.craving, scales.craving_min, scales.craving_max)
    if craving is None:
        problems.append(
            texts.FIX_CRAVING.format(
                low=scales.craving_min, high=scales.craving_max, value=echo(raw.craving)
            )
        )
    sleep = _hours(raw.sleep, scales.sleep_hours_max)
    if sleep is None:
        problems.append(texts.FIX_SLEEP.format(high=scales.sleep_hours_max, value=echo(raw.sleep)))
    # Picked from the menu, so nothing to refuse: a value not on today's list is dropped.
    triggers = chosen_triggers(raw.triggers, content)
    note = raw.note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        problems.append(texts.FIX_NOTE.format(high=NOTE_MAX_LENGTH, length=len(note)))
    if problems:
        raise UserFacingError("\n".join([texts.FIX_INTRO, *(f"• {p}" for p in problems)]))
    if mood is None or craving is None or sleep is None:  # each was refused above
        raise UserFacingError(texts.FIX_INTRO)
    return CheckinValues(mood, craving, sleep, triggers, note or None)


def _whole_number(text: str, low: int, high: int) -> int | None:
    # "3" and "3/5" both mean three.
    match = re.fullmatch(r"\s*(\d{1,3})\s*(?:/\s*\d{1,3}\s*)?", text)
    if match is None:
        return None
    value = int(match[1])
    return value if low <= value <= high else None


def _hours(text: str, high: int) -> float | None:
    match = re.fullmatch(r"\s*(\d{1,2}(?:[.,]\d{1,2})?)\s*(?:h|hrs?|hours?)?\s*", text.lower())
    if match is None:
        return None
    value = float(match[1].replace(",", "."))
    return value if 0 <= value <= high else None


def chosen_triggers(values: Iterable[str], content: CheckinContent) -> tuple[str, ...]:
    """Triggers picked from a menu: only known names and "other" are kept, in order."""
    picked = set(values)
    ordered = [name for name in content.triggers if name in picked]
    return (*ordered, OTHER) if OTHER in picked else tuple(ordered)
