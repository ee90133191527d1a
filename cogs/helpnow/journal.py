"""A write-ahead journal on local disk for /help-now records.

Every change to a request is appended here first (encrypted, since it can hold the
member's note) and then copied into the database. When the database is down, pages
still go out and the records wait here; they are written, once each, when it is back.
Replaying is idempotent: requests are matched by `public_id`, events by `key`.

An entry the database refuses for good (a constraint it breaks, a value its column
cannot hold) is set aside, still encrypted, so that it does not hold up every record
after it; anything else the database raises leaves the records waiting.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
from dataclasses import asdict, dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from cryptography.fernet import InvalidToken, MultiFernet
from sqlalchemy import select
from sqlalchemy.exc import DataError, DBAPIError, IntegrityError, StatementError

from core.data_dir import UNREADABLE_SUFFIX, UNWRITABLE_SUFFIX
from db.engine import Database
from db.models import HelpEvent, HelpRequest

log = logging.getLogger(__name__)

# Fields of HelpRequest that the journal carries (and the desk keeps in memory);
# datetimes travel as ISO strings.
REQUEST_FIELDS = (
    "public_id",
    "member_user_id",
    "origin_channel_id",
    "status",
    "note",
    "created_at",
    "step",
    "next_step_at",
    "paged_at",
    "owner_told_at",
    "page_channel_id",
    "page_message_id",
    "thread_id",
    "acknowledged_at",
    "acknowledged_by",
    "closed_at",
    "closed_by",
    "outcome",
)
_DATETIMES = {
    "created_at",
    "next_step_at",
    "paged_at",
    "owner_told_at",
    "acknowledged_at",
    "closed_at",
}

# SQLSTATE classes a statement gets again however often it is retried: 22, a data
# exception (a value too long or out of range); 23, an integrity constraint violation
# (such as a second open request of one member, written by another bot process).
_REFUSED_SQLSTATE_CLASSES = ("22", "23")
# What a column type or a driver raises on a value it cannot send at all (a naive
# datetime, an integer past 64 bits in SQLite): the entry's fault, not the database's.
_UNSENDABLE_VALUES = (ValueError, TypeError, OverflowError)


@dataclass(frozen=True)
class EventRecord:
    key: str
    kind: str
    at: datetime
    actor_user_id: int | None = None
    target: str | None = None


@dataclass
class Entry:
    guild_id: int
    request: dict[str, Any]
    events: list[EventRecord] = field(default_factory=list)


def _encode(entry: Entry) -> dict[str, Any]:
    request = {
        key: (value.isoformat() if key in _DATETIMES and value is not None else value)
        for key, value in entry.request.items()
    }
    events = [asdict(event) | {"at": event.at.isoformat()} for event in entry.events]
    return {"guild_id": entry.guild_id, "request": request, "events": events}


def _decode(data: dict[str, Any]) -> Entry:
    request = {
        key: (datetime.fromisoformat(value) if key in _DATETIMES and value is not None else value)
        for key, value in data["request"].items()
    }
    if "paged_at" not in request:
        # Lines written before steps carried `paged_at` recorded a step only once it was
        # paged, and told the owner when the last page went out: a line with nothing more
        # due must not tell them again (migration 0004 says the same of the database's rows).
        request["paged_at"] = request["created_at"]
        if request["next_step_at"] is None:
            request.setdefault("owner_told_at", request["created_at"])
    request.setdefault("owner_told_at", None)
    events = [
        EventRecord(**(event | {"at": datetime.fromisoformat(event["at"])}))
        for event in data["events"]
    ]
    return Entry(data["guild_id"], request, events)


class Journal:
    def __init__(self, path: Path, cipher: MultiFernet, db: Database) -> None:
        self._path = path
        self._cipher = cipher
        self._db = db
        self._pending: list[Entry] = self._read()
        self._lock = asyncio.Lock()

    def pending_entries(self) -> list[Entry]:
        return list(self._pending)

    def append(self, entry: Entry) -> None:
        """Make the entry durable on local disk; call `flush` to copy it to the database.

        A disk that refuses the write must not stop a page: the entry is still kept in
        memory and copied to the database by the next flush.
        """
        self._pending.append(entry)
        line = self._cipher.encrypt(json.dumps(_encode(entry)).encode("utf-8"))
        try:
            self._path.parent.mkdir(parents=True, exist_ok=True)
            with self._path.open("ab") as handle:
                handle.write(line + b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as error:
            log.error(
                "Could not write the help-now journal on disk (%s); the record is kept in "
                "memory until the database takes it",
                type(error).__name__,
            )

    def pending_of(self, guild_id: int, member_user_id: int | None) -> list[Entry]:
        """The entries not yet in the database of one member's requests (None: of every
        member's in that server), oldest first."""
        return [entry for entry in self._pending if _names(entry, guild_id, member_user_id)]

    async def forget_member(self, guild_id: int, member_user_id: int | None) -> list[Entry]:
        """Erase one member's requests (None: every member's in that server, the server
        being erased) from the journal; return the entries removed.

        Copied to the database first where it can be (the erasure that follows deletes
        them there, in its transaction: a crash before that commits leaves them all, as
        nothing was erased), then whatever is still waiting is dropped from memory and
        from disk, and from the entries set aside as unwritable. Holding the lock, no
        copy of them is under way meanwhile, nor can one start. Raises OSError when the
        file cannot be rewritten: the entries would come back at the next start.
        """
        await self.flush()
        async with self._lock:
            removed = self.pending_of(guild_id, member_user_id)
            if removed:
                self._pending[:] = [e for e in self._pending if all(e is not r for r in removed)]
                self._rewrite()
            self._forget_set_aside(guild_id, member_user_id)
        return removed

    def restore(self, entries: list[Entry]) -> None:
        """Put back entries `forget_member` removed (the erasure was rolled back)."""
        if not entries:
            return
        self._pending[:0] = entries
        try:
            self._rewrite()
        except OSError as error:
            log.error("Could not rewrite the help-now journal on disk (%s)", type(error).__name__)

    def _forget_set_aside(self, guild_id: int, member_user_id: int | None) -> None:
        aside = self._path.with_name(self._path.name + UNWRITABLE_SUFFIX)
        try:
            raw = aside.read_bytes()
        except FileNotFoundError:
            return
        kept: list[bytes] = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                entry = _decode(json.loads(self._cipher.decrypt(line)))
            except (InvalidToken, ValueError, KeyError, TypeError):
                kept.append(line)  # not readable with this key: nobody's, as far as we know
                continue
            if not _names(entry, guild_id, member_user_id):
                kept.append(line)
        if len(kept) != len([line for line in raw.splitlines() if line.strip()]):
            temporary = aside.with_name(aside.name + ".tmp")
            with temporary.open("wb") as handle:
                handle.write(b"".join(line + b"\n" for line in kept))
                handle.flush()
                os.fsync(handle.fileno())
            temporary.replace(aside)

    async def flush(self) -> bool:
        """Copy pending entries into the database in order; True when none are left.

        A request's entries are written as one where that ends the same (see
        `_runs_by_request`). An entry the database refuses for good is set aside and the
        flush goes on; any other failure leaves it, and every entry after it, for the
        next flush.
        """
        async with self._lock:
            # Entries written or set aside, by identity: entries appended meanwhile stay.
            done: set[int] = set()
            try:
                # Again for what was appended while the database was writing, as the
                # caller waits for those too.
                while batch := [entry for entry in self._pending if id(entry) not in done]:
                    for run in _runs_by_request(batch):
                        await self._copy(run, done)
            except _NotSetAside:
                pass  # logged; it waits in the journal, and so does everything after it
            except Exception as error:
                log.warning(
                    "Database unavailable for help-now records (%s); %d waiting on disk",
                    type(error).__name__,
                    len(self._pending) - len(done),
                )
            finally:
                if done:
                    self._pending[:] = [entry for entry in self._pending if id(entry) not in done]
                    try:
                        self._rewrite()
                    except OSError as error:
                        # Replaying entries already written is harmless (matched by key).
                        log.error(
                            "Could not rewrite the help-now journal on disk (%s)",
                            type(error).__name__,
                        )
            return not self._pending

    async def _copy(self, run: list[Entry], done: set[int]) -> None:
        """Write one request's run of entries; raise when the database may take it later."""
        try:
            await self._write(run)
        except Exception as error:
            if not _refused_for_good(error):
                raise
            if len(run) > 1:
                # Perhaps one entry of the run is refused and the others are fine: one
                # at a time, only that one is set aside. A later one may well land even
                # after an earlier one was refused, since each carries the whole request.
                for entry in run:
                    await self._copy([entry], done)
                return
            self._set_aside(run[0], error)
        done.update(id(entry) for entry in run)

    async def _write(self, run: list[Entry]) -> None:
        # Each entry carries the whole request, so the last one is where all of them end;
        # with all their events (matched by key) it is the same as writing each in turn.
        latest = run[-1]
        events = list({event.key: event for entry in run for event in entry.events}.values())
        async with self._db.guild_session(latest.guild_id) as session, session.begin():
            public_id = latest.request["public_id"]
            # Locked until the end of the transaction: another process's copy of the
            # request is compared with what it writes, not with a row it changes meanwhile.
            row = await session.scalar(
                select(HelpRequest).where(HelpRequest.public_id == public_id).with_for_update()
            )
            if row is None:
                row = HelpRequest(guild_id=latest.guild_id)
                session.add(row)
                behind = False
            else:
                behind = progress(latest.request) < progress(
                    {name: getattr(row, name) for name in REQUEST_FIELDS}
                )
            if behind:
                # Another process holding this request (a shard held twice, in a deploy's
                # overlap) took it further: its state stands, and these events join it.
                log.info(
                    "A help-now record of request %s is behind the database's; its events "
                    "are kept, its state is not",
                    public_id,
                )
            else:
                for name in REQUEST_FIELDS:
                    setattr(row, name, latest.request[name])
            await session.flush()
            keys = [event.key for event in events]
            # By the request too: with only the server's scope beside the keys, SQLite
            # read every event of the server (tests/db/test_hot_query_plans.py).
            known = set(
                (
                    await session.scalars(
                        select(HelpEvent.key).where(
                            HelpEvent.request_id == row.id, HelpEvent.key.in_(keys)
                        )
                    )
                ).all()
            )
            for event in events:
                if event.key not in known:
                    session.add(
                        HelpEvent(
                            guild_id=latest.guild_id,
                            request_id=row.id,
                            key=event.key,
                            kind=event.kind,
                            at=event.at,
                            actor_user_id=event.actor_user_id,
                            target=event.target,
                        )
                    )

    def _set_aside(self, entry: Entry, error: Exception) -> None:
        aside = self._path.with_name(self._path.name + UNWRITABLE_SUFFIX)
        # Only the error's type and code: SQLAlchemy's text carries the statement's
        # parameters, and a driver's detail can quote the row's values.
        code = _sqlstate(error)
        refused = type(error).__name__ + (f", SQLSTATE {code}" if code else "")
        public_id = entry.request["public_id"]
        try:
            _append_durably(aside, [self._cipher.encrypt(json.dumps(_encode(entry)).encode())])
        except OSError as disk_error:
            log.error(
                "The database refused a help-now record of request %s (%s) and it could not "
                "be kept aside (%s); it stays in the journal",
                public_id,
                refused,
                type(disk_error).__name__,
            )
            # Written later, it could overwrite newer records of its request: it waits
            # in order instead, as when the database is down.
            raise _NotSetAside from disk_error
        log.error(
            "The database refused a help-now record of request %s (%s); kept in %s",
            public_id,
            refused,
            aside,
        )

    def _read(self) -> list[Entry]:
        try:
            raw = self._path.read_bytes()
        except FileNotFoundError:
            return []
        except OSError as error:
            log.error("Could not read the help-now journal (%s)", type(error).__name__)
            return []
        entries = []
        unreadable: list[bytes] = []
        for line in raw.splitlines():
            if not line.strip():
                continue
            try:
                entries.append(_decode(json.loads(self._cipher.decrypt(line))))
            except (InvalidToken, ValueError, KeyError, TypeError):
                # A line cut short by a crash, or written under a key no longer configured:
                # it must not stop the bot (and /help-now) from starting. It is kept aside,
                # still encrypted, for someone with the right key.
                unreadable.append(line)
        if unreadable and self._keep_aside(unreadable):
            try:
                self._rewrite(entries)
            except OSError as error:
                log.error("Could not rewrite the help-now journal (%s)", type(error).__name__)
        if entries:
            log.warning("Found %d help-now records on disk from before a restart", len(entries))
        return entries

    def _keep_aside(self, lines: list[bytes]) -> bool:
        aside = self._path.with_name(self._path.name + UNREADABLE_SUFFIX)
        log.error(
            "%d help-now journal lines could not be read (damaged, or another key); kept in %s",
            len(lines),
            aside,
        )
        try:
            _append_durably(aside, lines)
        except OSError as error:
            log.error("Could not keep the unreadable journal lines (%s)", type(error).__name__)
            return False
        return True

    def _rewrite(self, entries: list[Entry] | None = None) -> None:
        # Write-then-rename, so a crash leaves either the old file or the new one.
        temporary = self._path.with_suffix(".tmp")
        with temporary.open("wb") as handle:
            for entry in self._pending if entries is None else entries:
                handle.write(self._cipher.encrypt(json.dumps(_encode(entry)).encode()) + b"\n")
            handle.flush()
            os.fsync(handle.fileno())
        temporary.replace(self._path)


class _NotSetAside(Exception):
    """An entry the database refused could not be kept aside on disk either."""


def _names(entry: Entry, guild_id: int, member_user_id: int | None) -> bool:
    """Whether the entry is of a request the member (None: anyone) made in that server."""
    return entry.guild_id == guild_id and (
        member_user_id is None or entry.request.get("member_user_id") == member_user_id
    )


def _append_durably(path: Path, lines: list[bytes]) -> None:
    with path.open("ab") as handle:
        handle.write(b"".join(line + b"\n" for line in lines))
        handle.flush()
        os.fsync(handle.fileno())


def _sqlstate(error: Exception) -> str | None:
    code = getattr(getattr(error, "orig", None), "sqlstate", None)
    return code if isinstance(code, str) else None


def _refused_for_good(error: Exception) -> bool:
    """Whether the database will refuse this write again however often it is tried.

    Anything else (the server down or restarting, a lost connection, a lock, a database
    not created or migrated yet) may pass later, so the entry waits for it.
    """
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return False
        if isinstance(error, IntegrityError | DataError):
            return True
        # Through asyncpg, only integrity errors get their own class; a value too long
        # or out of range arrives as a bare DBAPIError, like a server shutting down.
        code = _sqlstate(error)
        return code is not None and code[:2] in _REFUSED_SQLSTATE_CLASSES
    if isinstance(error, StatementError):
        # Raised before anything was sent: a parameter its column type refuses.
        return isinstance(error.orig, _UNSENDABLE_VALUES)
    # sqlite3 raises this one as it is, for an integer it cannot bind.
    return isinstance(error, OverflowError)


def progress(request: dict[str, Any]) -> tuple[int, int, bool, bool]:
    """How far a request has gone: closed past acknowledged past open (by the moments
    those steps record), then its step, whether that step's page went out, whether the
    owner was told. A request only ever moves forward in this order, so of two copies
    the one further on is the newer."""
    if request["closed_at"] is not None:
        stage = 2
    elif request["acknowledged_at"] is not None:
        stage = 1
    else:
        stage = 0
    return (
        stage,
        request["step"],
        request["paged_at"] is not None,
        request["owner_told_at"] is not None,
    )


def _runs_by_request(entries: list[Entry]) -> list[list[Entry]]:
    """Group entries by request, in the order of each request's first entry.

    Each group is written as one (see `_write`). Writes of different requests meet only
    on a member's single open request (uq_help_requests_one_open_per_member): an entry is
    never moved ahead of one of another request of the same member, so a request opened
    after another closed cannot be written before that close, and be refused for it.
    """
    runs: list[list[Entry]] = []
    run_of: dict[tuple[int, str], list[Entry]] = {}
    last_request_of: dict[tuple[int, int], str] = {}
    for entry in entries:
        public_id = entry.request["public_id"]
        member = (entry.guild_id, entry.request["member_user_id"])
        if last_request_of.get(member) == public_id:
            run_of[entry.guild_id, public_id].append(entry)
        else:
            run = [entry]
            runs.append(run)
            run_of[entry.guild_id, public_id] = run
        last_request_of[member] = public_id
    return runs
