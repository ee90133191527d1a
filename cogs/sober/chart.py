"""A member's sober-day runs as a small PNG timeline: one row per counter, one bar per run,
the current run drawn up to today. Rendered off-screen with the date axis every chart shares
(core/charts.py), so callers run it in a worker thread.

Only the member sees it: it is sent as a private attachment, never posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from matplotlib.figure import Figure

from cogs.sober import texts
from cogs.sober.service import Run
from core.charts import DPI, date_axis, day_number, png_bytes

_PAST_COLOUR = "#9bb7d4"
_CURRENT_COLOUR = "#2a7ab9"
_LABEL_LENGTH = 24


def history_png(counters: Sequence[tuple[str, Sequence[Run]]], today: date) -> bytes:
    """Each counter's runs from their first day to their last (today for the current one)."""
    rows = len(counters)
    figure = Figure(figsize=(8, 1.6 + 0.6 * rows), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    days: list[date] = []
    for row, (_substance, runs) in enumerate(counters):
        for run in runs:
            end = run.ended_on or today
            # A run that began and ended on one day still shows as a sliver.
            width = max((end - run.started_on).days, 1)
            colour = _CURRENT_COLOUR if run.ended_on is None else _PAST_COLOUR
            axes.barh(row, width, left=day_number(run.started_on), height=0.5, color=colour)
            days += [run.started_on, run.started_on + timedelta(days=width)]
    axes.set_yticks(range(rows))
    axes.set_yticklabels([_short(substance) for substance, _ in counters])
    axes.set_ylim(-0.7, rows - 0.3)
    axes.invert_yaxis()
    axes.set_title(texts.CHART_TITLE)
    axes.grid(axis="x", alpha=0.2)
    date_axis(axes, days)
    return png_bytes(figure)


def _short(name: str) -> str:
    return name if len(name) <= _LABEL_LENGTH else name[: _LABEL_LENGTH - 1] + "…"
