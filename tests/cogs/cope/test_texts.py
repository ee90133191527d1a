"""A member who stops an exercise early is thanked, never scolded. (The words every text
avoids are checked in tests/test_words.py.)"""

from __future__ import annotations

import re

from cogs.cope import exercises, texts
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR

# Stopping is always fine: nothing may frame it as giving up or falling short.
SCOLDING = ("gave up", "give up", "quit", "should have", "didn't finish", "too soon", "only")
COPING = load_content(DEFAULT_CONTENT_DIR).coping


def test_every_way_an_exercise_stops_early_is_kind_and_never_scolds() -> None:
    breathing = COPING.strategy("breathing")
    assert breathing is not None
    endings = [
        exercises.stopped_text(breathing),
        exercises.stopped_text(None),
        exercises.restarting_text(breathing),
        exercises.ended_at_limit_text(breathing),
    ]
    for ending in endings:
        assert [w for w in SCOLDING if re.search(rf"\b{w}\b", ending.lower())] == [], ending
        assert "/cope" in ending  # and always the way back in


def test_every_guided_frame_offers_a_way_out_until_the_closing_one() -> None:
    guided = [s for s in COPING.strategies if exercises.is_guided(s)]
    assert {s.exercise for s in guided} == {"paced", "timer"}
    for strategy in guided:
        *running, closing = exercises.guided_frames(strategy)
        assert all(texts.STOP_ANY_TIME in frame.text for frame in running), strategy.id
        assert texts.STOP_ANY_TIME not in closing.text
