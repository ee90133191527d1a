"""Warning signs other features notice (core/sign_sources.py), missed meetings first: the
detector raises them with the same one-nudge-per-episode rule, for members who never
checked in too, counts them towards "several", and a nudge about missed meetings alone
speaks of meetings, never of check-ins."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins import texts
from cogs.checkins.signs import ActiveSign, DetectorAlert, Sign, detect_signs, run_detector
from core.bot import RecoveryBot
from core.sign_sources import SignSources, SourcedSign
from db.engine import Database
from db.models import CheckinSignal
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import cog_of, set_up_prompt
from tests.cogs.checkins.helpers import ALICE, BOB, CHECKINS, GUILD, check_in, schedule, utc
from tests.fake_clock import FakeClock

THRESHOLDS = CHECKINS.warning_signs
MISSED_MEETINGS = Sign.MISSED_MEETINGS.value


class FakeSource:
    """A sign source whose signs the test sets; it remembers what it was asked."""

    def __init__(self, *signs: SourcedSign) -> None:
        self.signs = list(signs)
        self.asked: list[tuple[int, datetime]] = []

    async def active_signs(
        self, session: AsyncSession, guild_id: int, now: datetime
    ) -> Sequence[SourcedSign]:
        self.asked.append((guild_id, now))
        return self.signs


async def detect(database: Database, now: datetime, source: FakeSource) -> list[DetectorAlert]:
    return await run_detector(database, GUILD, THRESHOLDS, now, sources=[source])


def test_the_meetings_threshold_is_read_from_content() -> None:
    assert THRESHOLDS.missed_meetings == 3


def test_sources_are_asked_in_the_order_they_registered() -> None:
    first, second = FakeSource(), FakeSource()
    sources = SignSources()
    sources.register(first)
    sources.register(second)
    sources.register(first)  # registered once, however often
    assert sources.list() == (first, second)
    sources.unregister(first)
    assert sources.list() == (second,)


def test_a_sourced_sign_stands_alone_without_check_ins_and_joins_them_in_several() -> None:
    missed = ActiveSign(Sign.MISSED_MEETINGS, date(2026, 11, 3))
    today = date(2026, 11, 10)
    assert detect_signs([], today, THRESHOLDS, sourced=[missed]) == [missed]
    # Two sources naming the same sign are one episode, from its earliest day.
    later = ActiveSign(Sign.MISSED_MEETINGS, date(2026, 11, 6))
    assert detect_signs([], today, THRESHOLDS, sourced=[later, missed]) == [missed]


async def test_a_member_with_only_a_missed_meetings_sign_gets_it(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC")
    await check_in(database, utc(2026, 11, 9, 18), user_id=BOB)  # checking in, all well
    source = FakeSource(SourcedSign(ALICE, MISSED_MEETINGS, date(2026, 11, 3)))
    now = utc(2026, 11, 10, 12)
    [alert] = await detect(database, now, source)
    assert source.asked == [(GUILD, now)]
    assert (alert.user_id, alert.new, alert.active, alert.share_with_specialists) == (
        ALICE,
        (Sign.MISSED_MEETINGS,),
        (Sign.MISSED_MEETINGS,),
        False,  # no consent given
    )
    async with database.guild_session(GUILD) as session:
        [signal] = (await session.scalars(select(CheckinSignal))).all()
    assert (signal.id, signal.user_id, signal.kind, signal.episode_start) == (
        alert.signal_ids[0],
        ALICE,
        MISSED_MEETINGS,
        date(2026, 11, 3),
    )


async def test_missed_meetings_are_raised_once_per_run_of_misses(database: Database) -> None:
    await schedule(database, at="19:00", zone="UTC")
    source = FakeSource(SourcedSign(ALICE, MISSED_MEETINGS, date(2026, 11, 3)))
    [first] = await detect(database, utc(2026, 11, 10, 12), source)
    assert first.new == (Sign.MISSED_MEETINGS,)
    # The same run of misses, the next day and the one after: nothing new.
    assert await detect(database, utc(2026, 11, 11, 12), source) == []
    assert await detect(database, utc(2026, 11, 12, 12), source) == []
    # Back at a meeting (the sign is gone), then away again: a new episode, a new nudge.
    source.signs = []
    assert await detect(database, utc(2026, 11, 14, 12), source) == []
    source.signs = [SourcedSign(ALICE, MISSED_MEETINGS, date(2026, 11, 17))]
    [again] = await detect(database, utc(2026, 11, 24, 12), source)
    assert again.new == (Sign.MISSED_MEETINGS,)


async def test_several_counts_missed_meetings_with_the_check_in_signs(
    database: Database,
) -> None:
    await schedule(database, at="19:00", zone="UTC")
    for day in range(1, 4):
        await check_in(database, utc(2026, 11, day, 18), mood=1)  # low mood, three days
    source = FakeSource(SourcedSign(ALICE, MISSED_MEETINGS, date(2026, 10, 28)))
    [alert] = await detect(database, utc(2026, 11, 4, 12), source)
    assert alert.new == (Sign.LOW_MOOD, Sign.MISSED_MEETINGS, Sign.SEVERAL)
    assert len(alert.signal_ids) == 3
    # All three still going on the next day: no second nudge.
    assert await detect(database, utc(2026, 11, 5, 12), source) == []


def _alert(*active: Sign) -> DetectorAlert:
    return DetectorAlert(user_id=ALICE, new=active, active=active, share_with_specialists=False)


async def test_a_nudge_about_missed_meetings_alone_never_speaks_of_check_ins(
    bot: RecoveryBot, community: Community
) -> None:
    nudge = cog_of(bot).jobs.nudge_text(community.guild.id, _alert(Sign.MISSED_MEETINGS))
    assert nudge.startswith(texts.NUDGE_MISSED_MEETINGS)
    assert "check-in" not in texts.NUDGE_MISSED_MEETINGS.lower()
    assert "recent check-ins" not in nudge


async def test_with_check_in_signs_the_meetings_come_after_what_the_check_ins_show(
    bot: RecoveryBot, community: Community
) -> None:
    alert = _alert(Sign.LOW_MOOD, Sign.MISSED_MEETINGS, Sign.SEVERAL)
    nudge = cog_of(bot).jobs.nudge_text(community.guild.id, alert)
    low_mood = texts.NUDGE_PATTERN.format(signs=texts.SIGN_NAMES["low_mood"])
    assert nudge.startswith(f"{low_mood} {texts.NUDGE_MEETINGS_TOO}")
    # Meetings are not something the check-ins show.
    assert texts.SIGN_NAMES[MISSED_MEETINGS] not in nudge


async def test_the_check_in_job_asks_the_bots_sign_sources(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await set_up_prompt(community)).wait_for_response()
    source = FakeSource(SourcedSign(community.alice.id, MISSED_MEETINGS, date(2026, 11, 3)))
    bot.sign_sources.register(source)
    try:
        await cog_of(bot).jobs.detect_in(community.guild.id)
    finally:
        bot.sign_sources.unregister(source)
    assert source.asked == [(community.guild.id, clock.now())]
    nudge = await community.emu.wait_for_dm(community.alice)
    assert nudge.content.startswith(texts.NUDGE_MISSED_MEETINGS)
