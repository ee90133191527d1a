"""One bot process per data folder.

The folder holds the /help-now journal and possibly the encryption key; two processes
rewriting one journal could lose records. Each process of a sharded deployment gets a
DATA_DIR of its own.
"""

from __future__ import annotations

import fcntl
import os
from pathlib import Path
from typing import TextIO

from config.settings import ConfigError

LOCK_FILE_NAME = ".bot.lock"
# The /help-now journal (cogs/helpnow/journal.py) and the files it sets entries aside
# in; named here because backups carry them too (core/backup.py).
JOURNAL_FILE_NAME = "helpnow-journal"
UNWRITABLE_SUFFIX = ".unwritable"
UNREADABLE_SUFFIX = ".unreadable"
JOURNAL_FILES = tuple(
    JOURNAL_FILE_NAME + suffix for suffix in ("", UNWRITABLE_SUFFIX, UNREADABLE_SUFFIX)
)


class DataDirLock:
    def __init__(self, handle: TextIO) -> None:
        self._handle = handle

    @classmethod
    def acquire(cls, data_dir: Path) -> DataDirLock:
        data_dir.mkdir(parents=True, exist_ok=True)
        handle = (data_dir / LOCK_FILE_NAME).open("a+", encoding="ascii")
        try:
            fcntl.flock(handle.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.close()
            raise ConfigError(
                f"Another bot process is already using {data_dir}: give each process its own "
                "DATA_DIR (README, 'Configuration')."
            ) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        return cls(handle)

    def release(self) -> None:
        fcntl.flock(self._handle.fileno(), fcntl.LOCK_UN)
        self._handle.close()
