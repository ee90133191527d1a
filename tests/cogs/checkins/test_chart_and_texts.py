"""Charts come out as PNG; texts fit Discord."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cogs.checkins import chart, texts
from cogs.checkins.records import HistoryPoint
from tests.cogs.checkins.helpers import CHECKINS

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


def _points(count: int) -> list[HistoryPoint]:
    start = date(2026, 11, 1)
    return [
        HistoryPoint(
            start + timedelta(days=n),
            mood=1 + n % 5,
            craving=(n * 3) % 11,
            sleep_hours=6.5,
            triggers=("Loneliness", "other") if n % 3 == 0 else (),
        )
        for n in range(count)
    ]


@pytest.mark.parametrize("count", [1, 2, 30])
def test_the_history_chart_is_a_png(count: int) -> None:
    png = chart.history_png(_points(count), (1, 5), (0, 10))
    assert png.startswith(PNG_SIGNATURE)
    assert len(png) > 2000


def test_the_history_chart_without_triggers_and_the_group_chart_are_pngs() -> None:
    quiet = [HistoryPoint(date(2026, 11, d), 3, 2, 7.0, ()) for d in (1, 2, 4)]
    assert chart.history_png(quiet, (1, 5), (0, 10)).startswith(PNG_SIGNATURE)
    per_day = [(date(2026, 11, d), d % 4) for d in range(1, 15)]
    assert chart.participation_png(per_day).startswith(PNG_SIGNATURE)


def test_every_text_fits_discords_limits() -> None:
    scales = CHECKINS.scales
    labels = [
        texts.MOOD_LABEL.format(low=scales.mood_min, high=scales.mood_max),
        texts.CRAVING_LABEL.format(low=scales.craving_min, high=scales.craving_max),
        texts.SLEEP_LABEL,
        texts.TRIGGERS_LABEL,
        texts.NOTE_LABEL,
    ]
    assert all(len(label) <= 45 for label in labels)
    placeholders = [
        texts.MOOD_PLACEHOLDER,
        texts.TRIGGERS_PLACEHOLDER,
        texts.NOTE_PLACEHOLDER,
        texts.TRIGGER_SELECT_PLACEHOLDER,
        texts.TRIGGERS_DESCRIPTION,  # a label's description: 100 too
    ]
    assert all(len(text) <= 100 for text in placeholders)
    assert len(texts.MODAL_TITLE) <= 45
    assert len(CHECKINS.triggers) + 1 <= 25  # the trigger menu, "other" included
    assert all(len(name) <= 100 for name in CHECKINS.triggers)
