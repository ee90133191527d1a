"""The on-call rotation: weekly shifts, taken-over pagers, and who to page right now.

`Rotation` keeps every server's shifts and live overrides in memory, filled by `warm()`
at start and updated after every committed change. `Rotation.chain` answers from that
memory only: /help-now calls it on the crisis path, which must work with the database
down. The rules of the chain, and the shifts and overrides themselves, are the pure model
in cogs/oncall/rota.py.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.oncall import texts
from cogs.oncall.rota import (
    SCHEDULE_HORIZON,
    TAKE_DEFAULT_HOURS,
    GuildState,
    Override,
    Shift,
    parse_time,
    parse_weekday,
    validate_hours,
)
from core.clock import Clock
from core.errors import UserFacingError
from core.oncall import NOBODY, OnCallChain
from core.timezones import validate_timezone
from db.engine import Database
from db.models import AuditEntry, OnCallOverride, OnCallShift

log = logging.getLogger(__name__)

HANDOFF_WITHOUT_SHIFT = timedelta(hours=8)
MAX_SHIFTS_PER_SERVER = 100
MAX_POSITION = 999


@dataclass(frozen=True)
class _Memo:
    state: GuildState
    since: datetime
    until: datetime
    chain: OnCallChain


def _naive_as_utc(at: datetime) -> datetime:
    return at.replace(tzinfo=UTC) if at.tzinfo is None else at


# --- The rotation -------------------------------------------------------------------------


class Rotation:
    """Every server's shifts and live overrides, in memory; changes go through here."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._guilds: dict[int, GuildState] = {}
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
            guild_id: GuildState.of(shifts.get(guild_id, ()), overrides.get(guild_id, ()))
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
            return NOBODY
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
        state = self._guilds.get(guild_id, GuildState())
        return tuple(
            sorted(state.shifts, key=lambda s: (s.weekday, s.start_minute, s.position, s.id))
        )

    def overrides(self, guild_id: int) -> tuple[Override, ...]:
        """A server's overrides that had not ended when last looked at, oldest first."""
        return self._guilds.get(guild_id, GuildState()).overrides

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
        horizon = max([after, *(o.end for o in state.overrides)]) + SCHEDULE_HORIZON
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
        state = self._guilds.get(guild_id, GuildState())
        removed = set(remove_shift_ids)
        shifts = [s for s in state.shifts if s.id not in removed]
        shifts.extend(add_shifts)
        overrides = {o.id: o for o in state.overrides}
        overrides.update((o.id, o) for o in put_overrides)
        live = [o for o in overrides.values() if o.end > now]
        if shifts or live:
            self._guilds[guild_id] = GuildState.of(shifts, live)
        else:
            self._guilds.pop(guild_id, None)


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
