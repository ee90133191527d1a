"""The on-call rotation: weekly shifts, taken-over pagers, and who to page right now.

`Rotation` keeps every server's shifts and live overrides in memory, filled by `warm()`
at start and updated after every committed change. `Rotation.chain` answers from that
memory only: /help-now calls it on the crisis path, which must work with the database
down.

Rules:
- A shift is weekly: `weekday` (0 = Monday) from `start_minute` to `end_minute` in the
  shift's own time zone; an end at or before the start runs past midnight into the next
  day. Local wall times are turned into instants with zoneinfo, so a shift keeps its
  local hours across daylight-saving changes (and is an hour shorter or longer that day).
- The primary is the holder of the active override (the latest started wins), else the
  specialist of the lowest-`position` shift covering the moment.
- Backups are the other specialists covering the moment, in position order, then
  everyone else in the rotation by their next shift start: never the primary, never twice.
"""

from __future__ import annotations

import logging
import math
import statistics
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.oncall import texts
from core.clock import Clock
from core.errors import UserFacingError
from core.times import read_time_of_day, read_weekday
from core.timezones import validate_timezone
from db.engine import Database
from db.models import AuditEntry, HelpEvent, HelpRequest, OnCallOverride, OnCallShift
from db.models.helpnow import WITHDRAWN

log = logging.getLogger(__name__)

MINUTES_PER_DAY = 24 * 60
TAKE_DEFAULT_HOURS = 8
TAKE_MIN_HOURS = 1
TAKE_MAX_HOURS = 72
HANDOFF_WITHOUT_SHIFT = timedelta(hours=8)
MAX_SHIFTS_PER_SERVER = 100
MAX_POSITION = 999
REPORT_DEFAULT_DAYS = 30
REPORT_MAX_DAYS = 365
# A weekly schedule repeats after 7 days; one more covers a shift running past midnight.
_SCHEDULE_HORIZON = timedelta(days=8)


# --- Plain data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OnCallChain:
    """Who to page, as user ids: the primary (None when nobody is on call), then backups."""

    primary: int | None
    backups: tuple[int, ...]


@dataclass(frozen=True)
class Shift:
    id: int
    guild_id: int
    user_id: int
    weekday: int
    start_minute: int
    end_minute: int
    timezone: str
    position: int
    zone: ZoneInfo = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "zone", ZoneInfo(self.timezone))

    @classmethod
    def from_row(cls, row: OnCallShift) -> Shift:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            user_id=row.specialist_user_id,
            weekday=row.weekday,
            start_minute=row.start_minute,
            end_minute=row.end_minute,
            timezone=row.timezone,
            position=row.position,
        )

    @property
    def minutes(self) -> int:
        """How long the shift lasts in local wall-clock minutes (1 to 24 h)."""
        if self.end_minute > self.start_minute:
            return self.end_minute - self.start_minute
        return self.end_minute + MINUTES_PER_DAY - self.start_minute

    @property
    def runs_past_midnight(self) -> bool:
        return self.start_minute + self.minutes > MINUTES_PER_DAY

    def _instant(self, day: date, minute: int) -> datetime:
        # Adding a timedelta to an aware datetime is wall-clock arithmetic; the UTC
        # offset is then looked up for the resulting local time (daylight saving).
        local = datetime.combine(day, time(), tzinfo=self.zone) + timedelta(minutes=minute)
        return local.astimezone(UTC)

    def occurrence(self, day: date) -> tuple[datetime, datetime]:
        """The shift starting on local date `day`, as UTC instants [start, end)."""
        return (
            self._instant(day, self.start_minute),
            self._instant(day, self.start_minute + self.minutes),
        )

    def end_if_covering(self, at: datetime) -> datetime | None:
        """When the occurrence covering `at` ends, or None if none covers it."""
        today = at.astimezone(self.zone).date()
        for back in (0, 1):
            day = today - timedelta(days=back)
            if day.weekday() != self.weekday:
                continue
            start, end = self.occurrence(day)
            if start <= at < end:
                return end
        return None

    def next_start(self, after: datetime) -> datetime:
        """The first start strictly after `after`."""
        today = after.astimezone(self.zone).date()
        day = today + timedelta(days=(self.weekday - today.weekday()) % 7)
        start = self._instant(day, self.start_minute)
        if start <= after:
            start = self._instant(day + timedelta(days=7), self.start_minute)
        return start


@dataclass(frozen=True)
class Override:
    id: int
    guild_id: int
    user_id: int
    starts_at: datetime
    ends_at: datetime
    ended_early_at: datetime | None
    created_by: int

    @classmethod
    def from_row(cls, row: OnCallOverride) -> Override:
        return cls(
            id=row.id,
            guild_id=row.guild_id,
            user_id=row.specialist_user_id,
            starts_at=row.starts_at,
            ends_at=row.ends_at,
            ended_early_at=row.ended_early_at,
            created_by=row.created_by,
        )

    @property
    def end(self) -> datetime:
        if self.ended_early_at is not None and self.ended_early_at < self.ends_at:
            return self.ended_early_at
        return self.ends_at

    def active(self, at: datetime) -> bool:
        return self.starts_at <= at < self.end


@dataclass(frozen=True)
class _GuildState:
    shifts: tuple[Shift, ...] = ()  # by (position, id)
    overrides: tuple[Override, ...] = ()  # by (starts_at, id)

    @staticmethod
    def of(shifts: Iterable[Shift], overrides: Iterable[Override]) -> _GuildState:
        return _GuildState(
            tuple(sorted(shifts, key=lambda s: (s.position, s.id))),
            tuple(sorted(overrides, key=lambda o: (o.starts_at, o.id))),
        )

    def active_override(self, at: datetime) -> Override | None:
        for override in reversed(self.overrides):
            if override.active(at):
                return override
        return None

    def chain_until(self, at: datetime) -> tuple[OnCallChain, datetime]:
        """The chain at `at`, and the first later moment at which it may change.

        The chain only changes when a shift or an override starts or ends, so it holds
        for every moment in [at, until).
        """
        until = at + _SCHEDULE_HORIZON
        override: Override | None = None
        for candidate in self.overrides:
            if candidate.active(at):
                override = candidate  # sorted by start: the latest active one wins
            elif candidate.starts_at > at:
                until = min(until, candidate.starts_at)
            if candidate.end > at:
                until = min(until, candidate.end)
        covering: list[Shift] = []
        upcoming: list[tuple[datetime, Shift]] = []
        for shift in self.shifts:
            end = shift.end_if_covering(at)
            if end is not None:
                covering.append(shift)
                until = min(until, end)
            else:
                start = shift.next_start(at)
                upcoming.append((start, shift))
                until = min(until, start)
        if override is not None:
            primary: int | None = override.user_id
        else:
            primary = covering[0].user_id if covering else None
        taken = {primary}
        backups: list[int] = []
        for shift in covering:
            if shift.user_id not in taken:
                backups.append(shift.user_id)
                taken.add(shift.user_id)
        upcoming.sort(key=lambda item: (item[0], item[1].position, item[1].user_id))
        for _start, shift in upcoming:
            if shift.user_id not in taken:
                backups.append(shift.user_id)
                taken.add(shift.user_id)
        return OnCallChain(primary, tuple(backups)), until


@dataclass(frozen=True)
class _Memo:
    state: _GuildState
    since: datetime
    until: datetime
    chain: OnCallChain


# --- Parsing input ------------------------------------------------------------------------


def parse_weekday(value: str) -> int:
    """A weekday name or its first three letters, any case; 0 = Monday."""
    number = read_weekday(value)
    if number is None:
        raise UserFacingError(texts.UNKNOWN_DAY.format(value=value.strip()[:20]))
    return number


def parse_time(value: str, *, allow_midnight_end: bool = False) -> int:
    """A time of day ("17:00", "5pm") as minutes from midnight; "24:00" only as an end."""
    cleaned = value.strip()
    if allow_midnight_end and cleaned in ("24:00", "2400"):
        return MINUTES_PER_DAY
    read = read_time_of_day(cleaned)
    if read is None:
        raise UserFacingError(texts.BAD_TIME.format(value=cleaned[:20]))
    return read[0] * 60 + read[1]


def format_minute(minute: int) -> str:
    return f"{minute // 60:02d}:{minute % 60:02d}"


def describe_shift(shift: Shift) -> str:
    """'Monday 09:00–17:00 (America/New_York)', for lists and replies."""
    day = texts.DAY_NAMES[shift.weekday]
    if shift.minutes == MINUTES_PER_DAY and shift.start_minute != 0:
        return texts.WHOLE_DAY.format(
            day=day, start=format_minute(shift.start_minute), zone=shift.timezone
        )
    return texts.SHIFT_SPAN.format(
        day=day,
        start=format_minute(shift.start_minute),
        end=format_minute(shift.end_minute),
        next_day=texts.NEXT_DAY if shift.runs_past_midnight else "",
        zone=shift.timezone,
    )


def validate_hours(hours: int) -> int:
    if not TAKE_MIN_HOURS <= hours <= TAKE_MAX_HOURS:
        raise UserFacingError(texts.BAD_HOURS.format(low=TAKE_MIN_HOURS, high=TAKE_MAX_HOURS))
    return hours


def _naive_as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


# --- The rotation -------------------------------------------------------------------------


class Rotation:
    """Every server's shifts and live overrides, in memory; changes go through here."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._guilds: dict[int, _GuildState] = {}
        self._memo: dict[int, _Memo] = {}

    # Reading, from memory only.

    async def warm(self) -> None:
        """Load every server's shifts and unfinished overrides (at start)."""
        now = self._clock.now()
        async with self._db.all_guilds_session() as session:
            shift_rows = (await session.scalars(select(OnCallShift))).all()
            override_rows = (
                await session.scalars(select(OnCallOverride).where(OnCallOverride.ends_at > now))
            ).all()
        shifts: dict[int, list[Shift]] = {}
        for row in shift_rows:
            try:
                shift = Shift.from_row(row)
            except (ZoneInfoNotFoundError, ValueError):
                log.error(
                    "Skipping on-call shift %s in guild %s: unknown time zone", row.id, row.guild_id
                )
                continue
            shifts.setdefault(row.guild_id, []).append(shift)
        overrides: dict[int, list[Override]] = {}
        for override_row in override_rows:
            override = Override.from_row(override_row)
            if override.end > now:
                overrides.setdefault(override.guild_id, []).append(override)
        self._guilds = {
            guild_id: _GuildState.of(shifts.get(guild_id, ()), overrides.get(guild_id, ()))
            for guild_id in shifts.keys() | overrides.keys()
        }
        log.info(
            "Loaded the on-call rotation: %d shifts, %d overrides, %d servers",
            sum(len(s) for s in shifts.values()),
            sum(len(o) for o in overrides.values()),
            len(self._guilds),
        )

    def chain(self, guild_id: int, at: datetime) -> OnCallChain:
        """Who to page at `at`: from memory only, never the database."""
        state = self._guilds.get(guild_id)
        if state is None:
            return OnCallChain(None, ())
        at = _naive_as_utc(at)
        # Many members asking at once ask about (nearly) the same moment: the chain is
        # computed once and reused until the next shift or override boundary.
        memo = self._memo.get(guild_id)
        if memo is not None and memo.state is state and memo.since <= at < memo.until:
            return memo.chain
        chain, until = state.chain_until(at)
        self._memo[guild_id] = _Memo(state, at, until, chain)
        return chain

    def shifts(self, guild_id: int) -> tuple[Shift, ...]:
        """A server's shifts by weekday, start time and order."""
        state = self._guilds.get(guild_id, _GuildState())
        return tuple(
            sorted(state.shifts, key=lambda s: (s.weekday, s.start_minute, s.position, s.id))
        )

    def overrides(self, guild_id: int) -> tuple[Override, ...]:
        """A server's overrides that had not ended when last looked at, oldest first."""
        return self._guilds.get(guild_id, _GuildState()).overrides

    def active_override(self, guild_id: int, at: datetime) -> Override | None:
        state = self._guilds.get(guild_id)
        return state.active_override(_naive_as_utc(at)) if state else None

    def guild_ids(self) -> frozenset[int]:
        """Servers with any shift or live override (for rebuilding scheduled jobs)."""
        return frozenset(self._guilds)

    def next_change(self, guild_id: int, after: datetime) -> datetime | None:
        """The first moment after `after` at which the primary changes, if any ever does."""
        state = self._guilds.get(guild_id)
        if state is None:
            return None
        after = _naive_as_utc(after)
        # Past the last override, the weekly schedule repeats: a primary that has not
        # changed within a week after that never will.
        horizon = max([after, *(o.end for o in state.overrides)]) + _SCHEDULE_HORIZON
        chain, moment = state.chain_until(after)
        current = chain.primary
        while moment <= horizon:
            chain, following = state.chain_until(moment)
            if chain.primary != current:
                return moment
            moment = following
        return None

    # Changing, database first, then memory.

    async def add_shift(
        self,
        guild_id: int,
        actor_user_id: int,
        specialist_user_id: int,
        day: str,
        start: str,
        end: str,
        timezone: str,
        position: int | None = None,
    ) -> Shift:
        weekday = parse_weekday(day)
        start_minute = parse_time(start)
        end_minute = parse_time(end, allow_midnight_end=True)
        zone = validate_timezone(timezone)
        if position is not None and not 0 <= position <= MAX_POSITION:
            raise UserFacingError(texts.BAD_ORDER.format(high=MAX_POSITION))
        async with self._db.guild_session(guild_id) as session, session.begin():
            existing = (await session.scalars(select(OnCallShift))).all()
            if len(existing) >= MAX_SHIFTS_PER_SERVER:
                raise UserFacingError(texts.TOO_MANY_SHIFTS.format(limit=MAX_SHIFTS_PER_SERVER))
            for other in existing:
                if (
                    other.specialist_user_id,
                    other.weekday,
                    other.start_minute,
                    other.end_minute,
                    other.timezone,
                ) == (specialist_user_id, weekday, start_minute, end_minute, zone):
                    raise UserFacingError(texts.DUPLICATE_SHIFT.format(shift_id=other.id))
            if position is None:
                position = max((other.position for other in existing), default=-1) + 1
            row = OnCallShift(
                guild_id=guild_id,
                specialist_user_id=specialist_user_id,
                weekday=weekday,
                start_minute=start_minute,
                end_minute=end_minute,
                timezone=zone,
                position=position,
                created_by=actor_user_id,
                created_at=self._clock.now(),
            )
            session.add(row)
            await session.flush()
            shift = Shift.from_row(row)
            session.add(
                _audit(
                    guild_id,
                    actor_user_id,
                    specialist_user_id,
                    "oncall.shift_added",
                    _shift_details(shift),
                )
            )
        self._change(guild_id, add_shifts=(shift,))
        return shift

    async def remove_shift(self, guild_id: int, actor_user_id: int, shift_id: int) -> Shift:
        async with self._db.guild_session(guild_id) as session, session.begin():
            row = (
                await session.scalars(select(OnCallShift).where(OnCallShift.id == shift_id))
            ).one_or_none()
            if row is None:
                raise UserFacingError(texts.NO_SUCH_SHIFT.format(shift_id=shift_id))
            shift = Shift.from_row(row)
            await session.delete(row)
            session.add(
                _audit(
                    guild_id,
                    actor_user_id,
                    shift.user_id,
                    "oncall.shift_removed",
                    _shift_details(shift),
                )
            )
        self._change(guild_id, remove_shift_ids=(shift.id,))
        return shift

    async def take(self, guild_id: int, user_id: int, hours: int = TAKE_DEFAULT_HOURS) -> Override:
        """`user_id` holds the pager from now for `hours` (replacing their own earlier take)."""
        validate_hours(hours)
        now = self._clock.now()
        return await self._start_override(
            guild_id,
            actor_user_id=user_id,
            holder_user_id=user_id,
            now=now,
            ends_at=now + timedelta(hours=hours),
            end_overrides_of=user_id,
            action="oncall.taken",
            details={"hours": hours},
        )

    async def handoff(self, guild_id: int, from_user_id: int, to_user_id: int) -> Override:
        """The person on call hands the pager to another specialist.

        Their own override, if any, ends now. The target holds the pager until the
        current shift ends (the lowest-order shift covering now), or for 8 hours when no
        shift covers now.
        """
        now = self._clock.now()
        if self.chain(guild_id, now).primary != from_user_id:
            raise UserFacingError(texts.NOT_ON_CALL)
        if from_user_id == to_user_id:
            raise UserFacingError(texts.HANDOFF_TO_SELF)
        state = self._guilds[guild_id]  # someone is on call, so the server is known
        shift_end = next(
            (end for s in state.shifts if (end := s.end_if_covering(now)) is not None), None
        )
        return await self._start_override(
            guild_id,
            actor_user_id=from_user_id,
            holder_user_id=to_user_id,
            now=now,
            ends_at=shift_end or now + HANDOFF_WITHOUT_SHIFT,
            end_overrides_of=from_user_id,
            action="oncall.handed_off",
            details={"from_user_id": from_user_id},
        )

    async def off(self, guild_id: int, user_id: int) -> Override:
        """End `user_id`'s own override now; returns it as ended."""
        now = self._clock.now()
        async with self._db.guild_session(guild_id) as session, session.begin():
            rows = await _live_overrides_of(session, user_id, now)
            if not rows:
                raise UserFacingError(texts.NOTHING_TO_END)
            for row in rows:
                row.ended_early_at = now
            ended = [Override.from_row(row) for row in rows]
            session.add(
                _audit(
                    guild_id,
                    user_id,
                    user_id,
                    "oncall.ended",
                    {"override_ids": [o.id for o in ended]},
                )
            )
        self._change(guild_id, put_overrides=ended)
        return max(ended, key=lambda o: (o.starts_at, o.id))

    async def _start_override(
        self,
        guild_id: int,
        *,
        actor_user_id: int,
        holder_user_id: int,
        now: datetime,
        ends_at: datetime,
        end_overrides_of: int,
        action: str,
        details: dict[str, Any],
    ) -> Override:
        async with self._db.guild_session(guild_id) as session, session.begin():
            previous = await _live_overrides_of(session, end_overrides_of, now)
            for earlier in previous:
                earlier.ended_early_at = now
            row = OnCallOverride(
                guild_id=guild_id,
                specialist_user_id=holder_user_id,
                starts_at=now,
                ends_at=ends_at,
                created_by=actor_user_id,
            )
            session.add(row)
            await session.flush()
            override = Override.from_row(row)
            ended = [Override.from_row(earlier) for earlier in previous]
            session.add(
                _audit(
                    guild_id,
                    actor_user_id,
                    holder_user_id,
                    action,
                    {
                        **details,
                        "override_id": override.id,
                        "ends_at": ends_at.isoformat(),
                        "ended_override_ids": [o.id for o in ended],
                    },
                )
            )
        self._change(guild_id, put_overrides=(*ended, override))
        return override

    def _change(
        self,
        guild_id: int,
        *,
        add_shifts: Iterable[Shift] = (),
        remove_shift_ids: Iterable[int] = (),
        put_overrides: Iterable[Override] = (),
    ) -> None:
        """Apply a committed change to memory, against the state as it is now."""
        now = self._clock.now()
        state = self._guilds.get(guild_id, _GuildState())
        removed = set(remove_shift_ids)
        shifts = [s for s in state.shifts if s.id not in removed]
        shifts.extend(add_shifts)
        overrides = {o.id: o for o in state.overrides}
        overrides.update((o.id, o) for o in put_overrides)
        live = [o for o in overrides.values() if o.end > now]
        if shifts or live:
            self._guilds[guild_id] = _GuildState.of(shifts, live)
        else:
            self._guilds.pop(guild_id, None)

    # The report.

    async def report(self, guild_id: int, days: int = REPORT_DEFAULT_DAYS) -> Report:
        if not 1 <= days <= REPORT_MAX_DAYS:
            raise UserFacingError(texts.BAD_DAYS.format(high=REPORT_MAX_DAYS))
        since = self._clock.now() - timedelta(days=days)
        async with self._db.guild_session(guild_id) as session:
            requests = (
                await session.execute(
                    select(
                        HelpRequest.id,
                        HelpRequest.status,
                        HelpRequest.created_at,
                        HelpRequest.acknowledged_at,
                        HelpRequest.acknowledged_by,
                        HelpRequest.closed_at,
                    ).where(HelpRequest.created_at >= since, HelpRequest.status != WITHDRAWN)
                )
            ).all()
            events = (
                await session.execute(
                    select(
                        HelpEvent.request_id, HelpEvent.kind, HelpEvent.at, HelpEvent.actor_user_id
                    )
                    .join(HelpRequest, HelpRequest.id == HelpEvent.request_id)
                    .where(HelpRequest.created_at >= since, HelpRequest.status != WITHDRAWN)
                    .order_by(HelpEvent.at, HelpEvent.id)
                )
            ).all()
        by_request: dict[int, list[EventFacts]] = {}
        for request_id, kind, at, actor in events:
            by_request.setdefault(request_id, []).append(EventFacts(kind, at, actor))
        facts = [
            RequestFacts(
                status=row.status,
                created_at=row.created_at,
                acknowledged_at=row.acknowledged_at,
                acknowledged_by=row.acknowledged_by,
                closed_at=row.closed_at,
                events=tuple(by_request.get(row.id, ())),
            )
            for row in requests
        ]
        return summarize(facts, days)


async def _live_overrides_of(
    session: AsyncSession, user_id: int, now: datetime
) -> list[OnCallOverride]:
    rows = (
        await session.scalars(
            select(OnCallOverride).where(
                OnCallOverride.specialist_user_id == user_id,
                OnCallOverride.ends_at > now,
                OnCallOverride.starts_at <= now,
                OnCallOverride.ended_early_at.is_(None),
            )
        )
    ).all()
    return list(rows)


def _audit(
    guild_id: int, actor: int, subject: int, action: str, details: dict[str, Any]
) -> AuditEntry:
    return AuditEntry(
        guild_id=guild_id,
        actor_user_id=actor,
        subject_user_id=subject,
        action=action,
        details=details,
    )


def _shift_details(shift: Shift) -> dict[str, Any]:
    return {
        "shift_id": shift.id,
        "weekday": shift.weekday,
        "start_minute": shift.start_minute,
        "end_minute": shift.end_minute,
        "timezone": shift.timezone,
        "position": shift.position,
    }


# --- The report, as pure computations -----------------------------------------------------


@dataclass(frozen=True)
class EventFacts:
    kind: str
    at: datetime
    actor_user_id: int | None


@dataclass(frozen=True)
class RequestFacts:
    status: str
    created_at: datetime
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    closed_at: datetime | None = None
    events: tuple[EventFacts, ...] = ()


@dataclass(frozen=True)
class DurationStats:
    count: int
    median: timedelta | None
    p90: timedelta | None


@dataclass(frozen=True)
class SpecialistStats:
    user_id: int
    acknowledged: int
    median_ack: timedelta


@dataclass(frozen=True)
class Report:
    days: int
    requests: int
    acknowledged: int
    resolved: int
    member_safe: int
    still_open: int
    time_to_acknowledge: DurationStats
    time_to_resolve: DurationStats
    escalated_requests: int
    escalation_steps: int
    backup_requests: int
    fallbacks: int
    per_specialist: tuple[SpecialistStats, ...]


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th quantile (0 ≤ q ≤ 1) by linear interpolation between closest ranks.

    The same definition as numpy's default and `statistics.quantiles(method="inclusive")`:
    p50 of [1, 2, 3, 4] is 2.5, p90 of 1..10 is 9.1.
    """
    if not values:
        raise ValueError("percentile of no values")
    if not 0 <= q <= 1:
        raise ValueError("q must be between 0 and 1")
    ordered = sorted(values)
    rank = q * (len(ordered) - 1)
    low = math.floor(rank)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (rank - low)


def duration_stats(durations: Sequence[timedelta]) -> DurationStats:
    if not durations:
        return DurationStats(0, None, None)
    seconds = [d.total_seconds() for d in durations]
    return DurationStats(
        count=len(seconds),
        median=timedelta(seconds=statistics.median(seconds)),
        p90=timedelta(seconds=percentile(seconds, 0.9)),
    )


def acknowledgement(request: RequestFacts) -> tuple[datetime, int | None] | None:
    """When and by whom a request was first acknowledged: its columns, else its events."""
    if request.acknowledged_at is not None:
        return request.acknowledged_at, request.acknowledged_by
    for event in request.events:
        if event.kind == "acknowledged":
            return event.at, event.actor_user_id
    return None


def summarize(requests: Sequence[RequestFacts], days: int) -> Report:
    ack_times: list[timedelta] = []
    resolve_times: list[timedelta] = []
    per_user: dict[int, list[timedelta]] = {}
    escalated_requests = escalation_steps = backup_requests = fallbacks = 0
    for request in requests:
        acked = acknowledgement(request)
        if acked is not None:
            at, by = acked
            waited = max(at - request.created_at, timedelta(0))
            ack_times.append(waited)
            if by is not None:
                per_user.setdefault(by, []).append(waited)
        if request.status == "resolved" and request.closed_at is not None:
            resolve_times.append(max(request.closed_at - request.created_at, timedelta(0)))
        kinds = [event.kind for event in request.events]
        escalation_steps += kinds.count("escalated")
        escalated_requests += "escalated" in kinds
        backup_requests += kinds.count("backup_requested")
        fallbacks += kinds.count("fallback_used")
    per_specialist = tuple(
        sorted(
            (
                SpecialistStats(
                    user,
                    len(waits),
                    timedelta(seconds=statistics.median(w.total_seconds() for w in waits)),
                )
                for user, waits in per_user.items()
            ),
            key=lambda s: (-s.acknowledged, s.median_ack, s.user_id),
        )
    )
    statuses = [request.status for request in requests]
    return Report(
        days=days,
        requests=len(requests),
        acknowledged=len(ack_times),
        resolved=statuses.count("resolved"),
        member_safe=statuses.count("safe"),
        still_open=sum(status in ("open", "acknowledged") for status in statuses),
        time_to_acknowledge=duration_stats(ack_times),
        time_to_resolve=duration_stats(resolve_times),
        escalated_requests=escalated_requests,
        escalation_steps=escalation_steps,
        backup_requests=backup_requests,
        fallbacks=fallbacks,
        per_specialist=per_specialist,
    )


def format_duration(value: timedelta) -> str:
    """'45 s', '4 min 30 s', '2 h 5 min'."""
    total = round(value.total_seconds())
    if total < 60:
        return texts.DURATION_SECONDS.format(seconds=total)
    if total < 3600:
        return texts.DURATION_MINUTES.format(minutes=total // 60, seconds=total % 60)
    return texts.DURATION_HOURS.format(hours=total // 3600, minutes=total % 3600 // 60)
