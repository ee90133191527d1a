"""The async engine, its connection settings, and sessions scoped to one server."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from cryptography.fernet import MultiFernet
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker
from sqlalchemy.ext.asyncio import create_async_engine as _create_async_engine
from sqlalchemy.orm import ORMExecuteState, Session, with_loader_criteria

from db.base import GuildScoped
from db.types import CIPHER_ATTRIBUTE

SQLITE_BUSY_TIMEOUT_MS = 10_000
# Sized for a 2-core machine: the outbox, the jobs and the commands share these, and a
# burst beyond them waits its turn for one instead of failing. No overflow: a connection
# opened for a burst and closed after it costs more than the wait (SQLite: a thread and
# its pragmas; PostgreSQL: a login); a group's 200 check-ins at once were answered
# faster without it (bench/checkin_submit.py).
POOL_SIZE = 6
POOL_OVERFLOW = 0
POOL_TIMEOUT_SECONDS = 30
_GUILD = "guild_id"
_ALL_GUILDS = "all_guilds"


class UnscopedQuery(Exception):
    """A query touched server-owned rows from a session opened for no server."""


class CrossGuildWrite(Exception):
    """A session opened for one server tried to write a row of another."""


def create_engine(url: str, *, cipher: MultiFernet | None = None, **kwargs: Any) -> AsyncEngine:
    # Errors and logs never repeat statement parameters: they can be a member's words.
    kwargs.setdefault("hide_parameters", True)
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        if parsed.database and parsed.database != ":memory:":
            _pool_defaults(kwargs)
        engine = _create_async_engine(url, **kwargs)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
    else:
        _pool_defaults(kwargs)
        engine = _create_async_engine(url, pool_pre_ping=True, **kwargs)
    if cipher is not None:
        attach_cipher(engine, cipher)
    return engine


def _pool_defaults(kwargs: dict[str, Any]) -> None:
    if "poolclass" in kwargs:
        return
    kwargs.setdefault("pool_size", POOL_SIZE)
    kwargs.setdefault("max_overflow", POOL_OVERFLOW)
    kwargs.setdefault("pool_timeout", POOL_TIMEOUT_SECONDS)


def attach_cipher(engine: AsyncEngine, cipher: MultiFernet) -> None:
    setattr(engine.sync_engine.dialect, CIPHER_ATTRIBUTE, cipher)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets the scheduler read while a command writes; foreign keys are off in
    # SQLite unless asked for on every connection; the busy timeout turns a brief
    # lock into a short wait instead of an error.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


class ScopedSession(Session):
    """A session that knows which server it works for (or that it works for all)."""


@event.listens_for(ScopedSession, "do_orm_execute")
def _filter_by_guild(state: ORMExecuteState) -> None:
    if not (state.is_select or state.is_update or state.is_delete):
        return
    info = state.session.info
    if info.get(_ALL_GUILDS):
        return
    guild_id = info.get(_GUILD)
    if guild_id is None:
        if any(issubclass(mapper.class_, GuildScoped) for mapper in state.all_mappers):
            raise UnscopedQuery("open the session with Database.guild_session(guild_id)")
        return
    state.statement = state.statement.options(
        with_loader_criteria(
            GuildScoped, lambda cls: cls.guild_id == guild_id, include_aliases=True
        )
    )


@event.listens_for(ScopedSession, "before_flush")
def _refuse_other_guilds(session: Session, _context: Any, _instances: Any) -> None:
    guild_id = session.info.get(_GUILD)
    if guild_id is None or session.info.get(_ALL_GUILDS):
        return
    for instance in (*session.new, *session.dirty):
        if isinstance(instance, GuildScoped) and instance.guild_id != guild_id:
            raise CrossGuildWrite(f"{type(instance).__name__} for another server")


class Database:
    """Owns the engine and hands out short sessions, one per unit of work."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._sessions = async_sessionmaker(
            engine, expire_on_commit=False, sync_session_class=ScopedSession
        )

    def guild_session(self, guild_id: int) -> AsyncSession:
        """A session that sees and writes only `guild_id`'s rows."""
        return self._sessions(info={_GUILD: guild_id})

    def all_guilds_session(self) -> AsyncSession:
        """For work that spans servers on purpose (rebuilding schedules at start)."""
        return self._sessions(info={_ALL_GUILDS: True})

    def meta_session(self) -> AsyncSession:
        """For tables that belong to no server; server-owned rows are refused."""
        return self._sessions()

    async def dispose(self) -> None:
        await self.engine.dispose()
