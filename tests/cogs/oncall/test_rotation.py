from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from cogs.oncall.service import Rotation
from core.errors import UserFacingError
from core.oncall import OnCallChain
from db.engine import Database
from db.models import AuditEntry, OnCallOverride, OnCallShift
from tests.fake_clock import FakeClock

GUILD = 700_000_000_000_000_001
OTHER_GUILD = 700_000_000_000_000_002
ADMIN = 800_000_000_000_000_000
A = 800_000_000_000_000_001
B = 800_000_000_000_000_002
C = 800_000_000_000_000_003
D = 800_000_000_000_000_004
NY = "America/New_York"


def local(zone: str, year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    """A wall-clock time in `zone`, as the UTC instant it names (first one if repeated)."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


def utc(year: int, month: int, day: int, hour: int, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


async def count(database: Database, model: type[object]) -> int:
    async with database.all_guilds_session() as session:
        return await session.scalar(select(func.count()).select_from(model)) or 0


# --- Who is on call ---------------------------------------------------------------------------


async def test_nobody_is_on_call_without_shifts(rotation: Rotation, clock: FakeClock) -> None:
    assert rotation.chain(GUILD, clock.now()) == OnCallChain(None, ())
    assert rotation.next_change(GUILD, clock.now()) is None


def primaries(rotation: Rotation, *moments: datetime) -> list[int | None]:
    """The primary at each moment, asked latest first so no answer is reused.

    (Answers reused between boundaries are checked on their own, below.)
    """
    answers = {at: rotation.chain(GUILD, at).primary for at in sorted(moments, reverse=True)}
    return [answers[at] for at in moments]


async def test_a_shift_covers_its_hours_in_its_own_time_zone(rotation: Rotation) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)

    # 2 March 2026 is a Monday; New York is on standard time (UTC-5).
    assert primaries(
        rotation,
        local(NY, 2026, 3, 2, 8, 59),
        local(NY, 2026, 3, 2, 9),
        local(NY, 2026, 3, 2, 16, 59),
        local(NY, 2026, 3, 2, 17),
        local(NY, 2026, 3, 3, 10),  # Tuesday
        local(NY, 2026, 3, 9, 12),  # a week later
    ) == [None, A, A, None, None, A]


async def test_a_shift_ending_before_it_starts_runs_past_midnight(rotation: Rotation) -> None:
    london = "Europe/London"
    await rotation.add_shift(GUILD, ADMIN, A, "friday", "22:00", "06:00", london)

    assert primaries(
        rotation,
        local(london, 2026, 3, 6, 3),  # Friday early morning: no shift ends then
        local(london, 2026, 3, 6, 21, 59),
        local(london, 2026, 3, 6, 22),
        local(london, 2026, 3, 7, 0, 30),  # Saturday
        local(london, 2026, 3, 7, 5, 59),
        local(london, 2026, 3, 7, 6),
    ) == [None, None, A, A, A, None]


async def test_shifts_keep_local_hours_across_the_march_daylight_saving_change(
    rotation: Rotation,
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)
    # New York springs forward on Sunday 8 March 2026, at 02:00 local.
    await rotation.add_shift(GUILD, ADMIN, B, "Sunday", "01:00", "05:00", NY)

    # Monday 2 March (UTC-5): 14:00 to 22:00 UTC. Monday 9 March (UTC-4): 13:00 to 21:00.
    assert primaries(
        rotation,
        utc(2026, 3, 2, 13, 30),
        utc(2026, 3, 2, 21, 30),
        utc(2026, 3, 9, 13, 30),
        utc(2026, 3, 9, 21, 30),
    ) == [None, A, A, None]
    # The Sunday night shift: 01:00 EST is 06:00 UTC, 05:00 EDT is 09:00 UTC (3 hours);
    # the week before, the same shift ran four real hours, to 10:00 UTC.
    assert primaries(
        rotation,
        utc(2026, 3, 1, 9, 30),
        utc(2026, 3, 8, 5, 59),
        utc(2026, 3, 8, 6, 0),
        utc(2026, 3, 8, 8, 59),
        utc(2026, 3, 8, 9, 0),
    ) == [B, None, B, B, None]
    assert rotation.next_change(GUILD, utc(2026, 3, 8, 7, 0)) == utc(2026, 3, 8, 9, 0)


async def test_shifts_keep_local_hours_across_the_november_daylight_saving_change(
    rotation: Rotation,
) -> None:
    # New York falls back on Sunday 1 November 2026: 02:00 EDT becomes 01:00 EST.
    await rotation.add_shift(GUILD, ADMIN, A, "Saturday", "22:00", "02:00", NY)
    await rotation.add_shift(GUILD, ADMIN, B, "Monday", "09:00", "17:00", NY)

    # Saturday 22:00 EDT is 02:00 UTC; Sunday 02:00 EST is 07:00 UTC: five real hours.
    assert primaries(
        rotation,
        utc(2026, 11, 1, 1, 59),
        utc(2026, 11, 1, 2, 0),
        utc(2026, 11, 1, 6, 30),  # 01:30 EST, the second 01:30 of the night
        utc(2026, 11, 1, 7, 0),
    ) == [None, A, A, None]
    assert rotation.next_change(GUILD, utc(2026, 11, 1, 3, 0)) == utc(2026, 11, 1, 7, 0)
    # Monday 26 October (EDT): 13:00 to 21:00 UTC. Monday 2 November (EST): 14:00 to 22:00.
    assert primaries(
        rotation,
        utc(2026, 10, 26, 13, 30),
        utc(2026, 11, 2, 13, 30),
        utc(2026, 11, 2, 21, 30),
    ) == [B, None, B]


async def test_overlapping_shifts_make_backups_in_order_then_by_next_shift(
    rotation: Rotation,
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)
    await rotation.add_shift(GUILD, ADMIN, B, "Monday", "12:00", "20:00", NY)
    await rotation.add_shift(GUILD, ADMIN, D, "Wednesday", "09:00", "17:00", NY)
    await rotation.add_shift(GUILD, ADMIN, C, "Tuesday", "09:00", "17:00", NY)
    # A second shift of A's overlapping their first adds nobody twice.
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "10:00", "11:00", NY)

    at_one = rotation.chain(GUILD, local(NY, 2026, 3, 2, 10, 30))
    assert at_one == OnCallChain(A, (B, C, D))
    # B's shift runs on after A's: B is on call, A's next shift is a week away.
    assert rotation.chain(GUILD, local(NY, 2026, 3, 2, 18)) == OnCallChain(B, (C, D, A))
    # Nobody covers Monday night: no primary, everyone by their next shift.
    assert rotation.chain(GUILD, local(NY, 2026, 3, 2, 21)) == OnCallChain(None, (C, D, A, B))


async def test_the_order_decides_who_is_primary_where_shifts_overlap(rotation: Rotation) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY, position=5)
    await rotation.add_shift(GUILD, ADMIN, B, "Monday", "09:00", "17:00", NY, position=1)

    assert rotation.chain(GUILD, local(NY, 2026, 3, 2, 10)) == OnCallChain(B, (A,))


async def test_a_taken_pager_beats_the_schedule_and_then_expires(
    rotation: Rotation, clock: FakeClock
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)
    await rotation.add_shift(GUILD, ADMIN, C, "Tuesday", "09:00", "17:00", NY)
    start = clock.now()  # Monday 10:00 in New York

    override = await rotation.take(GUILD, B, hours=2)

    assert override.ends_at == start + timedelta(hours=2)
    assert rotation.chain(GUILD, start) == OnCallChain(B, (A, C))
    assert rotation.chain(GUILD, start + timedelta(hours=1, minutes=59)).primary == B
    assert rotation.chain(GUILD, start + timedelta(hours=2)) == OnCallChain(A, (C,))
    assert rotation.next_change(GUILD, start) == start + timedelta(hours=2)


async def test_the_latest_take_wins_and_off_gives_the_pager_back(
    rotation: Rotation, clock: FakeClock
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)
    start = clock.now()
    await rotation.take(GUILD, B)  # 8 hours by default
    clock.advance(minutes=10)
    await rotation.take(GUILD, C, hours=1)

    assert rotation.chain(GUILD, clock.now()).primary == C
    # When C's hour is over, B's longer take still holds.
    assert rotation.chain(GUILD, start + timedelta(minutes=71)).primary == B

    clock.advance(minutes=5)
    ended = await rotation.off(GUILD, C)
    assert ended.end == clock.now()
    assert rotation.chain(GUILD, clock.now()).primary == B
    await rotation.off(GUILD, B)
    assert rotation.chain(GUILD, clock.now()) == OnCallChain(A, ())

    with pytest.raises(UserFacingError, match="nothing to end"):
        await rotation.off(GUILD, B)


async def test_taking_again_replaces_your_own_earlier_take(
    rotation: Rotation, database: Database, clock: FakeClock
) -> None:
    first = await rotation.take(GUILD, A, hours=8)
    clock.advance(hours=1)
    second = await rotation.take(GUILD, A, hours=1)

    assert [o.id for o in rotation.overrides(GUILD)] == [second.id]
    assert rotation.chain(GUILD, clock.now() + timedelta(hours=2)).primary is None
    async with database.guild_session(GUILD) as session:
        row = await session.get(OnCallOverride, first.id)
    assert row is not None
    assert row.ended_early_at == clock.now()


async def test_a_handoff_lasts_until_the_current_shift_ends(
    rotation: Rotation, clock: FakeClock
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)

    override = await rotation.handoff(GUILD, A, B)

    assert override.user_id == B
    assert override.ends_at == local(NY, 2026, 3, 2, 17)
    assert rotation.chain(GUILD, clock.now()) == OnCallChain(B, (A,))
    assert rotation.chain(GUILD, local(NY, 2026, 3, 2, 17)).primary is None


async def test_a_handoff_of_a_taken_pager_ends_it_and_lasts_eight_hours_off_shift(
    rotation: Rotation, clock: FakeClock
) -> None:
    taken = await rotation.take(GUILD, A, hours=72)
    clock.advance(hours=1)

    override = await rotation.handoff(GUILD, A, B)

    assert override.ends_at == clock.now() + timedelta(hours=8)
    assert rotation.chain(GUILD, clock.now()).primary == B
    # A's take ended with the handoff: after B's 8 hours, nobody.
    assert rotation.chain(GUILD, clock.now() + timedelta(hours=8)).primary is None
    assert taken.id not in {o.id for o in rotation.overrides(GUILD)}


async def test_only_the_person_on_call_can_hand_off(
    rotation: Rotation, clock: FakeClock, database: Database
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)

    with pytest.raises(UserFacingError, match="aren't on call"):
        await rotation.handoff(GUILD, C, B)
    with pytest.raises(UserFacingError, match="already hold"):
        await rotation.handoff(GUILD, A, A)
    assert await count(database, OnCallOverride) == 0
    assert rotation.chain(GUILD, clock.now()).primary == A


# --- The next change, for the announcement job ------------------------------------------------


async def test_the_next_change_skips_moments_where_the_same_person_stays_on(
    rotation: Rotation,
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "12:00", NY)
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "12:00", "15:00", NY)
    await rotation.add_shift(GUILD, ADMIN, B, "Monday", "15:00", "21:00", NY)

    assert rotation.next_change(GUILD, local(NY, 2026, 3, 2, 10)) == local(NY, 2026, 3, 2, 15)
    assert rotation.next_change(GUILD, local(NY, 2026, 3, 2, 15)) == local(NY, 2026, 3, 2, 21)
    assert rotation.next_change(GUILD, local(NY, 2026, 3, 2, 22)) == local(NY, 2026, 3, 9, 9)


async def test_a_single_all_week_shift_never_changes(rotation: Rotation, clock: FakeClock) -> None:
    for day in ("mon", "tue", "wed", "thu", "fri", "sat", "sun"):
        await rotation.add_shift(GUILD, ADMIN, A, day, "00:00", "24:00", "UTC")

    assert rotation.chain(GUILD, clock.now()) == OnCallChain(A, ())
    assert rotation.next_change(GUILD, clock.now()) is None


async def test_repeated_questions_give_the_same_answers_in_any_order(
    rotation: Rotation, clock: FakeClock
) -> None:
    """Answers reused between boundaries (asked forwards) match fresh ones (backwards)."""
    await rotation.add_shift(GUILD, ADMIN, A, "Saturday", "20:00", "04:00", NY)
    await rotation.add_shift(GUILD, ADMIN, B, "Sunday", "01:30", "03:30", NY)
    await rotation.add_shift(GUILD, ADMIN, C, "Sunday", "00:00", "24:00", "Europe/London")
    await rotation.add_shift(GUILD, ADMIN, D, "Monday", "09:00", "17:00", "Asia/Tokyo")
    await rotation.take(GUILD, D, hours=3)
    # From Monday 2 March for twelve days: the take's end and New York's spring-forward.
    moments = [clock.now() + timedelta(minutes=13 * i) for i in range(1330)]

    forwards = [rotation.chain(GUILD, at) for at in sorted(moments)]
    backwards = [rotation.chain(GUILD, at) for at in sorted(moments, reverse=True)]

    assert forwards == backwards[::-1]
    assert len(set(forwards)) > 4  # the sweep did cross several changes


# --- Input, scope, memory and the audit log -----------------------------------------------------


@pytest.mark.parametrize(
    ("day", "start", "end", "zone", "message"),
    [
        ("Funday", "09:00", "17:00", NY, "isn't a day"),
        ("Monday", "9 o'clock", "17:00", NY, "isn't a time"),
        ("Monday", "24:00", "17:00", NY, "isn't a time"),
        ("Monday", "09:00", "17:60", NY, "isn't a time"),
        ("Monday", "09:00", "17:00", "Mars/Olympus_Mons", "isn't a time zone"),
        ("Monday", "09:00", "17:00", "US/Eastern", "isn't a time zone"),
    ],
)
async def test_bad_shifts_are_refused_and_nothing_is_stored(
    rotation: Rotation,
    database: Database,
    clock: FakeClock,
    day: str,
    start: str,
    end: str,
    zone: str,
    message: str,
) -> None:
    with pytest.raises(UserFacingError, match=message):
        await rotation.add_shift(GUILD, ADMIN, A, day, start, end, zone)

    assert await count(database, OnCallShift) == 0
    assert await count(database, AuditEntry) == 0
    assert rotation.shifts(GUILD) == ()


@pytest.mark.parametrize("hours", [0, 73, -1])
async def test_takes_outside_one_to_72_hours_are_refused(
    rotation: Rotation, database: Database, hours: int
) -> None:
    with pytest.raises(UserFacingError, match="between 1 and 72"):
        await rotation.take(GUILD, A, hours=hours)

    assert await count(database, OnCallOverride) == 0
    assert rotation.overrides(GUILD) == ()


async def test_a_duplicate_shift_is_refused(rotation: Rotation, database: Database) -> None:
    first = await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)

    with pytest.raises(UserFacingError, match=f"#{first.id}"):
        await rotation.add_shift(GUILD, ADMIN, A, "mon", " 09:00 ", "17:00", NY)
    assert await count(database, OnCallShift) == 1


async def test_another_servers_rotation_is_never_visible(
    rotation: Rotation, database: Database, clock: FakeClock
) -> None:
    shift = await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)
    await rotation.take(GUILD, B)

    assert rotation.chain(OTHER_GUILD, clock.now()) == OnCallChain(None, ())
    assert rotation.shifts(OTHER_GUILD) == ()
    assert rotation.next_change(OTHER_GUILD, clock.now()) is None
    with pytest.raises(UserFacingError, match=f"#{shift.id}"):
        await rotation.remove_shift(OTHER_GUILD, ADMIN, shift.id)
    with pytest.raises(UserFacingError, match="nothing to end"):
        await rotation.off(OTHER_GUILD, B)

    fresh = Rotation(database, clock)
    await fresh.warm()
    assert fresh.shifts(GUILD) == (shift,)
    assert fresh.chain(OTHER_GUILD, clock.now()) == OnCallChain(None, ())


async def test_a_fresh_rotation_loads_what_the_database_holds(
    rotation: Rotation, database: Database, clock: FakeClock
) -> None:
    await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY)
    removed = await rotation.add_shift(GUILD, ADMIN, B, "Tuesday", "22:00", "06:00", "Asia/Tokyo")
    await rotation.add_shift(OTHER_GUILD, ADMIN, C, "Sunday", "00:00", "24:00", "UTC")
    await rotation.remove_shift(GUILD, ADMIN, removed.id)
    await rotation.take(GUILD, D, hours=3)
    ended = await rotation.take(OTHER_GUILD, A, hours=1)
    await rotation.off(OTHER_GUILD, A)

    fresh = Rotation(database, clock)
    await fresh.warm()

    assert fresh.guild_ids() == rotation.guild_ids() == {GUILD, OTHER_GUILD}
    for guild in (GUILD, OTHER_GUILD):
        assert fresh.shifts(guild) == rotation.shifts(guild)
        assert fresh.overrides(guild) == rotation.overrides(guild)
        for hours in (0, 2, 4, 30, 100):
            at = clock.now() + timedelta(hours=hours)
            assert fresh.chain(guild, at) == rotation.chain(guild, at)
    assert [s.user_id for s in fresh.shifts(GUILD)] == [A]
    assert ended.id not in {o.id for o in fresh.overrides(OTHER_GUILD)}
    assert fresh.chain(GUILD, clock.now()).primary == D


async def test_expired_overrides_are_not_loaded(
    rotation: Rotation, database: Database, clock: FakeClock
) -> None:
    await rotation.take(GUILD, A, hours=1)
    clock.advance(hours=2)

    fresh = Rotation(database, clock)
    await fresh.warm()

    assert fresh.overrides(GUILD) == ()
    assert fresh.guild_ids() == frozenset()


async def test_every_change_is_audited_with_structured_details(
    rotation: Rotation, database: Database, clock: FakeClock
) -> None:
    shift = await rotation.add_shift(GUILD, ADMIN, A, "Monday", "09:00", "17:00", NY, position=3)
    taken = await rotation.take(GUILD, B, hours=2)
    handed = await rotation.handoff(GUILD, B, C)
    await rotation.off(GUILD, C)
    await rotation.remove_shift(GUILD, ADMIN, shift.id)

    async with database.guild_session(GUILD) as session:
        entries = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(e.action, e.actor_user_id, e.subject_user_id) for e in entries] == [
        ("oncall.shift_added", ADMIN, A),
        ("oncall.taken", B, B),
        ("oncall.handed_off", B, C),
        ("oncall.ended", C, C),
        ("oncall.shift_removed", ADMIN, A),
    ]
    shift_details = {
        "shift_id": shift.id,
        "weekday": 0,
        "start_minute": 540,
        "end_minute": 1020,
        "timezone": NY,
        "position": 3,
    }
    assert entries[0].details == shift_details
    assert entries[1].details == {
        "hours": 2,
        "override_id": taken.id,
        "ends_at": (clock.now() + timedelta(hours=2)).isoformat(),
        "ended_override_ids": [],
    }
    assert entries[2].details["from_user_id"] == B
    assert entries[2].details["ended_override_ids"] == [taken.id]
    assert entries[3].details == {"override_ids": [handed.id]}
    assert entries[4].details == shift_details
