"""The /partner end-to-end fixtures: the real bot on SQLite and on PostgreSQL
(tests/conftest.py's `bot_runner` is SQLite only, on the system clock), every feature
built on a clock the test moves, the emulator on the same clock. A test module may set
its own `START`, the moment its clock starts at."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from core.bot import RecoveryBot
from sandbox.community import BotRunner, Community
from tests.cogs.partners.helpers import START
from tests.fake_clock import FakeClock


@pytest.fixture
def clock(request: pytest.FixtureRequest) -> FakeClock:
    """The bot's clock, which the test moves."""
    return FakeClock(getattr(request.module, "START", START))


@pytest.fixture
async def bot_runner(
    community: Community, database_url: str, tmp_path: Path, clock: FakeClock
) -> AsyncIterator[BotRunner]:
    runner = BotRunner(community, database_url, tmp_path / "data", clock=clock)
    yield runner
    await runner.stop_all()


@pytest.fixture
async def bot(bot_runner: BotRunner, community: Community, clock: FakeClock) -> RecoveryBot:
    """The bot as after /setup, its scheduled jobs paused (a test runs them when it
    chooses)."""
    running = await bot_runner.start()
    await bot_runner.configure(running)
    running.scheduler.pause()
    community.emu.clock = clock.now
    # Discord's nonce window on the same clock: days pass in a test, not seconds.
    community.emu.nonce_clock = lambda: clock.now().timestamp()
    return running
