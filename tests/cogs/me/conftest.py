"""The /me tests' database: tests/conftest.py's `database` (SQLite and PostgreSQL), with
one server set up in UTC."""

from __future__ import annotations

import pytest

from db.engine import Database
from db.models import GuildSettings
from tests.cogs.sober.helpers import GUILD


@pytest.fixture
async def db(database: Database) -> Database:
    async with database.guild_session(GUILD) as session, session.begin():
        session.add(GuildSettings(guild_id=GUILD, timezone="UTC"))
    return database
