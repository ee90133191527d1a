"""The meetings' end-to-end fixtures: a server with a meeting room, a meetings channel and
a reminder role, and one clock the bot and the emulator share, at noon in New York on
Monday 8 March 2027 (the US moves its clocks on Sunday 14 March)."""

from __future__ import annotations

import pytest

from core.bot import RecoveryBot
from sandbox.community import BotRunner, Community
from tests.cogs.meetings.helpers import MONDAY_BEFORE_DST, Rooms, add_rooms, configure, hold_clock
from tests.fake_clock import FakeClock


@pytest.fixture
def rooms(community: Community) -> Rooms:
    return add_rooms(community)


@pytest.fixture
async def clock(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, rooms: Rooms
) -> FakeClock:
    clock = FakeClock(MONDAY_BEFORE_DST)
    hold_clock(bot, community, clock)
    await configure(bot_runner, bot, rooms)
    return clock
