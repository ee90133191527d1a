from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from core.bot import RecoveryBot
from db.engine import Database, create_engine
from db.migrate import upgrade_to_head
from fakediscord import FakeDiscord
from sandbox.community import BotRunner, Community, build_community
from tests.databases import fresh_postgres_url, sqlite_url

pytest_plugins = ["fakediscord.testing"]


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on each backend the bot supports."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
    async for url in fresh_postgres_url():
        yield url


@pytest.fixture
async def postgres_url() -> AsyncIterator[str]:
    """An empty PostgreSQL database (mark the test `postgres`)."""
    async for url in fresh_postgres_url():
        yield url


@pytest.fixture
def cipher() -> MultiFernet:
    return MultiFernet([Fernet(Fernet.generate_key())])


@pytest.fixture
async def database(database_url: str, cipher: MultiFernet) -> AsyncIterator[Database]:
    """A migrated database with an encryption key, on each backend."""
    engine = create_engine(database_url, cipher=cipher)
    await upgrade_to_head(engine)
    db = Database(engine)
    yield db
    await db.dispose()


@pytest.fixture
def community(emulator: FakeDiscord) -> Community:
    return build_community(emulator)


@pytest.fixture
async def bot_runner(community: Community, tmp_path: Path) -> AsyncIterator[BotRunner]:
    runner = BotRunner(community, sqlite_url(tmp_path), tmp_path / "data")
    yield runner
    await runner.stop_all()


@pytest.fixture
async def bot(bot_runner: BotRunner) -> RecoveryBot:
    """The real bot, running against the emulator, with the community set up."""
    running = await bot_runner.start()
    await bot_runner.configure(running)
    return running
