from __future__ import annotations

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from cogs.oncall.report import (
    DurationStats,
    EventFacts,
    RequestFacts,
    SpecialistStats,
    build_report,
    duration_stats,
    format_duration,
    percentile,
    summarize,
)
from core.errors import UserFacingError
from db.engine import Database
from db.models import HelpEvent, HelpRequest
from tests.fake_clock import FakeClock

GUILD = 710_000_000_000_000_001
OTHER_GUILD = 710_000_000_000_000_002
MEMBER = 810_000_000_000_000_000
A = 810_000_000_000_000_001
B = 810_000_000_000_000_002
T0 = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)


def minutes(value: float) -> timedelta:
    return timedelta(minutes=value)


# --- Pure figures -------------------------------------------------------------------------------


def test_percentiles_interpolate_between_closest_ranks() -> None:
    values = [float(v) for v in range(1, 11)]
    assert percentile(values, 0.5) == pytest.approx(5.5)
    assert percentile(values, 0.9) == pytest.approx(9.1)
    assert percentile(list(reversed(values)), 0.9) == pytest.approx(9.1)
    assert percentile([4.0], 0.9) == 4.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 0) == 1.0
    assert percentile([1.0, 2.0, 3.0, 4.0], 1) == 4.0
    with pytest.raises(ValueError, match="no values"):
        percentile([], 0.5)


def test_duration_stats_give_median_and_90th_percentile() -> None:
    stats = duration_stats([minutes(m) for m in (1, 2, 3, 4, 10)])
    assert stats == DurationStats(count=5, median=minutes(3), p90=minutes(7.6))
    assert duration_stats([]) == DurationStats(0, None, None)


def test_durations_read_plainly() -> None:
    assert format_duration(timedelta(seconds=45)) == "45 s"
    assert format_duration(timedelta(minutes=4, seconds=30)) == "4 min 30 s"
    assert format_duration(timedelta(hours=2, minutes=5, seconds=40)) == "2 h 5 min"


def _request(
    status: str,
    ack_after: float | None = None,
    by: int | None = None,
    closed_after: float | None = None,
    events: tuple[EventFacts, ...] = (),
) -> RequestFacts:
    return RequestFacts(
        status=status,
        created_at=T0,
        acknowledged_at=T0 + minutes(ack_after) if ack_after is not None else None,
        acknowledged_by=by,
        closed_at=T0 + minutes(closed_after) if closed_after is not None else None,
        events=events,
    )


def test_a_summary_counts_times_escalations_and_people() -> None:
    escalated = (
        EventFacts("paged", T0, None),
        EventFacts("escalated", T0 + minutes(5), None),
        EventFacts("escalated", T0 + minutes(10), None),
    )
    requests = [
        _request("resolved", ack_after=1, by=A, closed_after=30),
        _request("resolved", ack_after=3, by=A, closed_after=50),
        _request("safe", ack_after=12, by=B, closed_after=20, events=escalated),
        _request(
            "acknowledged", ack_after=2, by=B, events=(EventFacts("backup_requested", T0, B),)
        ),
        _request("open", events=(EventFacts("escalated", T0, None),)),
        # Acknowledged known only from its event: counted all the same.
        _request(
            "resolved", closed_after=10, events=(EventFacts("acknowledged", T0 + minutes(4), A),)
        ),
        _request("open", events=(EventFacts("fallback_used", T0, None),)),
    ]

    report = summarize(requests, days=30)

    assert report.requests == 7
    assert report.acknowledged == 5
    assert report.resolved == 3
    assert report.member_safe == 1
    assert report.still_open == 3
    # Acknowledged after 1, 2, 3, 4 and 12 minutes.
    assert report.time_to_acknowledge == DurationStats(5, minutes(3), minutes(8.8))
    # Resolved (by a specialist) after 10, 30 and 50 minutes; "safe" is counted apart.
    assert report.time_to_resolve == DurationStats(3, minutes(30), minutes(46))
    assert report.escalated_requests == 2
    assert report.escalation_steps == 3
    assert report.backup_requests == 1
    assert report.fallbacks == 1
    assert report.per_specialist == (
        SpecialistStats(A, 3, minutes(3)),
        SpecialistStats(B, 2, minutes(7)),
    )


def test_an_empty_summary_has_no_times() -> None:
    report = summarize([], days=7)
    assert report.requests == 0
    assert report.time_to_acknowledge.median is None
    assert report.per_specialist == ()


# --- From the database ---------------------------------------------------------------------------


async def _add_request(
    database: Database,
    guild_id: int,
    created_at: datetime,
    status: str,
    ack_after: float | None = None,
    by: int | None = None,
    closed_after: float | None = None,
    event_kinds: tuple[str, ...] = (),
) -> None:
    async with database.guild_session(guild_id) as session, session.begin():
        request = HelpRequest(
            guild_id=guild_id,
            public_id=str(uuid.uuid4()),
            member_user_id=MEMBER,
            status=status,
            created_at=created_at,
            acknowledged_at=created_at + minutes(ack_after) if ack_after is not None else None,
            acknowledged_by=by,
            closed_at=created_at + minutes(closed_after) if closed_after is not None else None,
        )
        session.add(request)
        await session.flush()
        for number, kind in enumerate(event_kinds):
            session.add(
                HelpEvent(
                    guild_id=guild_id,
                    key=str(uuid.uuid4()),
                    request_id=request.id,
                    kind=kind,
                    at=created_at + minutes(number),
                )
            )


async def test_the_report_reads_one_servers_requests_within_the_days_asked(
    database: Database,
) -> None:
    clock = FakeClock(T0 + timedelta(days=10))
    recent = T0 + timedelta(days=5)
    await _add_request(database, GUILD, recent, "resolved", 2, A, 40, ("requested", "paged"))
    await _add_request(
        database, GUILD, recent, "resolved", 6, B, 20, ("requested", "paged", "escalated")
    )
    await _add_request(database, GUILD, recent, "safe", 10, A, 11, ("requested", "paged"))
    # Older than the window, and another server's: neither counted.
    await _add_request(database, GUILD, T0 - timedelta(days=30), "resolved", 99, B, 120)
    await _add_request(database, OTHER_GUILD, recent, "resolved", 50, B, 60, ("escalated",))

    report = await build_report(database, clock, GUILD, days=7)

    assert report.days == 7
    assert report.requests == 3
    assert report.time_to_acknowledge == DurationStats(3, minutes(6), minutes(9.2))
    assert report.time_to_resolve == DurationStats(2, minutes(30), minutes(38))
    assert report.escalated_requests == 1
    assert report.per_specialist == (
        SpecialistStats(A, 2, minutes(6)),
        SpecialistStats(B, 1, minutes(6)),
    )
    assert (await build_report(database, clock, GUILD, days=60)).requests == 4


@pytest.mark.parametrize("days", [0, 366])
async def test_a_report_outside_one_to_365_days_is_refused(
    database: Database, clock: FakeClock, days: int
) -> None:
    with pytest.raises(UserFacingError, match="between 1 and 365"):
        await build_report(database, clock, GUILD, days)
