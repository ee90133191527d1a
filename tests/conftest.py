from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet

from db.engine import Database, create_engine
from db.migrate import upgrade_to_head
from tests.databases import fresh_postgres_url, sqlite_url


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
async def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database on each backend the bot supports."""
    if request.param == "sqlite":
        yield sqlite_url(tmp_path)
        return
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
