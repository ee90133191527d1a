"""The group's daily prompt: its schedule, when it is due, and claiming it so it goes
out once (handed to the outbox, `core.outbox`, in the same transaction); also how an
admin writes a time of day and the days of the week. No Discord here: the prompt's
message comes ready-made from the caller.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import or_, select, update

from cogs.checkins import texts
from cogs.checkins.common import echo
from core.errors import UserFacingError
from core.outbox import Outgoing, enqueue
from core.times import WEEKDAY_NAMES, read_time_of_day, read_weekday
from core.timezones import validate_timezone, zone_or_utc
from db.engine import Database
from db.models import AuditEntry, GuildSettings
from db.models.checkins import EVERY_DAY, CheckinSchedule

# A prompt missed while the bot was down still goes out once it is back, up to this long
# after its time; later than that, the day's prompt is skipped rather than sent late.
CATCH_UP_GRACE = timedelta(hours=3)
# A cron job may fire a moment before the clock it is compared with says it is time.
EARLY_TOLERANCE = timedelta(minutes=1)
DEFAULT_PROMPT_HOUR = 19
DEFAULT_PROMPT_MINUTE = 0


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
    read = read_time_of_day(text)
    if read is None:
        raise UserFacingError(texts.BAD_TIME.format(value=echo(text)))
    return read


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
        if len(ends) > 2 or not all(read_weekday(end) is not None for end in ends):
            raise UserFacingError(texts.BAD_WEEKDAYS.format(value=echo(text)))
        day, last = read_weekday(ends[0]) or 0, read_weekday(ends[-1]) or 0
        days.add(day)
        while day != last:
            day = (day + 1) % 7
            days.add(day)
    if not days:
        raise UserFacingError(texts.BAD_WEEKDAYS.format(value=echo(text)))
    return sorted(days)


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


PROMPT_KIND = "checkins.prompt"


def prompt_dedupe_key(guild_id: int, day: date) -> str:
    """The outbox's name for a server's prompt of one local day: queued twice, sent once."""
    return f"checkins:prompt:{guild_id}:{day.isoformat()}"


def prompt_date_of(dedupe_key: str) -> date:
    """The local day a prompt's dedupe key (`prompt_dedupe_key`) names."""
    return date.fromisoformat(dedupe_key.rsplit(":", 1)[1])


@dataclass(frozen=True)
class ClaimedPrompt:
    guild_id: int
    channel_id: int
    local_date: date
    due_at: datetime


async def claim_prompts(
    db: Database,
    guild_ids: Collection[int],
    now: datetime,
    message: dict[str, Any],
    grace: timedelta = CATCH_UP_GRACE,
) -> list[ClaimedPrompt]:
    """Take the right to send the due prompts of these servers, once each, and queue
    `message` for each claimed one in the same transaction.

    A conditional UPDATE decides, so two jobs, two processes or a doubled clock hour can
    never both claim a day's prompt; the rows it moved on are the ones claimed (RETURNING,
    on both backends). Queued in the same transaction, a claimed prompt is never lost.
    """
    if not guild_ids:
        return []
    async with db.all_guilds_session() as session, session.begin():
        rows = (
            await session.scalars(
                select(CheckinSchedule).where(CheckinSchedule.guild_id.in_(guild_ids))
            )
        ).all()
        due_on: dict[date, dict[int, ScheduleState]] = defaultdict(dict)
        for row in rows:
            state = ScheduleState.of(row)
            day = due_prompt(state, now, grace)
            if day is not None:
                due_on[day][state.guild_id] = state
        claimed: list[ClaimedPrompt] = []
        # One statement per local day: the servers of one moment share theirs.
        for day, states in due_on.items():
            moved = await session.execute(
                update(CheckinSchedule)
                .where(
                    CheckinSchedule.guild_id.in_(list(states)),
                    CheckinSchedule.enabled.is_(True),
                    or_(
                        CheckinSchedule.last_prompt_date.is_(None),
                        CheckinSchedule.last_prompt_date < day,
                    ),
                )
                .values(last_prompt_date=day, last_prompt_at=now)
                .returning(CheckinSchedule.guild_id, CheckinSchedule.channel_id)
                .execution_options(synchronize_session=False)
            )
            claimed += [
                ClaimedPrompt(guild_id, channel_id, day, occurrence_on(states[guild_id], day))
                for guild_id, channel_id in moved.all()
            ]
        await enqueue(
            session,
            [
                Outgoing(
                    kind=PROMPT_KIND,
                    dedupe_key=prompt_dedupe_key(claim.guild_id, claim.local_date),
                    guild_id=claim.guild_id,
                    body=message,
                    not_before=now,
                    # Retried while the day's prompt may still go out, and no longer.
                    expires_at=claim.due_at + grace,
                    channel_id=claim.channel_id,
                )
                for claim in claimed
            ],
        )
    return claimed


def prompt_trigger(state: ScheduleState) -> CronTrigger:
    """The normal path: a cron trigger at the local time, in the group's zone."""
    days = ",".join(WEEKDAY_NAMES[day][:3] for day in sorted(state.weekdays))
    return CronTrigger(day_of_week=days, hour=state.hour, minute=state.minute, timezone=state.zone)
