"""`python bot.py rotate-key` killed part way, then run again: nothing lost (issue 14).

A SQLite database holds thousands of kept journal entries under the old key, enough
that re-encrypting them takes the process a couple of seconds. The command runs as a
person runs it (a separate process, ENCRYPTION_KEY="NEW,OLD") and is killed with SIGKILL
while its rewrite is under way: the test sees the rewrite's write lock held on the
database and lets the process spend a further moment of CPU time, drawn from a fixed
seed, before the kill. No hook in the bot: only what any observer of the files and the
process sees.

rotate_stored_text (db/keys.py) rewrites every value in one transaction, so the kill
must leave the database as it was: every value, and the key check, still under the old
key; the new key alone refused. Run again, it finishes, and every value reads back under
the new key alone, none lost or changed.
"""

from __future__ import annotations

import asyncio
import os
import random
import shutil
import signal
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from sqlalchemy import Text, insert, select, type_coerce

from db.engine import create_engine
from db.keys import check_key, key_opens_database
from db.migrate import upgrade_to_head
from db.models import JournalEntry
from tests.waiting import wait_for

ROOT = Path(__file__).resolve().parent.parent
ENTRIES = 8000
# Seconds of the process's CPU time after its rewrite began, one kill for each.
SEED = 1414
KILL_AFTER_CPU = tuple(random.Random(SEED).uniform(0.05, 0.8) for _ in range(2))
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")
WITHIN = 30.0


def entry_text(number: int) -> str:
    return f"entry {number}: a hard evening, called my sponsor"


async def database_with_entries(path: Path, key: str) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    cipher = MultiFernet([Fernet(key)])
    engine = create_engine(url, cipher=cipher)
    try:
        await upgrade_to_head(engine)
        await check_key(engine, cipher)  # the key check, as the bot's first start writes it
        now = datetime.now(UTC)
        rows = [
            {
                "guild_id": 1,
                "user_id": 2,
                "strategy_id": "journaling",
                "text": entry_text(n),
                "written_at": now,
            }
            for n in range(ENTRIES)
        ]
        async with engine.begin() as connection:
            await connection.execute(insert(JournalEntry), rows)
    finally:
        await engine.dispose()
    return url


async def stored_tokens(url: str) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as connection:
            # The stored tokens, not the plaintext: each key is tried on them below.
            query = select(type_coerce(JournalEntry.text, Text)).order_by(JournalEntry.id)
            return list((await connection.scalars(query)).all())
    finally:
        await engine.dispose()


def readable_under(tokens: list[str], key: str) -> list[str] | None:
    """Every value opened with `key` alone, or None if any does not open."""
    fernet = Fernet(key)
    try:
        return [fernet.decrypt(token.encode("ascii")).decode("utf-8") for token in tokens]
    except InvalidToken:
        return None


async def opens(url: str, key: str) -> bool | None:
    engine = create_engine(url)
    try:
        return await key_opens_database(engine, MultiFernet([Fernet(key)]))
    finally:
        await engine.dispose()


def environment(tmp: Path, url: str, keys: str) -> dict[str, str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    return clean | {"DATA_DIR": str(tmp / "data"), "DATABASE_URL": url, "ENCRYPTION_KEY": keys}


async def rotate(tmp: Path, url: str, keys: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "rotate-key",
        cwd=tmp,
        env=environment(tmp, url, keys),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime + stime


def writer_holds_lock(path: Path) -> bool:
    """Whether another connection holds the database's write lock (a transaction that
    has written): taking it at once fails."""
    probe = sqlite3.connect(path, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
        probe.execute("ROLLBACK")
        return False
    except sqlite3.OperationalError:
        return True
    finally:
        probe.close()


async def kill_mid_rewrite(process: asyncio.subprocess.Process, path: Path, after: float) -> None:
    pid = process.pid

    async def rewriting() -> float | None:
        assert process.returncode is None, "rotate-key ended before its rewrite was seen"
        return cpu_seconds(pid) if writer_holds_lock(path) else None

    began = await wait_for(rewriting, within=WITHIN, what="rotate-key to start rewriting")

    async def spent() -> bool | None:
        assert process.returncode is None, "rotate-key ended before it was killed"
        return True if cpu_seconds(pid) - began >= after else None

    await wait_for(spent, within=WITHIN, what="rotate-key to work a moment longer")
    assert writer_holds_lock(path), "the rewrite ended before the kill: make it longer"
    os.kill(pid, signal.SIGKILL)
    await process.communicate()
    assert process.returncode == -signal.SIGKILL


async def test_rotate_key_killed_midway_then_rerun_leaves_every_value_readable_under_the_new_key(
    tmp_path: Path,
) -> None:
    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    original = tmp_path / "original.db"
    await database_with_entries(original, old)
    expected = [entry_text(n) for n in range(ENTRIES)]

    for attempt, after in enumerate(KILL_AFTER_CPU):
        work = tmp_path / f"attempt-{attempt}"
        (work / "data").mkdir(parents=True)
        path = work / "recovery.db"
        shutil.copy(original, path)
        url = f"sqlite+aiosqlite:///{path}"

        await kill_mid_rewrite(await rotate(work, url, f"{new},{old}"), path, after)
        # Killed in its transaction: all as it was, nothing under the new key yet.
        assert readable_under(await stored_tokens(url), old) == expected
        assert await opens(url, old) is True
        assert await opens(url, new) is False  # the new key alone is refused, clearly

        rerun = await rotate(work, url, f"{new},{old}")
        out, err = await asyncio.wait_for(rerun.communicate(), timeout=WITHIN)
        assert rerun.returncode == 0, err.decode()
        assert f"Re-encrypted {ENTRIES + 1} stored values" in out.decode()
        assert readable_under(await stored_tokens(url), new) == expected
        assert await opens(url, new) is True
