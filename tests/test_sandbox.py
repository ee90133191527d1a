"""The sandbox as a newcomer runs it: a separate process, the shipped tour, exit code 0."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from datetime import timedelta
from pathlib import Path

import pytest

from config.settings import DEFAULT_CONTENT_DIR
from sandbox.console import StepFailed, parse_span

ROOT = Path(__file__).resolve().parent.parent


def _step(out: str, line: str) -> str:
    """What the sandbox printed for the line of the script that starts with `line`."""
    start = out.index("\n", out.index(f"\n> {line}") + 1) + 1
    following = out.find("\n> ", start)
    return out[start : following if following >= 0 else len(out)]


def test_the_shipped_tour_runs_and_shows_each_person_what_they_see(tmp_path: Path) -> None:
    environment = {k: v for k, v in os.environ.items() if k != "DISCORD_TOKEN"}
    result = subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [
            sys.executable,
            str(ROOT / "bot.py"),
            "--sandbox",
            "--script",
            str(ROOT / "sandbox" / "tour.txt"),
        ],
        # The charts are saved beside where the sandbox was started.
        cwd=tmp_path,
        env=environment | {"DATA_DIR": str(tmp_path / "data")},
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

    status = _step(out, "as organiser /setup status")
    assert "#check-ins" in status
    assert "#specialists" in status
    assert "@Peer specialist" in status
    assert "<#" not in status
    assert "<@" not in status

    refused = _step(out, "as bob try click Acknowledge")
    assert "refused: bob can't see #specialists" in refused

    # Nobody acknowledged within five minutes: the backup is paged, and only then.
    before = out[: out.index("\n> advance 5m\n")]
    assert "@riley —" not in before
    escalated = _step(out, "advance 5m")
    assert "NEW #specialists" in escalated
    assert "@riley —" in escalated
    assert "[Acknowledge]" in escalated
    assert "@riley acknowledged @alice's request" in _step(out, "as riley click Acknowledge")

    attachment = re.search(r"attachment: check-ins\.png saved to (.+)", out)
    assert attachment is not None, out
    saved = Path(attachment[1])
    assert saved.parent == tmp_path / "sandbox-output"
    assert saved.read_bytes().startswith(b"\x89PNG")

    day = _step(out, "advance 1d")
    prompt, milestone = day.index("NEW #check-ins"), day.index("NEW #milestones")
    assert "[Check in]" in day[prompt:]
    assert "@alice reaches **1 day**" in day[milestone:]
    assert "the bot's clock is now" in day

    # The first data-storing step brings the privacy notice, after its own answer.
    saved_plan = _step(out, "as alice submit emergency_call=")
    assert saved_plan.index("Saved **Emergency plan**") < saved_plan.index("/privacy delete")
    assert "@sam read your relapse-prevention plan" in _step(out, "as alice /privacy access-log")
    exported = re.search(r"attachment: (my-data-[0-9-]+\.json) saved to (.+)", out)
    assert exported is not None, out
    assert json.loads(Path(exported[2]).read_text(encoding="utf-8"))["features"]
    erased = _step(out, 'as bob click "Delete everything"')
    assert "only bob can see this" in erased
    assert "Done. Erased:" in erased


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


def test_a_bad_span_to_advance_by_is_refused_with_what_would_do(tmp_path: Path) -> None:
    script = tmp_path / "advance.txt"
    script.write_text("wait 0\nadvance 30s\nadvance 5x\n", encoding="utf-8")
    result = subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [sys.executable, str(ROOT / "bot.py"), "--sandbox", "--script", str(script)],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 1, result.stdout[-3000:] + result.stderr[-3000:]
    assert "the bot's clock is now" in _step(result.stdout, "advance 30s")
    assert (
        f"{script}:3: advance takes a span of time like 5m, 2h, 1d, 1d2h30m or 30s, not '5x'"
        in result.stdout
    )


@pytest.mark.parametrize(
    ("text", "span"),
    [
        ("5m", timedelta(minutes=5)),
        ("30s", timedelta(seconds=30)),
        ("1d2h", timedelta(days=1, hours=2)),
        ("2H30M", timedelta(hours=2, minutes=30)),
    ],
)
def test_advance_reads_days_hours_minutes_and_seconds(text: str, span: timedelta) -> None:
    assert parse_span(text) == span


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ("+1d", "a span of time like 5m"),
        ("5", "a span of time like 5m"),
        ("2m1h", "a span of time like 5m"),
        ("0m", "more than nothing"),
        ("32d", "at most 31d"),
    ],
)
def test_advance_refuses_what_is_not_a_span_it_can_take(text: str, says: str) -> None:
    with pytest.raises(StepFailed, match=says):
        parse_span(text)


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
