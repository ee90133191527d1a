"""The history chart read as a member would: missed days are gaps, the axis is the period
the reply talks about in whole days, the title says the period and the days in a row, and
the colours read on Discord's dark mode. Checked on the Figure, before it becomes a PNG."""

from __future__ import annotations

import importlib
import itertools
import math
import re
from collections.abc import Sequence
from datetime import date, timedelta
from typing import Any

import numpy as np
import pytest
from matplotlib.axes import Axes
from matplotlib.colors import to_rgb
from matplotlib.figure import Figure
from matplotlib.lines import Line2D

from cogs.checkins import chart
from cogs.checkins.records import HistoryPoint
from core import charts
from core.bot import RecoveryBot
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in
from tests.fake_clock import FakeClock

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
TODAY = date(2026, 12, 3)
MOOD, CRAVING = (1, 5), (0, 10)
MONTHS = set(charts.MONTHS)


def _period(days: int) -> tuple[date, date]:
    return TODAY - timedelta(days=days - 1), TODAY


def _points(days: int, missing: set[int]) -> list[HistoryPoint]:
    """A check-in on every day of the last `days` but the `missing` ones (0 = the first)."""
    first, _ = _period(days)
    return [
        HistoryPoint(
            first + timedelta(days=n),
            mood=1 + n % 5,
            craving=(n * 3) % 11,
            sleep_hours=7.0,
            triggers=("Loneliness",) if n % 4 == 0 else (),
        )
        for n in range(days)
        if n not in missing
    ]


# 1, 7 and 30 days, as /checkin history shows them; with gaps wherever there can be one.
CASES = [(1, set()), (7, {2, 3}), (30, {0, 4, 5, 6, 12, 20, 21})]
# Missed days at the start of the period are no gap: the line just starts later.
GAPS = {1: 0, 7: 1, 30: 3}


def _lines(figure: Figure) -> list[Line2D]:
    mood_axes, craving_axes = figure.axes[0], figure.axes[1]
    return [*mood_axes.get_lines(), *craving_axes.get_lines()]


def _data_lines(figure: Figure) -> list[Line2D]:
    # The trigger bands are axvlines too: the data lines are the ones with markers.
    return [line for line in _lines(figure) if line.get_marker() not in (None, "None", "")]


def _floats(data: object) -> list[float]:
    return [float(value) for value in np.asarray(data, dtype=float)]


def _x_labels(axes: Axes) -> list[str]:
    return [label.get_text() for label in axes.get_xticklabels()]


def _runs(xs: Sequence[float]) -> list[list[float]]:
    """The unbroken pieces of a line: split at each NaN."""
    runs: list[list[float]] = [[]]
    for x in xs:
        if math.isnan(x):
            runs.append([])
        else:
            runs[-1].append(x)
    return [run for run in runs if run]


@pytest.mark.parametrize(("days", "missing"), CASES)
def test_missed_days_break_the_lines_and_every_check_in_keeps_its_marker(
    days: int, missing: set[int]
) -> None:
    points = _points(days, missing)
    figure = chart.history_figure(points, MOOD, CRAVING, _period(days), streak=3)
    mood, craving = _data_lines(figure)
    checked_in = [charts.day_number(point.local_date) for point in points]
    for line, values in ((mood, [p.mood for p in points]), (craving, [p.craving for p in points])):
        xs, ys = _floats(line.get_xdata()), _floats(line.get_ydata())
        assert [x for x in xs if not math.isnan(x)] == checked_in
        assert [y for y in ys if not math.isnan(y)] == values
        # Within a piece, days follow one another; between pieces, at least one is missing.
        runs = _runs(xs)
        for run in runs:
            assert all(later - earlier == 1 for earlier, later in itertools.pairwise(run))
        for before, after in itertools.pairwise(runs):
            assert after[0] - before[-1] > 1
        # x and y break together, so no segment is drawn across a missed day.
        assert [math.isnan(x) for x in xs] == [math.isnan(y) for y in ys]
        assert len(runs) - 1 == GAPS[days]


def test_a_gap_is_only_where_a_day_is_missing() -> None:
    days = [date(2026, 11, d) for d in (1, 2, 4, 5, 9)]
    xs, ys = charts.with_gaps(days, [1, 2, 3, 4, 5])
    assert [math.isnan(x) for x in xs] == [False, False, True, False, False, True, False]
    assert [y for y in ys if not math.isnan(y)] == [1, 2, 3, 4, 5]
    assert charts.with_gaps([], []) == ([], [])


@pytest.mark.parametrize(("days", "missing"), CASES)
def test_the_axis_is_the_period_asked_for_in_whole_days(days: int, missing: set[int]) -> None:
    first, last = _period(days)
    figure = chart.history_figure(_points(days, missing), MOOD, CRAVING, (first, last))
    bottom = figure.axes[-1]
    low, high = bottom.get_xlim()
    assert low == pytest.approx(charts.day_number(first) - 0.5)
    assert high == pytest.approx(charts.day_number(last) + 0.5)
    ticks = list(bottom.get_xticks())
    assert all(float(tick).is_integer() for tick in ticks)  # midnights: days, never hours
    assert all(low <= tick <= high for tick in ticks)
    assert charts.day_number(last) in ticks  # today is always labelled
    assert 1 <= len(ticks) <= 9
    if days <= 8:
        assert len(ticks) == days
    labels = _x_labels(bottom)
    shown_months = {charts.MONTHS[first.month - 1], charts.MONTHS[last.month - 1]}
    for label, tick in zip(labels, ticks, strict=True):
        assert re.fullmatch(r"\d{1,2} [A-Z][a-z]{2}", label), label
        assert ":" not in label
        day = first + timedelta(days=int(tick - charts.day_number(first)))
        assert label == f"{day.day} {charts.MONTHS[day.month - 1]}"
        assert label.split()[1] in shown_months


def test_a_single_check_in_in_a_week_still_shows_the_whole_week() -> None:
    [point] = _points(7, {0, 1, 2, 3, 4, 6})
    figure = chart.history_figure([point], MOOD, CRAVING, _period(7), streak=1)
    assert _x_labels(figure.axes[-1]) == [
        "27 Nov",
        "28 Nov",
        "29 Nov",
        "30 Nov",
        "1 Dec",
        "2 Dec",
        "3 Dec",
    ]
    assert figure.axes[0].get_title(loc="left").endswith("· 1 day in a row")


def test_without_a_period_the_axis_is_the_days_with_check_ins() -> None:
    points = _points(7, {0, 6})
    figure = chart.history_figure(points, MOOD, CRAVING)
    low, high = figure.axes[-1].get_xlim()
    assert low == pytest.approx(charts.day_number(points[0].local_date) - 0.5)
    assert high == pytest.approx(charts.day_number(points[-1].local_date) + 0.5)


def test_long_periods_keep_few_labels_and_say_the_year_over_new_year() -> None:
    first, last = TODAY - timedelta(days=364), TODAY
    ticks = charts.day_ticks(first, last)
    assert 1 <= len(ticks) <= 9
    assert all(day.day == 1 for day in ticks)  # first days of months
    figure = chart.history_figure(_points(365, set(range(0, 365, 3))), MOOD, CRAVING, (first, last))
    labels = _x_labels(figure.axes[-1])
    assert "1 Jan\n2026" in labels
    assert figure.axes[0].get_title(loc="left") == "Your check-ins, 4 Dec 2025 – 3 Dec 2026"
    # A handful of labels at every length /checkin history allows.
    for days in (7, 8, 9, 14, 16, 17, 30, 31, 62, 63, 90, 365):
        ticks = charts.day_ticks(TODAY - timedelta(days=days - 1), TODAY)
        assert 1 <= len(ticks) <= 9, days


@pytest.mark.parametrize(
    ("days", "streak", "title"),
    [
        (1, 0, "Your check-ins, 3 Dec"),
        (1, 1, "Your check-ins, 3 Dec · 1 day in a row"),
        (7, 2, "Your check-ins, 27 Nov – 3 Dec · 2 days in a row"),
        (30, 5, "Your check-ins, 4 Nov – 3 Dec · 5 days in a row"),
    ],
)
def test_the_title_says_the_period_and_the_days_in_a_row(
    days: int, streak: int, title: str
) -> None:
    figure = chart.history_figure(_points(days, set()), MOOD, CRAVING, _period(days), streak)
    assert figure.axes[0].get_title(loc="left") == title


def _luminance(colour: str) -> float:
    def linear(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (linear(c) for c in to_rgb(colour))
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def _contrast(one: str, other: str) -> float:
    light, dark = sorted((_luminance(one), _luminance(other)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def test_it_reads_on_dark_mode_and_not_by_colour_alone() -> None:
    figure = chart.history_figure(_points(30, {4, 5}), MOOD, CRAVING, _period(30), streak=2)
    assert to_rgb(figure.get_facecolor()) == to_rgb(charts.BACKGROUND)
    assert _luminance(charts.BACKGROUND) < 0.05
    mood, craving = _data_lines(figure)
    for line in (mood, craving):
        assert _contrast(str(line.get_color()), charts.PANEL) >= 3
    assert mood.get_marker() != craving.get_marker()
    assert mood.get_linestyle() != craving.get_linestyle()
    title = figure.axes[0].title
    assert _contrast(str(title.get_color()), charts.BACKGROUND) >= 4.5
    for label in figure.axes[-1].get_xticklabels():
        assert _contrast(str(label.get_color()), charts.PANEL) >= 4.5


@pytest.mark.parametrize(("days", "missing"), CASES)
def test_the_chart_comes_out_as_a_png(days: int, missing: set[int]) -> None:
    png = chart.history_png(_points(days, missing), MOOD, CRAVING, _period(days), 4)
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 2000


def test_the_group_chart_covers_its_days_on_dark_mode() -> None:
    per_day = [(TODAY - timedelta(days=13 - n), n % 4) for n in range(14)]
    figure = chart.participation_figure(per_day)
    axes = figure.axes[0]
    low, high = axes.get_xlim()
    assert low == pytest.approx(charts.day_number(per_day[0][0]) - 0.5)
    assert high == pytest.approx(charts.day_number(TODAY) + 0.5)
    assert all(re.fullmatch(r"\d{1,2} (Nov|Dec)", label) for label in _x_labels(axes))
    assert to_rgb(figure.get_facecolor()) == to_rgb(charts.BACKGROUND)
    assert chart.participation_png(per_day).startswith(PNG_SIGNATURE)


async def test_checkin_history_draws_the_period_of_its_reply_and_the_days_in_a_row(
    bot: RecoveryBot, community: Community, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn: list[Figure] = []
    # The module the running bot loaded: each bot's start imports its features afresh.
    loaded = importlib.import_module(chart.__name__)

    def kept(*args: Any) -> bytes:
        drawn.append(loaded.history_figure(*args))
        return charts.png_bytes(drawn[-1])

    monkeypatch.setattr(loaded, "history_png", kept)
    for _ in range(3):
        await (await check_in(community, GOOD)).wait_for_response()
        clock.advance(days=1)
    it = await community.alice.run_command("checkin history", channel=community.checkins, days=7)
    reply = await it.wait_for_followup()
    assert "last 7 days" in reply.content
    [figure] = drawn
    today = clock.now().date()  # nobody set a zone: UTC
    low, high = figure.axes[-1].get_xlim()
    assert low == pytest.approx(charts.day_number(today - timedelta(days=6)) - 0.5)
    assert high == pytest.approx(charts.day_number(today) + 0.5)
    assert figure.axes[0].get_title(loc="left") == (
        "Your check-ins, 7 Nov – 13 Nov · 3 days in a row"
    )
