"""The raw files never hold a member's free text in clear (issue 14, hardening).

A check-in note, a plan part, a kept journal entry and a /help-now note go through the
real bot into a SQLite file (WAL mode, as db/engine.py sets it). Then the bytes on disk
are searched: the database, its -wal and -shm files, and every file in the data folder
(the /help-now journal and whatever sits beside it), as UTF-8 and as UTF-16 either way
round. Searched twice: while the bot runs (fresh pages still in the WAL) and after it
stopped (the WAL checkpointed into the database).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.engine import make_url

from core.bot import RecoveryBot
from core.data_dir import JOURNAL_FILE_NAME
from sandbox.community import BotRunner, Community
from tests.private_words import WORDS, write_private_words


def encodings(words: str) -> list[bytes]:
    return [words.encode("utf-8"), words.encode("utf-16-le"), words.encode("utf-16-be")]


def files_on_disk(runner: BotRunner) -> dict[Path, bytes]:
    database = Path(str(make_url(runner.database_url).database))
    paths = {*database.parent.glob(database.name + "*"), *runner.data_dir.rglob("*")}
    return {path: path.read_bytes() for path in sorted(paths) if path.is_file()}


def in_clear(files: dict[Path, bytes]) -> list[str]:
    return [
        f"{name} in {path.name}"
        for path, data in files.items()
        for name, words in WORDS.all().items()
        if any(encoded in data for encoded in encodings(words))
    ]


async def test_notes_plans_journal_entries_and_help_notes_are_never_in_clear_on_disk(
    community: Community, tmp_path: Path
) -> None:
    runner = BotRunner(community, f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}", tmp_path / "data")
    try:
        bot: RecoveryBot = await runner.start()
        await runner.configure(bot)
        await write_private_words(bot, community)
        running = files_on_disk(runner)
    finally:
        await runner.stop_all()
    stopped = files_on_disk(runner)

    names = {path.name for path in running}
    # What was searched: the WAL held the fresh pages, the journal its records.
    assert {"bot.db", "bot.db-wal", "bot.db-shm", JOURNAL_FILE_NAME} <= names, names
    assert running[tmp_path / "bot.db-wal"], "the WAL was empty: nothing fresh to search"
    assert b"journal_entries" in b"".join(stopped.values())
    assert in_clear(running) == []
    assert in_clear(stopped) == []
