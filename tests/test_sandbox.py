"""The sandbox as a newcomer runs it: a separate process, the shipped tour, exit code 0."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

from config.settings import DEFAULT_CONTENT_DIR

ROOT = Path(__file__).resolve().parent.parent


def test_the_shipped_tour_runs_and_shows_each_person_what_they_see(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [sys.executable, str(ROOT / "bot.py"), "--sandbox", "--script", "sandbox/tour.txt"],
        cwd=ROOT,
        env=environment | {"DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    out = result.stdout
    assert "The tour finished." in out
    assert "only alice can see this" in out
    assert "call 911 now" in out
    assert "@sam — @alice asked for help" in out
    assert "Acknowledged by @sam" in out
    assert "bob sees no messages yet" in out
    assert "attachment: check-ins.png" in out


def test_a_failing_step_stops_the_script_with_its_line(tmp_path: Path) -> None:
    script = tmp_path / "broken.txt"
    script.write_text("as alice /help-now\nas alice /no-such-command\nas alice /help-now\n")
    result = subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [sys.executable, str(ROOT / "bot.py"), "--sandbox", "--script", str(script)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1
    assert f"{script}:2: there is no /no-such-command" in result.stdout


def test_the_sandbox_shows_the_content_the_group_edited(tmp_path: Path) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content)
    crisis = content / "crisis_resources.toml"
    shipped = crisis.read_text(encoding="utf-8")
    assert 'name = "Crisis Text Line"' in shipped
    crisis.write_text(
        shipped.replace('name = "Crisis Text Line"', 'name = "Riverside Warmline"'),
        encoding="utf-8",
    )
    script = tmp_path / "help.txt"
    script.write_text("as alice /help-now\n", encoding="utf-8")
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [sys.executable, str(ROOT / "bot.py"), "--sandbox", "--script", str(script)],
        cwd=ROOT,
        env=environment | {"DATA_DIR": str(tmp_path / "data"), "CONTENT_DIR": str(content)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    assert "Riverside Warmline" in result.stdout
    assert "Crisis Text Line" not in result.stdout
