"""The encryption key for members' free text: where it comes from and the check that it fits.

`ENCRYPTION_KEY` may hold several Fernet keys separated by commas: the first
encrypts, all of them decrypt, which is how a key is rotated without downtime.
Without it, a key is generated once into a 0600 file beside the database. A key
that does not open what the database holds stops the bot: it never writes new
data under a second key.
"""

from __future__ import annotations

import logging
import os
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, select, type_coerce, update
from sqlalchemy.ext.asyncio import AsyncEngine

from config.settings import ConfigError
from db.base import Base
from db.engine import Database
from db.models import AppMeta
from db.types import EncryptedText

log = logging.getLogger(__name__)

KEY_FILE_NAME = "encryption.key"
_CANARY_KEY = "encryption_canary"
_CANARY_PLAINTEXT = b"recovery-bot key check"


def parse_keys(raw: str) -> MultiFernet:
    parts = [part.strip() for part in raw.split(",") if part.strip()]
    try:
        return MultiFernet([Fernet(part.encode("ascii")) for part in parts])
    except (ValueError, UnicodeEncodeError):
        raise ConfigError(
            "ENCRYPTION_KEY is not a valid key: it must be one or more Fernet keys "
            "(32 url-safe base64 bytes) separated by commas (README, 'Configuration')."
        ) from None


def key_file_path(data_dir: Path) -> Path:
    return data_dir / KEY_FILE_NAME


def read_key_file(path: Path) -> str | None:
    try:
        return path.read_text(encoding="ascii").strip() or None
    except FileNotFoundError:
        return None


def create_key_file(path: Path) -> str:
    path.parent.mkdir(parents=True, exist_ok=True)
    key = Fernet.generate_key().decode("ascii")
    # O_EXCL: two processes starting at once must not each write a different key.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as handle:
        handle.write(key + "\n")
    log.warning("Generated a new encryption key at %s; back it up with the database", path)
    return key


async def check_key(engine: AsyncEngine, cipher: MultiFernet) -> None:
    """Prove `cipher` opens this database's data, recording a check value on first use."""
    async with Database(engine).meta_session() as session, session.begin():
        canary = await session.get(AppMeta, _CANARY_KEY)
        if canary is None:
            token = cipher.encrypt(_CANARY_PLAINTEXT).decode("ascii")
            session.add(AppMeta(key=_CANARY_KEY, value=token))
            return
    if not _opens_key_check(cipher, canary.value):
        raise ConfigError(
            "The encryption key does not match the one this database was written with: "
            "set ENCRYPTION_KEY (or restore data/encryption.key) to the original key. "
            "Nothing was changed (README, 'Privacy')."
        )


async def key_opens_database(engine: AsyncEngine, cipher: MultiFernet) -> bool | None:
    """Whether `cipher` opens this database's key check, without writing one (None: no
    check recorded yet, so nothing has been encrypted)."""
    async with Database(engine).meta_session() as session:
        canary = await session.get(AppMeta, _CANARY_KEY)
    return None if canary is None else _opens_key_check(cipher, canary.value)


def _opens_key_check(cipher: MultiFernet, token: str) -> bool:
    try:
        return cipher.decrypt(token.encode("ascii")) == _CANARY_PLAINTEXT
    except InvalidToken:
        return False


async def database_has_key_check(engine: AsyncEngine) -> bool:
    async with Database(engine).meta_session() as session:
        return await session.get(AppMeta, _CANARY_KEY) is not None


async def resolve_cipher(
    engine: AsyncEngine, configured: str | None, data_dir: Path
) -> MultiFernet:
    """The cipher to use: configured, else the key file, else a new key for a new database."""
    if configured:
        cipher = parse_keys(configured)
    else:
        path = key_file_path(data_dir)
        stored = read_key_file(path)
        if stored is None:
            if await database_has_key_check(engine):
                raise ConfigError(
                    f"This database holds encrypted data but no key was found (ENCRYPTION_KEY "
                    f"is unset and {path} is missing): restore the key. Nothing was changed."
                )
            stored = create_key_file(path)
        else:
            log.info("Using the encryption key in %s", path)
        cipher = parse_keys(stored)
    await check_key(engine, cipher)
    return cipher


async def rotate_stored_text(engine: AsyncEngine, cipher: MultiFernet) -> int:
    """Re-encrypt every stored value (and the key check) under `cipher`'s first key.

    Run with ENCRYPTION_KEY="new,old": afterwards the old key can be dropped. Returns how
    many values were rewritten.
    """
    rewritten = 0
    async with engine.begin() as connection:
        for table in Base.metadata.sorted_tables:
            columns = [c for c in table.columns if isinstance(c.type, EncryptedText)]
            query_filter = []
            if table.name == AppMeta.__tablename__:
                columns, query_filter = [table.c.value], [table.c.key == _CANARY_KEY]
            if not columns:
                continue
            keys = list(table.primary_key.columns)
            # type_coerce to Text: read and write the stored tokens, not the plaintext.
            raw = [type_coerce(column, Text).label(column.name) for column in columns]
            query = select(*keys, *raw).where(*query_filter)
            rows = (await connection.execute(query)).mappings().all()
            for row in rows:
                changes = {
                    column.name: type_coerce(
                        cipher.rotate(row[column.name].encode("ascii")).decode("ascii"), Text
                    )
                    for column in columns
                    if row[column.name] is not None
                }
                if not changes:
                    continue
                where = [key == row[key.name] for key in keys]
                await connection.execute(update(table).where(*where).values(changes))
                rewritten += len(changes)
    return rewritten
