"""A database the first release made (migration 0001 only), with data in it, upgraded to today.

The first release's rows are written through a copy of 0001's tables, not today's models:
the models have moved on, and the point is to read what the old code wrote.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Column,
    Integer,
    MetaData,
    String,
    Table,
    Text,
    insert,
    select,
)
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

import db.models  # noqa: F401  (registers the tables on the metadata)
from config.settings import ConfigError
from db.base import Base
from db.engine import Database, create_engine
from db.keys import check_key
from db.migrate import alembic_config, upgrade_to_head
from db.models import AppMeta, AuditEntry, GuildSettings, Member
from db.models.core import (
    DEFAULT_ACK_TIMEOUT_SECONDS,
    DEFAULT_MAX_REPEATS,
    DEFAULT_REPEAT_INTERVAL_SECONDS,
)
from db.types import UTCDateTime

FIRST_RELEASE = "0001"
# Discord ids are 64-bit: beyond int32 and beyond a float's exact integers.
GUILD = 1_180_000_000_000_000_001
OWNER = 1_180_000_000_000_000_101
ALICE = 1_180_000_000_000_000_202
BOB = 1_180_000_000_000_000_303
CHANNELS = {
    "checkin_channel_id": 1_180_000_000_000_001_001,
    "specialists_channel_id": 1_180_000_000_000_001_002,
    "milestones_channel_id": 1_180_000_000_000_001_003,
    "specialist_role_id": 1_180_000_000_000_002_001,
}
SET_UP_AT = datetime(2026, 11, 25, 20, 10, 0, 123456, tzinfo=UTC)
CONSENTED_AT = datetime(2026, 11, 26, 8, 30, 15, tzinfo=UTC)
# What the first release's key check (db/keys.py) stored: this text, encrypted.
CANARY_KEY = "encryption_canary"
CANARY_PLAINTEXT = b"recovery-bot key check"

# 0001's tables as that migration created them.
_first_release = MetaData()
_app_meta = Table(
    "app_meta",
    _first_release,
    Column("key", String(64), primary_key=True),
    Column("value", Text, nullable=False),
)
_audit_log = Table(
    "audit_log",
    _first_release,
    Column("id", Integer, primary_key=True),
    Column("created_at", UTCDateTime, nullable=False),
    Column("actor_user_id", BigInteger),
    Column("subject_user_id", BigInteger),
    Column("action", String(64), nullable=False),
    Column("details", JSON, nullable=False),
    Column("guild_id", BigInteger, nullable=False),
)
_guild_settings = Table(
    "guild_settings",
    _first_release,
    Column("guild_id", BigInteger, primary_key=True, autoincrement=False),
    Column("timezone", String(64), nullable=False),
    Column("region", String(16)),
    Column("checkin_channel_id", BigInteger),
    Column("specialists_channel_id", BigInteger),
    Column("milestones_channel_id", BigInteger),
    Column("fallback_channel_id", BigInteger),
    Column("specialist_role_id", BigInteger),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)
_members = Table(
    "members",
    _first_release,
    Column("id", Integer, primary_key=True),
    Column("user_id", BigInteger, nullable=False),
    Column("timezone", String(64)),
    Column("share_signals_with_specialists", Boolean, nullable=False),
    Column("share_signals_with_partner", Boolean, nullable=False),
    Column("consent_updated_at", UTCDateTime),
    Column("guild_id", BigInteger, nullable=False),
    Column("created_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
)


@dataclass(frozen=True)
class FirstReleaseDatabase:
    engine: AsyncEngine
    alice_id: int
    bob_id: int
    audit_id: int


def _upgrade_to_first_release(connection: Connection) -> None:
    config = alembic_config()
    config.attributes["connection"] = connection
    command.upgrade(config, FIRST_RELEASE)


async def _inserted_id(connection: AsyncConnection, table: Table, **values: object) -> int:
    result = await connection.execute(insert(table).values(**values))
    key = result.inserted_primary_key
    assert key is not None
    return int(key[0])


async def _write_as_the_first_release(
    connection: AsyncConnection, cipher: MultiFernet
) -> dict[str, int]:
    await connection.execute(
        insert(_app_meta).values(
            key=CANARY_KEY, value=cipher.encrypt(CANARY_PLAINTEXT).decode("ascii")
        )
    )
    await connection.execute(
        insert(_guild_settings).values(
            guild_id=GUILD,
            timezone="Europe/Berlin",
            region="DE",
            fallback_channel_id=None,
            created_at=SET_UP_AT,
            updated_at=SET_UP_AT,
            **CHANNELS,
        )
    )
    audit_id = await _inserted_id(
        connection,
        _audit_log,
        created_at=SET_UP_AT,
        actor_user_id=OWNER,
        subject_user_id=None,
        action="settings.updated",
        details={"region": "DE", "timezone": "Europe/Berlin"},
        guild_id=GUILD,
    )
    alice_id = await _inserted_id(
        connection,
        _members,
        user_id=ALICE,
        timezone="America/New_York",
        share_signals_with_specialists=True,
        share_signals_with_partner=False,
        consent_updated_at=CONSENTED_AT,
        guild_id=GUILD,
        created_at=SET_UP_AT,
        updated_at=CONSENTED_AT,
    )
    bob_id = await _inserted_id(
        connection,
        _members,
        user_id=BOB,
        timezone=None,
        share_signals_with_specialists=False,
        share_signals_with_partner=False,
        consent_updated_at=None,
        guild_id=GUILD,
        created_at=SET_UP_AT,
        updated_at=SET_UP_AT,
    )
    return {"alice_id": alice_id, "bob_id": bob_id, "audit_id": audit_id}


@pytest.fixture
async def upgraded(database_url: str, cipher: MultiFernet) -> AsyncIterator[FirstReleaseDatabase]:
    """The first release's database with its data, then upgraded as `bot.py migrate` does."""
    engine = create_engine(database_url, cipher=cipher)
    try:
        async with engine.begin() as connection:
            await connection.run_sync(_upgrade_to_first_release)
            ids = await _write_as_the_first_release(connection, cipher)
        await upgrade_to_head(engine)
        yield FirstReleaseDatabase(engine, **ids)
    finally:
        await engine.dispose()


async def test_first_release_settings_members_and_audit_survive_the_upgrade(
    upgraded: FirstReleaseDatabase,
) -> None:
    database = Database(upgraded.engine)
    async with database.guild_session(GUILD) as session:
        settings = await session.get(GuildSettings, GUILD)
        members = (await session.scalars(select(Member).order_by(Member.id))).all()
        audit = (await session.scalars(select(AuditEntry))).all()

    assert settings is not None
    assert (settings.timezone, settings.region, settings.fallback_channel_id) == (
        "Europe/Berlin",
        "DE",
        None,
    )
    assert {name: getattr(settings, name) for name in CHANNELS} == CHANNELS
    assert (settings.created_at, settings.updated_at) == (SET_UP_AT, SET_UP_AT)
    # Settings later releases added take the defaults a new server gets.
    assert (
        settings.ack_timeout_seconds,
        settings.repeat_interval_seconds,
        settings.max_repeats,
        settings.local_resources,
    ) == (DEFAULT_ACK_TIMEOUT_SECONDS, DEFAULT_REPEAT_INTERVAL_SECONDS, DEFAULT_MAX_REPEATS, [])

    assert [
        (
            m.id,
            m.user_id,
            m.timezone,
            m.share_signals_with_specialists,
            m.share_signals_with_partner,
            m.consent_updated_at,
        )
        for m in members
    ] == [
        (upgraded.alice_id, ALICE, "America/New_York", True, False, CONSENTED_AT),
        (upgraded.bob_id, BOB, None, False, False, None),
    ]

    assert [
        (a.id, a.created_at, a.actor_user_id, a.subject_user_id, a.action, a.details) for a in audit
    ] == [
        (
            upgraded.audit_id,
            SET_UP_AT,
            OWNER,
            None,
            "settings.updated",
            {"region": "DE", "timezone": "Europe/Berlin"},
        )
    ]


async def test_first_release_rows_keep_their_ids_and_new_rows_get_fresh_ones(
    upgraded: FirstReleaseDatabase,
) -> None:
    database = Database(upgraded.engine)
    async with database.guild_session(GUILD) as session, session.begin():
        newcomer = Member(guild_id=GUILD, user_id=1_180_000_000_000_000_404)
        session.add(newcomer)
    async with database.guild_session(GUILD) as session:
        ids = {m.user_id: m.id for m in (await session.scalars(select(Member))).all()}
    assert ids[ALICE] == upgraded.alice_id
    assert ids[BOB] == upgraded.bob_id
    assert newcomer.id not in {upgraded.alice_id, upgraded.bob_id}


async def test_first_release_key_check_still_opens_with_its_key_and_refuses_another(
    upgraded: FirstReleaseDatabase, cipher: MultiFernet
) -> None:
    async with Database(upgraded.engine).meta_session() as session:
        canary = await session.get(AppMeta, CANARY_KEY)
    assert canary is not None
    assert cipher.decrypt(canary.value.encode("ascii")) == CANARY_PLAINTEXT

    await check_key(upgraded.engine, cipher)
    with pytest.raises(ConfigError, match="does not match"):
        await check_key(upgraded.engine, MultiFernet([Fernet(Fernet.generate_key())]))


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_first_release_database_upgraded_to_head_matches_the_models(
    upgraded: FirstReleaseDatabase,
) -> None:
    async with upgraded.engine.connect() as connection:
        differences = await connection.run_sync(_differences)
        revision = await connection.run_sync(_current_revision)
    assert revision == ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert differences == []
