"""One table for every benchmark: each figure with its goal beside it, and whether it met it.

Every benchmark module offers `async def figures(quick: bool) -> list[Figure]` for
`python -m bench`, and keeps its own command line for a closer look. A figure is what was
measured, the floor or goal it is held against, and the verdict; the runner prints them
all as one table, so a run's output is figures, not logs.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Figure:
    bench: str  # which benchmark: "check-in submit", "fan-out", ...
    what: str  # "p99, 200 members, SQLite"
    value: str  # "412 ms"
    goal: str = ""  # "≤ 2× minimal bot (530 ms)"; empty when a figure is only context
    met: bool | None = None  # None: context, no goal to meet


def verdict(met: bool | None) -> str:
    return "" if met is None else ("met" if met else "NOT MET")


def render(figures: Sequence[Figure]) -> str:
    rows = [("benchmark", "figure", "value", "goal", "")] + [
        (f.bench, f.what, f.value, f.goal, verdict(f.met)) for f in figures
    ]
    widths = [max(len(row[column]) for row in rows) for column in range(5)]
    lines = [
        "  ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()
        for row in rows
    ]
    lines.insert(1, "  ".join("-" * width for width in widths))
    return "\n".join(lines)


def milliseconds(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms" if seconds >= 0.1 else f"{seconds * 1000:.1f} ms"


def percentile(values: Sequence[float], fraction: float) -> float:
    """Nearest-rank percentile (p99 of 200 values is the 198th)."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]
