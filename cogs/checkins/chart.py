"""PNG charts of check-ins: a member's own mood and cravings with triggers marked, and a
group's participation (core/charts.py: off-screen, so callers run it in a worker thread).

Each chart is built as a Figure first (`history_figure`, `participation_figure`), so tests
can read what is drawn, then turned into PNG bytes.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cogs.checkins import texts
from cogs.checkins.form import OTHER
from cogs.checkins.records import HistoryPoint
from core.charts import (
    ORANGE,
    REDDISH_PURPLE,
    SKY_BLUE,
    TEXT,
    dark_figure,
    date_axis,
    day_number,
    grid,
    period_label,
    png_bytes,
    style,
    with_gaps,
)
from core.counting import counted

# Colour is never the only cue: mood and cravings also differ in line style and marker,
# and each has its own panel and label.
_MOOD_COLOUR, _MOOD_LINE, _MOOD_MARKER = SKY_BLUE, "-", "o"
_CRAVING_COLOUR, _CRAVING_LINE, _CRAVING_MARKER = ORANGE, "--", "D"
_TRIGGER_COLOUR = REDDISH_PURPLE


def history_title(first: date, last: date, streak: int) -> str:
    period = period_label(first, last)
    if streak <= 0:
        return texts.CHART_HISTORY_TITLE.format(period=period)
    return texts.CHART_HISTORY_TITLE_IN_A_ROW.format(
        period=period, days=counted(streak, texts.DAYS)
    )


def history_figure(
    points: Sequence[HistoryPoint],
    mood_range: tuple[int, int],
    craving_range: tuple[int, int],
    period: tuple[date, date] | None = None,
    streak: int = 0,
) -> Figure:
    """Mood and cravings over `period` (first and last day; the days with check-ins when
    not given), and below them which triggers came up on which day. Days without a
    check-in are gaps in the lines."""
    dates = [point.local_date for point in points]
    first, last = period if period is not None else (min(dates), max(dates))
    # A year of daily markers at full size would run into one another.
    span = (last - first).days + 1
    marker_size = 6.5 if span <= 31 else (4.0 if span <= 92 else 2.5)
    triggers = _triggers_in_order(points)
    rows = 3 if triggers else 2
    ratios = [3, 3, max(1, len(triggers) // 2)] if triggers else [3, 3]
    figure = dark_figure(8, 5.5 + 0.25 * len(triggers))
    axes = figure.subplots(rows, 1, sharex=True, gridspec_kw={"height_ratios": ratios})
    for ax in axes:
        style(ax)

    mood_axes, craving_axes = axes[0], axes[1]
    mood_axes.plot(
        *with_gaps(dates, [p.mood for p in points]),
        color=_MOOD_COLOUR,
        linestyle=_MOOD_LINE,
        marker=_MOOD_MARKER,
        markersize=marker_size,
    )
    mood_axes.set_ylim(mood_range[0] - 0.3, mood_range[1] + 0.3)
    mood_axes.set_yticks(range(mood_range[0], mood_range[1] + 1))
    mood_axes.set_ylabel(texts.CHART_MOOD)
    mood_axes.set_title(history_title(first, last, streak), color=TEXT, loc="left")

    craving_axes.plot(
        *with_gaps(dates, [p.craving for p in points]),
        color=_CRAVING_COLOUR,
        linestyle=_CRAVING_LINE,
        marker=_CRAVING_MARKER,
        markersize=marker_size * 0.85,
    )
    craving_axes.set_ylim(craving_range[0] - 0.5, craving_range[1] + 0.5)
    craving_axes.set_ylabel(texts.CHART_CRAVING)

    for ax in (mood_axes, craving_axes):
        grid(ax, "both")
        # A faint band on each day a trigger came up, across both charts.
        for point in points:
            if point.triggers:
                ax.axvline(
                    day_number(point.local_date),
                    color=_TRIGGER_COLOUR,
                    alpha=0.35,
                    linewidth=3,
                    zorder=0,
                )

    if triggers:
        trigger_axes = axes[2]
        for row, name in enumerate(triggers):
            marked = _x([p.local_date for p in points if name in p.triggers])
            trigger_axes.scatter(marked, [row] * len(marked), marker="s", color=_TRIGGER_COLOUR)
        trigger_axes.set_yticks(range(len(triggers)))
        trigger_axes.set_yticklabels([_short(name) for name in triggers], fontsize=8)
        trigger_axes.set_ylim(-0.7, len(triggers) - 0.3)
        trigger_axes.invert_yaxis()
        trigger_axes.set_ylabel(texts.CHART_TRIGGERS)
        grid(trigger_axes, "x")
    date_axis(axes[-1], first, last)
    return figure


def history_png(
    points: Sequence[HistoryPoint],
    mood_range: tuple[int, int],
    craving_range: tuple[int, int],
    period: tuple[date, date] | None = None,
    streak: int = 0,
) -> bytes:
    return png_bytes(history_figure(points, mood_range, craving_range, period, streak))


def participation_figure(per_day: Sequence[tuple[date, int]]) -> Figure:
    """Members who checked in per day: counts only."""
    figure = dark_figure(8, 4)
    axes = figure.subplots()
    style(axes)
    days = [day for day, _ in per_day]
    axes.bar(_x(days), [count for _, count in per_day], color=SKY_BLUE)
    axes.set_title(texts.GROUP_CHART_TITLE, color=TEXT, loc="left")
    axes.set_ylabel(texts.GROUP_CHART_COUNT)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    grid(axes, "y")
    if days:
        date_axis(axes, min(days), max(days))
    return figure


def participation_png(per_day: Sequence[tuple[date, int]]) -> bytes:
    return png_bytes(participation_figure(per_day))


def _triggers_in_order(points: Sequence[HistoryPoint]) -> list[str]:
    seen: list[str] = []
    for point in points:
        for name in point.triggers:
            if name not in seen and name != OTHER:
                seen.append(name)
    if any(OTHER in point.triggers for point in points):
        seen.append(OTHER)
    return seen


def _short(name: str) -> str:
    label = texts.OTHER_TRIGGER if name == OTHER else name
    return label if len(label) <= 28 else label[:27] + "…"


def _x(days: Sequence[date]) -> list[float]:
    return [day_number(day) for day in days]
