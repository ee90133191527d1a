"""A server's settings: read through an in-memory cache, written with an audit entry.

The cache is what lets time-critical paths (a crisis reply) work from memory when
the database is slow or down; it is filled at start and updated on every write.
"""

from __future__ import annotations

import logging
from dataclasses import asdict, dataclass, fields
from datetime import datetime
from typing import Any

from sqlalchemy import select

from db.engine import Database
from db.models import AuditEntry, GuildSettings
from db.models.core import (
    DEFAULT_ACK_TIMEOUT_SECONDS,
    DEFAULT_ERASE_AFTER_DAYS,
    DEFAULT_MAX_REPEATS,
    DEFAULT_REPEAT_INTERVAL_SECONDS,
    DEFAULT_RETENTION_DAYS,
)

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ServerConfig:
    guild_id: int
    timezone: str = "UTC"
    region: str | None = None
    checkin_channel_id: int | None = None
    specialists_channel_id: int | None = None
    milestones_channel_id: int | None = None
    fallback_channel_id: int | None = None
    specialist_role_id: int | None = None
    ack_timeout_seconds: int = DEFAULT_ACK_TIMEOUT_SECONDS
    repeat_interval_seconds: int = DEFAULT_REPEAT_INTERVAL_SECONDS
    max_repeats: int = DEFAULT_MAX_REPEATS
    local_resources: tuple[LocalResource, ...] = ()
    erase_after_days: int = DEFAULT_ERASE_AFTER_DAYS
    retention_days: int = DEFAULT_RETENTION_DAYS
    bot_removed_at: datetime | None = None
    meetings_channel_id: int | None = None
    meetings_role_id: int | None = None

    @property
    def pages_specialists(self) -> bool:
        """Whether /help-now has anyone to page here: texts that promise a page depend on it."""
        return self.specialists_channel_id is not None or self.specialist_role_id is not None


@dataclass(frozen=True)
class LocalResource:
    """A line a server added to its region's crisis resources."""

    name: str
    how: str
    always_open: bool = False


_FIELDS = tuple(f.name for f in fields(ServerConfig) if f.name != "guild_id")


def _from_row(row: GuildSettings) -> ServerConfig:
    values = {name: getattr(row, name) for name in _FIELDS}
    values["local_resources"] = tuple(
        LocalResource(str(item["name"]), str(item["how"]), bool(item.get("always_open", False)))
        for item in row.local_resources or ()
    )
    return ServerConfig(row.guild_id, **values)


def _to_column(name: str, value: Any) -> Any:
    if name == "local_resources":
        return [asdict(resource) for resource in value]
    return value


class GuildSettingsStore:
    def __init__(self, db: Database) -> None:
        self._db = db
        self._cache: dict[int, ServerConfig] = {}

    def cached(self, guild_id: int) -> ServerConfig:
        """What is known without touching the database (defaults for an unknown server)."""
        return self._cache.get(guild_id) or ServerConfig(guild_id)

    async def warm(self) -> None:
        async with self._db.all_guilds_session() as session:
            rows = (await session.scalars(select(GuildSettings))).all()
        self._cache = {row.guild_id: _from_row(row) for row in rows}
        log.info("Loaded settings for %d servers", len(self._cache))

    async def get(self, guild_id: int) -> ServerConfig:
        async with self._db.guild_session(guild_id) as session:
            row = await session.get(GuildSettings, guild_id)
        config = _from_row(row) if row else ServerConfig(guild_id)
        self._cache[guild_id] = config
        return config

    async def update(self, guild_id: int, actor_user_id: int, **changes: Any) -> ServerConfig:
        unknown = set(changes) - set(_FIELDS)
        if unknown:
            raise TypeError(f"unknown server settings: {', '.join(sorted(unknown))}")
        async with self._db.guild_session(guild_id) as session, session.begin():
            row = await session.get(GuildSettings, guild_id)
            if row is None:
                row = GuildSettings(guild_id=guild_id)
                defaults = ServerConfig(guild_id)
                for name in _FIELDS:
                    setattr(row, name, _to_column(name, getattr(defaults, name)))
                session.add(row)
            for name, value in changes.items():
                setattr(row, name, _to_column(name, value))
            session.add(
                AuditEntry(
                    guild_id=guild_id,
                    actor_user_id=actor_user_id,
                    action="settings.updated",
                    details={name: _to_column(name, changes[name]) for name in sorted(changes)},
                )
            )
            config = _from_row(row)
        self._cache[guild_id] = config
        return config
