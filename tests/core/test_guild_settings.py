from __future__ import annotations

from sqlalchemy import select

from core.guild_settings import GuildSettingsStore
from db.engine import Database
from db.models import AuditEntry

GUILD = 555_000_000_000_000_005
ADMIN = 666_000_000_000_000_006


async def test_updates_are_cached_persisted_and_audited(database: Database) -> None:
    store = GuildSettingsStore(database)
    assert store.cached(GUILD).timezone == "UTC"

    updated = await store.update(GUILD, ADMIN, timezone="Europe/Dublin", region="UK")
    assert store.cached(GUILD) == updated

    fresh = GuildSettingsStore(database)
    await fresh.warm()
    assert fresh.cached(GUILD).timezone == "Europe/Dublin"
    assert fresh.cached(GUILD).region == "UK"
    async with database.guild_session(GUILD) as session:
        entry = (await session.scalars(select(AuditEntry))).one()
    assert entry.actor_user_id == ADMIN
    assert entry.action == "settings.updated"
    assert entry.details == {"region": "UK", "timezone": "Europe/Dublin"}
