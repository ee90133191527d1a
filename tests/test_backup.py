"""`bot.py backup` and `bot.py restore`: a snapshot taken while the bot runs, restored into
an empty folder, from which a new bot reads every encrypted value; and the restores that
must be refused."""

from __future__ import annotations

import asyncio
import gzip
import io
import os
import stat
import sys
import tarfile
from pathlib import Path

import pytest
from cryptography.fernet import Fernet
from pydantic import SecretStr
from sqlalchemy import Text, select, type_coerce

from config.settings import ConfigError, Settings
from core.backup import _journal_as_of, backup, restore
from core.bot import RecoveryBot
from db.base import Base
from db.engine import create_engine
from db.keys import key_file_path, resolve_cipher
from db.migrate import upgrade_to_head
from db.models import Checkin, HelpRequest
from db.types import EncryptedText
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in
from tests.cogs.checkins.e2e_helpers import NOTE as CHECKIN_NOTE
from tests.cogs.helpnow.helpers import NOTE as HELPNOW_NOTE
from tests.cogs.helpnow.helpers import cog_of, sam_on_call_riley_backup

ROOT = Path(__file__).resolve().parent.parent
SETTINGS_VARIABLES = ("DISCORD_TOKEN", "DATABASE_URL", "ENCRYPTION_KEY", "DATA_DIR")


async def bot_py(tmp_path: Path, *args: str, **environment: str) -> tuple[int, str, str]:
    """bot.py run as a separate process, as an admin runs it (here beside a running bot)."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        *args,
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES} | environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert process.returncode is not None
    return process.returncode, stdout.decode(), stderr.decode()


def settings_for(data_dir: Path, database_url: str = "", key: str | None = None) -> Settings:
    return Settings(
        _env_file=None,
        database_url=database_url,
        data_dir=data_dir,
        encryption_key=SecretStr(key) if key else None,
    )


async def data_folder_with_a_key(
    data_dir: Path, database_url: str = "", key: str | None = None
) -> Path:
    """A migrated database with its key check, as a first start leaves them; without `key`,
    the key file that start writes too."""
    engine = create_engine(database_url or f"sqlite+aiosqlite:///{data_dir / 'recovery.db'}")
    try:
        await upgrade_to_head(engine)
        await resolve_cipher(engine, key, data_dir)
    finally:
        await engine.dispose()
    return data_dir


def archive_members(path: Path) -> dict[str, bytes]:
    with tarfile.open(path, "r:gz") as archive:
        return {
            member.name: extracted.read()
            for member in archive.getmembers()
            if (extracted := archive.extractfile(member)) is not None
        }


def write_archive(path: Path, members: list[tarfile.TarInfo]) -> Path:
    with tarfile.open(path, "w:gz") as archive:
        for member in members:
            archive.addfile(member, io.BytesIO(b"x" * member.size) if member.isfile() else None)
    return path


def regular(name: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.size = 1
    return member


def symlink(name: str, target: str) -> tarfile.TarInfo:
    member = tarfile.TarInfo(name)
    member.type, member.linkname = tarfile.SYMTYPE, target
    return member


async def every_encrypted_value(bot: RecoveryBot) -> list[str]:
    """Every encrypted column of every row, decrypted with the bot's key (raises if any
    does not open)."""
    values = []
    async with bot.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            for column in [c for c in table.columns if isinstance(c.type, EncryptedText)]:
                stored = await connection.scalars(select(type_coerce(column, Text)))
                values += [bot.cipher.decrypt(token.encode()).decode() for token in stored if token]
    return values


async def test_a_backup_taken_while_the_bot_runs_restores_and_a_new_bot_reads_every_value(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, tmp_path: Path
) -> None:
    await (await check_in(community, GOOD)).wait_for_response()
    await sam_on_call_riley_backup(bot, community)
    asked = await community.alice.run_command(
        "help-now", channel=community.checkins, note=HELPNOW_NOTE
    )
    await asked.wait_for_response()
    await community.emu.wait_for_message(channel=community.specialists)

    destination = tmp_path / "backups" / "recovery.tar.gz"
    destination.parent.mkdir()
    code, out, err = await bot_py(
        tmp_path,
        "backup",
        str(destination),
        DATA_DIR=str(bot_runner.data_dir),
        DATABASE_URL=bot_runner.database_url,
    )
    assert code == 0, err
    assert f"Wrote {destination} (mode 0600)" in out
    assert "protect it like the database" in out
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    members = archive_members(destination)
    assert {"recovery.db", "encryption.key", "helpnow-journal"} <= set(members)
    # What members wrote is in the file only encrypted.
    unpacked = gzip.decompress(destination.read_bytes())
    assert CHECKIN_NOTE.encode() not in unpacked
    assert HELPNOW_NOTE.encode() not in unpacked
    await bot_runner.stop(bot)

    restored = tmp_path / "restored"
    code, out, err = await bot_py(tmp_path, "restore", str(destination), DATA_DIR=str(restored))
    assert code == 0, err
    assert "bot.py check" in out
    assert stat.S_IMODE(key_file_path(restored).stat().st_mode) == 0o600

    runner = BotRunner(community, f"sqlite+aiosqlite:///{restored / 'recovery.db'}", restored)
    try:
        again = await runner.start(sync=False)
        assert await cog_of(again).desk.flush()
        async with again.db.guild_session(community.guild.id) as session:
            [checkin] = (await session.scalars(select(Checkin))).all()
            [request] = (await session.scalars(select(HelpRequest))).all()
        assert checkin.note == CHECKIN_NOTE
        assert request.note == HELPNOW_NOTE
        assert {CHECKIN_NOTE, HELPNOW_NOTE} <= set(await every_encrypted_value(again))
        assert not (restored / "helpnow-journal.unreadable").exists()
    finally:
        await runner.stop_all()


async def test_restore_refuses_a_data_folder_that_already_holds_data(tmp_path: Path) -> None:
    data_dir = await data_folder_with_a_key(tmp_path / "data")
    made = tmp_path / "backup.tar.gz"
    backup(settings_for(data_dir), made)
    key_before = key_file_path(data_dir).read_bytes()

    with pytest.raises(ConfigError, match="already exists; restore only into an empty") as refused:
        restore(settings_for(data_dir), made)
    assert len(str(refused.value).splitlines()) == 1
    assert key_file_path(data_dir).read_bytes() == key_before


async def test_restore_refuses_a_database_url_naming_a_sqlite_file_with_data(
    tmp_path: Path,
) -> None:
    data_dir = await data_folder_with_a_key(tmp_path / "data")
    made = tmp_path / "backup.tar.gz"
    backup(settings_for(data_dir), made)
    elsewhere = f"sqlite+aiosqlite:///{data_dir / 'recovery.db'}"
    with pytest.raises(ConfigError, match=r"recovery\.db already exists"):
        restore(settings_for(tmp_path / "empty", elsewhere), made)
    assert not key_file_path(tmp_path / "empty").exists()


@pytest.mark.parametrize(
    "member",
    [
        regular("../encryption.key"),
        regular("/var/lib/recovery/encryption.key"),
        regular("journal/../../recovery.db"),
    ],
    ids=["parent", "absolute", "climbing"],
)
def test_restore_refuses_an_archive_with_paths_outside_the_data_folder(
    tmp_path: Path, member: tarfile.TarInfo
) -> None:
    archive = write_archive(tmp_path / "evil.tar.gz", [regular("recovery.db"), member])
    data_dir = tmp_path / "nested" / "data"
    with pytest.raises(ConfigError, match="a path outside the data folder"):
        restore(settings_for(data_dir), archive)
    assert not [p for p in tmp_path.rglob("*") if p.name in {"encryption.key", "recovery.db"}]


@pytest.mark.parametrize(
    "member",
    [regular("notes.txt"), regular("data/recovery.db"), symlink("encryption.key", "/etc/passwd")],
    ids=["unknown", "in-a-folder", "symlink"],
)
def test_restore_refuses_an_archive_with_files_a_backup_never_holds(
    tmp_path: Path, member: tarfile.TarInfo
) -> None:
    archive = write_archive(tmp_path / "odd.tar.gz", [member])
    data_dir = tmp_path / "data"
    with pytest.raises(ConfigError, match="which a backup never does"):
        restore(settings_for(data_dir), archive)
    assert [p.name for p in data_dir.iterdir()] == [".bot.lock"]


async def test_a_key_from_the_environment_is_left_out_and_the_backup_says_so(
    tmp_path: Path,
) -> None:
    key = Fernet.generate_key().decode()
    data_dir = await data_folder_with_a_key(tmp_path / "data", key=key)
    made = tmp_path / "backup.tar.gz"
    said = backup(settings_for(data_dir, key=key), made)
    assert any("not in this backup: it comes from ENCRYPTION_KEY" in line for line in said)
    assert "encryption.key" not in archive_members(made)
    assert key.encode() not in gzip.decompress(made.read_bytes())


def test_a_journal_that_changes_during_the_snapshot_is_read_again_with_the_snapshot(
    tmp_path: Path,
) -> None:
    journal = tmp_path / "helpnow-journal"
    journal.write_bytes(b"first\n")
    snapshots = []

    def snapshot() -> None:
        snapshots.append(journal.read_bytes())
        if len(snapshots) == 1:  # the bot writes while the database is being copied
            journal.write_bytes(b"first\nsecond\n")

    assert _journal_as_of(snapshot, tmp_path) == {"helpnow-journal": b"first\nsecond\n"}
    assert len(snapshots) == 2


def test_a_journal_line_still_being_written_is_left_for_the_next_backup(tmp_path: Path) -> None:
    (tmp_path / "helpnow-journal").write_bytes(b"whole\nhalf-writ")
    assert _journal_as_of(lambda: None, tmp_path) == {"helpnow-journal": b"whole\n"}


@pytest.mark.postgres
async def test_a_postgresql_backup_says_to_use_pg_dump_and_still_keeps_the_key(
    tmp_path: Path, postgres_url: str
) -> None:
    data_dir = await data_folder_with_a_key(tmp_path / "data", postgres_url)
    destination = tmp_path / "backup.tar.gz"
    code, out, err = await bot_py(
        tmp_path, "backup", str(destination), DATA_DIR=str(data_dir), DATABASE_URL=postgres_url
    )
    assert code == 0, err
    assert "back it up with pg_dump" in out
    assert stat.S_IMODE(destination.stat().st_mode) == 0o600
    members = archive_members(destination)
    assert "recovery.db" not in members
    assert members["encryption.key"] == key_file_path(data_dir).read_bytes()
