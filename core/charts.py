"""What every feature's charts share: matplotlib off-screen (Agg, no display, no pyplot
state), colours that read on Discord's dark mode and for colour-blind members, a date axis
of whole days over exactly the period shown, lines that break on missing days, and the
figure as PNG bytes.

Rendering takes a few hundred milliseconds: callers run it in a worker thread.
"""

from __future__ import annotations

import io
import math
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Literal

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.dates import date2num
from matplotlib.figure import Figure
from matplotlib.ticker import FixedFormatter, FixedLocator, NullLocator

DPI = 100

# Discord's dark theme (its default): the chart sits on it like one of its own cards, and
# in light mode it reads as a dark card. Styled per figure, never through rcParams, which
# are global and charts render in several threads at once.
BACKGROUND = "#313338"
PANEL = "#2b2d31"
TEXT = "#dbdee1"
MUTED = "#b5bac1"
GRID = "#4e5058"

# Okabe–Ito colours, told apart with every common colour-vision deficiency; the light
# ones, since the darker blue of the set has too little contrast on the dark panel.
SKY_BLUE = "#56B4E9"
ORANGE = "#E69F00"
REDDISH_PURPLE = "#CC79A7"
GREY = "#949ba4"

# English like the rest of the bot's words, and not strftime's %b, which follows the
# machine's locale.
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")

# More labels than this crowd each other on an 8-inch chart.
_MOST_TICKS = 9
# Up to about two months, every day gets a small tick, so a missing day can be counted.
_DAY_TICKS_UP_TO = 62


def day_number(day: date) -> float:
    """Where `day` lies on a date axis."""
    return float(date2num(day))  # type: ignore[no-untyped-call]


def day_label(day: date, *, year: bool = False) -> str:
    """ "3 Nov", or "3 Nov 2026"."""
    label = f"{day.day} {MONTHS[day.month - 1]}"
    return f"{label} {day.year}" if year else label


def period_label(first: date, last: date) -> str:
    """ "4 Nov – 3 Dec"; the years only when the period runs over New Year."""
    year = first.year != last.year
    if first == last:
        return day_label(last, year=year)
    return f"{day_label(first, year=year)} – {day_label(last, year=year)}"


def dark_figure(width: float, height: float) -> Figure:
    return Figure(figsize=(width, height), dpi=DPI, layout="constrained", facecolor=BACKGROUND)


def style(axes: Axes) -> None:
    """Light text, ticks and frame on the dark panel."""
    axes.set_facecolor(PANEL)
    axes.tick_params(which="both", colors=GRID, labelcolor=MUTED)
    for spine in axes.spines.values():
        spine.set_color(GRID)
    axes.xaxis.label.set_color(TEXT)
    axes.yaxis.label.set_color(TEXT)
    axes.title.set_color(TEXT)


def grid(axes: Axes, axis: Literal["both", "x", "y"]) -> None:
    axes.grid(axis=axis, color=GRID, linewidth=0.8, alpha=0.6)
    axes.set_axisbelow(True)


def day_ticks(first: date, last: date) -> list[date]:
    """The labelled days: every day, every other day, every week (each ending on `last`,
    so today is always labelled), or the first days of months for long periods."""
    span = (last - first).days + 1
    for step in (1, 2, 7, 14):
        if math.ceil(span / step) <= _MOST_TICKS:
            return [last - timedelta(days=n) for n in range(0, span, step)][::-1]
    months = [
        date(year, month, 1)
        for year in range(first.year, last.year + 1)
        for month in range(1, 13)
        if first <= date(year, month, 1) <= last
    ]
    every = math.ceil(len(months) / _MOST_TICKS)
    return months[::every]


def date_axis(axes: Axes, first: date, last: date) -> None:
    """Whole days from `first` to `last` and nothing more: half a day either side, so the
    first and last day's marks and bars aren't cut in half. Labels like "3 Nov", never
    hours; a label carries its year where the period runs over New Year."""
    if last < first:
        first, last = last, first
    axes.set_xlim(day_number(first) - 0.5, day_number(last) + 0.5)
    ticks = day_ticks(first, last)
    labels = []
    for n, day in enumerate(ticks):
        new_year = first.year != last.year and (n == 0 or ticks[n - 1].year != day.year)
        labels.append(day_label(day) + (f"\n{day.year}" if new_year else ""))
    axes.xaxis.set_major_locator(FixedLocator([day_number(day) for day in ticks]))
    axes.xaxis.set_major_formatter(FixedFormatter(labels))
    span = (last - first).days + 1
    if span <= _DAY_TICKS_UP_TO:
        every_day = [day_number(first + timedelta(days=n)) for n in range(span)]
        axes.xaxis.set_minor_locator(FixedLocator(every_day))
    else:
        axes.xaxis.set_minor_locator(NullLocator())


def with_gaps(days: Sequence[date], values: Sequence[float]) -> tuple[list[float], list[float]]:
    """x and y for a line that breaks where a day has no value: a NaN between two days that
    aren't next to each other, so no line is drawn across the missing ones."""
    xs: list[float] = []
    ys: list[float] = []
    previous: date | None = None
    for day, value in sorted(zip(days, values, strict=True)):
        if previous is not None and (day - previous).days > 1:
            xs.append(math.nan)
            ys.append(math.nan)
        xs.append(day_number(day))
        ys.append(float(value))
        previous = day
    return xs, ys


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
