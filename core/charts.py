"""What every feature's charts share: matplotlib off-screen (Agg, no display, no pyplot
state), a date axis that reads well at any span, and the figure as PNG bytes.

Rendering takes a few hundred milliseconds: callers run it in a worker thread.
"""

from __future__ import annotations

import io
from collections.abc import Sequence
from datetime import date, timedelta

import matplotlib

matplotlib.use("Agg")

from matplotlib.axes import Axes
from matplotlib.dates import AutoDateLocator, ConciseDateFormatter, date2num
from matplotlib.figure import Figure

DPI = 100


def day_number(day: date) -> float:
    """Where `day` lies on a date axis."""
    return float(date2num(day))  # type: ignore[no-untyped-call]


def date_axis(axes: Axes, days: Sequence[date]) -> None:
    locator = AutoDateLocator(minticks=3, maxticks=10)  # type: ignore[no-untyped-call]
    axes.xaxis.set_major_locator(locator)
    axes.xaxis.set_major_formatter(ConciseDateFormatter(locator))  # type: ignore[no-untyped-call]
    if days:
        # A single day alone would make a zero-width axis.
        low, high = min(days) - timedelta(days=1), max(days) + timedelta(days=1)
        axes.set_xlim(day_number(low), day_number(high))


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()
