"""The warning-sign detector: thresholds from content, one nudge per episode, consent."""

from __future__ import annotations

import asyncio
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import event, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins import preferences, records
from cogs.checkins.schedule import save_schedule
from cogs.checkins.signs import (
    ActiveSign,
    DayEntry,
    Sign,
    detect_signs,
    new_signs,
    record_alert_delivery,
    run_detector,
)
from core.sign_sources import SourcedSign
from db.engine import Database, attach_cipher, create_engine
from db.migrate import upgrade_to_head
from db.models import AuditEntry, CheckinSignal
from tests.cogs.checkins.helpers import (
    ADMIN,
    ALICE,
    BOB,
    CHECKINS,
    GUILD,
    check_in,
    schedule,
    utc,
)

THRESHOLDS = CHECKINS.warning_signs  # missed 3, rising 3, low mood 3 (<= 2), sleep 3 (< 5)
EVERY_DAY = frozenset(range(7))
NOV = date(2026, 11, 1)


def _days(*values: tuple[int, int, float], start: date = NOV) -> list[DayEntry]:
    return [
        DayEntry(start + timedelta(days=n), mood, craving, sleep)
        for n, (mood, craving, sleep) in enumerate(values)
    ]


def test_missed_check_ins_count_from_the_configured_number_of_days() -> None:
    entries = _days((4, 1, 8))  # the 1st only
    assert THRESHOLDS.missed_days == 3
    # On the 4th, the 2nd and 3rd are missed: two days, not yet a sign.
    assert detect_signs(entries, date(2026, 11, 4), THRESHOLDS, EVERY_DAY) == []
    assert detect_signs(entries, date(2026, 11, 5), THRESHOLDS, EVERY_DAY) == [
        ActiveSign(Sign.MISSED, date(2026, 11, 2))
    ]


def test_days_without_a_scheduled_check_in_are_not_missed() -> None:
    friday = date(2026, 11, 6)
    entries = _days((4, 1, 8), start=friday)
    weekdays = frozenset(range(5))
    # Saturday and Sunday are days off; Monday and Tuesday missed: not yet three.
    assert detect_signs(entries, date(2026, 11, 11), THRESHOLDS, weekdays) == []
    assert detect_signs(entries, date(2026, 11, 12), THRESHOLDS, weekdays) == [
        ActiveSign(Sign.MISSED, date(2026, 11, 7))
    ]


def test_rising_cravings_low_mood_and_short_sleep_each_need_their_run() -> None:
    today = date(2026, 11, 5)
    rising = _days((4, 2, 8), (4, 3, 8), (4, 5, 8))
    assert detect_signs(rising, today, THRESHOLDS) == [ActiveSign(Sign.RISING_CRAVING, NOV)]
    not_rising = _days((4, 2, 8), (4, 5, 8), (4, 5, 8))
    assert detect_signs(not_rising, today, THRESHOLDS) == []
    low = _days((4, 1, 8), (2, 1, 8), (1, 1, 8), (2, 1, 8))
    assert detect_signs(low, today, THRESHOLDS) == [ActiveSign(Sign.LOW_MOOD, date(2026, 11, 2))]
    short = _days((4, 1, 4.5), (4, 1, 3), (4, 1, 5))  # 5 hours is not under 5
    assert detect_signs(short, today, THRESHOLDS) == []
    short = _days((4, 1, 4.5), (4, 1, 3), (4, 1, 4))
    assert detect_signs(short, today, THRESHOLDS) == [ActiveSign(Sign.SHORT_SLEEP, NOV)]


def test_several_signs_together_are_a_sign_of_their_own() -> None:
    entries = _days((2, 1, 4), (2, 2, 4), (1, 4, 4))
    signs = detect_signs(entries, date(2026, 11, 4), THRESHOLDS)
    assert {sign.kind for sign in signs} == {
        Sign.RISING_CRAVING,
        Sign.LOW_MOOD,
        Sign.SHORT_SLEEP,
        Sign.SEVERAL,
    }


def test_a_sign_still_going_on_is_not_new_and_a_later_episode_is() -> None:
    noticed = {Sign.LOW_MOOD: date(2026, 11, 5)}
    same = [ActiveSign(Sign.LOW_MOOD, date(2026, 11, 3))]
    later = [ActiveSign(Sign.LOW_MOOD, date(2026, 11, 9))]
    assert new_signs(same, noticed) == []
    assert new_signs(later, noticed) == later
    assert new_signs(same, {}) == same


async def test_the_detector_nudges_after_the_configured_missed_days_and_only_once(
    database: Database,
) -> None:
    await schedule(database, at="19:00", zone="UTC")
    for day in range(1, 6):
        await check_in(database, utc(2026, 11, day, 18))
    # The 6th and 7th missed: two days.
    assert await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 8, 12)) == []
    [alert] = await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 9, 12))
    assert (alert.user_id, alert.new, alert.share_with_specialists) == (
        ALICE,
        (Sign.MISSED,),
        False,  # no consent given
    )
    # The same absence is not raised again, the same day or the next.
    assert await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 9, 18)) == []
    assert await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 10, 12)) == []
    # Back for a day, then away again: a new absence, a new nudge.
    await check_in(database, utc(2026, 11, 11, 18))
    [again] = await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 15, 12))
    assert again.new == (Sign.MISSED,)


class BothRunsRead:
    """A sign source that holds each detector run until two have read the group's
    check-ins: both then decide the same sign is new before either records it."""

    def __init__(self) -> None:
        self.arrived = 0
        self.both = asyncio.Event()

    async def active_signs(
        self, session: AsyncSession, guild_id: int, now: datetime
    ) -> list[SourcedSign]:
        self.arrived += 1
        if self.arrived == 2:
            self.both.set()
        await asyncio.wait_for(self.both.wait(), timeout=5)
        return []


@pytest.mark.postgres
async def test_two_runs_at_once_raise_a_sign_once_and_neither_fails(
    postgres_url: str, cipher: MultiFernet
) -> None:
    # Two processes holding one shard (a deploy's overlap) run the same moment's detector
    # on one PostgreSQL database.
    engine = create_engine(postgres_url, cipher=cipher)
    await upgrade_to_head(engine)
    database = Database(engine)
    try:
        await schedule(database, at="19:00", zone="UTC")
        for day in range(1, 6):
            await check_in(database, utc(2026, 11, day, 18))
        at, source = utc(2026, 11, 9, 12), BothRunsRead()
        first, second = await asyncio.gather(
            run_detector(database, GUILD, THRESHOLDS, at, [source]),
            run_detector(database, GUILD, THRESHOLDS, at, [source]),
        )
        assert source.arrived == 2
        assert sorted((len(first), len(second))) == [0, 1]
        [alert] = first + second
        assert (alert.user_id, alert.new) == (ALICE, (Sign.MISSED,))
    finally:
        await database.dispose()


async def test_specialists_hear_of_a_sign_only_with_the_members_consent(
    database: Database,
) -> None:
    await schedule(database, at="19:00", zone="UTC")
    await preferences.set_specialist_consent(database, GUILD, BOB, True, utc(2026, 10, 1))
    await preferences.set_specialist_consent(database, GUILD, ALICE, True, utc(2026, 10, 1))
    await preferences.set_specialist_consent(database, GUILD, ALICE, False, utc(2026, 10, 2))
    for user_id in (ALICE, BOB):
        await check_in(database, utc(2026, 11, 1, 18), user_id=user_id)
    alerts = await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 5, 12))
    shares = {alert.user_id: alert.share_with_specialists for alert in alerts}
    assert shares == {ALICE: False, BOB: True}
    for alert in alerts:
        await record_alert_delivery(
            database, GUILD, alert, nudged=True, shared=alert.share_with_specialists
        )
    async with database.guild_session(GUILD) as session:
        signals = (await session.scalars(select(CheckinSignal))).all()
        audit = (await session.scalars(select(AuditEntry))).all()
    assert {(s.user_id, s.nudge_delivered, s.shared_with_specialists) for s in signals} == {
        (ALICE, True, False),
        (BOB, True, True),
    }
    shared = [entry for entry in audit if entry.action == "checkins.signal_shared"]
    assert [(entry.subject_user_id, entry.details) for entry in shared] == [
        (BOB, {"signs": ["missed"]})
    ]
    consents = [entry.details for entry in audit if entry.subject_user_id == ALICE]
    assert consents == [{"share": True}, {"share": False}]


async def test_each_alert_carries_the_ids_of_its_own_signals(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC")
    carol = BOB + 1
    for day in range(1, 4):
        await check_in(database, utc(2026, 11, day, 18), user_id=ALICE, mood=1)  # low mood
        await check_in(database, utc(2026, 11, day, 18), user_id=BOB, mood=1, sleep=4)
    await check_in(database, utc(2026, 11, 1, 18), user_id=carol)  # then away: missed
    alerts = await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 5, 12))
    async with database.guild_session(GUILD) as session:
        signals = {row.id: row for row in (await session.scalars(select(CheckinSignal))).all()}
    assert {alert.user_id: alert.new for alert in alerts} == {
        ALICE: (Sign.LOW_MOOD,),
        BOB: (Sign.LOW_MOOD, Sign.SHORT_SLEEP, Sign.SEVERAL),
        carol: (Sign.MISSED,),
    }
    for alert in alerts:
        mine = [signals[signal_id] for signal_id in alert.signal_ids]
        assert [(row.user_id, row.kind) for row in mine] == [
            (alert.user_id, sign.value) for sign in alert.new
        ]
    assert len(signals) == 5


async def test_the_detector_writes_a_runs_signals_in_one_statement(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC")
    for user_id in range(ALICE, ALICE + 20):
        await check_in(database, utc(2026, 11, 1, 18), user_id=user_id)
    writes: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        if not statement.lstrip().upper().startswith("SELECT"):
            writes.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        alerts = await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 5, 12))
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)
    assert len(alerts) == 20
    assert len(writes) == 1


async def test_a_delivery_that_reached_no_one_changes_nothing(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC")
    await check_in(database, utc(2026, 11, 1, 18))
    [alert] = await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 5, 12))
    writes: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_rest: Any) -> None:
        writes.append(statement)

    event.listen(database.engine.sync_engine, "before_cursor_execute", seen)
    try:
        await record_alert_delivery(database, GUILD, alert, nudged=False, shared=False)
    finally:
        event.remove(database.engine.sync_engine, "before_cursor_execute", seen)
    assert writes == []
    async with database.guild_session(GUILD) as session:
        [signal] = (await session.scalars(select(CheckinSignal))).all()
        audit = (await session.scalars(select(AuditEntry))).all()
    assert (signal.nudge_delivered, signal.shared_with_specialists) == (False, False)
    assert [entry for entry in audit if entry.action == "checkins.signal_shared"] == []


async def test_the_detector_never_reads_notes(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC")
    for day in range(1, 4):
        await check_in(database, utc(2026, 11, day, 18), mood=1, note="very private")
    # With a key that cannot open the notes, reading one would fail.
    attach_cipher(database.engine, MultiFernet([Fernet(Fernet.generate_key())]))
    [alert] = await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 4, 12))
    assert alert.new == (Sign.LOW_MOOD,)
    history = await records.history(database, GUILD, ALICE, 7, utc(2026, 11, 4, 12))
    assert [point.mood for point in history.points] == [1, 1, 1]


async def test_no_detector_when_check_ins_are_turned_off(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC")
    await check_in(database, utc(2026, 11, 1, 18))
    await save_schedule(database, GUILD, ADMIN, enabled=False)
    assert await run_detector(database, GUILD, THRESHOLDS, utc(2026, 11, 9, 12)) == []
