"""/oncall report: how the server's help requests were answered over the last days.

`build_report` reads the help requests (and their events) that /help-now stored; the rest
is pure computation over those facts: `summarize`, its percentile and durations.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from cogs.oncall import texts
from core.clock import Clock
from core.errors import UserFacingError
from db.engine import Database
from db.models import HelpEvent, HelpRequest
from db.models.helpnow import WITHDRAWN

REPORT_DEFAULT_DAYS = 30
REPORT_MAX_DAYS = 365


async def build_report(
    db: Database, clock: Clock, guild_id: int, days: int = REPORT_DEFAULT_DAYS
) -> Report:
    if not 1 <= days <= REPORT_MAX_DAYS:
        raise UserFacingError(texts.BAD_DAYS.format(high=REPORT_MAX_DAYS))
    since = clock.now() - timedelta(days=days)
    async with db.guild_session(guild_id) as session:
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
                select(HelpEvent.request_id, HelpEvent.kind, HelpEvent.at, HelpEvent.actor_user_id)
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
