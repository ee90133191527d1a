"""`bot.py check`: one line per piece of the set-up, each broken piece on its own line.

A working set-up is a real bot running against the emulator (so `check` is also shown
to work beside a running bot, which holds the data-folder lock); each test then breaks
one piece through the environment, as an admin's typo would.
"""

from __future__ import annotations

import asyncio
import os
import shutil
import socket
import sys
from pathlib import Path

import pytest
from alembic import command
from alembic.script import ScriptDirectory
from cryptography.fernet import Fernet
from sqlalchemy.engine import Connection

from config.settings import DEFAULT_CONTENT_DIR
from core.bot import RecoveryBot
from core.health import run_checks
from db.engine import create_engine
from db.keys import key_file_path
from db.migrate import alembic_config
from fakediscord import FakeDiscord
from sandbox.community import BotRunner, Community

ROOT = Path(__file__).resolve().parent.parent
CHECKS = ["settings", "content files", "database", "encryption key", "Discord token"]
# Anything that could reach the checks from the machine the tests run on.
SETTINGS_VARIABLES = (
    "DISCORD_TOKEN",
    "DATABASE_URL",
    "ENCRYPTION_KEY",
    "DISCORD_API_BASE_URL",
    "DISCORD_GATEWAY_URL",
    "DATA_DIR",
    "CONTENT_DIR",
    "LOG_LEVEL",
    "SHARD_COUNT",
    "SHARD_IDS",
)


@pytest.fixture
def working_environment(
    bot: RecoveryBot,
    bot_runner: BotRunner,
    community: Community,
    emulator: FakeDiscord,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> dict[str, str]:
    """The environment of a set-up that works, with its bot running; also set in-process."""
    working = {
        "DATA_DIR": str(bot_runner.data_dir),
        "DATABASE_URL": bot_runner.database_url,
        "DISCORD_TOKEN": community.app.token,
        "DISCORD_API_BASE_URL": emulator.api_base_url,
    }
    monkeypatch.chdir(tmp_path)  # no .env of the checkout's
    for name in SETTINGS_VARIABLES:
        monkeypatch.delenv(name, raising=False)
    for name, value in working.items():
        monkeypatch.setenv(name, value)
    return working


async def checked(capsys: pytest.CaptureFixture[str]) -> tuple[int, dict[str, str]]:
    """`check`'s exit code and its lines by check name, each line exactly once."""
    code = await run_checks()
    lines = capsys.readouterr().out.splitlines()
    by_check = {check: [line for line in lines if _names(line, check)] for check in CHECKS}
    assert all(len(found) == 1 for found in by_check.values()), lines
    assert len(lines) == len(CHECKS), lines
    return code, {check: found[0] for check, found in by_check.items()}


def _names(line: str, check: str) -> bool:
    return line.split(maxsplit=1)[1].startswith(check)


def failed(lines: dict[str, str]) -> set[str]:
    return {check for check, line in lines.items() if not line.startswith("ok ")}


def closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


async def bot_py_check(tmp_path: Path, environment: dict[str, str]) -> tuple[int, list[str]]:
    """`bot.py check` run as a person runs it: its exit code and its lines; no stderr."""
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "check",
        cwd=tmp_path,
        env={k: v for k, v in os.environ.items() if k not in SETTINGS_VARIABLES} | environment,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    assert stderr == b""
    assert process.returncode is not None
    return process.returncode, stdout.decode().splitlines()


async def test_a_working_set_up_passes_every_check_and_bot_py_check_exits_0(
    working_environment: dict[str, str], tmp_path: Path
) -> None:
    code, lines = await bot_py_check(tmp_path, working_environment)
    assert code == 0, lines
    assert [line.split(maxsplit=1)[0] for line in lines] == ["ok"] * len(CHECKS)
    assert "opens this database's data" in lines[3]


async def test_bot_py_check_exits_1_with_a_line_for_each_broken_piece(
    working_environment: dict[str, str], tmp_path: Path
) -> None:
    broken = working_environment | {
        "ENCRYPTION_KEY": Fernet.generate_key().decode(),
        "DISCORD_TOKEN": "not-a-token-the-emulator-knows",
        "CONTENT_DIR": str(tmp_path / "no-such-folder"),
    }
    code, lines = await bot_py_check(tmp_path, broken)
    assert code == 1
    assert [line.split(maxsplit=1)[0] for line in lines] == ["ok", "FAIL", "ok", "FAIL", "FAIL"]


async def test_a_wrong_key_is_reported_on_its_own_line(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("ENCRYPTION_KEY", Fernet.generate_key().decode())
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"encryption key"}
    assert "is not the key this database was encrypted with" in lines["encryption key"]


async def test_a_missing_key_file_is_reported_when_the_database_holds_encrypted_data(
    working_environment: dict[str, str], capsys: pytest.CaptureFixture[str]
) -> None:
    key_file_path(Path(working_environment["DATA_DIR"])).unlink()
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"encryption key"}
    assert "holds encrypted data but there is no key" in lines["encryption key"]


async def test_an_unreachable_database_is_reported_with_its_address_but_not_its_password(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    port = closed_port()
    url = f"postgresql+asyncpg://recovery:hunter2@127.0.0.1:{port}/recovery"
    monkeypatch.setenv("DATABASE_URL", url)
    code, lines = await checked(capsys)
    assert code == 1
    # The key cannot be checked against a database that does not answer.
    assert failed(lines) == {"database", "encryption key"}
    assert f"cannot reach PostgreSQL at 127.0.0.1:{port}/recovery" in lines["database"]
    assert "not checked" in lines["encryption key"]
    assert all("hunter2" not in line for line in lines.values())


async def test_a_sqlite_file_in_a_folder_that_cannot_be_made_is_reported(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    not_a_folder = tmp_path / "a-file"
    not_a_folder.write_text("")
    monkeypatch.setenv("DATABASE_URL", f"sqlite+aiosqlite:///{not_a_folder}/data/recovery.db")
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"database", "encryption key"}
    assert "cannot reach the SQLite database" in lines["database"]


async def test_a_database_behind_the_migrations_says_to_run_migrate(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'older.db'}"
    engine = create_engine(url)

    def upgrade_to_0004(connection: Connection) -> None:
        config = alembic_config()
        config.attributes["connection"] = connection
        command.upgrade(config, "0004")

    async with engine.begin() as connection:
        await connection.run_sync(upgrade_to_0004)
    await engine.dispose()
    monkeypatch.setenv("DATABASE_URL", url)
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"database"}
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert f"is at migration 0004, this version needs {head}" in lines["database"]
    assert "run `.venv/bin/python bot.py migrate`" in lines["database"]


async def test_a_content_file_with_a_syntax_error_is_reported_naming_the_file(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content)
    with (content / "coping.toml").open("a", encoding="utf-8") as handle:
        handle.write('\n[[strategies]\nid = "unclosed"\n')
    monkeypatch.setenv("CONTENT_DIR", str(content))
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"content files"}
    assert "coping.toml" in lines["content files"]
    assert "line" in lines["content files"]


async def test_a_token_the_server_rejects_is_reported(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "not-a-token-the-emulator-knows")
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"Discord token"}
    assert "rejected (401 Unauthorized): copy the token again" in lines["Discord token"]


async def test_an_api_that_cannot_be_reached_is_reported_apart_from_a_rejected_token(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("DISCORD_API_BASE_URL", f"http://127.0.0.1:{closed_port()}/api/v10")
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"Discord token"}
    assert "cannot reach" in lines["Discord token"]
    assert "the token was not checked" in lines["Discord token"]


async def test_broken_settings_are_reported_and_the_checks_that_can_run_still_do(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SHARD_COUNT", "0")
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"settings"}
    assert "SHARD_COUNT" in lines["settings"]


async def test_a_rule_across_settings_is_reported_without_quoting_the_token(
    working_environment: dict[str, str],
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("SHARD_IDS", "0")
    code, lines = await checked(capsys)
    assert code == 1
    assert failed(lines) == {"settings"}
    assert "SHARD_IDS needs SHARD_COUNT" in lines["settings"]
    assert all(working_environment["DISCORD_TOKEN"][:8] not in line for line in lines.values())
