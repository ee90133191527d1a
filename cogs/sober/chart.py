"""A member's sober-day runs as a small PNG timeline: one row per counter, one bar per run,
the current run drawn up to today. Rendered off-screen with the date axis every chart shares
(core/charts.py), so callers run it in a worker thread.

Only the member sees it: it is sent as a private attachment, never posted.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from cogs.sober import texts
from cogs.sober.service import Run
from core.charts import (
    GREY,
    SKY_BLUE,
    TEXT,
    dark_figure,
    date_axis,
    day_number,
    grid,
    png_bytes,
    style,
)

# The current run is bright and solid, past ones grey and hatched: told apart by
# lightness and pattern, not by colour alone.
_PAST_COLOUR, _PAST_HATCH = GREY, "///"
_CURRENT_COLOUR = SKY_BLUE
_LABEL_LENGTH = 24


def history_png(counters: Sequence[tuple[str, Sequence[Run]]], today: date) -> bytes:
    """Each counter's runs from their first day to their last (today for the current one)."""
    rows = len(counters)
    figure = dark_figure(8, 1.6 + 0.6 * rows)
    axes = figure.subplots()
    style(axes)
    days: list[date] = [today]
    for row, (_substance, runs) in enumerate(counters):
        for run in runs:
            current = run.ended_on is None
            # Whole days, as the date axis centres each day on its tick: a past run up to
            # the day before the next began, the current one up to and including today. A run
            # that began and ended on one day still shows as one day.
            end = today + timedelta(days=1) if run.ended_on is None else run.ended_on
            width = max((end - run.started_on).days, 1)
            axes.barh(
                row,
                width,
                left=day_number(run.started_on) - 0.5,
                height=0.5,
                color=_CURRENT_COLOUR if current else "none",
                edgecolor=_CURRENT_COLOUR if current else _PAST_COLOUR,
                hatch=None if current else _PAST_HATCH,
            )
            days += [run.started_on, run.started_on + timedelta(days=width - 1)]
    axes.set_yticks(range(rows))
    axes.set_yticklabels([_short(substance) for substance, _ in counters])
    axes.set_ylim(-0.7, rows - 0.3)
    axes.invert_yaxis()
    axes.set_title(texts.CHART_TITLE, color=TEXT, loc="left")
    grid(axes, "x")
    date_axis(axes, min(days), max(days))
    return png_bytes(figure)


def _short(name: str) -> str:
    return name if len(name) <= _LABEL_LENGTH else name[: _LABEL_LENGTH - 1] + "…"
