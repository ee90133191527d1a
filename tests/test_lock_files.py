"""The lock files install the same on any machine: no paths of the one they were made on,
and the development set pins the running set's versions exactly."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PIN = re.compile(r"^([A-Za-z0-9._-]+)==(\S+)")


def pins(name: str) -> dict[str, str]:
    found = {}
    for line in (ROOT / name).read_text(encoding="utf-8").splitlines():
        if match := PIN.match(line):
            found[match.group(1).lower()] = match.group(2)
    return found


def test_neither_lock_file_names_an_index_or_a_folder_of_this_machine() -> None:
    for name in ("requirements.lock", "requirements-dev.lock"):
        options = [
            line
            for line in (ROOT / name).read_text(encoding="utf-8").splitlines()
            if line.startswith(("--index-url", "--extra-index-url", "--find-links", "-f "))
        ]
        assert options == [], name


def test_the_development_set_pins_every_running_package_at_the_same_version() -> None:
    running, developing = pins("requirements.lock"), pins("requirements-dev.lock")
    assert running
    assert {name: developing.get(name) for name in running} == running
    assert {"pytest", "mypy", "ruff", "hypothesis"} <= developing.keys()
    assert not {"pytest", "mypy", "ruff", "hypothesis"} & running.keys()
