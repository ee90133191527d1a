"""/me timezone and /checkin timezone end to end when moving the counters fails: the
member is told kindly, nothing is saved, and their milestone still comes at their local
midnight; once things work again the same command moves both."""

from __future__ import annotations

import importlib
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from core.bot import RecoveryBot
from core.error_handler import SOMETHING_WENT_WRONG
from db.models import Member as DbMember
from db.models import SoberCounter
from sandbox.community import Community
from tests.cogs.checkins.helpers import utc
from tests.cogs.sober.helpers import hold_clock, run_milestones
from tests.fake_clock import FakeClock

COMMANDS = ["me timezone", "checkin timezone"]


@pytest.fixture
def clock(bot: RecoveryBot) -> FakeClock:
    clock = FakeClock(utc(2026, 11, 10, 18, 0))
    hold_clock(bot, clock)
    return clock


async def saved(bot: RecoveryBot, community: Community) -> tuple[str | None, datetime | None]:
    """Alice's zone and her counter's next milestone, as stored."""
    async with bot.db.guild_session(community.guild.id) as session:
        zone = await session.scalar(
            select(DbMember.timezone).where(DbMember.user_id == community.alice.id)
        )
        [counter] = (await session.scalars(select(SoberCounter))).all()
        return zone, counter.next_milestone_at


@pytest.mark.parametrize("command", COMMANDS)
async def test_a_failure_moving_the_counters_changes_nothing_and_is_told_kindly(
    bot: RecoveryBot,
    community: Community,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    command: str,
) -> None:
    emu = community.emu
    started = await community.alice.run_command(
        "sober start", channel=community.checkins, options={"substance": "alcohol"}
    )
    await started.wait_for_response()
    before = await saved(bot, community)

    def crash(*_: Any) -> datetime:
        raise RuntimeError("crashed while moving the counters")

    # The module the running bot loaded (each start imports the features afresh).
    monkeypatch.setattr(importlib.import_module("cogs.sober.service"), "milestone_at", crash)
    it = await community.alice.run_command(command, channel=community.checkins, zone="Asia/Tokyo")
    reply = await it.wait_for_response()
    assert reply.ephemeral
    assert reply.content == SOMETHING_WENT_WRONG
    monkeypatch.undo()

    assert await saved(bot, community) == before
    clock.at = utc(2026, 11, 10, 23, 0)  # 08:00 on 11 November in Tokyo, but not saved
    await run_milestones(bot)
    assert emu.dms_of(community.alice) == []

    # Tried again once things work: both move, and the milestone follows Tokyo's day.
    it = await community.alice.run_command(command, channel=community.checkins, zone="Asia/Tokyo")
    assert "Asia/Tokyo" in (await it.wait_for_response()).content
    zone, _ = await saved(bot, community)
    assert zone == "Asia/Tokyo"
    await run_milestones(bot)
    [congratulation] = emu.dms_of(community.alice)
    assert "**1 day**" in congratulation.content
