"""The check-in tests' clock: moved by the test, with the bot's own jobs paused."""

from __future__ import annotations

import pytest

from core.bot import RecoveryBot
from tests.cogs.checkins.helpers import utc
from tests.fake_clock import FakeClock


@pytest.fixture
def clock(bot: RecoveryBot) -> FakeClock:
    clock = FakeClock(utc(2026, 11, 10, 18, 0))  # a Tuesday
    bot.clock = clock
    # The test runs the jobs itself at the times it chooses; the real clock must not.
    bot.scheduler.pause()
    return clock
