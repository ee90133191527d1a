"""The counters' rules through the service, on both backends: start, show, reset, delete,
history and sharing; every bad input refused with its message and no change anywhere;
one member's counters never touching another's, in one server or another."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select

from cogs.sober import service, texts
from core.errors import UserFacingError
from db.engine import Database
from db.models import SoberCounter, SoberPreference, SoberRun
from tests.cogs.sober.helpers import (
    ALICE,
    BOB,
    GUILD,
    MILESTONES,
    OTHER_GUILD,
    local,
    set_member_zone,
    sober_rows,
    utc,
)

NOW = utc(2026, 11, 10, 18)  # a Tuesday; 10 November everywhere from UTC-6 to UTC+5
TODAY = date(2026, 11, 10)


async def start(
    db: Database,
    substance: str = "alcohol",
    since: date | None = None,
    *,
    guild_id: int = GUILD,
    user_id: int = ALICE,
    cost: int | None = None,
) -> service.Counter:
    return await service.start(
        db, guild_id, user_id, substance, since, NOW, MILESTONES, daily_cost_cents=cost
    )


async def stored(db: Database, guild_id: int = GUILD, user_id: int = ALICE) -> list[SoberCounter]:
    async with db.guild_session(guild_id) as session:
        found = await session.scalars(
            select(SoberCounter).where(SoberCounter.user_id == user_id).order_by(SoberCounter.id)
        )
        return list(found.all())


async def runs_of(db: Database, guild_id: int = GUILD) -> list[tuple[int, date, date]]:
    async with db.guild_session(guild_id) as session:
        found = await session.execute(
            select(SoberRun.user_id, SoberRun.started_on, SoberRun.ended_on).order_by(SoberRun.id)
        )
        return [(row.user_id, row.started_on, row.ended_on) for row in found.all()]


# --- Start and show -------------------------------------------------------------------------


async def test_a_counter_started_today_has_no_days_yet_and_aims_at_the_first_milestone(
    db: Database,
) -> None:
    counter = await start(db)

    assert counter.since == TODAY
    assert counter.days == 0
    assert counter.next_milestone == 1
    assert counter.longest_days == 0
    assert counter.saved_cents is None
    [row] = await stored(db)
    assert (row.next_milestone_days, row.next_milestone_at) == (1, utc(2026, 11, 11))


async def test_since_defaults_to_the_members_own_today_not_the_utc_date(db: Database) -> None:
    await set_member_zone(db, GUILD, ALICE, "Pacific/Auckland")  # UTC+13 in November
    await set_member_zone(db, GUILD, BOB, "America/Santiago")  # UTC-3 in November
    late_evening_utc = utc(2026, 11, 10, 22)

    alice = await service.start(db, GUILD, ALICE, "alcohol", None, late_evening_utc, MILESTONES)
    bob = await service.start(db, GUILD, BOB, "alcohol", None, utc(2026, 11, 11, 1), MILESTONES)

    assert alice.since == date(2026, 11, 11)
    assert bob.since == date(2026, 11, 10)
    assert await service.local_today(db, GUILD, ALICE, late_evening_utc) == date(2026, 11, 11)


async def test_the_first_milestone_begins_at_the_members_local_midnight(db: Database) -> None:
    await set_member_zone(db, GUILD, ALICE, "Asia/Kolkata")

    await start(db)

    [row] = await stored(db)
    assert row.next_milestone_at == local("Asia/Kolkata", 2026, 11, 11)


async def test_show_gives_days_money_kept_longest_run_and_next_milestone(db: Database) -> None:
    await start(db, "alcohol", TODAY - timedelta(days=40), cost=1250)
    await start(db, "nicotine", TODAY - timedelta(days=3))

    alcohol, nicotine = await service.show(db, GUILD, ALICE, NOW, MILESTONES)

    assert (alcohol.substance, alcohol.days, alcohol.longest_days) == ("alcohol", 40, 40)
    assert (alcohol.daily_cost_cents, alcohol.saved_cents) == (1250, 40 * 1250)
    assert alcohol.next_milestone == 60
    assert (nicotine.substance, nicotine.days, nicotine.next_milestone) == ("nicotine", 3, 7)
    assert nicotine.saved_cents is None


async def test_milestones_already_behind_the_first_day_are_not_aimed_at(db: Database) -> None:
    since = TODAY - timedelta(days=30)  # day 30 began at midnight: reached before the counter

    counter = await start(db, since=since)

    assert counter.next_milestone == 60
    [row] = await stored(db)
    assert row.next_milestone_days == 60
    assert row.next_milestone_at == utc(2026, 12, 10)


async def test_past_the_last_configured_milestone_every_whole_year_is_one(db: Database) -> None:
    # Ten years and a day: the list ends at 3652 (ten years); eleven years is next.
    counter = await start(db, since=TODAY - timedelta(days=max(MILESTONES) + 1))

    assert counter.next_milestone == 4017  # eleven years of 365.25 days
    [row] = await stored(db)
    assert row.next_milestone_days == 4017


def test_the_years_between_configured_milestones_are_milestones_too() -> None:
    # Five years reached (1826): six years (2191) comes before the list's ten (3652).
    assert service.next_milestone(MILESTONES, 1826) == 2191
    assert service.next_milestone(MILESTONES, 2191) == 2556
    assert service.next_milestone(MILESTONES, 29) == 30
    assert service.next_milestone(MILESTONES, 0) == 1


async def test_a_member_who_moved_west_of_their_first_day_has_zero_days_not_fewer(
    db: Database,
) -> None:
    await set_member_zone(db, GUILD, ALICE, "Pacific/Auckland")
    evening = utc(2026, 11, 10, 22)  # Auckland: 11 November; Honolulu: 10 November
    await service.start(db, GUILD, ALICE, "alcohol", None, evening, MILESTONES)
    await set_member_zone(db, GUILD, ALICE, "Pacific/Honolulu")

    [counter] = await service.show(db, GUILD, ALICE, evening, MILESTONES)

    assert (counter.since, counter.days) == (date(2026, 11, 11), 0)


# --- Names ----------------------------------------------------------------------------------


def test_names_are_tidied_for_showing_and_normalised_for_matching() -> None:
    assert service.tidy("  Prescription \t medication ") == "Prescription medication"
    assert service.tidy("x" * 70) == "x" * 60
    assert service.normalise(" ALCOHOL ") == service.normalise("alcohol") == "alcohol"
    assert service.normalise("Straße") == service.normalise("STRASSE")
    # A name too long to keep whole still finds its counter when typed whole again.
    assert service.normalise("y" * 70) == service.normalise(service.tidy("y" * 70))


async def test_one_counter_per_substance_whatever_its_case_and_spaces(db: Database) -> None:
    first = await start(db, "  Alcohol  ")
    before = await sober_rows(db)

    for variant in ("alcohol", "ALCOHOL ", " alcohol\t", "Alcohol"):
        with pytest.raises(UserFacingError) as refused:
            await start(db, variant)
        assert refused.value.message == texts.ALREADY_COUNTING.format(substance="Alcohol")

    assert first.substance == "Alcohol"
    assert await service.substances_of(db, GUILD, ALICE) == ["Alcohol"]
    assert await sober_rows(db) == before


async def test_a_counter_is_found_again_by_any_spelling_of_its_name(db: Database) -> None:
    await start(db, "Alcohol", TODAY - timedelta(days=5))

    restarted = await service.reset(db, GUILD, ALICE, " alcohol ", None, NOW, MILESTONES)
    [(name, _)] = await service.history(db, GUILD, ALICE, "ALCOHOL", NOW)
    await service.delete(db, GUILD, ALICE, "aLcOhOl", NOW)

    assert restarted.substance == name == "Alcohol"
    assert await stored(db) == []


# --- Reset, history, delete -----------------------------------------------------------------


async def test_a_reset_keeps_the_run_that_ended_and_starts_again_on_the_given_day(
    db: Database,
) -> None:
    began = TODAY - timedelta(days=50)
    await start(db, since=began, cost=500)
    used_on = TODAY - timedelta(days=4)

    counter = await service.reset(db, GUILD, ALICE, "alcohol", used_on, NOW, MILESTONES)

    assert (counter.since, counter.days, counter.longest_days) == (used_on, 4, 46)
    assert counter.saved_cents == 4 * 500
    assert counter.next_milestone == 7
    assert await runs_of(db) == [(ALICE, began, used_on)]
    [row] = await stored(db)
    assert (row.since, row.next_milestone_days) == (used_on, 7)
    assert row.next_milestone_at == utc(2026, 11, 13)


async def test_a_reset_without_a_day_starts_again_today(db: Database) -> None:
    await start(db, since=TODAY - timedelta(days=9))

    counter = await service.reset(db, GUILD, ALICE, "alcohol", None, NOW, MILESTONES)

    assert (counter.since, counter.days, counter.longest_days) == (TODAY, 0, 9)
    [row] = await stored(db)
    assert (row.next_milestone_days, row.next_milestone_at) == (1, utc(2026, 11, 11))


async def test_the_longest_run_is_the_longest_of_the_past_ones_and_the_current_one(
    db: Database,
) -> None:
    await start(db, since=TODAY - timedelta(days=100))
    await service.reset(db, GUILD, ALICE, "alcohol", TODAY - timedelta(days=80), NOW, MILESTONES)
    await service.reset(db, GUILD, ALICE, "alcohol", TODAY - timedelta(days=70), NOW, MILESTONES)

    [counter] = await service.show(db, GUILD, ALICE, NOW, MILESTONES)
    assert (counter.days, counter.longest_days) == (70, 70)
    [counter] = await service.show(db, GUILD, ALICE, NOW - timedelta(days=60), MILESTONES)
    assert (counter.days, counter.longest_days) == (10, 20)


async def test_history_lists_past_runs_oldest_first_then_the_current_one(db: Database) -> None:
    first, second, third = (TODAY - timedelta(days=n) for n in (30, 20, 5))
    await start(db, "alcohol", first)
    await start(db, "nicotine", TODAY - timedelta(days=2))
    await service.reset(db, GUILD, ALICE, "alcohol", second, NOW, MILESTONES)
    await service.reset(db, GUILD, ALICE, "alcohol", third, NOW, MILESTONES)

    everything = await service.history(db, GUILD, ALICE, None, NOW)
    only_nicotine = await service.history(db, GUILD, ALICE, "Nicotine", NOW)

    assert everything == [
        (
            "alcohol",
            [
                service.Run(first, second, 10),
                service.Run(second, third, 15),
                service.Run(third, None, 5),
            ],
        ),
        ("nicotine", [service.Run(TODAY - timedelta(days=2), None, 2)]),
    ]
    assert only_nicotine == [everything[1]]


async def test_delete_removes_the_counter_and_its_history(db: Database) -> None:
    await start(db, "alcohol", TODAY - timedelta(days=10))
    await start(db, "nicotine", TODAY - timedelta(days=10))
    await service.reset(db, GUILD, ALICE, "alcohol", TODAY - timedelta(days=3), NOW, MILESTONES)
    await service.reset(db, GUILD, ALICE, "nicotine", TODAY - timedelta(days=3), NOW, MILESTONES)

    await service.delete(db, GUILD, ALICE, "alcohol", NOW)

    assert [row.substance for row in await stored(db)] == ["nicotine"]
    assert await runs_of(db) == [(ALICE, TODAY - timedelta(days=10), TODAY - timedelta(days=3))]
    assert await service.substances_of(db, GUILD, ALICE) == ["nicotine"]


async def test_sharing_is_off_until_the_member_turns_it_on_and_back_off(db: Database) -> None:
    async def sharing() -> bool | None:
        async with db.guild_session(GUILD) as session:
            return await session.scalar(
                select(SoberPreference.share_milestones).where(SoberPreference.user_id == ALICE)
            )

    await start(db)
    assert await sharing() is False
    await service.set_sharing(db, GUILD, ALICE, True)
    assert await sharing() is True
    await start(db, "nicotine")  # a new counter leaves the choice as it was
    assert await sharing() is True
    await service.set_sharing(db, GUILD, ALICE, False)
    assert await sharing() is False


async def test_a_new_zone_moves_the_next_milestone_to_its_midnight_not_to_another_day(
    db: Database,
) -> None:
    await start(db, since=TODAY - timedelta(days=20))  # UTC: next is 30, on 20 November
    await set_member_zone(db, GUILD, ALICE, "America/New_York")

    async with db.guild_session(GUILD) as session, session.begin():
        await service.rezone(session, GUILD, ALICE)

    [row] = await stored(db)
    assert row.next_milestone_days == 30
    assert row.next_milestone_at == local("America/New_York", 2026, 11, 20)


# --- Reading what members type --------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "day"),
    [
        ("2026-03-01", date(2026, 3, 1)),
        (" today ", TODAY),
        ("Yesterday", TODAY - timedelta(days=1)),
        ("3 March 2026", date(2026, 3, 3)),
        ("3 mar 2026", date(2026, 3, 3)),
        ("March 3 2026", date(2026, 3, 3)),
        ("March 3, 2026", date(2026, 3, 3)),
        ("29 February 2024", date(2024, 2, 29)),
    ],
)
def test_days_are_read_as_members_write_them(typed: str, day: date) -> None:
    assert service.parse_day(typed, TODAY) == day


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("next tuesday", texts.UNREADABLE_DAY.format(text="next tuesday")),
        ("2026-02-30", texts.UNREADABLE_DAY.format(text="2026-02-30")),
        ("29 February 2025", texts.UNREADABLE_DAY.format(text="29 February 2025")),
        ("  ", texts.UNREADABLE_DAY.format(text="")),
        ("2026-11-11", texts.DAY_IN_THE_FUTURE),
        ("1926-11-09", texts.DAY_TOO_LONG_AGO),
    ],
)
def test_a_day_unreadable_still_to_come_or_over_100_years_back_is_refused(
    typed: str, message: str
) -> None:
    with pytest.raises(UserFacingError) as refused:
        service.parse_day(typed, TODAY)
    assert refused.value.message == message


def test_exactly_100_years_back_is_still_accepted() -> None:
    assert service.parse_day("1926-11-10", TODAY) == date(1926, 11, 10)
    # 1900 had no 29 February: a hundred years before 29 February 2000 is the 28th.
    assert service.parse_day("1900-02-28", date(2000, 2, 29)) == date(1900, 2, 28)
    with pytest.raises(UserFacingError):
        service.parse_day("1900-02-27", date(2000, 2, 29))


@pytest.mark.parametrize(
    ("typed", "cents"),
    [("12.50", 1250), ("12,5", 1250), ("$12", 1200), ("7 €", 700), ("0", 0), ("£3.05", 305)],
)
def test_a_daily_cost_is_read_in_cents(typed: str, cents: int) -> None:
    assert service.parse_cost(typed) == cents


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("twelve", texts.UNREADABLE_COST.format(text="twelve")),
        ("1.234", texts.UNREADABLE_COST.format(text="1.234")),
        ("12 a day", texts.UNREADABLE_COST.format(text="12 a day")),
        ("-5", texts.DAILY_COST_OUT_OF_RANGE.format(most="10,000")),
        ("10000.01", texts.DAILY_COST_OUT_OF_RANGE.format(most="10,000")),
    ],
)
def test_a_daily_cost_unreadable_negative_or_too_large_is_refused(typed: str, message: str) -> None:
    with pytest.raises(UserFacingError) as refused:
        service.parse_cost(typed)
    assert refused.value.message == message


# --- Refusals change nothing ----------------------------------------------------------------

Refused = Callable[[Database], Awaitable[object]]
BEGAN = TODAY - timedelta(days=20)
TOMORROW = TODAY + timedelta(days=1)
LONG_AGO = TODAY - timedelta(days=365 * 100 + 30)
# (the refused call, the message it gets)
REFUSALS: dict[str, tuple[Refused, str]] = {
    "start: a second counter for the same substance": (
        lambda db: start(db, " ALCOHOL"),
        texts.ALREADY_COUNTING.format(substance="alcohol"),
    ),
    "start: no substance": (lambda db: start(db, " \t "), texts.NO_SUBSTANCE),
    "start: a first day still to come": (
        lambda db: start(db, "nicotine", TOMORROW),
        texts.DAY_IN_THE_FUTURE,
    ),
    "start: a first day over 100 years back": (
        lambda db: start(db, "nicotine", LONG_AGO),
        texts.DAY_TOO_LONG_AGO,
    ),
    "start: a negative daily cost": (
        lambda db: start(db, "nicotine", cost=-1),
        texts.DAILY_COST_OUT_OF_RANGE.format(most="10,000"),
    ),
    "reset: an unknown substance": (
        lambda db: service.reset(db, GUILD, ALICE, "cannabis", None, NOW, MILESTONES),
        texts.NO_SUCH_COUNTER.format(substance="cannabis"),
    ),
    "reset: a day still to come": (
        lambda db: service.reset(db, GUILD, ALICE, "alcohol", TOMORROW, NOW, MILESTONES),
        texts.DAY_IN_THE_FUTURE,
    ),
    "reset: a day over 100 years back": (
        lambda db: service.reset(db, GUILD, ALICE, "alcohol", LONG_AGO, NOW, MILESTONES),
        texts.DAY_TOO_LONG_AGO,
    ),
    "reset: a day before the count began": (
        lambda db: service.reset(
            db, GUILD, ALICE, "alcohol", BEGAN - timedelta(days=1), NOW, MILESTONES
        ),
        texts.RESTART_BEFORE_START.format(substance="alcohol", since=f"{BEGAN.day} {BEGAN:%B %Y}"),
    ),
    "reset: no substance": (
        lambda db: service.reset(db, GUILD, ALICE, "", None, NOW, MILESTONES),
        texts.NO_SUBSTANCE,
    ),
    "delete: an unknown substance": (
        lambda db: service.delete(db, GUILD, ALICE, "alcohol please", NOW),
        texts.NO_SUCH_COUNTER.format(substance="alcohol please"),
    ),
    "history: an unknown substance": (
        lambda db: service.history(db, GUILD, ALICE, "kratom", NOW),
        texts.NO_SUCH_COUNTER.format(substance="kratom"),
    ),
    "another member's counter is unknown to bob": (
        lambda db: service.reset(db, GUILD, BOB, "alcohol", None, NOW, MILESTONES),
        texts.NO_SUCH_COUNTER.format(substance="alcohol"),
    ),
    "a counter in another server is unknown here": (
        lambda db: service.delete(db, OTHER_GUILD, ALICE, "alcohol", NOW),
        texts.NO_SUCH_COUNTER.format(substance="alcohol"),
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS))
async def test_each_bad_input_is_refused_with_its_message_and_changes_nothing(
    db: Database, case: str
) -> None:
    refused_call, message = REFUSALS[case]
    await start(db, "alcohol", BEGAN - timedelta(days=5), cost=300)
    await service.reset(db, GUILD, ALICE, "alcohol", BEGAN, NOW, MILESTONES)
    before = await sober_rows(db)
    assert all(before[name] for name in ("sober_counters", "sober_runs", "sober_preferences"))

    with pytest.raises(UserFacingError) as refused:
        await refused_call(db)

    assert refused.value.message == message
    assert await sober_rows(db) == before


async def test_a_day_still_to_come_is_judged_on_the_members_own_calendar(db: Database) -> None:
    await set_member_zone(db, GUILD, ALICE, "Pacific/Auckland")
    await set_member_zone(db, GUILD, BOB, "America/New_York")
    evening = utc(2026, 11, 10, 22)  # Auckland: 11 November; New York: 10 November

    ahead = await service.start(db, GUILD, ALICE, "alcohol", date(2026, 11, 11), evening, [1])
    before = await sober_rows(db)
    with pytest.raises(UserFacingError) as refused:
        await service.start(db, GUILD, BOB, "alcohol", date(2026, 11, 11), evening, [1])

    assert ahead.since == date(2026, 11, 11)
    assert refused.value.message == texts.DAY_IN_THE_FUTURE
    assert await sober_rows(db) == before


# --- Other members, other servers -----------------------------------------------------------


async def test_the_same_substance_for_another_member_or_in_another_server_is_its_own_counter(
    db: Database,
) -> None:
    await start(db, "alcohol", TODAY - timedelta(days=10))
    await start(db, "Alcohol", TODAY - timedelta(days=20), user_id=BOB)
    await start(db, "alcohol", TODAY - timedelta(days=30), guild_id=OTHER_GUILD)

    [alices] = await service.show(db, GUILD, ALICE, NOW, MILESTONES)
    [bobs] = await service.show(db, GUILD, BOB, NOW, MILESTONES)
    [elsewhere] = await service.show(db, OTHER_GUILD, ALICE, NOW, MILESTONES)

    assert (alices.days, bobs.days, elsewhere.days) == (10, 20, 30)


async def test_reset_delete_and_sharing_leave_other_members_and_servers_untouched(
    db: Database,
) -> None:
    await start(db, "alcohol", TODAY - timedelta(days=10))
    await start(db, "alcohol", TODAY - timedelta(days=20), user_id=BOB)
    await start(db, "alcohol", TODAY - timedelta(days=30), guild_id=OTHER_GUILD)
    await service.reset(db, GUILD, BOB, "alcohol", TODAY - timedelta(days=5), NOW, MILESTONES)
    others = {
        name: [row for row in rows if ALICE not in row or OTHER_GUILD in row]
        for name, rows in (await sober_rows(db)).items()
    }

    await service.reset(db, GUILD, ALICE, "alcohol", None, NOW, MILESTONES)
    await service.set_sharing(db, GUILD, ALICE, True)
    await service.delete(db, GUILD, ALICE, "alcohol", NOW)

    after = await sober_rows(db)
    for name, rows in others.items():
        assert all(row in after[name] for row in rows), name
    assert await stored(db) == []
    assert [c.days for c in await service.show(db, GUILD, BOB, NOW, MILESTONES)] == [5]
    assert [c.days for c in await service.show(db, OTHER_GUILD, ALICE, NOW, MILESTONES)] == [30]
    assert await runs_of(db) == [(BOB, TODAY - timedelta(days=20), TODAY - timedelta(days=5))]
