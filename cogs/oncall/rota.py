"""The on-call rota as a pure model: weekly shifts, taken-over pagers, who to page when.

No database session and no Discord: `Shift` and `Override` are plain values (built from
their rows by `from_row`), `GuildState.chain_until` computes the chain, and the parsing
and describing of shifts is here too. The stateful `Rotation` (cogs/oncall/service.py) keeps
these values in memory and changes them.

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

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from cogs.oncall import texts
from core.errors import UserFacingError
from core.oncall import OnCallChain
from core.times import read_time_of_day, read_weekday
from db.models import OnCallOverride, OnCallShift

MINUTES_PER_DAY = 24 * 60
TAKE_DEFAULT_HOURS = 8
TAKE_MIN_HOURS = 1
TAKE_MAX_HOURS = 72
# A weekly schedule repeats after 7 days; one more covers a shift running past midnight.
SCHEDULE_HORIZON = timedelta(days=8)


# --- Plain data ---------------------------------------------------------------------------


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
class GuildState:
    shifts: tuple[Shift, ...] = ()  # by (position, id)
    overrides: tuple[Override, ...] = ()  # by (starts_at, id)

    @staticmethod
    def of(shifts: Iterable[Shift], overrides: Iterable[Override]) -> GuildState:
        return GuildState(
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
        until = at + SCHEDULE_HORIZON
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
