"""`python bot.py check`: whether this set-up can run, one line per piece, and what to do.

Written for a volunteer admin, before the first start or when the bot misbehaves. It
only reads: it takes no data-folder lock, creates no database or key and writes no key
check, so it is safe to run while the bot runs.
"""

from __future__ import annotations

import os
import socket
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import discord
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from pydantic import ValidationError
from sqlalchemy.engine import URL, Connection, make_url
from sqlalchemy.exc import ArgumentError, DBAPIError, SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine

from config.content import load_content
from config.settings import ConfigError, Settings, describe_invalid
from db.engine import create_engine
from db.keys import (
    database_has_key_check,
    key_file_path,
    key_opens_database,
    parse_keys,
    read_key_file,
)
from db.migrate import alembic_config

CONNECT_TIMEOUT_SECONDS = 10
MIGRATE = "run `.venv/bin/python bot.py migrate`"
UNUSABLE_URL = (
    "DATABASE_URL is not a database URL this bot can use: write sqlite+aiosqlite:///PATH or "
    "postgresql+asyncpg://USER@HOST/DATABASE (README, 'Configuration')."
)
# Settings that no check reads: one of them broken must not hold back the others.
_UNREAD_SETTINGS = ("log_level", "shard_count", "shard_ids")
# What PostgreSQL's SQLSTATE codes mean for the person fixing DATABASE_URL.
_POSTGRES_REFUSALS = {
    "3D000": "that database does not exist",
    "28000": "the server refused this user",
    "28P01": "the server refused the password",
}


@dataclass(frozen=True)
class Result:
    check: str
    problem: str | None = None
    detail: str = ""
    skipped_for: str | None = None

    @property
    def ok(self) -> bool:
        return self.problem is None and self.skipped_for is None

    def render(self) -> str:
        if self.skipped_for is not None:
            return f"--    {self.check}: not checked until the {self.skipped_for} check passes"
        if self.problem is not None:
            return f"FAIL  {self.check}: {self.problem}"
        return f"ok    {self.check}" + (f": {self.detail}" if self.detail else "")


async def run_checks() -> int:
    """Print one line per check; 0 when every check passed, else 1."""
    all_ok = True
    async for result in _results():
        print(result.render(), flush=True)
        all_ok = all_ok and result.ok
    return 0 if all_ok else 1


async def _results() -> AsyncIterator[Result]:
    settings: Settings | None
    try:
        settings = Settings()
    except ValidationError as error:
        yield Result("settings", describe_invalid(error))
        settings = _settings_despite_errors()
    else:
        yield Result("settings")
    if settings is None:
        for check in ("content files", "database", "encryption key", "Discord token"):
            yield Result(check, skipped_for="settings")
        return
    yield _check_content(settings)
    database, engine, has_tables = await _check_database(settings.effective_database_url)
    yield database
    try:
        yield await _check_key(settings, engine, has_tables)
    finally:
        if engine is not None:
            await engine.dispose()
    yield await _check_token(settings)


def _settings_despite_errors() -> Settings | None:
    """The settings with the ones no check reads at their defaults, if that makes them load."""
    defaults: dict[str, Any] = {
        name: Settings.model_fields[name].default for name in _UNREAD_SETTINGS
    }
    try:
        return Settings(**defaults)
    except ValidationError:
        return None


def _check_content(settings: Settings) -> Result:
    try:
        load_content(settings.content_dir)
    except ConfigError as error:
        return Result(
            "content files", f"{error} Fix or restore that file (README, 'Configuration')."
        )
    return Result("content files", detail=str(settings.content_dir))


async def _check_database(url_text: str) -> tuple[Result, AsyncEngine | None, bool]:
    """The database's line, an engine when it answered, and whether it has any tables."""
    try:
        url = make_url(url_text)
    except ArgumentError:
        return Result("database", UNUSABLE_URL), None, False
    where = _where(url)
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None and not sqlite_file.exists():
        if _can_create(sqlite_file):
            problem = f"there is no database at {sqlite_file} yet: {MIGRATE}."
        else:
            problem = (
                f"cannot reach {where}: its folder does not exist and cannot be created, or "
                "is not writable: fix DATABASE_URL or DATA_DIR (README, 'Configuration')."
            )
        return Result("database", problem), None, False
    options: dict[str, Any] = {}
    if url.get_backend_name() == "postgresql":
        options["connect_args"] = {"timeout": CONNECT_TIMEOUT_SECONDS}
    try:
        engine = create_engine(url_text, **options)
    except (ArgumentError, ImportError):
        return Result("database", UNUSABLE_URL), None, False
    try:
        async with engine.connect() as connection:
            current, heads = await connection.run_sync(_revisions)
    except (OSError, SQLAlchemyError) as error:
        await engine.dispose()
        remedy = (
            "run check as the user the bot runs as"
            if sqlite_file is not None
            else "start the database server"
        )
        problem = (
            f"cannot reach {where} ({_reason(error)}): {remedy}, or fix DATABASE_URL "
            "(README, 'Configuration')."
        )
        return Result("database", problem), None, False
    if current == heads:
        return Result("database", detail=f"{where}, migrated ({', '.join(heads)})"), engine, True
    if not current:
        return Result("database", f"{where} has no tables yet: {MIGRATE}."), engine, False
    at, needed = ", ".join(sorted(current)), ", ".join(sorted(heads))
    if current <= _known_revisions():
        problem = f"{where} is at migration {at}, this version needs {needed}: {MIGRATE}."
    else:
        problem = (
            f"{where} is at migration {at}, which this version of the bot does not know (a "
            "newer version wrote it): run that version, or restore a backup (README, 'Backups')."
        )
    return Result("database", problem), engine, True


def _revisions(connection: Connection) -> tuple[set[str], set[str]]:
    current = set(MigrationContext.configure(connection).get_current_heads())
    return current, set(ScriptDirectory.from_config(alembic_config()).get_heads())


def _known_revisions() -> set[str]:
    script = ScriptDirectory.from_config(alembic_config())
    return {revision.revision for revision in script.walk_revisions()}


def _sqlite_file(url: URL) -> Path | None:
    if url.get_backend_name() != "sqlite" or url.database in (None, "", ":memory:"):
        return None
    return Path(url.database)


def _where(url: URL) -> str:
    # Host, port and database only: the URL's password must never reach the screen.
    sqlite_file = _sqlite_file(url)
    if sqlite_file is not None:
        return f"the SQLite database {sqlite_file}"
    if url.get_backend_name() == "sqlite":
        return "the in-memory SQLite database"
    return f"PostgreSQL at {url.host or 'localhost'}:{url.port or 5432}/{url.database or ''}"


def _can_create(path: Path) -> bool:
    existing = path.parent
    while not existing.exists():
        existing = existing.parent
    return existing.is_dir() and os.access(existing, os.W_OK | os.X_OK)


def _reason(error: BaseException) -> str:
    # The kind of failure, never the driver's text: it can quote statements and values.
    if isinstance(error, aiohttp.ClientConnectorError):
        return _reason(error.os_error)
    if isinstance(error, DBAPIError):
        code = getattr(error.orig, "sqlstate", None)
        if isinstance(code, str) and code in _POSTGRES_REFUSALS:
            return _POSTGRES_REFUSALS[code]
        return type(error.orig).__name__
    if isinstance(error, ConnectionRefusedError):
        return "nothing answers there"
    if isinstance(error, socket.gaierror):
        return "that host name is unknown"
    if isinstance(error, TimeoutError):
        return f"no answer within {CONNECT_TIMEOUT_SECONDS} s"
    return type(error).__name__


async def _check_key(settings: Settings, engine: AsyncEngine | None, has_tables: bool) -> Result:
    check = "encryption key"
    configured = settings.encryption_key.get_secret_value() if settings.encryption_key else ""
    path = key_file_path(settings.data_dir)
    invalid_file = (
        f"{path} does not hold a valid key: restore it from a backup (README, 'Backups')."
    )
    try:
        raw = configured or read_key_file(path)
    except UnicodeDecodeError:
        return Result(check, invalid_file)
    except OSError as error:
        return Result(
            check,
            f"cannot read {path} ({error.strerror}): run check as the user the bot runs as "
            "(README, 'Privacy').",
        )
    try:
        cipher = parse_keys(raw) if raw else None
    except ConfigError as error:
        return Result(check, str(error) if configured else invalid_file)
    if engine is None:
        return Result(check, skipped_for="database")
    try:
        if cipher is None:
            return _without_key(path, has_tables and await database_has_key_check(engine))
        opens = await key_opens_database(engine, cipher) if has_tables else None
    except (OSError, SQLAlchemyError) as error:
        return Result(check, f"could not read the key check in the database ({_reason(error)}).")
    source = "ENCRYPTION_KEY" if configured else str(path)
    if opens is None:
        return Result(check, detail=f"{source} (nothing is encrypted with it yet)")
    if not opens:
        return Result(
            check,
            f"ENCRYPTION_KEY (or {path}) is not the key this database was encrypted with: set "
            "the original key; nothing was changed (README, 'Privacy').",
        )
    return Result(check, detail=f"{source} opens this database's data")


def _without_key(path: Path, database_is_encrypted: bool) -> Result:
    if database_is_encrypted:
        return Result(
            "encryption key",
            f"this database holds encrypted data but there is no key: ENCRYPTION_KEY is unset "
            f"and {path} is missing; restore the key from your backup (README, 'Backups').",
        )
    return Result("encryption key", detail=f"none yet; the bot creates {path} at its first start")


async def _check_token(settings: Settings) -> Result:
    check = "Discord token"
    try:
        token = settings.require_token()
    except ConfigError as error:
        return Result(check, str(error))
    base = (settings.discord_api_base_url or discord.http.Route.BASE).rstrip("/")
    timeout = aiohttp.ClientTimeout(total=CONNECT_TIMEOUT_SECONDS)
    try:
        async with (
            aiohttp.ClientSession(timeout=timeout) as session,
            session.get(f"{base}/users/@me", headers={"Authorization": f"Bot {token}"}) as reply,
        ):
            status = reply.status
            me = await reply.json() if status == 200 else {}
    except (aiohttp.ClientError, TimeoutError) as error:
        return Result(
            check,
            f"cannot reach {base} ({_reason(error)}): check this machine's network (or "
            "DISCORD_API_BASE_URL); the token was not checked.",
        )
    if status == 401:
        return Result(
            check,
            "rejected (401 Unauthorized): copy the token again from the Developer Portal "
            "into DISCORD_TOKEN (README, 'Running the bot').",
        )
    if status != 200:
        return Result(
            check,
            f"{base} answered {status} instead of checking the token: try again in a few minutes.",
        )
    return Result(check, detail=f"accepted (the bot is {me.get('username', '?')})")
