"""Recording a check-in: stored, encrypted, validated, one per local day, streaks."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, insert, select, update

from cogs.checkins import form, records
from cogs.checkins.form import RawCheckin
from core.errors import UserFacingError
from db.engine import Database
from db.models import Checkin, Member
from tests.cogs.checkins.helpers import (
    ALICE,
    BOB,
    CHECKINS,
    GOOD,
    GUILD,
    OTHER_GUILD,
    check_in,
    schedule,
    set_member_zone,
    set_server_zone,
    utc,
)

SECRET_NOTE = "I drove past the old bridge where I used to buy"


async def _rows(database: Database, guild_id: int = GUILD) -> list[Checkin]:
    async with database.guild_session(guild_id) as session:
        return list((await session.scalars(select(Checkin).order_by(Checkin.local_date))).all())


async def test_a_check_in_is_stored_with_every_answer(database: Database) -> None:
    now = utc(2026, 11, 10, 18, 0)
    outcome = await check_in(
        database,
        now,
        mood=2,
        craving=8,
        sleep=5.5,
        triggers=("other", "Loneliness", "Stress (money, work, legal)"),
        note="hi",
    )
    [row] = await _rows(database)
    assert (row.guild_id, row.user_id, row.local_date) == (GUILD, ALICE, date(2026, 11, 10))
    assert (row.mood, row.craving, row.sleep_hours) == (2, 8, 5.5)
    # In the list's order, "other" last, whatever order they were picked in.
    assert row.triggers == ["Stress (money, work, legal)", "Loneliness", "other"]
    assert row.note == "hi"
    assert row.created_at == now
    assert outcome.created
    assert outcome.streak == 1
    assert outcome.high_craving  # 8 >= the configured 7
    assert outcome.low_mood  # 2 <= the configured 2


async def test_the_note_is_never_stored_in_the_clear(database: Database) -> None:
    await check_in(database, utc(2026, 11, 10, 18, 0), note=SECRET_NOTE)
    async with database.engine.connect() as connection:
        raw = (await connection.exec_driver_sql("SELECT note FROM checkins")).scalar()
    assert isinstance(raw, str)
    assert SECRET_NOTE not in raw
    assert "bridge" not in raw
    assert (await _rows(database))[0].note == SECRET_NOTE
    if database.engine.dialect.name == "sqlite":
        await database.engine.dispose()  # flush the WAL into the file
        path = Path(str(database.engine.url.database))
        on_disk = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
        assert b"checkins" in on_disk  # the file really holds the table
        assert b"bridge" not in on_disk


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (RawCheckin("9", "2", "7"), "Mood"),
        (RawCheckin("three", "2", "7"), "Mood"),
        (RawCheckin("", "2", "7"), "Mood"),
        (RawCheckin("3", "11", "7"), "Cravings"),
        (RawCheckin("3", "-1", "7"), "Cravings"),
        (RawCheckin("3", "2", "25"), "Sleep"),
        (RawCheckin("3", "2", "lots"), "Sleep"),
        (RawCheckin("3", "2", "7", note="x" * (form.NOTE_MAX_LENGTH + 1)), "Note"),
    ],
)
async def test_bad_values_are_refused_by_name_and_nothing_is_stored(
    database: Database, raw: RawCheckin, field: str
) -> None:
    with pytest.raises(UserFacingError, match=rf"\*\*{field}\*\*") as refused:
        await records.record_checkin(database, GUILD, ALICE, raw, CHECKINS, utc(2026, 11, 10))
    assert "Nothing was saved" in refused.value.message
    assert await _rows(database) == []


async def test_a_pick_that_is_not_on_the_list_is_dropped_not_stored(database: Database) -> None:
    # The emulator, like Discord, refuses it; a forged submit still stores only known names.
    forged = RawCheckin("3", "2", "7", triggers=("my boss yelled", "Loneliness", "1"))
    await records.record_checkin(database, GUILD, ALICE, forged, CHECKINS, utc(2026, 11, 10))
    assert [row.triggers for row in await _rows(database)] == [["Loneliness"]]


async def test_every_bad_field_is_named_at_once(database: Database) -> None:
    with pytest.raises(UserFacingError) as refused:
        await records.record_checkin(
            database, GUILD, ALICE, RawCheckin("0", "99", "x"), CHECKINS, utc(2026, 11, 10)
        )
    for field in ("Mood", "Cravings", "Sleep"):
        assert f"**{field}**" in refused.value.message


async def test_a_refused_update_leaves_the_earlier_check_in_untouched(database: Database) -> None:
    await check_in(database, utc(2026, 11, 10, 9), mood=4, note="morning")
    with pytest.raises(UserFacingError):
        await records.record_checkin(
            database, GUILD, ALICE, RawCheckin("4", "2", "99"), CHECKINS, utc(2026, 11, 10, 20)
        )
    [row] = await _rows(database)
    assert (row.mood, row.sleep_hours, row.note) == (4, 7.5, "morning")


async def test_a_second_check_in_the_same_day_updates_the_first(database: Database) -> None:
    first = await check_in(database, utc(2026, 11, 10, 9), mood=2, craving=6, note="rough")
    second = await check_in(database, utc(2026, 11, 10, 21), mood=4, craving=1, note="")
    [row] = await _rows(database)
    assert (row.mood, row.craving, row.note) == (4, 1, None)
    assert row.created_at == utc(2026, 11, 10, 9)
    assert row.updated_at == utc(2026, 11, 10, 21)
    assert first.created
    assert not second.created
    assert second.streak == 1


async def test_the_form_is_prefilled_with_todays_answers(database: Database) -> None:
    picked = ("Relationships or conflict", "other")
    await check_in(database, utc(2026, 11, 10, 9), mood=3, sleep=6.5, triggers=picked, note="n")
    answers = await records.todays_answers(database, GUILD, ALICE, CHECKINS, utc(2026, 11, 10, 20))
    assert answers == RawCheckin("3", "2", "6.5", picked, "n")
    # A trigger the group has since taken off its list is not offered as picked.
    shorter = CHECKINS.model_copy(update={"triggers": ["Loneliness", "Boredom"]})
    again = await records.todays_answers(database, GUILD, ALICE, shorter, utc(2026, 11, 10, 20))
    assert again is not None
    assert again.triggers == ("other",)
    assert (
        await records.todays_answers(database, GUILD, ALICE, CHECKINS, utc(2026, 11, 11, 9)) is None
    )


async def test_streaks_count_local_days_in_the_members_zone(database: Database) -> None:
    # Auckland is UTC+13 in November: UTC midnight is 1 pm there.
    await set_member_zone(database, GUILD, ALICE, "Pacific/Auckland")
    # 23:00 on the 10th and 01:00 on the 11th in Auckland: one UTC date, two local days.
    first = await check_in(database, utc(2026, 11, 10, 10, 0))
    second = await check_in(database, utc(2026, 11, 10, 12, 0))
    assert (first.local_date, second.local_date) == (date(2026, 11, 10), date(2026, 11, 11))
    assert second.created
    assert second.streak == 2
    # 12:30 and 14:00 on the 12th in Auckland straddle UTC midnight: one local day.
    third = await check_in(database, utc(2026, 11, 11, 23, 30))
    fourth = await check_in(database, utc(2026, 11, 12, 1, 0))
    assert third.local_date == fourth.local_date == date(2026, 11, 12)
    assert not fourth.created
    assert fourth.streak == 3
    assert len(await _rows(database)) == 3


async def test_without_a_zone_of_their_own_a_member_lives_in_the_servers(
    database: Database,
) -> None:
    await set_server_zone(database, GUILD, "America/Los_Angeles")
    # 03:00 UTC on the 11th is still the evening of the 10th in Los Angeles.
    outcome = await check_in(database, utc(2026, 11, 11, 3, 0))
    assert outcome.local_date == date(2026, 11, 10)


async def test_the_groups_check_in_zone_wins_over_the_servers(database: Database) -> None:
    await set_server_zone(database, GUILD, "UTC")
    await schedule(database, zone="America/New_York")
    outcome = await check_in(database, utc(2026, 11, 11, 3, 0))
    assert outcome.local_date == date(2026, 11, 10)


async def test_a_missed_day_ends_a_streak_and_an_open_today_does_not(database: Database) -> None:
    for day in (1, 2, 4, 5):
        await check_in(database, utc(2026, 11, day, 12))
    assert await records.member_streak(database, GUILD, ALICE, utc(2026, 11, 5, 20)) == 2
    # The 6th is still open: yesterday's streak stands until the day is over.
    assert await records.member_streak(database, GUILD, ALICE, utc(2026, 11, 6, 9)) == 2
    assert await records.member_streak(database, GUILD, ALICE, utc(2026, 11, 7, 9)) == 0


def test_days_without_a_scheduled_check_in_do_not_break_a_streak() -> None:
    weekdays = frozenset(range(5))  # Monday to Friday
    friday, monday = date(2026, 11, 6), date(2026, 11, 9)
    dates = {friday - timedelta(days=1), friday, monday}
    assert records.streak_length(dates, monday, weekdays) == 3
    assert records.streak_length(dates, monday, frozenset(range(7))) == 1
    assert records.streak_length(set(), monday, weekdays) == 0


async def test_a_streak_of_years_is_counted_in_full_in_three_statements(
    database: Database,
) -> None:
    await schedule(database, zone="UTC")
    today = date(2026, 11, 10)
    rows = [
        {
            "guild_id": GUILD,
            "user_id": ALICE,
            "local_date": today - timedelta(days=back),
            "mood": 4,
            "craving": 2,
            "sleep_hours": 7.5,
            "triggers": [],
        }
        for back in range(4 * 365)
    ]
    async with database.guild_session(GUILD) as session, session.begin():
        await session.execute(insert(Checkin), rows)
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        statements.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        mine = await records.history(database, GUILD, ALICE, 30, utc(2026, 11, 10, 20))
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)
    assert mine.streak == 4 * 365
    assert len(mine.points) == 30
    # The schedule with the member's zone, the last weeks' rows, counts of older days.
    assert len(statements) == 3


async def test_check_ins_stay_within_their_server(database: Database) -> None:
    await check_in(database, utc(2026, 11, 10, 12), guild_id=GUILD, note="a")
    await check_in(database, utc(2026, 11, 10, 12), guild_id=OTHER_GUILD, mood=1)
    await check_in(database, utc(2026, 11, 10, 12), guild_id=OTHER_GUILD, user_id=BOB)
    assert [r.mood for r in await _rows(database, GUILD)] == [4]
    history = await records.history(database, GUILD, ALICE, 7, utc(2026, 11, 10, 20))
    assert [p.mood for p in history.points] == [4]
    group = await records.participation(database, GUILD, 7, utc(2026, 11, 10, 20))
    assert group.members == 1
    async with database.all_guilds_session() as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 3


async def test_a_submit_reads_nothing_of_the_members_other_servers(database: Database) -> None:
    # Elsewhere: a zone of their own, a schedule, notes turned off and days of check-ins.
    await set_member_zone(database, OTHER_GUILD, ALICE, "Pacific/Kiritimati")
    await schedule(database, guild_id=OTHER_GUILD, zone="Pacific/Kiritimati", days="weekdays")
    async with database.guild_session(OTHER_GUILD) as session, session.begin():
        await session.execute(
            update(Member).where(Member.user_id == ALICE).values(keep_checkin_notes=False)
        )
    for day in range(1, 10):
        await check_in(database, utc(2026, 11, day, 12), guild_id=OTHER_GUILD)

    # 23:00 UTC is the next day in Kiritimati (UTC+14): here it is still the 10th.
    outcome = await check_in(database, utc(2026, 11, 10, 23), note="kept here")
    assert outcome.local_date == date(2026, 11, 10)
    assert outcome.streak == 1
    assert not outcome.note_not_kept
    assert [r.note for r in await _rows(database, GUILD)] == ["kept here"]


async def test_triggers_can_be_changed_after_the_check_in(database: Database) -> None:
    await check_in(database, utc(2026, 11, 10, 12))
    kept = await records.set_triggers(
        database,
        GUILD,
        ALICE,
        ["Boredom", "other", "not a trigger"],
        CHECKINS,
        utc(2026, 11, 10, 13),
    )
    assert kept == ("Boredom", "other")
    assert (await _rows(database))[0].triggers == ["Boredom", "other"]
    with pytest.raises(UserFacingError, match="no check-in for today"):
        await records.set_triggers(
            database, GUILD, ALICE, ["Boredom"], CHECKINS, utc(2026, 11, 11, 13)
        )


async def test_history_and_participation_carry_no_note_and_no_names(database: Database) -> None:
    await check_in(database, utc(2026, 11, 8, 12), triggers=("Boredom",), note="private")
    await check_in(database, utc(2026, 11, 10, 12), mood=2)
    await check_in(database, utc(2026, 11, 10, 12), user_id=BOB)
    mine = await records.history(database, GUILD, ALICE, 7, utc(2026, 11, 10, 20))
    assert [(p.local_date.day, p.mood, p.triggers) for p in mine.points] == [
        (8, 4, ("Boredom",)),
        (10, 2, ()),
    ]
    assert mine.streak == 1
    group = await records.participation(database, GUILD, 4, utc(2026, 11, 10, 20))
    assert group.per_day == [
        (date(2026, 11, 7), 0),
        (date(2026, 11, 8), 1),
        (date(2026, 11, 9), 0),
        (date(2026, 11, 10), 2),
    ]
    assert group.members == 2
    assert group.average == 0.75


def test_the_good_answers_parse() -> None:
    values = form.parse_checkin(GOOD, CHECKINS)
    assert (values.mood, values.craving, values.sleep_hours, values.triggers) == (4, 2, 7.5, ())
    assert values.note is None
    assert form.parse_checkin(RawCheckin("3/5", "0", "6,5 h"), CHECKINS).sleep_hours == 6.5
