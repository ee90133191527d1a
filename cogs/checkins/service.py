"""The rules of daily check-ins: recording one, streaks, when a group's prompt is due,
reminders, the warning-sign detector and the group's participation. No Discord here.

Dates that belong to a person are local dates: a member's day runs in their own time
zone (else the group's check-in zone, else the server's). Times in the database are
UTC. `now` always comes from the caller (the bot's injectable clock).
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins import texts
from cogs.setup.service import validate_timezone
from config.content import CheckinContent, WarningSignThresholds
from core.errors import UserFacingError
from db.engine import Database
from db.models import AuditEntry, GuildSettings, Member
from db.models.checkins import (
    DEFAULT_REMINDER_HOUR,
    EVERY_DAY,
    Checkin,
    CheckinPreference,
    CheckinSchedule,
    CheckinSignal,
)

# A prompt missed while the bot was down still goes out once it is back, up to this long
# after its time; later than that, the day's prompt is skipped rather than sent late.
CATCH_UP_GRACE = timedelta(hours=3)
# A cron job may fire a moment before the clock it is compared with says it is time.
EARLY_TOLERANCE = timedelta(minutes=1)
# A reminder is sent from the member's chosen hour until this long after it.
REMINDER_WINDOW = timedelta(hours=3)
REMINDER_EVERY_MINUTES = 15
# The detector looks at this many days of check-ins, once a day at this local hour.
DETECTOR_LOOKBACK_DAYS = 45
DETECTOR_HOUR = 12
NOTE_MAX_LENGTH = 1000
TRIGGERS_MAX_LENGTH = 300
OTHER = "other"
DEFAULT_PROMPT_HOUR = 19
DEFAULT_PROMPT_MINUTE = 0

_DAY_KEYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NONE_WORDS = {"none", "no", "nothing", "-", "n/a", "na", "0"}


# --- Values ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class RawCheckin:
    """What a member typed into the form, exactly as the form gave it."""

    mood: str
    craving: str
    sleep: str
    triggers: str = ""
    note: str = ""


@dataclass(frozen=True)
class CheckinValues:
    mood: int
    craving: int
    sleep_hours: float
    triggers: tuple[str, ...]
    note: str | None


def numbered_triggers(content: CheckinContent) -> str:
    return "\n".join(f"{number}. {name}" for number, name in enumerate(content.triggers, 1))


def parse_checkin(raw: RawCheckin, content: CheckinContent) -> CheckinValues:
    """Validate every answer; all problems are named in one message, nothing is kept."""
    scales = content.scales
    problems: list[str] = []
    mood = _whole_number(raw.mood, scales.mood_min, scales.mood_max)
    if mood is None:
        problems.append(
            texts.FIX_MOOD.format(low=scales.mood_min, high=scales.mood_max, value=_echo(raw.mood))
        )
    craving = _whole_number(raw.craving, scales.craving_min, scales.craving_max)
    if craving is None:
        problems.append(
            texts.FIX_CRAVING.format(
                low=scales.craving_min, high=scales.craving_max, value=_echo(raw.craving)
            )
        )
    sleep = _hours(raw.sleep, scales.sleep_hours_max)
    if sleep is None:
        problems.append(texts.FIX_SLEEP.format(high=scales.sleep_hours_max, value=_echo(raw.sleep)))
    triggers: tuple[str, ...] = ()
    try:
        triggers = parse_triggers(raw.triggers, content)
    except UserFacingError as error:
        problems.append(error.message)
    note = raw.note.strip()
    if len(note) > NOTE_MAX_LENGTH:
        problems.append(texts.FIX_NOTE.format(high=NOTE_MAX_LENGTH, length=len(note)))
    if problems:
        raise UserFacingError("\n".join([texts.FIX_INTRO, *(f"• {p}" for p in problems)]))
    if mood is None or craving is None or sleep is None:  # each was refused above
        raise UserFacingError(texts.FIX_INTRO)
    return CheckinValues(mood, craving, sleep, triggers, note or None)


def _echo(value: str) -> str:
    cleaned = " ".join(value.split())
    return cleaned if len(cleaned) <= 20 else cleaned[:19] + "…"


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


def parse_triggers(text: str, content: CheckinContent) -> tuple[str, ...]:
    """Numbers or names from the configured list, or "other"; in the list's order."""
    names = list(content.triggers)
    chosen: set[str] = set()
    rest = text[:TRIGGERS_MAX_LENGTH].lower()
    # Whole names first: some contain commas ("Stress (money, work, legal)").
    for name in sorted(names, key=len, reverse=True):
        if name.lower() in rest:
            chosen.add(name)
            rest = rest.replace(name.lower(), ",")
    tokens = [t.strip() for t in re.split(r"[,;\n]+", rest) if t.strip()]
    if not chosen and len(tokens) == 1 and tokens[0] in _NONE_WORDS:
        return ()
    for token in tokens:
        chosen.add(_one_trigger(token, names, content))
    ordered = [name for name in names if name in chosen]
    return (*ordered, OTHER) if OTHER in chosen else tuple(ordered)


def _one_trigger(token: str, names: list[str], content: CheckinContent) -> str:
    needle = token.lower().strip(" .")
    # isdecimal, not isdigit: "²" or "①" are digits to Python that int() cannot read.
    if needle.isdecimal():
        number = int(needle)
        if 1 <= number <= len(names):
            return names[number - 1]
    elif needle == OTHER:
        return OTHER
    else:
        for matches in (
            [n for n in names if n.lower() == needle],
            [n for n in names if n.lower().startswith(needle)],
            [n for n in names if needle in re.findall(r"[a-z']+", n.lower())],
            [n for n in names if needle in n.lower()] if len(needle) >= 4 else [],
        ):
            if len(matches) == 1:
                return matches[0]
            if len(matches) > 1:
                raise UserFacingError(
                    texts.FIX_TRIGGERS_AMBIGUOUS.format(
                        value=_echo(token), numbered=numbered_triggers(content)
                    )
                )
    raise UserFacingError(
        texts.FIX_TRIGGERS.format(value=_echo(token), numbered=numbered_triggers(content))
    )


def chosen_triggers(values: Iterable[str], content: CheckinContent) -> tuple[str, ...]:
    """Triggers picked from a menu: only known names and "other" are kept, in order."""
    picked = set(values)
    ordered = [name for name in content.triggers if name in picked]
    return (*ordered, OTHER) if OTHER in picked else tuple(ordered)


# --- Time zones -----------------------------------------------------------------------------


def zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def _group_zone(session: AsyncSession, guild_id: int) -> str:
    """The group's check-in zone, else the server's, else UTC."""
    schedule = await session.get(CheckinSchedule, guild_id)
    if schedule is not None:
        return schedule.timezone
    settings = await session.get(GuildSettings, guild_id)
    return settings.timezone if settings is not None else "UTC"


async def _member_zone(session: AsyncSession, guild_id: int, user_id: int) -> ZoneInfo:
    own = await session.scalar(select(Member.timezone).where(Member.user_id == user_id))
    return zone_or_utc(own or await _group_zone(session, guild_id))


async def _weekdays(session: AsyncSession, guild_id: int) -> frozenset[int]:
    schedule = await session.get(CheckinSchedule, guild_id)
    return frozenset(schedule.weekdays if schedule is not None else EVERY_DAY)


# --- Recording ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinOutcome:
    local_date: date
    created: bool
    streak: int
    triggers: tuple[str, ...]
    high_craving: bool
    low_mood: bool
    # Where to post the "checked in" line: set only for a member who opted in, on their
    # first check-in of the day.
    share_channel_id: int | None


async def record_checkin(
    db: Database,
    guild_id: int,
    user_id: int,
    raw: RawCheckin,
    content: CheckinContent,
    now: datetime,
    *,
    keep_note_if_empty: bool = False,
) -> CheckinOutcome:
    """Store today's check-in (or update it); refused values change nothing.

    `keep_note_if_empty`: the form did not show the stored note, so an empty note field
    leaves it as it is."""
    values = parse_checkin(raw, content)
    async with db.guild_session(guild_id) as session, session.begin():
        zone = await _member_zone(session, guild_id, user_id)
        schedule = await session.get(CheckinSchedule, guild_id)  # already loaded: no query
        share = await session.scalar(
            select(CheckinPreference.share_enabled).where(CheckinPreference.user_id == user_id)
        )
        today = now.astimezone(zone).date()
        keep_note = keep_note_if_empty and not values.note
        created = await _upsert(session, guild_id, user_id, today, values, now, keep_note)
        dates = set(
            await session.scalars(select(Checkin.local_date).where(Checkin.user_id == user_id))
        )
    weekdays = frozenset(schedule.weekdays if schedule is not None else EVERY_DAY)
    signs = content.warning_signs
    return CheckinOutcome(
        local_date=today,
        created=created,
        streak=streak_length(dates, today, weekdays),
        triggers=values.triggers,
        high_craving=values.craving >= signs.high_craving_at_least,
        low_mood=values.mood <= signs.low_mood_at_most,
        share_channel_id=schedule.channel_id if (share and created and schedule) else None,
    )


async def _upsert(
    session: AsyncSession,
    guild_id: int,
    user_id: int,
    local_date: date,
    values: CheckinValues,
    now: datetime,
    keep_note: bool = False,
) -> bool:
    """Insert or update the day's row in one statement; True when it was new."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    values_statement = insert(Checkin).values(
        guild_id=guild_id,
        user_id=user_id,
        local_date=local_date,
        mood=values.mood,
        craving=values.craving,
        sleep_hours=values.sleep_hours,
        triggers=list(values.triggers),
        note=values.note,
        created_at=now,
        updated_at=now,
    )
    excluded = values_statement.excluded
    changes = {
        "mood": excluded.mood,
        "craving": excluded.craving,
        "sleep_hours": excluded.sleep_hours,
        "triggers": excluded.triggers,
        "updated_at": excluded.updated_at,
    }
    if not keep_note:
        changes["note"] = excluded.note
    statement = values_statement.on_conflict_do_update(
        index_elements=[Checkin.guild_id, Checkin.user_id, Checkin.local_date], set_=changes
    ).returning(Checkin.created_at)
    created_at = (await session.execute(statement)).scalar_one()
    return bool(created_at == now)


async def todays_answers(
    db: Database, guild_id: int, user_id: int, content: CheckinContent, now: datetime
) -> RawCheckin | None:
    """Today's check-in as the form shows it, so a second one the same day starts from
    the first (and an empty note field does not silently erase the note)."""
    async with db.guild_session(guild_id) as session:
        zone = await _member_zone(session, guild_id, user_id)
        row = await session.scalar(
            select(Checkin).where(
                Checkin.user_id == user_id, Checkin.local_date == now.astimezone(zone).date()
            )
        )
    if row is None:
        return None
    numbers = [
        str(content.triggers.index(name) + 1) if name in content.triggers else name
        for name in row.triggers
    ]
    return RawCheckin(
        mood=str(row.mood),
        craving=str(row.craving),
        sleep=f"{row.sleep_hours:g}",
        triggers=", ".join(numbers),
        note=row.note or "",
    )


async def set_triggers(
    db: Database,
    guild_id: int,
    user_id: int,
    triggers: Sequence[str],
    content: CheckinContent,
    now: datetime,
) -> tuple[str, ...]:
    """Replace today's triggers (picked from the menu after a check-in)."""
    kept = chosen_triggers(triggers, content)
    async with db.guild_session(guild_id) as session:
        zone = await _member_zone(session, guild_id, user_id)
    today = now.astimezone(zone).date()
    async with db.guild_session(guild_id) as session, session.begin():
        result = await session.execute(
            update(Checkin)
            .where(Checkin.user_id == user_id, Checkin.local_date == today)
            .values(triggers=list(kept), updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if _rowcount(result) == 0:
        raise UserFacingError(texts.NO_CHECKIN_TODAY)
    return kept


def _rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


# --- Streaks --------------------------------------------------------------------------------


def streak_length(dates: set[date], today: date, weekdays: frozenset[int]) -> int:
    """Check-ins on consecutive local days up to today (or yesterday, if today is still
    open). Days the group has no check-in scheduled neither break nor add to it."""
    if not dates:
        return 0
    earliest = min(dates)
    day = today if today in dates else today - timedelta(days=1)
    count = 0
    while day >= earliest:
        if day in dates:
            count += 1
        elif day.weekday() in weekdays:
            break
        day -= timedelta(days=1)
    return count


async def member_streak(db: Database, guild_id: int, user_id: int, now: datetime) -> int:
    async with db.guild_session(guild_id) as session:
        zone = await _member_zone(session, guild_id, user_id)
        weekdays = await _weekdays(session, guild_id)
        dates = set(
            await session.scalars(select(Checkin.local_date).where(Checkin.user_id == user_id))
        )
    return streak_length(dates, now.astimezone(zone).date(), weekdays)


# --- The group's schedule -------------------------------------------------------------------


@dataclass(frozen=True)
class ScheduleState:
    guild_id: int
    channel_id: int
    hour: int
    minute: int
    timezone: str
    weekdays: frozenset[int]
    enabled: bool
    last_prompt_date: date | None = None

    @classmethod
    def of(cls, row: CheckinSchedule) -> ScheduleState:
        return cls(
            guild_id=row.guild_id,
            channel_id=row.channel_id,
            hour=row.prompt_hour,
            minute=row.prompt_minute,
            timezone=row.timezone,
            weekdays=frozenset(row.weekdays),
            enabled=row.enabled,
            last_prompt_date=row.last_prompt_date,
        )

    @property
    def zone(self) -> ZoneInfo:
        return zone_or_utc(self.timezone)


def parse_local_time(text: str) -> tuple[int, int]:
    """ "19:30", "7:30", "1930", "7pm", "7:30 pm" → (hour, minute)."""
    cleaned = text.strip().lower().replace(" ", "")
    match = re.fullmatch(r"(\d{1,2})(?:[:.h]?(\d{2}))?(am|pm)?", cleaned)
    if match is None:
        raise UserFacingError(texts.BAD_TIME.format(value=_echo(text)))
    hour, minute = int(match[1]), int(match[2] or 0)
    if match[3]:
        if not 1 <= hour <= 12:
            raise UserFacingError(texts.BAD_TIME.format(value=_echo(text)))
        hour = hour % 12 + (12 if match[3] == "pm" else 0)
    elif match[2] is None and len(match[1]) < 3 and not cleaned.isdigit():
        raise UserFacingError(texts.BAD_TIME.format(value=_echo(text)))
    if not (0 <= hour <= 23 and 0 <= minute <= 59):
        raise UserFacingError(texts.BAD_TIME.format(value=_echo(text)))
    return hour, minute


def parse_weekdays(text: str) -> list[int]:
    """ "every day", "weekdays", "weekends", "mon-fri", "mon,wed,fri" → sorted weekday numbers."""
    cleaned = text.strip().lower()
    if cleaned in {"every day", "everyday", "daily", "all", "mon-sun"}:
        return list(EVERY_DAY)
    if cleaned in {"weekdays", "week days"}:
        return [0, 1, 2, 3, 4]
    if cleaned in {"weekend", "weekends"}:
        return [5, 6]
    days: set[int] = set()
    for part in re.split(r"[,\s/]+", cleaned):
        if not part:
            continue
        ends = part.split("-")
        if len(ends) > 2 or not all(_day_key(end) is not None for end in ends):
            raise UserFacingError(texts.BAD_WEEKDAYS.format(value=_echo(text)))
        day, last = _day_key(ends[0]) or 0, _day_key(ends[-1]) or 0
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    if not days:
        raise UserFacingError(texts.BAD_WEEKDAYS.format(value=_echo(text)))
    return sorted(days)


def _day_key(word: str) -> int | None:
    prefix = word[:3]
    return _DAY_KEYS.index(prefix) if len(word) >= 2 and prefix in _DAY_KEYS else None


def describe_weekdays(weekdays: Iterable[int]) -> str:
    chosen = sorted(set(weekdays))
    if chosen == EVERY_DAY:
        return texts.EVERY_DAY
    return ", ".join(texts.DAY_NAMES[day] for day in chosen)


async def get_schedule(db: Database, guild_id: int) -> ScheduleState | None:
    async with db.guild_session(guild_id) as session:
        row = await session.get(CheckinSchedule, guild_id)
    return ScheduleState.of(row) if row else None


async def load_schedules(db: Database) -> list[ScheduleState]:
    """Every server's schedule, to rebuild the scheduler's jobs at start."""
    async with db.all_guilds_session() as session:
        rows = (await session.scalars(select(CheckinSchedule))).all()
    return [ScheduleState.of(row) for row in rows]


async def save_schedule(
    db: Database,
    guild_id: int,
    actor_user_id: int,
    *,
    channel_id: int | None = None,
    hour: int | None = None,
    minute: int | None = None,
    timezone: str | None = None,
    weekdays: Sequence[int] | None = None,
    enabled: bool | None = None,
    default_channel_id: int | None = None,
) -> ScheduleState:
    """Create or change the schedule; what is not given keeps its value (or a default)."""
    if timezone is not None:
        timezone = validate_timezone(timezone)
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(CheckinSchedule, guild_id)
        if row is None:
            channel = channel_id or default_channel_id
            if channel is None:
                raise UserFacingError(texts.NEED_CHANNEL)
            settings = await session.get(GuildSettings, guild_id)
            row = CheckinSchedule(
                guild_id=guild_id,
                channel_id=channel,
                prompt_hour=DEFAULT_PROMPT_HOUR,
                prompt_minute=DEFAULT_PROMPT_MINUTE,
                timezone=settings.timezone if settings else "UTC",
                weekdays=list(EVERY_DAY),
                enabled=True,
            )
            session.add(row)
        changes: dict[str, Any] = {
            "channel_id": channel_id,
            "prompt_hour": hour,
            "prompt_minute": minute,
            "timezone": timezone,
            "weekdays": sorted(set(weekdays)) if weekdays is not None else None,
            "enabled": enabled,
        }
        for name, value in changes.items():
            if value is not None:
                setattr(row, name, value)
        session.add(
            AuditEntry(
                guild_id=guild_id,
                actor_user_id=actor_user_id,
                action="checkins.schedule_updated",
                details={k: v for k, v in changes.items() if v is not None},
            )
        )
        await session.flush()
        state = ScheduleState.of(row)
    return state


def occurrence_on(state: ScheduleState, day: date) -> datetime:
    """When (UTC) the prompt of the group's local `day` is: a wall time that daylight
    saving skips resolves to the same instant an hour on (02:30 becomes 03:30); a wall
    time that happens twice means its first occurrence."""
    local = datetime.combine(day, time(state.hour, state.minute), tzinfo=state.zone)
    return local.astimezone(UTC)


def due_prompt(
    state: ScheduleState, now: datetime, grace: timedelta = CATCH_UP_GRACE
) -> date | None:
    """The local date whose prompt should go out now, if any.

    That is the most recent scheduled prompt time that has passed, if it passed less
    than `grace` ago and that day's prompt has not gone out yet.
    """
    if not state.enabled or not state.weekdays:
        return None
    today = now.astimezone(state.zone).date()
    for back in range(2):  # the grace is under a day: today's or yesterday's prompt
        day = today - timedelta(days=back)
        if day.weekday() not in state.weekdays:
            continue
        at = occurrence_on(state, day)
        if at > now + EARLY_TOLERANCE:
            continue
        if now - at > grace:
            return None
        if state.last_prompt_date is not None and state.last_prompt_date >= day:
            return None
        return day
    return None


def due_prompts(
    states: Iterable[ScheduleState], now: datetime, grace: timedelta = CATCH_UP_GRACE
) -> list[tuple[ScheduleState, date]]:
    """Which groups' prompts are due now (after downtime, within the grace period)."""
    due = []
    for state in states:
        day = due_prompt(state, now, grace)
        if day is not None:
            due.append((state, day))
    return due


def next_prompt_after(state: ScheduleState, now: datetime) -> datetime | None:
    if not state.enabled or not state.weekdays:
        return None
    today = now.astimezone(state.zone).date()
    for ahead in range(8):
        day = today + timedelta(days=ahead)
        if day.weekday() in state.weekdays and occurrence_on(state, day) > now:
            return occurrence_on(state, day)
    return None


@dataclass(frozen=True)
class ClaimedPrompt:
    guild_id: int
    channel_id: int
    local_date: date
    previous_date: date | None


async def claim_prompt(
    db: Database, guild_id: int, now: datetime, grace: timedelta = CATCH_UP_GRACE
) -> ClaimedPrompt | None:
    """Take the right to send the due prompt, once: one conditional UPDATE decides, so
    two jobs, two processes or a doubled clock hour can never both send it."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(CheckinSchedule, guild_id)
        if row is None:
            return None
        state = ScheduleState.of(row)
        day = due_prompt(state, now, grace)
        if day is None:
            return None
        result = await session.execute(
            update(CheckinSchedule)
            .where(
                CheckinSchedule.guild_id == guild_id,
                CheckinSchedule.enabled.is_(True),
                or_(
                    CheckinSchedule.last_prompt_date.is_(None),
                    CheckinSchedule.last_prompt_date < day,
                ),
            )
            .values(last_prompt_date=day, last_prompt_at=now)
            .execution_options(synchronize_session=False)
        )
        if _rowcount(result) != 1:
            return None
    return ClaimedPrompt(guild_id, state.channel_id, day, state.last_prompt_date)


async def release_prompt(db: Database, claim: ClaimedPrompt) -> None:
    """The prompt could not be sent: give the day back, so a later try may send it."""
    async with db.guild_session(claim.guild_id) as session, session.begin():
        await session.execute(
            update(CheckinSchedule)
            .where(
                CheckinSchedule.guild_id == claim.guild_id,
                CheckinSchedule.last_prompt_date == claim.local_date,
            )
            .values(last_prompt_date=claim.previous_date)
            .execution_options(synchronize_session=False)
        )


def prompt_trigger(state: ScheduleState) -> CronTrigger:
    """The normal path: a cron trigger at the local time, in the group's zone."""
    days = ",".join(_DAY_KEYS[day] for day in sorted(state.weekdays))
    return CronTrigger(day_of_week=days, hour=state.hour, minute=state.minute, timezone=state.zone)


def detector_trigger(state: ScheduleState) -> CronTrigger:
    return CronTrigger(hour=DETECTOR_HOUR, minute=0, timezone=state.zone)


def reminder_trigger() -> CronTrigger:
    return CronTrigger(minute=f"*/{REMINDER_EVERY_MINUTES}", timezone=UTC)


# --- Preferences and consent ----------------------------------------------------------------


async def _preference(session: AsyncSession, guild_id: int, user_id: int) -> CheckinPreference:
    row = await session.scalar(
        select(CheckinPreference).where(CheckinPreference.user_id == user_id)
    )
    if row is None:
        row = CheckinPreference(
            guild_id=guild_id,
            user_id=user_id,
            reminders_enabled=False,
            reminder_hour=DEFAULT_REMINDER_HOUR,
            share_enabled=False,
        )
        session.add(row)
    return row


async def _member(session: AsyncSession, guild_id: int, user_id: int) -> Member:
    row = await session.scalar(select(Member).where(Member.user_id == user_id))
    if row is None:
        row = Member(guild_id=guild_id, user_id=user_id)
        session.add(row)
    return row


async def set_share(db: Database, guild_id: int, user_id: int, on: bool) -> None:
    async with db.guild_session(guild_id) as session, session.begin():
        (await _preference(session, guild_id, user_id)).share_enabled = on


@dataclass(frozen=True)
class ReminderSetting:
    enabled: bool
    hour: int
    timezone: str


async def set_reminders(
    db: Database, guild_id: int, user_id: int, on: bool, hour: int | None = None
) -> ReminderSetting:
    if hour is not None and not 0 <= hour <= 23:
        raise UserFacingError(texts.BAD_TIME.format(value=hour))
    async with db.guild_session(guild_id) as session, session.begin():
        row = await _preference(session, guild_id, user_id)
        row.reminders_enabled = on
        if hour is not None:
            row.reminder_hour = hour
        zone = await _member_zone(session, guild_id, user_id)
        return ReminderSetting(on, row.reminder_hour, str(zone.key))


async def set_specialist_consent(
    db: Database, guild_id: int, user_id: int, on: bool, now: datetime
) -> None:
    """The member's own choice; recorded in the audit log they can see."""
    async with db.guild_session(guild_id) as session, session.begin():
        member = await _member(session, guild_id, user_id)
        member.share_signals_with_specialists = on
        member.consent_updated_at = now
        session.add(
            AuditEntry(
                guild_id=guild_id,
                actor_user_id=user_id,
                subject_user_id=user_id,
                action="consent.specialist_signals",
                details={"share": on},
            )
        )


async def set_member_timezone(db: Database, guild_id: int, user_id: int, zone: str) -> None:
    """The zone whose days a member's check-ins, streak and reminders follow."""
    async with db.guild_session(guild_id) as session, session.begin():
        member = await _member(session, guild_id, user_id)
        member.timezone = zone


# --- Reminders ------------------------------------------------------------------------------


def reminder_due(
    hour: int,
    zone: ZoneInfo,
    now: datetime,
    weekdays: frozenset[int],
    last_reminder_date: date | None,
    checked_in_on: set[date],
) -> date | None:
    """The member's local date to remind them for, if a reminder is due now."""
    local = now.astimezone(zone)
    today = local.date()
    if today.weekday() not in weekdays or today in checked_in_on:
        return None
    if last_reminder_date is not None and last_reminder_date >= today:
        return None
    start = datetime.combine(today, time(hour), tzinfo=zone).astimezone(UTC)
    if not start <= now < start + REMINDER_WINDOW:
        return None
    return today


async def claim_reminders(db: Database, guild_id: int, now: datetime) -> list[int]:
    """Members to remind now; each is marked reminded for their day before it is sent."""
    async with db.guild_session(guild_id) as session, session.begin():
        schedule = await session.get(CheckinSchedule, guild_id)
        if schedule is None or not schedule.enabled:
            return []
        weekdays = frozenset(schedule.weekdays)
        prefs = (
            await session.scalars(
                select(CheckinPreference).where(CheckinPreference.reminders_enabled.is_(True))
            )
        ).all()
        if not prefs:
            return []
        users = [p.user_id for p in prefs]
        own_zones = dict(
            (
                await session.execute(
                    select(Member.user_id, Member.timezone).where(Member.user_id.in_(users))
                )
            ).all()
        )
        recent = now.date() - timedelta(days=2)
        checked: dict[int, set[date]] = defaultdict(set)
        for user_id, checked_day in (
            await session.execute(
                select(Checkin.user_id, Checkin.local_date).where(
                    Checkin.user_id.in_(users), Checkin.local_date >= recent
                )
            )
        ).all():
            checked[user_id].add(checked_day)
        due: list[int] = []
        for pref in prefs:
            zone = zone_or_utc(own_zones.get(pref.user_id) or schedule.timezone)
            day = reminder_due(
                pref.reminder_hour,
                zone,
                now,
                weekdays,
                pref.last_reminder_date,
                checked[pref.user_id],
            )
            if day is None:
                continue
            result = await session.execute(
                update(CheckinPreference)
                .where(
                    CheckinPreference.id == pref.id,
                    or_(
                        CheckinPreference.last_reminder_date.is_(None),
                        CheckinPreference.last_reminder_date < day,
                    ),
                )
                .values(last_reminder_date=day)
                .execution_options(synchronize_session=False)
            )
            if _rowcount(result) == 1:
                due.append(pref.user_id)
    return due


# --- Warning signs --------------------------------------------------------------------------


class Sign(StrEnum):
    MISSED = "missed"
    RISING_CRAVING = "rising_craving"
    LOW_MOOD = "low_mood"
    SHORT_SLEEP = "short_sleep"
    SEVERAL = "several"


@dataclass(frozen=True)
class DayEntry:
    local_date: date
    mood: int
    craving: int
    sleep_hours: float


@dataclass(frozen=True)
class ActiveSign:
    kind: Sign
    since: date  # the local date this episode of the sign began


def detect_signs(
    entries: Sequence[DayEntry],
    today: date,
    thresholds: WarningSignThresholds,
    weekdays: frozenset[int] = frozenset(EVERY_DAY),
) -> list[ActiveSign]:
    """The warning signs in one member's check-ins (oldest first), as of their `today`.

    - missed: no check-in on the last `missed_days` scheduled days before today;
    - rising cravings: each of the last `rising_craving_days` check-ins higher than the
      one before;
    - low mood: the last `low_mood_days` check-ins at or below `low_mood_at_most`;
    - short sleep: the last `short_sleep_days` check-ins under `short_sleep_hours_below`;
    - several: two or more of these at once.
    """
    if not entries:
        return []
    entries = sorted(entries, key=lambda e: e.local_date)
    found: list[ActiveSign] = []
    last = entries[-1].local_date
    missed = sum(
        1
        for offset in range(1, (today - last).days)
        if (last + timedelta(days=offset)).weekday() in weekdays
    )
    if missed >= thresholds.missed_days:
        found.append(ActiveSign(Sign.MISSED, last + timedelta(days=1)))
    else:
        rising = 1
        while rising < len(entries) and entries[-rising].craving > entries[-rising - 1].craving:
            rising += 1
        if rising >= thresholds.rising_craving_days:
            found.append(ActiveSign(Sign.RISING_CRAVING, entries[-rising].local_date))
        low_mood = _trailing_run(entries, lambda e: e.mood <= thresholds.low_mood_at_most)
        if low_mood >= thresholds.low_mood_days:
            found.append(ActiveSign(Sign.LOW_MOOD, entries[-low_mood].local_date))
        short_sleep = _trailing_run(
            entries, lambda e: e.sleep_hours < thresholds.short_sleep_hours_below
        )
        if short_sleep >= thresholds.short_sleep_days:
            found.append(ActiveSign(Sign.SHORT_SLEEP, entries[-short_sleep].local_date))
    if len(found) >= 2:
        found.append(ActiveSign(Sign.SEVERAL, max(sign.since for sign in found)))
    return found


def _trailing_run(entries: Sequence[DayEntry], is_sign: Callable[[DayEntry], bool]) -> int:
    run = 0
    while run < len(entries) and is_sign(entries[-run - 1]):
        run += 1
    return run


def new_signs(active: Sequence[ActiveSign], last_noticed: dict[Sign, date]) -> list[ActiveSign]:
    """Signs not told about yet. An episode that began on or before the day the same sign
    was last noticed is the same episode still going on: no second nudge for it."""
    return [
        sign
        for sign in active
        if sign.kind not in last_noticed or sign.since > last_noticed[sign.kind]
    ]


@dataclass(frozen=True)
class DetectorAlert:
    user_id: int
    new: tuple[Sign, ...]
    active: tuple[Sign, ...]
    # The member agreed that specialists hear about their signals.
    share_with_specialists: bool
    signal_ids: tuple[int, ...] = field(default=())


async def run_detector(
    db: Database, guild_id: int, thresholds: WarningSignThresholds, now: datetime
) -> list[DetectorAlert]:
    """Find new warning signs in the group's recent check-ins and record them, so the
    same sign is not raised again while it lasts. Notes are never read."""
    async with db.guild_session(guild_id) as session, session.begin():
        schedule = await session.get(CheckinSchedule, guild_id)
        if schedule is None or not schedule.enabled:
            return []
        weekdays = frozenset(schedule.weekdays)
        since = now.date() - timedelta(days=DETECTOR_LOOKBACK_DAYS)
        entries: dict[int, list[DayEntry]] = defaultdict(list)
        rows = await session.execute(
            select(
                Checkin.user_id,
                Checkin.local_date,
                Checkin.mood,
                Checkin.craving,
                Checkin.sleep_hours,
            )
            .where(Checkin.local_date >= since)
            .order_by(Checkin.user_id, Checkin.local_date)
        )
        for user_id, local_date, mood, craving, sleep_hours in rows.all():
            entries[user_id].append(DayEntry(local_date, mood, craving, sleep_hours))
        if not entries:
            return []
        users = list(entries)
        members = {
            user_id: (zone, consent)
            for user_id, zone, consent in (
                await session.execute(
                    select(
                        Member.user_id, Member.timezone, Member.share_signals_with_specialists
                    ).where(Member.user_id.in_(users))
                )
            ).all()
        }
        noticed: dict[int, dict[Sign, date]] = defaultdict(dict)
        for user_id, kind, last in (
            await session.execute(
                select(
                    CheckinSignal.user_id, CheckinSignal.kind, func.max(CheckinSignal.detected_on)
                )
                .where(CheckinSignal.user_id.in_(users))
                .group_by(CheckinSignal.user_id, CheckinSignal.kind)
            )
        ).all():
            noticed[user_id][Sign(kind)] = last
        alerts: list[DetectorAlert] = []
        for user_id, user_entries in entries.items():
            own_zone, consent = members.get(user_id, (None, False))
            today = now.astimezone(zone_or_utc(own_zone or schedule.timezone)).date()
            active = detect_signs(user_entries, today, thresholds, weekdays)
            fresh = new_signs(active, noticed[user_id])
            if not fresh:
                continue
            rows_added = [
                CheckinSignal(
                    guild_id=guild_id,
                    user_id=user_id,
                    kind=sign.kind.value,
                    episode_start=sign.since,
                    detected_on=today,
                    detected_at=now,
                    nudge_delivered=False,
                    shared_with_specialists=False,
                )
                for sign in fresh
            ]
            session.add_all(rows_added)
            await session.flush()
            alerts.append(
                DetectorAlert(
                    user_id=user_id,
                    new=tuple(sign.kind for sign in fresh),
                    active=tuple(sign.kind for sign in active),
                    share_with_specialists=bool(consent),
                    signal_ids=tuple(row.id for row in rows_added),
                )
            )
    return alerts


async def record_alert_delivery(
    db: Database, guild_id: int, alert: DetectorAlert, *, nudged: bool, shared: bool
) -> None:
    """What actually reached the member and the specialists; a shared signal is also
    written to the audit log, where the member can see it."""
    async with db.guild_session(guild_id) as session, session.begin():
        await session.execute(
            update(CheckinSignal)
            .where(CheckinSignal.id.in_(alert.signal_ids))
            .values(nudge_delivered=nudged, shared_with_specialists=shared)
            .execution_options(synchronize_session=False)
        )
        if shared:
            session.add(
                AuditEntry(
                    guild_id=guild_id,
                    subject_user_id=alert.user_id,
                    action="checkins.signal_shared",
                    details={"signs": [sign.value for sign in alert.active]},
                )
            )


# --- Looking back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    local_date: date
    mood: int
    craving: int
    sleep_hours: float
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class History:
    points: list[HistoryPoint]
    streak: int
    days: int


async def history(db: Database, guild_id: int, user_id: int, days: int, now: datetime) -> History:
    """The member's own check-ins of the last `days` local days (never the note)."""
    async with db.guild_session(guild_id) as session:
        zone = await _member_zone(session, guild_id, user_id)
        weekdays = await _weekdays(session, guild_id)
        today = now.astimezone(zone).date()
        rows = await session.execute(
            select(
                Checkin.local_date,
                Checkin.mood,
                Checkin.craving,
                Checkin.sleep_hours,
                Checkin.triggers,
            )
            .where(Checkin.user_id == user_id)
            .order_by(Checkin.local_date)
        )
        all_rows = list(rows.all())
    first = today - timedelta(days=days - 1)
    points = [
        HistoryPoint(day, mood, craving, sleep, tuple(triggers or ()))
        for day, mood, craving, sleep, triggers in all_rows
        if day >= first
    ]
    dates = {row[0] for row in all_rows}
    return History(points, streak_length(dates, today, weekdays), days)


@dataclass(frozen=True)
class Participation:
    per_day: list[tuple[date, int]]
    members: int
    days: int

    @property
    def average(self) -> float:
        return sum(count for _, count in self.per_day) / max(len(self.per_day), 1)


async def participation(db: Database, guild_id: int, days: int, now: datetime) -> Participation:
    """How many members checked in each day: counts only, nobody's answers or names."""
    async with db.guild_session(guild_id) as session:
        zone = zone_or_utc(await _group_zone(session, guild_id))
        today = now.astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        counts = dict(
            (
                await session.execute(
                    select(Checkin.local_date, func.count(func.distinct(Checkin.user_id)))
                    .where(Checkin.local_date >= first, Checkin.local_date <= today)
                    .group_by(Checkin.local_date)
                )
            ).all()
        )
        members = await session.scalar(
            select(func.count(func.distinct(Checkin.user_id))).where(
                Checkin.local_date >= first, Checkin.local_date <= today
            )
        )
    per_day = [
        (first + timedelta(days=offset), int(counts.get(first + timedelta(days=offset), 0)))
        for offset in range(days)
    ]
    return Participation(per_day, int(members or 0), days)
