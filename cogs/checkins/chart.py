"""PNG charts of check-ins: a member's own mood and cravings with triggers marked, and a
group's participation (core/charts.py: off-screen, so callers run it in a worker thread).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from cogs.checkins import texts
from cogs.checkins.form import OTHER
from cogs.checkins.records import HistoryPoint
from core.charts import DPI, date_axis, day_number, png_bytes

_MOOD_COLOUR = "#2a7ab9"
_CRAVING_COLOUR = "#d9822b"
_TRIGGER_COLOUR = "#6b5b95"


def history_png(
    points: Sequence[HistoryPoint],
    mood_range: tuple[int, int],
    craving_range: tuple[int, int],
    title: str = texts.CHART_TITLE,
) -> bytes:
    """Mood and cravings over time, and below them which triggers came up on which day."""
    triggers = _triggers_in_order(points)
    rows = 3 if triggers else 2
    ratios = [3, 3, max(1, len(triggers) // 2)] if triggers else [3, 3]
    figure = Figure(figsize=(8, 5.5 + 0.25 * len(triggers)), dpi=DPI, layout="constrained")
    axes = figure.subplots(rows, 1, sharex=True, gridspec_kw={"height_ratios": ratios})
    days = _x([point.local_date for point in points])

    mood_axes, craving_axes = axes[0], axes[1]
    mood_axes.plot(days, [p.mood for p in points], marker="o", color=_MOOD_COLOUR)
    mood_axes.set_ylim(mood_range[0] - 0.3, mood_range[1] + 0.3)
    mood_axes.set_yticks(range(mood_range[0], mood_range[1] + 1))
    mood_axes.set_ylabel(texts.CHART_MOOD)
    mood_axes.set_title(title)

    craving_axes.plot(days, [p.craving for p in points], marker="o", color=_CRAVING_COLOUR)
    craving_axes.set_ylim(craving_range[0] - 0.5, craving_range[1] + 0.5)
    craving_axes.set_ylabel(texts.CHART_CRAVING)

    for ax in (mood_axes, craving_axes):
        ax.grid(axis="y", alpha=0.3)
        # A faint line on each day a trigger came up, across both charts.
        for point in points:
            if point.triggers:
                ax.axvline(
                    day_number(point.local_date),
                    color=_TRIGGER_COLOUR,
                    alpha=0.15,
                    linewidth=3,
                )

    last = axes[-1]
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
        trigger_axes.grid(axis="x", alpha=0.2)
    date_axis(last, [point.local_date for point in points])
    return png_bytes(figure)


def participation_png(per_day: Sequence[tuple[date, int]]) -> bytes:
    """Members who checked in per day: counts only."""
    figure = Figure(figsize=(8, 4), dpi=DPI, layout="constrained")
    axes = figure.subplots()
    days = [day for day, _ in per_day]
    axes.bar(_x(days), [count for _, count in per_day], color=_MOOD_COLOUR)
    axes.set_title(texts.GROUP_CHART_TITLE)
    axes.set_ylabel(texts.GROUP_CHART_COUNT)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(axis="y", alpha=0.3)
    date_axis(axes, days)
    return png_bytes(figure)


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
