"""Every benchmark, one table: `.venv/bin/python -m bench [--quick] [--only NAME]`.

Runs each module of `BENCHMARKS` in order (its `figures(quick)`, in an event loop of its
own so that one benchmark's leftovers cannot slow the next) and prints one line naming
the machine, then one table of every figure with its goal. Progress goes to stderr, a
line per benchmark; logging is held at ERROR for the run, so the output is figures, not
the bot's, discord.py's or the emulator's log lines. `--quick` runs small sizes, a smoke
test of the harness whose timings mean nothing. `--json PATH` also writes the figures
with the machine, for RESULTS.md.

A benchmark that fails shows as a "failed" row (its traceback on stderr) and the run
exits 1.
"""

from __future__ import annotations

import argparse
import asyncio
import importlib
import json
import logging
import os
import platform
import sqlite3
import sys
import time
import traceback
from collections.abc import Callable, Coroutine, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal, cast

from bench.support import postgres_version
from bench.table import Figure, render
from tests.databases import POSTGRES_URL

BENCHMARKS = (
    "checkin_submit",
    "helpnow_latency",
    "fanout",
    "schedule_rebuild",
    "storage",
    "escalation_timing",
)
PROGRESS = "bench:"  # what starts every line this command writes to stderr

FigureSource = Callable[[bool], Coroutine[Any, Any, list[Figure]]]


@dataclass
class Outcome:
    name: str
    status: Literal["ran", "failed"]
    seconds: float = 0.0
    figures: list[Figure] = field(default_factory=list)


def machine() -> str:
    model = "unknown model"
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.partition(":")[2].strip()
                break
    except OSError:
        pass
    postgres = asyncio.run(postgres_version())
    return (
        f"machine: {os.cpu_count()} CPUs, {model}; Python {platform.python_version()}; "
        f"SQLite {sqlite3.sqlite_version}; "
        + (f"PostgreSQL {postgres}" if postgres else f"PostgreSQL not reachable at {POSTGRES_URL}")
    )


@contextmanager
def quiet_logs() -> Iterator[None]:
    """Nothing below ERROR reaches stderr: not the bot's warnings (the new encryption key
    it generates for each fresh database), nor discord.py's (one per 429 during the
    fan-out), nor the emulator's. `disable` holds even for loggers given a level of
    their own; an ERROR still shows, since it means a benchmark met a real failure."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    logging.disable(logging.WARNING)
    try:
        yield
    finally:
        logging.disable(logging.NOTSET)
        root.setLevel(level)


def source(name: str) -> FigureSource:
    module_name = f"bench.{name}"
    found = getattr(importlib.import_module(module_name), "figures", None)
    if found is None:
        raise AttributeError(f"{module_name} has no figures(quick)")
    return cast(FigureSource, found)


def run_one(name: str, quick: bool, position: str) -> Outcome:
    print(f"{PROGRESS} {position} {name} ", end="", file=sys.stderr, flush=True)
    started = time.perf_counter()
    try:
        found = asyncio.run(source(name)(quick))
    except Exception as error:
        took = time.perf_counter() - started
        print(f"failed after {took:.0f} s", file=sys.stderr)
        for line in traceback.format_exc().splitlines():
            print(f"{PROGRESS}   {line}", file=sys.stderr)
        failed = Figure(name, "failed", f"{type(error).__name__}: {error}"[:200], met=False)
        return Outcome(name, "failed", took, [failed])
    took = time.perf_counter() - started
    print(f"{took:.0f} s", file=sys.stderr)
    return Outcome(name, "ran", took, found)


def run(names: Sequence[str], quick: bool) -> list[Outcome]:
    with quiet_logs():
        return [run_one(n, quick, f"{i}/{len(names)}") for i, n in enumerate(names, start=1)]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="small sizes: a smoke test")
    parser.add_argument(
        "--only", action="append", choices=BENCHMARKS, metavar="NAME", help="|".join(BENCHMARKS)
    )
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    arguments = parser.parse_args(argv)
    names = [n for n in BENCHMARKS if arguments.only is None or n in arguments.only]

    header = machine() + ("; --quick sizes" if arguments.quick else "")
    outcomes = run(names, arguments.quick)
    print(header)
    print(render([f for outcome in outcomes for f in outcome.figures]))
    if arguments.json is not None:
        written = {
            "machine": header,
            "quick": arguments.quick,
            "benchmarks": [
                {**asdict(o), "figures": [asdict(f) for f in o.figures]} for o in outcomes
            ],
        }
        arguments.json.write_text(json.dumps(written, indent=2, ensure_ascii=False) + "\n")
    return 1 if any(o.status == "failed" for o in outcomes) else 0


if __name__ == "__main__":
    sys.exit(main())
