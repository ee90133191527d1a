"""The warning-sign detector: which signs a member's recent check-ins show, with the
signs other features notice (`core.sign_sources`: missed meetings), which of them are
new, and what reached the member and the specialists. No Discord here.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from enum import StrEnum

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins.schedule import ScheduleState
from config.content import WarningSignThresholds
from core.partner_signals import NO_PARTNERS, PartnerSignal, PartnerSignals, Shared
from core.sign_sources import SignSource
from core.timezones import zone_or_utc
from db.engine import Database
from db.inserts import insert_for
from db.models import AuditEntry, Member
from db.models.checkins import EVERY_DAY, Checkin, CheckinSchedule, CheckinSignal

log = logging.getLogger(__name__)

# The detector looks at this many days of check-ins, once a day at this local hour.
DETECTOR_LOOKBACK_DAYS = 45
DETECTOR_HOUR = 12


# --- Warning signs --------------------------------------------------------------------------


class Sign(StrEnum):
    MISSED = "missed"
    RISING_CRAVING = "rising_craving"
    LOW_MOOD = "low_mood"
    SHORT_SLEEP = "short_sleep"
    # Raised by the meetings feature's sign source, never by check-ins.
    MISSED_MEETINGS = "missed_meetings"
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
    sourced: Sequence[ActiveSign] = (),
) -> list[ActiveSign]:
    """The warning signs in one member's check-ins (oldest first), as of their `today`,
    with those other features noticed (`sourced`).

    - missed: no check-in on the last `missed_days` scheduled days before today;
    - rising cravings: each of the last `rising_craving_days` check-ins higher than the
      one before;
    - low mood: the last `low_mood_days` check-ins at or below `low_mood_at_most`;
    - short sleep: the last `short_sleep_days` check-ins under `short_sleep_hours_below`;
    - several: two or more of all these at once, sourced ones included.
    """
    by_kind = {sign.kind: sign for sign in _checkin_signs(entries, today, thresholds, weekdays)}
    for sign in sourced:
        # Two sources naming the same sign are one episode, from its earliest day (and
        # one row: a member's episode of a sign is unique in checkin_signals).
        if sign.kind not in by_kind or sign.since < by_kind[sign.kind].since:
            by_kind[sign.kind] = sign
    found = list(by_kind.values())
    if len(found) >= 2:
        found.append(ActiveSign(Sign.SEVERAL, max(sign.since for sign in found)))
    return found


def _checkin_signs(
    entries: Sequence[DayEntry],
    today: date,
    thresholds: WarningSignThresholds,
    weekdays: frozenset[int],
) -> list[ActiveSign]:
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
    # Signs the member's consent for their source keeps from the specialists.
    private: tuple[Sign, ...] = ()

    def shared_signs(self) -> tuple[Sign, ...]:
        """The active signs the specialists may hear of (none without consent)."""
        if not self.share_with_specialists:
            return ()
        signs = [sign for sign in self.active if sign not in self.private]
        if sum(sign is not Sign.SEVERAL for sign in signs) < 2:
            signs = [sign for sign in signs if sign is not Sign.SEVERAL]
        return tuple(signs)


async def run_detector(
    db: Database,
    guild_id: int,
    thresholds: WarningSignThresholds,
    now: datetime,
    sources: Sequence[SignSource] = (),
    partners: PartnerSignals = NO_PARTNERS,
) -> list[DetectorAlert]:
    """Find new warning signs in the group's recent check-ins and in what the `sources`
    noticed, and record them, so the same sign is not raised again while it lasts. A
    member with no check-ins is included when a source names them. Notes are never read."""
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
        sourced, private = await _sourced_signs(session, guild_id, now, sources)
        users = sorted(entries.keys() | sourced.keys())
        if not users:
            return []
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
        found: list[tuple[int, list[ActiveSign], list[ActiveSign], bool]] = []
        signals: list[dict[str, object]] = []
        for user_id in users:
            own_zone, consent = members.get(user_id, (None, False))
            today = now.astimezone(zone_or_utc(own_zone or schedule.timezone)).date()
            active = detect_signs(
                entries.get(user_id, ()), today, thresholds, weekdays, sourced.get(user_id, ())
            )
            fresh = new_signs(active, noticed[user_id])
            if not fresh:
                continue
            found.append((user_id, fresh, active, bool(consent)))
            signals += [
                {
                    "guild_id": guild_id,
                    "user_id": user_id,
                    "kind": sign.kind.value,
                    "episode_start": sign.since,
                    "detected_on": today,
                    "detected_at": now,
                    "nudge_delivered": False,
                    "shared_with_specialists": False,
                }
                for sign in fresh
            ]
        if not signals:
            return []
        # One INSERT for the whole run (sent in pages of up to a thousand rows). RETURNING
        # promises no order, so each id is matched by its unique (member, kind, episode).
        # A sign another run recorded first (two processes holding one shard, in a
        # deploy's overlap) is skipped, not an error: that run raises it.
        insert = insert_for(session.get_bind().dialect.name)
        inserted = await session.execute(
            insert(CheckinSignal)
            .on_conflict_do_nothing(
                index_elements=[
                    CheckinSignal.guild_id,
                    CheckinSignal.user_id,
                    CheckinSignal.kind,
                    CheckinSignal.episode_start,
                ]
            )
            .returning(
                CheckinSignal.id,
                CheckinSignal.user_id,
                CheckinSignal.kind,
                CheckinSignal.episode_start,
            ),
            signals,
        )
        ids = {(user_id, kind, start): id_ for id_, user_id, kind, start in inserted.all()}
        found = [
            (user_id, ours, active, consent)
            for user_id, fresh, active, consent in found
            if (ours := [sign for sign in fresh if (user_id, sign.kind.value, sign.since) in ids])
        ]
        await partners.queue(session, _partner_signals(guild_id, found, ids, now))
    return [
        DetectorAlert(
            user_id=user_id,
            new=tuple(sign.kind for sign in fresh),
            active=tuple(sign.kind for sign in active),
            share_with_specialists=consent,
            signal_ids=tuple(ids[user_id, sign.kind.value, sign.since] for sign in fresh),
            private=tuple(private.get(user_id, ())),
        )
        for user_id, fresh, active, consent in found
    ]


def _partner_signals(
    guild_id: int,
    found: Sequence[tuple[int, list[ActiveSign], list[ActiveSign], bool]],
    ids: dict[tuple[int, str, date], int],
    now: datetime,
) -> list[PartnerSignal]:
    """What the member's partners may hear of this run: each alert is a nudge (warning
    signs), and missed check-ins newly noticed are the check-ins' own signal. The first
    signal's id names the occasion, so a run is told of once."""
    signals: list[PartnerSignal] = []
    for user_id, fresh, _active, _consent in found:
        occasion = str(min(ids[user_id, sign.kind.value, sign.since] for sign in fresh))
        signals.append(PartnerSignal(guild_id, user_id, Shared.WARNING_SIGNS, occasion, now))
        if any(sign.kind is Sign.MISSED for sign in fresh):
            signals.append(PartnerSignal(guild_id, user_id, Shared.CHECKINS, occasion, now))
    return signals


async def _sourced_signs(
    session: AsyncSession, guild_id: int, now: datetime, sources: Sequence[SignSource]
) -> tuple[dict[int, list[ActiveSign]], dict[int, set[Sign]]]:
    """What every source notices now, per member, read in the detector's own session,
    and which of those signs are the member's alone (not for the specialists).

    Each source reads in a savepoint: one that fails is logged and left out, so the
    check-ins' own signs still reach everyone."""
    found: dict[int, list[ActiveSign]] = defaultdict(list)
    private: dict[int, set[Sign]] = defaultdict(set)
    for source in sources:
        try:
            async with session.begin_nested():
                signs = await source.active_signs(session, guild_id, now)
        except Exception:
            log.exception("A warning-sign source failed in guild %s", guild_id)
            continue
        for sign in signs:
            try:
                kind = Sign(sign.kind)
            except ValueError:
                log.error("A warning-sign source named an unknown sign %r", sign.kind)
                continue
            found[sign.user_id].append(ActiveSign(kind, sign.since))
            if not sign.shareable:
                private[sign.user_id].add(kind)
    return found, private


async def record_alert_delivery(
    db: Database, guild_id: int, alert: DetectorAlert, *, nudged: bool, shared: bool
) -> None:
    """What actually reached the member and the specialists; a shared signal is also
    written to the audit log, where the member can see it."""
    if not (nudged or shared):
        return  # the detector wrote the signals as having reached no one: nothing changes
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
                    details={"signs": [sign.value for sign in alert.shared_signs()]},
                )
            )


def detector_trigger(state: ScheduleState) -> CronTrigger:
    return CronTrigger(hour=DETECTOR_HOUR, minute=0, timezone=state.zone)
