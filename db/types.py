"""Column types that keep the database honest about time and private text."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import DateTime, Text
from sqlalchemy.engine import Dialect
from sqlalchemy.types import TypeDecorator

# The cipher travels with the engine (set on its dialect by `db.engine.create_engine`)
# rather than living in a module global, so two engines with two keys never mix.
CIPHER_ATTRIBUTE = "recovery_cipher"


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, on every backend.

    SQLite has no time zone type and hands back naive values; PostgreSQL uses
    timestamptz. Naive datetimes are refused on the way in: a naive value is a bug
    waiting to schedule a page at the wrong hour.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column; attach a time zone")
        utc = value.astimezone(UTC)
        return utc.replace(tzinfo=None) if dialect.name == "sqlite" else utc

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class EncryptedText(TypeDecorator[str]):
    """Free text (notes, journals, plans) stored only as authenticated ciphertext (Fernet)."""

    impl = Text
    cache_ok = True

    def process_bind_param(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        return _cipher_of(dialect).encrypt(value.encode("utf-8")).decode("ascii")

    def process_result_value(self, value: str | None, dialect: Dialect) -> str | None:
        if value is None:
            return None
        try:
            return _cipher_of(dialect).decrypt(value.encode("ascii")).decode("utf-8")
        except InvalidToken:
            raise WrongEncryptionKey from None

    def compare_values(self, x: Any, y: Any) -> bool:
        return bool(x == y)


class WrongEncryptionKey(Exception):
    """Stored ciphertext does not open with the configured key."""


def _cipher_of(dialect: Dialect) -> MultiFernet:
    cipher = getattr(dialect, CIPHER_ATTRIBUTE, None)
    if cipher is None:
        raise RuntimeError("this engine was created without an encryption key")
    assert isinstance(cipher, MultiFernet)
    return cipher
