"""`python bot.py backup DEST` and `python bot.py restore FILE`: the bot's data in one file.

A backup is one gzipped tar, created 0600, holding a snapshot of the SQLite database
(SQLite's online backup API, safe while the bot runs), the encryption key file when the
key lives in DATA_DIR, and the /help-now journal. It holds members' data and the key
that opens their notes. A PostgreSQL database is backed up with pg_dump instead; the
file still carries the key and the journal, which pg_dump knows nothing of.

Restoring writes into an empty data folder only, and only the files a backup holds.
"""

from __future__ import annotations

import io
import os
import sqlite3
import tarfile
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import IO

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from config.settings import ConfigError, Settings
from core.data_dir import JOURNAL_FILES, DataDirLock
from db.keys import KEY_FILE_NAME, key_file_path

DATABASE_MEMBER = "recovery.db"
BACKUP_MEMBERS = frozenset({DATABASE_MEMBER, KEY_FILE_NAME, *JOURNAL_FILES})
PRIVATE = 0o600
# A journal that changes under every attempt means /help-now is busy: better to say so
# than to wait without end.
JOURNAL_ATTEMPTS = 20
SQLITE_BUSY_TIMEOUT_SECONDS = 10
COPY_CHUNK = 1 << 20
RESTORE_NEXT = "Next: run `.venv/bin/python bot.py check`, then start the bot (README, 'Backups')."


def backup(settings: Settings, destination: Path) -> list[str]:
    """Write the backup; return the lines that tell the admin what it holds."""
    database = _sqlite_file(settings.effective_database_url)
    if database is not None and not database.is_file():
        raise ConfigError(
            f"There is no database at {database} to back up: run backup with the bot's own "
            "DATABASE_URL and DATA_DIR (README, 'Backups')."
        )
    if destination.is_dir():
        stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
        destination = destination / f"recovery-backup-{stamp}.tar.gz"
    key_file = key_file_path(settings.data_dir)
    key = None if settings.encryption_key else _read_if_present(key_file)
    try:
        # Next to the destination: the snapshot holds member data, so it stays in a
        # folder the admin chose for that, and the final rename cannot cross disks.
        with tempfile.TemporaryDirectory(dir=destination.parent, prefix=".backup-") as work:
            snapshot = Path(work) / DATABASE_MEMBER
            journal = _journal_as_of(
                lambda: _snapshot(database, snapshot) if database else None, settings.data_dir
            )
            contents: dict[str, bytes | Path] = {**journal}
            if database is not None:
                contents[DATABASE_MEMBER] = snapshot
            if key is not None:
                contents[KEY_FILE_NAME] = key
            _write_archive(Path(work) / "archive", contents)
            os.replace(Path(work) / "archive", destination)
    except OSError as error:
        raise ConfigError(
            f"Cannot write the backup to {destination} ({error.strerror}): choose a folder "
            "that exists and that you can write to."
        ) from None
    return _backup_report(settings, destination, set(contents), key_file)


def _backup_report(
    settings: Settings, destination: Path, held: set[str], key_file: Path
) -> list[str]:
    lines = []
    if DATABASE_MEMBER not in held:
        name = make_url(settings.effective_database_url).database or "DATABASE"
        lines.append(
            "The database is on PostgreSQL: back it up with pg_dump (for example "
            f"`pg_dump -Fc -f recovery.dump {name}`) as often as this file; this file "
            "holds the encryption key and the /help-now journal."
        )
    what = [
        label
        for label, present in (
            ("the database", DATABASE_MEMBER in held),
            ("the encryption key", KEY_FILE_NAME in held),
            ("the /help-now journal", not held.isdisjoint(JOURNAL_FILES)),
        )
        if present
    ]
    lines.append(f"Wrote {destination} (mode 0600): {', '.join(what) or 'nothing'}.")
    if settings.encryption_key:
        lines.append(
            "The encryption key is not in this backup: it comes from ENCRYPTION_KEY. Keep a "
            "copy of it somewhere safe and apart from the backup; without it the notes in "
            "the backup cannot be read."
        )
    elif KEY_FILE_NAME not in held:
        lines.append(f"There is no key at {key_file} yet, so none is in this backup.")
    lines.append(
        "This file holds members' data (and, with the key, whoever has it can read their "
        "notes): protect it like the database itself (README, 'Backups')."
    )
    return lines


def _sqlite_file(url_text: str) -> Path | None:
    try:
        url = make_url(url_text)
    except ArgumentError:
        raise ConfigError(
            "DATABASE_URL is not a database URL: run `.venv/bin/python bot.py check` "
            "(README, 'Configuration')."
        ) from None
    if url.get_backend_name() != "sqlite":
        return None
    if url.database in (None, "", ":memory:"):
        raise ConfigError("The database is in memory: there is nothing to back up or restore.")
    return Path(url.database)


def _read_if_present(path: Path) -> bytes | None:
    try:
        return path.read_bytes()
    except FileNotFoundError:
        return None
    except OSError as error:
        raise ConfigError(
            f"Cannot read {path} ({error.strerror}): run backup as the user the bot runs as."
        ) from None


def _snapshot(database: Path, into: Path) -> None:
    try:
        source = sqlite3.connect(database, timeout=SQLITE_BUSY_TIMEOUT_SECONDS)
        try:
            target = sqlite3.connect(into)
            try:
                source.backup(target)
                # A file that stands alone: no write-ahead log beside it to lose.
                target.execute("PRAGMA journal_mode=DELETE")
            finally:
                target.close()
        finally:
            source.close()
    except sqlite3.Error as error:
        raise ConfigError(
            f"Could not read the database at {database} ({type(error).__name__}): run "
            "`.venv/bin/python bot.py check`, then try again."
        ) from None


def _journal_as_of(snapshot: Callable[[], None], data_dir: Path) -> dict[str, bytes]:
    """The journal's files as they were at the moment `snapshot` copied the database.

    The bot writes each /help-now change to the journal, copies it to the database, then
    drops it from the journal. A journal read only before the snapshot can hold a change
    the database has since overtaken (replayed after a restore it would set the request
    back); one read only after can lack a change the database took just after the
    snapshot. Read on both sides and unchanged, it is the journal of that moment.
    """
    for _ in range(JOURNAL_ATTEMPTS):
        before = _journal_files(data_dir)
        snapshot()
        if _journal_files(data_dir) == before:
            return before
    raise ConfigError(
        "The /help-now journal kept changing during the backup (many /help-now requests at "
        "once): run the backup again in a few minutes."
    )


def _journal_files(data_dir: Path) -> dict[str, bytes]:
    files = {}
    for name in JOURNAL_FILES:
        content = _read_if_present(data_dir / name)
        if content is not None:
            # Whole lines only: a line being appended right now belongs to a later backup.
            files[name] = content[: content.rfind(b"\n") + 1]
    return files


def _write_archive(path: Path, contents: dict[str, bytes | Path]) -> None:
    # Created 0600 before the first byte: never readable by others, even for a moment.
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    with os.fdopen(descriptor, "wb") as raw:
        with tarfile.open(fileobj=raw, mode="w:gz") as archive:
            for name, content in contents.items():
                info = tarfile.TarInfo(name)
                info.mode, info.mtime = PRIVATE, int(time.time())
                if isinstance(content, Path):
                    info.size = content.stat().st_size
                    with content.open("rb") as handle:
                        archive.addfile(info, handle)
                else:
                    info.size = len(content)
                    archive.addfile(info, io.BytesIO(content))
        raw.flush()
        os.fsync(raw.fileno())


def restore(settings: Settings, archive_path: Path) -> list[str]:
    """Unpack a backup into an empty data folder; return the lines saying what to do next."""
    if not archive_path.is_file():
        raise ConfigError(f"There is no backup file at {archive_path}.")
    database = _sqlite_file(settings.effective_database_url)
    lock = DataDirLock.acquire(settings.data_dir)  # never under a running bot
    try:
        _refuse_unless_empty(settings.data_dir, database)
        with _open_backup(archive_path) as archive:
            members = _checked_members(archive, archive_path)
            if DATABASE_MEMBER in members and database is None:
                raise ConfigError(
                    f"{archive_path} holds a SQLite database but DATABASE_URL points at "
                    "PostgreSQL: unset DATABASE_URL to restore into DATA_DIR. Nothing was changed."
                )
            targets = {
                name: (
                    database if name == DATABASE_MEMBER and database else settings.data_dir / name
                )
                for name in members
            }
            _unpack(archive, members, targets)
    finally:
        lock.release()
    return _restore_report(settings, archive_path, targets)


def _restore_report(settings: Settings, archive_path: Path, targets: dict[str, Path]) -> list[str]:
    what = [
        f"{label} into {targets[name]}"
        for name, label in (
            (DATABASE_MEMBER, "the database"),
            (KEY_FILE_NAME, "the encryption key"),
        )
        if name in targets
    ]
    if not targets.keys().isdisjoint(JOURNAL_FILES):
        what.append(f"the /help-now journal into {settings.data_dir}")
    lines = [f"Restored from {archive_path}: {', '.join(what)}."]
    if DATABASE_MEMBER not in targets:
        lines.append(
            "This backup holds no database (it was on PostgreSQL): restore the database from "
            "its pg_dump with pg_restore."
        )
    if settings.encryption_key and KEY_FILE_NAME in targets:
        lines.append(
            "ENCRYPTION_KEY is set, so the bot uses it and not the restored key file: unset "
            "it if the backup's key is the one this database needs."
        )
    lines.append(RESTORE_NEXT)
    return lines


def _refuse_unless_empty(data_dir: Path, database: Path | None) -> None:
    candidates = {data_dir / name for name in BACKUP_MEMBERS}
    if database is not None:
        # A write-ahead log left beside the database would be replayed into the restored
        # one and damage it.
        candidates |= {database, database.with_name(database.name + "-wal")}
    found = sorted(path for path in candidates if _holds_anything(path))
    if found:
        raise ConfigError(
            f"Refused: {', '.join(str(path) for path in found)} already exists; restore only "
            "into an empty data folder (set DATA_DIR to a new folder, or move those files "
            "away). Nothing was changed."
        )


def _holds_anything(path: Path) -> bool:
    return path.is_dir() or (path.exists() and path.stat().st_size > 0)


def _open_backup(archive_path: Path) -> tarfile.TarFile:
    try:
        return tarfile.open(archive_path, mode="r:gz")
    except (tarfile.TarError, OSError, EOFError):
        raise ConfigError(
            f"{archive_path} is not a backup made by `bot.py backup`, or it is damaged. "
            "Nothing was changed."
        ) from None


def _checked_members(archive: tarfile.TarFile, archive_path: Path) -> dict[str, tarfile.TarInfo]:
    """The backup's members by name, once each has proved to be one a backup holds."""
    refused = f"Refused {archive_path}: it is not a backup made by `bot.py backup`"
    try:
        listed = archive.getmembers()
    except (tarfile.TarError, OSError, EOFError):
        raise ConfigError(f"{refused}, or it is damaged. Nothing was changed.") from None
    members: dict[str, tarfile.TarInfo] = {}
    for member in listed:
        path = PurePosixPath(member.name)
        if path.is_absolute() or ".." in path.parts:
            raise ConfigError(
                f"{refused} (it holds {member.name!r}, a path outside the data folder). "
                "Nothing was changed."
            )
        if member.name not in BACKUP_MEMBERS or not member.isfile() or member.name in members:
            raise ConfigError(
                f"{refused} (it holds {member.name!r}, which a backup never does). "
                "Nothing was changed."
            )
        members[member.name] = member
    if not members:
        raise ConfigError(f"{refused} (it is empty). Nothing was changed.")
    return members


def _unpack(
    archive: tarfile.TarFile, members: dict[str, tarfile.TarInfo], targets: dict[str, Path]
) -> None:
    """Write every member beside its target, then move them all into place: a damaged
    backup or a full disk leaves nothing half-restored."""
    moves = {
        name: (targets[name].with_name(f".{targets[name].name}.restoring"), targets[name])
        for name in members
    }
    try:
        for name, member in members.items():
            partial, target = moves[name]
            target.parent.mkdir(parents=True, exist_ok=True)
            partial.unlink(missing_ok=True)  # left by a restore that was interrupted
            source = archive.extractfile(member)
            assert source is not None, "checked: every member is a regular file"
            _write_private(partial, source)
    except (OSError, tarfile.TarError, EOFError) as error:
        for partial, _ in moves.values():
            partial.unlink(missing_ok=True)
        raise ConfigError(
            f"Could not restore ({type(error).__name__}): the backup may be damaged, or the "
            "disk full. Nothing was changed."
        ) from None
    for partial, target in moves.values():
        partial.replace(target)


def _write_private(path: Path, source: IO[bytes]) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, PRIVATE)
    with os.fdopen(descriptor, "wb") as handle:
        while chunk := source.read(COPY_CHUNK):
            handle.write(chunk)
        handle.flush()
        os.fsync(handle.fileno())
