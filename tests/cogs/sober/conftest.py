"""The sober-day tests' database: tests/conftest.py's `database` (SQLite and PostgreSQL),
with two servers set up, the first with a milestones channel."""

from __future__ import annotations

import pytest

from db.engine import Database
from db.models import GuildSettings
from tests.cogs.sober.helpers import CHANNEL, GUILD, OTHER_GUILD


@pytest.fixture
async def db(database: Database) -> Database:
    for guild_id, channel_id in ((GUILD, CHANNEL), (OTHER_GUILD, None)):
        async with database.guild_session(guild_id) as session, session.begin():
            session.add(
                GuildSettings(guild_id=guild_id, timezone="UTC", milestones_channel_id=channel_id)
            )
    return database
