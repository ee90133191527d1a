"""Charts come out as PNG; triggers parse from what people type; texts fit Discord."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from cogs.checkins import chart, form, texts
from cogs.checkins.records import HistoryPoint
from core.errors import UserFacingError
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


def test_triggers_are_read_as_numbers_names_or_other() -> None:
    parse = form.parse_triggers
    assert parse("", CHECKINS) == ()
    assert parse("none", CHECKINS) == ()
    assert parse("3, 1", CHECKINS) == ("Stress (money, work, legal)", "Loneliness")
    assert parse("Stress (money, work, legal); boredom", CHECKINS) == (
        "Stress (money, work, legal)",
        "Boredom",
    )
    assert parse("LONELINESS\nother\n3", CHECKINS) == ("Loneliness", "other")
    assert parse("pain", CHECKINS) == ("Physical pain or illness",)
    assert parse("holiday", CHECKINS) == ("Celebration or holiday",)
    with pytest.raises(UserFacingError, match="more than one"):
        parse("p", CHECKINS)
    with pytest.raises(UserFacingError, match=r"1\. Stress"):
        parse("work drama", CHECKINS)


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
    ]
    assert all(len(text) <= 100 for text in placeholders)
    assert len(texts.MODAL_TITLE) <= 45
    assert len(CHECKINS.triggers) + 1 <= 25  # the trigger menu, "other" included
    assert all(len(name) <= 100 for name in CHECKINS.triggers)


def test_member_texts_use_person_first_words() -> None:
    found: list[str] = []
    for name, value in vars(texts).items():
        if not name.isupper():
            continue
        if isinstance(value, dict):
            value = tuple(value.values())
        found.append(value if isinstance(value, str) else repr(value))
    words = " ".join(found).lower()
    for stigmatising in ("addict", "clean", "dirty", "abuser", "relapsed", "failure to"):
        assert stigmatising not in words
