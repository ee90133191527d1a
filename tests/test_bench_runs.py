"""`python -m bench --quick` runs every benchmark end to end and prints one quiet table.

A smoke test of the harness, as a person runs it (a separate process): every registered
benchmark ran, each of its figures is a row of the table,
and nothing else is printed, no log line above all. Timings are never asserted: at quick
sizes, on a shared machine, they mean nothing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from bench.__main__ import BENCHMARKS, PROGRESS
from bench.table import Figure, render

ROOT = Path(__file__).resolve().parent.parent

# The figures of the interaction benchmarks at quick sizes, by module: each must be there.
EXPECTED = {
    "checkin_submit": [
        f"submit{s} {what}, 5 members, {round_name}, {database}"
        for database in ("SQLite", "PostgreSQL")
        for round_name in ("first check-in", "returning")
        for s, what in (("", "p50"), ("", "p99"), ("", "max"), ("s", "deferred"), ("s", "past 3 s"))
    ],
    "helpnow_latency": [
        f"{what}, 5 members, {database}"
        for database in ("SQLite", "PostgreSQL")
        for what in ("reply p50", "reply p99", "replies past 3 s")
    ],
    "fanout": [
        "prompts posted once, 50 servers",
        "REST calls made, 50 servers",
        "first to last prompt, 50 servers",
        "/help-now page during it, 50 servers",
    ],
}


@pytest.fixture(scope="module")
def quick_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str, dict[str, Any]]:
    """The run's stdout, stderr and --json figures; a failed benchmark is a test's failure."""
    written = tmp_path_factory.mktemp("bench") / "figures.json"
    result = subprocess.run(  # noqa: S603 (our own entry point, fixed arguments)
        [sys.executable, "-m", "bench", "--quick", "--json", str(written)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=170,
        check=False,
    )
    if not written.exists():  # the runner itself broke: nothing to look at
        pytest.fail(f"python -m bench exited {result.returncode}: {result.stderr}")
    return result.stdout, result.stderr, json.loads(written.read_text())


@pytest.mark.timeout(180)
def test_every_registered_benchmark_ran_and_gave_figures(
    quick_run: tuple[str, str, dict[str, Any]],
) -> None:
    _, _, written = quick_run
    ran = written["benchmarks"]
    assert [b["name"] for b in ran] == list(BENCHMARKS)
    failed = {b["name"]: b["figures"][0]["value"] for b in ran if b["status"] == "failed"}
    assert not failed, f"benchmarks failed (tracebacks on the run's stderr): {failed}"
    for benchmark in ran:
        assert benchmark["status"] == "ran", benchmark
        assert benchmark["figures"], f"{benchmark['name']} gave no figures"


@pytest.mark.timeout(180)
def test_the_output_is_the_machine_then_one_row_per_figure_and_nothing_else(
    quick_run: tuple[str, str, dict[str, Any]],
) -> None:
    stdout, stderr, written = quick_run
    figures = [Figure(**f) for b in written["benchmarks"] for f in b["figures"]]
    header, _, table = stdout.rstrip("\n").partition("\n")
    assert header.startswith("machine: ")
    assert "CPUs" in header
    assert "SQLite" in header
    # The whole table is exactly the figures rendered: no log line can hide between rows.
    assert table == render(figures)
    assert all(f.value for f in figures), "a figure without a value"
    # On stderr, a line of progress per benchmark and nothing more (but a failed one's
    # traceback, which the first test reports).
    lines = stderr.splitlines()
    assert all(line.startswith(PROGRESS) for line in lines), stderr
    progress = [line for line in lines if not line.startswith(f"{PROGRESS}   ")]
    assert len(progress) == len(BENCHMARKS), stderr


@pytest.mark.timeout(180)
def test_the_interaction_benchmarks_give_each_of_their_figures(
    quick_run: tuple[str, str, dict[str, Any]],
) -> None:
    _, _, written = quick_run
    postgres = "PostgreSQL not reachable" not in written["machine"]
    if not postgres and os.environ.get("CI") == "true":
        pytest.fail("under CI the benchmarks' PostgreSQL figures must be measured")
    for name, expected in EXPECTED.items():
        shown = [
            f["what"] for b in written["benchmarks"] if b["name"] == name for f in b["figures"]
        ]
        missing = [what for what in expected if what not in shown]
        if not postgres:
            # Instead, one row says PostgreSQL was not measured.
            missing = [what for what in missing if "PostgreSQL" not in what]
        assert not missing, f"{name} lacks {missing}; it gave {shown}"
