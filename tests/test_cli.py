"""The entry point as a person runs it: a separate process, its exit code and its output."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from config.settings import DEFAULT_CONTENT_DIR, ConfigError
from fakediscord import FakeDiscord
from sandbox.community import BotRunner

ROOT = Path(__file__).resolve().parent.parent


def run_bot(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}}
    clean |= {"DATA_DIR": str(tmp_path / "data")} | env
    return subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [sys.executable, str(ROOT / "bot.py"), *args],
        cwd=tmp_path,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_without_a_token_the_bot_exits_2_with_one_line_naming_it(tmp_path: Path) -> None:
    result = run_bot(tmp_path)
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "DISCORD_TOKEN" in lines[0]
    assert "Traceback" not in result.stderr


def test_broken_content_stops_the_bot_naming_the_file_and_field(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content)
    checkins = content / "checkins.toml"
    checkins.write_text(checkins.read_text().replace("mood_max = 5\n", ""))
    result = run_bot(tmp_path, CONTENT_DIR=str(content), DISCORD_TOKEN="unused")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "checkins.toml" in lines[0]
    assert "mood_max" in lines[0]


def test_migrate_creates_the_database_and_needs_no_token(tmp_path: Path) -> None:
    result = run_bot(tmp_path, "migrate")
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "data" / "recovery.db").exists()


async def test_a_token_the_server_rejects_exits_2_with_one_clear_line(
    tmp_path: Path, emulator: FakeDiscord
) -> None:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        cwd=tmp_path,
        env=environment
        | {
            "DATA_DIR": str(tmp_path / "data"),
            "DISCORD_TOKEN": "not-a-token-the-emulator-knows",
            "DISCORD_API_BASE_URL": emulator.api_base_url,
            "DISCORD_GATEWAY_URL": emulator.gateway_url,
        },
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    _, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    lines = [line for line in stderr.decode().splitlines() if line.strip()]
    assert process.returncode == 2
    assert "Traceback" not in stderr.decode()
    assert "DISCORD_TOKEN was rejected" in lines[-1]
    assert [line for line in lines if "DISCORD_TOKEN" in line] == [lines[-1]]


async def test_a_second_process_on_the_same_data_folder_is_refused(
    bot_runner: BotRunner,
) -> None:
    await bot_runner.start()
    with pytest.raises(ConfigError, match="Another bot process"):
        await bot_runner.start()


def test_rotate_key_needs_the_new_and_the_old_key_and_then_rewrites(tmp_path: Path) -> None:
    refused = run_bot(tmp_path, "rotate-key", ENCRYPTION_KEY=Fernet.generate_key().decode())
    assert refused.returncode == 2
    assert "NEW_KEY,OLD_KEY" in refused.stderr

    old, new = Fernet.generate_key().decode(), Fernet.generate_key().decode()
    assert run_bot(tmp_path, "migrate").returncode == 0
    first = run_bot(tmp_path, "rotate-key", ENCRYPTION_KEY=f"{old},{old}")
    assert first.returncode == 0, first.stderr
    rotated = run_bot(tmp_path, "rotate-key", ENCRYPTION_KEY=f"{new},{old}")
    assert rotated.returncode == 0, rotated.stderr
    assert "Re-encrypted 1 stored values" in rotated.stdout
    wrong = run_bot(tmp_path, "rotate-key", ENCRYPTION_KEY=f"{old},{old}")
    assert wrong.returncode == 2
    assert "does not match" in wrong.stderr
