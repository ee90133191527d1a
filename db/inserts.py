"""Inserting rows that may already be there, the same way on SQLite and PostgreSQL.

Two writers often make the same row at the same moment (a member's settings, a message
queued twice); the database's own unique keys decide, and the loser's insert is skipped
instead of failing its transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base


def insert_for(dialect: str) -> Callable[[type[Base]], Any]:
    """The INSERT construct with ON CONFLICT for the dialect's name ("postgresql" or
    "sqlite"): the two spell it alike, each from its own module."""
    return postgresql.insert if dialect == "postgresql" else sqlite.insert


async def insert_missing(
    session: AsyncSession,
    model: type[Base],
    rows: Mapping[str, Any] | Sequence[Mapping[str, Any]],
    *,
    on: Sequence[Any] | None = None,
) -> None:
    """Insert `rows` in the caller's transaction, skipping each that clashes with a row
    already there on a unique key (only the `on` columns' key, when given)."""
    many = [rows] if isinstance(rows, Mapping) else list(rows)
    if not many:
        return
    insert = insert_for(session.get_bind().dialect.name)
    await session.execute(insert(model).on_conflict_do_nothing(index_elements=on), many)
