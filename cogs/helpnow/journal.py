"""A write-ahead journal on local disk for /help-now records.

Every change to a request is appended here first (encrypted, since it can hold the
member's note) and then copied into the database. When the database is down, pages
still go out and the records wait here; they are written, once each, when it is back.
Replaying is idempotent: requests are matched by `public_id`, events by `key`.
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

    async def flush(self) -> bool:
        """Copy pending entries into the database in order; True when none are left."""
        async with self._lock:
            written = 0
            try:
                for entry in self._pending:
                    await self._write(entry)
                    written += 1
            except Exception as error:
                # Whatever the database raised, the entry stays on disk and is retried.
                log.warning(
                    "Database unavailable for help-now records (%s); %d waiting on disk",
                    type(error).__name__,
                    len(self._pending) - written,
                )
            finally:
                if written:
                    del self._pending[:written]
                    try:
                        self._rewrite()
                    except OSError as error:
                        # Replaying entries already written is harmless (matched by key).
                        log.error(
                            "Could not rewrite the help-now journal on disk (%s)",
                            type(error).__name__,
                        )
            return not self._pending

    async def _write(self, entry: Entry) -> None:
        async with self._db.guild_session(entry.guild_id) as session, session.begin():
            public_id = entry.request["public_id"]
            row = await session.scalar(
                select(HelpRequest).where(HelpRequest.public_id == public_id)
            )
            if row is None:
                row = HelpRequest(guild_id=entry.guild_id)
                session.add(row)
            for name in REQUEST_FIELDS:
                setattr(row, name, entry.request[name])
            await session.flush()
            keys = [event.key for event in entry.events]
            known = set(
                (await session.scalars(select(HelpEvent.key).where(HelpEvent.key.in_(keys)))).all()
            )
            for event in entry.events:
                if event.key not in known:
                    session.add(
                        HelpEvent(
                            guild_id=entry.guild_id,
                            request_id=row.id,
                            key=event.key,
                            kind=event.kind,
                            at=event.at,
                            actor_user_id=event.actor_user_id,
                            target=event.target,
                        )
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
        aside = self._path.with_name(self._path.name + ".unreadable")
        log.error(
            "%d help-now journal lines could not be read (damaged, or another key); kept in %s",
            len(lines),
            aside,
        )
        try:
            with aside.open("ab") as handle:
                handle.write(b"".join(line + b"\n" for line in lines))
                handle.flush()
                os.fsync(handle.fileno())
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
