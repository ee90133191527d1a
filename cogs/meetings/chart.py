"""The report's chart: how many members were at each meeting, one line per meeting over
the report's period. Counts only, never names. Rendered off-screen with the date axis
every chart shares (core/charts.py), so callers run it in a worker thread."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from matplotlib.ticker import MaxNLocator

from cogs.meetings import texts
from core.charts import (
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    TEXT,
    dark_figure,
    date_axis,
    day_number,
    grid,
    png_bytes,
    style,
)

_COLOURS = (SKY_BLUE, ORANGE, REDDISH_PURPLE)
# Marker and line style differ per meeting, so colour is never the only cue.
_MARKERS = ("o", "s", "^", "D", "v", "P", "X", "*")
_LINES = ("-", "--", "-.", ":")
_MOST_MEETINGS = len(_MARKERS)
_LABEL_LENGTH = 28


def report_png(counts: Mapping[str, Sequence[tuple[datetime, int]]]) -> bytes:
    """Members at each occurrence, per meeting (the busiest first when there are many)."""
    figure = dark_figure(8, 4)
    axes = figure.subplots()
    style(axes)
    shown = sorted(counts.items(), key=lambda item: -sum(n for _, n in item[1]))[:_MOST_MEETINGS]
    days = []
    for index, (title, points) in enumerate(shown):
        xs = [day_number(moment.date()) for moment, _ in points]
        days += [moment.date() for moment, _ in points]
        axes.plot(
            xs,
            [count for _, count in points],
            color=_COLOURS[index % len(_COLOURS)],
            marker=_MARKERS[index],
            linestyle=_LINES[index % len(_LINES)],
            label=_short(title),
        )
    axes.set_ylim(bottom=0)
    axes.set_ylabel(texts.CHART_AXIS)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_title(texts.CHART_TITLE, color=TEXT, loc="left")
    grid(axes, "both")
    date_axis(axes, min(days), max(days))
    legend = axes.legend(loc="upper left", frameon=False)
    for label in legend.get_texts():
        label.set_color(TEXT)
    return png_bytes(figure)


def _short(title: str) -> str:
    return title if len(title) <= _LABEL_LENGTH else title[: _LABEL_LENGTH - 1] + "…"
