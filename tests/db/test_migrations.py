from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection

import db.models  # noqa: F401  (registers the tables on the metadata)
from db.base import Base
from db.engine import create_engine
from db.migrate import alembic_config, upgrade_to_head
from tests.databases import sqlite_url


def _differences(connection: Connection) -> list[object]:
    context = MigrationContext.configure(connection, opts={"compare_type": True})
    return list(compare_metadata(context, Base.metadata))


def _current_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_empty_database_migrates_to_head_and_matches_the_models(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.connect() as connection:
            differences = await connection.run_sync(_differences)
            revision = await connection.run_sync(_current_revision)
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
    finally:
        await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert revision == head
    assert differences == []
    assert set(Base.metadata.tables) <= tables


async def test_migrating_twice_is_harmless_and_downgrade_reaches_empty(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        await upgrade_to_head(engine)

        def downgrade(connection: Connection) -> set[str]:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.downgrade(config, "base")
            return set(inspect(connection).get_table_names())

        async with engine.begin() as connection:
            remaining = await connection.run_sync(downgrade)
    finally:
        await engine.dispose()
    assert remaining <= {"alembic_version"}


async def test_sqlite_connections_use_wal_foreign_keys_and_a_busy_timeout(tmp_path: Path) -> None:
    engine = create_engine(sqlite_url(tmp_path))
    try:
        async with engine.connect() as connection:
            journal = (await connection.execute(text("PRAGMA journal_mode"))).scalar()
            foreign_keys = (await connection.execute(text("PRAGMA foreign_keys"))).scalar()
            busy = (await connection.execute(text("PRAGMA busy_timeout"))).scalar_one()
    finally:
        await engine.dispose()
    assert journal == "wal"
    assert foreign_keys == 1
    assert busy >= 5000


async def test_help_now_rows_from_before_0004_count_as_paged_and_a_finished_chain_as_told(
    database_url: str,
) -> None:
    engine = create_engine(database_url)

    def to(revision: str) -> Callable[[Connection], None]:
        def run(connection: Connection) -> None:
            config = alembic_config()
            config.attributes["connection"] = connection
            command.upgrade(config, revision)

        return run

    try:
        async with engine.begin() as connection:
            await connection.run_sync(to("0003"))
            # One request still waiting for its next step, one whose chain had ended.
            for member, public_id, due in (
                (2, "waiting", datetime(2026, 11, 25, 20, 5, tzinfo=UTC)),
                (3, "ended", None),
            ):
                await connection.execute(
                    text(
                        "INSERT INTO help_requests (guild_id, public_id, member_user_id, "
                        "status, created_at, step, next_step_at) VALUES (1, :id, :member, 'open', "
                        "'2026-11-25 20:00:00', 0, :due)"
                    ),
                    {"id": public_id, "member": member, "due": due},
                )
            await connection.run_sync(to("head"))
            rows = await connection.execute(
                text("SELECT public_id, paged_at, owner_told_at FROM help_requests")
            )
            found = {row[0]: (row[1] is not None, row[2] is not None) for row in rows}
    finally:
        await engine.dispose()
    assert found == {"waiting": (True, False), "ended": (True, True)}
