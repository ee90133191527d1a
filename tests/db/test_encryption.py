from __future__ import annotations

import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import Integer, select
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from config.settings import ConfigError
from db.engine import Database, attach_cipher, create_engine
from db.keys import key_file_path, resolve_cipher, rotate_stored_text
from db.migrate import upgrade_to_head
from db.models import HelpRequest
from db.types import EncryptedText, WrongEncryptionKey
from tests.databases import sqlite_url

PLAINTEXT = "I nearly called my old dealer tonight"
GUILD = 7_000_000_000_000_000_007


class _NotesBase(DeclarativeBase):
    pass


class _Note(_NotesBase):
    """A stand-in for any feature's free-text column."""

    __tablename__ = "encryption_test_notes"
    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    text: Mapped[str] = mapped_column(EncryptedText)


def _key() -> str:
    return Fernet.generate_key().decode()


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade_to_head(engine)
    async with engine.begin() as connection:
        await connection.run_sync(_NotesBase.metadata.create_all)
    yield engine
    await engine.dispose()


async def _write_note(engine: AsyncEngine) -> None:
    async with AsyncSession(engine) as session, session.begin():
        session.add(_Note(id=1, text=PLAINTEXT))


async def _read_note(engine: AsyncEngine) -> str:
    async with AsyncSession(engine) as session:
        return (await session.scalars(select(_Note.text))).one()


async def test_free_text_round_trips_and_is_stored_only_as_ciphertext(
    engine: AsyncEngine, cipher: MultiFernet
) -> None:
    attach_cipher(engine, cipher)
    await _write_note(engine)
    assert await _read_note(engine) == PLAINTEXT
    async with engine.connect() as connection:
        raw = (await connection.exec_driver_sql("SELECT text FROM encryption_test_notes")).scalar()
    assert isinstance(raw, str)
    assert PLAINTEXT not in raw
    assert cipher.decrypt(raw.encode()).decode() == PLAINTEXT


async def test_the_sqlite_file_never_holds_the_plaintext(
    tmp_path: Path, cipher: MultiFernet
) -> None:
    engine = create_engine(sqlite_url(tmp_path), cipher=cipher)
    async with engine.begin() as connection:
        await connection.run_sync(_NotesBase.metadata.create_all)
    await _write_note(engine)
    await engine.dispose()
    on_disk = b"".join(path.read_bytes() for path in tmp_path.glob("test.db*"))
    assert b"encryption_test_notes" in on_disk  # the file really was written
    assert PLAINTEXT.encode() not in on_disk
    assert b"dealer" not in on_disk


async def test_a_second_key_can_rotate_in_while_old_text_still_opens(engine: AsyncEngine) -> None:
    old = _key()
    attach_cipher(engine, MultiFernet([Fernet(old)]))
    await _write_note(engine)
    attach_cipher(engine, MultiFernet([Fernet(_key()), Fernet(old)]))
    assert await _read_note(engine) == PLAINTEXT


async def test_a_foreign_key_cannot_read_text_and_says_so(engine: AsyncEngine) -> None:
    attach_cipher(engine, MultiFernet([Fernet(_key())]))
    await _write_note(engine)
    attach_cipher(engine, MultiFernet([Fernet(_key())]))
    with pytest.raises(WrongEncryptionKey):
        await _read_note(engine)


async def test_a_generated_key_file_is_private_and_reused(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    first = await resolve_cipher(engine, None, tmp_path)
    path = key_file_path(tmp_path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    key_on_disk = path.read_text()
    second = await resolve_cipher(engine, None, tmp_path)
    assert path.read_text() == key_on_disk
    token = first.encrypt(b"x")
    assert second.decrypt(token) == b"x"


async def test_a_key_that_does_not_fit_the_database_stops_start_and_changes_nothing(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    original = _key()
    await resolve_cipher(engine, original, tmp_path)
    attach_cipher(engine, MultiFernet([Fernet(original)]))
    await _write_note(engine)

    with pytest.raises(ConfigError, match="does not match"):
        await resolve_cipher(engine, _key(), tmp_path)
    assert await _read_note(engine) == PLAINTEXT  # still readable with the original key
    assert not key_file_path(tmp_path).exists()  # no key file was written over anything


async def test_a_lost_key_file_for_an_encrypted_database_is_refused(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    await resolve_cipher(engine, None, tmp_path)
    key_file_path(tmp_path).unlink()
    with pytest.raises(ConfigError, match="no key was found"):
        await resolve_cipher(engine, None, tmp_path)
    assert not key_file_path(tmp_path).exists()


async def test_a_malformed_key_names_the_setting(engine: AsyncEngine, tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="ENCRYPTION_KEY"):
        await resolve_cipher(engine, "not-a-key", tmp_path)


async def test_rotating_the_key_rewrites_stored_text_so_the_old_key_can_go(
    engine: AsyncEngine, tmp_path: Path
) -> None:
    old, new = _key(), _key()
    await resolve_cipher(engine, old, tmp_path)
    attach_cipher(engine, MultiFernet([Fernet(old)]))
    database = Database(engine)
    async with database.guild_session(GUILD) as session, session.begin():
        session.add(
            HelpRequest(guild_id=GUILD, public_id="a" * 32, member_user_id=1, note=PLAINTEXT)
        )

    both = MultiFernet([Fernet(new), Fernet(old)])
    assert await rotate_stored_text(engine, both) == 2  # the note and the key check

    await resolve_cipher(engine, new, tmp_path)  # the key check opens with the new key alone
    attach_cipher(engine, MultiFernet([Fernet(new)]))
    async with database.guild_session(GUILD) as session:
        assert (await session.scalars(select(HelpRequest.note))).one() == PLAINTEXT
