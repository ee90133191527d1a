"""deploy/recovery-bot.service: it parses, and it asks of the bot only what the bot does.

The stop it relies on (SIGTERM, exit 0, within STOP_WITHIN_SECONDS) is what
tests/test_lifecycle.py proves with the bot as a real process.
"""

from __future__ import annotations

import inspect
import shutil
import signal
import subprocess
from pathlib import Path

import pytest

import tests.test_lifecycle as lifecycle
from bot import EXIT_CONFIG, EXIT_UNREACHABLE
from core.bot import STOP_WITHIN_SECONDS
from tests.bot_process import ROOT

UNIT = ROOT / "deploy" / "recovery-bot.service"
# Where the unit expects the checkout; systemd-analyze checks the unit against this one.
INSTALLED_AT = "/opt/recovery-bot"

Unit = dict[str, dict[str, list[str]]]


def parse(text: str) -> Unit:
    """Sections and their keys, every value of a repeated key (Environment=) kept."""
    unit: Unit = {}
    section: dict[str, list[str]] | None = None
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("[") and line.endswith("]"):
            section = unit.setdefault(line[1:-1], {})
            continue
        assert section is not None, f"line {number} is outside any section: {raw!r}"
        key, equals, value = line.partition("=")
        assert equals, f"line {number} is not key=value: {raw!r}"
        section.setdefault(key.strip(), []).append(value.strip())
    return unit


@pytest.fixture(scope="module")
def unit() -> Unit:
    return parse(UNIT.read_text())


def one(unit: Unit, section: str, key: str) -> str:
    values = unit.get(section, {}).get(key, [])
    assert len(values) == 1, f"[{section}] {key}= is set {len(values)} times"
    return values[0]


def environment(unit: Unit) -> dict[str, str]:
    pairs = (item.partition("=") for item in unit["Service"].get("Environment", []))
    return {name: value for name, _, value in pairs}


def seconds(value: str) -> float:
    for suffix, factor in (("min", 60.0), ("ms", 0.001), ("s", 1.0)):
        if value.endswith(suffix):
            return float(value.removesuffix(suffix)) * factor
    return float(value)  # systemd reads a bare number as seconds


def test_the_unit_passes_systemd_analyze_verify_against_this_checkout(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here (the parsing tests still run)")
    env_file = tmp_path / "env"
    env_file.write_text("DISCORD_TOKEN=not-a-real-token\n")
    env_file.chmod(0o600)
    text = UNIT.read_text().replace("/etc/recovery-bot/env", str(env_file))
    checked = tmp_path / UNIT.name  # verify wants the unit's own file name
    checked.write_text(text.replace(INSTALLED_AT, str(ROOT)))
    result = subprocess.run(  # noqa: S603 (a fixed tool on a file this test wrote)
        [analyze, "verify", str(checked)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    # A misspelt key or a value systemd cannot parse is only a warning: none is allowed.
    assert result.returncode == 0, result.stderr
    assert result.stderr.strip() == "", result.stderr


def test_systemd_would_not_read_a_comment_as_part_of_a_value() -> None:
    for number, line in enumerate(UNIT.read_text().splitlines(), start=1):
        if "=" in line and not line.lstrip().startswith(("#", ";")):
            assert "#" not in line, f"line {number}: systemd has no end-of-line comments"


def test_it_runs_bot_py_with_the_checkouts_virtualenv_as_its_own_user(unit: Unit) -> None:
    checkout = one(unit, "Service", "WorkingDirectory")
    assert checkout == INSTALLED_AT
    interpreter, script = one(unit, "Service", "ExecStart").split()
    assert interpreter == f"{checkout}/.venv/bin/python"
    assert (ROOT / script).name == "bot.py"
    assert (ROOT / script).is_file()
    assert one(unit, "Service", "User") not in {"", "root", "0"}
    assert one(unit, "Service", "EnvironmentFile").startswith("/etc/")
    assert one(unit, "Install", "WantedBy") == "multi-user.target"
    assert "network-online.target" in one(unit, "Unit", "After")


def test_the_data_folder_is_the_only_place_it_may_write(unit: Unit) -> None:
    data_dir = environment(unit)["DATA_DIR"]
    assert one(unit, "Service", "ReadWritePaths") == data_dir
    assert data_dir.startswith(one(unit, "Service", "WorkingDirectory") + "/")
    assert one(unit, "Service", "ProtectSystem") == "strict"
    for key in ("ProtectHome", "PrivateTmp", "NoNewPrivileges"):
        assert one(unit, "Service", key) == "true", key
    # What the bot writes outside the data folder goes to its private /tmp (PrivateTmp).
    assert Path(environment(unit)["MPLCONFIGDIR"]).parts[:2] == ("/", "tmp")
    assert environment(unit)["PYTHONDONTWRITEBYTECODE"] == "1"


def test_it_restarts_after_a_crash_but_not_when_a_setting_must_be_fixed(unit: Unit) -> None:
    assert one(unit, "Service", "Restart") == "on-failure"
    refused = one(unit, "Service", "RestartPreventExitStatus").split()
    assert str(EXIT_CONFIG) in refused
    # Discord out of reach is retried inside the bot; a one-shot command's exit 3 is
    # never the service's.
    assert str(EXIT_UNREACHABLE) not in refused
    # Under systemd's default limit (5 starts in 10 s) restarts would stop for good.
    assert seconds(one(unit, "Service", "RestartSec")) * 5 > 10


def test_it_stops_the_bot_with_the_signal_and_time_the_lifecycle_test_proves(
    unit: Unit,
) -> None:
    assert one(unit, "Service", "KillSignal") == signal.SIGTERM.name
    timeout = seconds(one(unit, "Service", "TimeoutStopSec"))
    # Room above the bot's worst case for the final journal write and the database.
    assert timeout >= STOP_WITHIN_SECONDS + 10
    # The proof: a process sent this signal while a page is posted exits 0 within this.
    proof = inspect.getsource(
        lifecycle.test_sigterm_while_a_page_is_posted_exits_0_with_the_page_delivered_and_recorded
    )
    assert "send_signal(signal.SIGTERM)" in proof
    assert "exit_status(bot, STOP_WITHIN_SECONDS)" in proof
    assert f"at most {STOP_WITHIN_SECONDS:g} s" in UNIT.read_text()
