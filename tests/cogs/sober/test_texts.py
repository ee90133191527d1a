"""Counting days is never framed as a score. (The words every text avoids are checked in
tests/test_words.py.)"""

from __future__ import annotations

import re

from cogs.sober import texts

# Days are a count of the member's own, never something to beat, keep alive or be ranked
# by. (Check-ins may speak of days in a row: missing one is no reset there.)
SCORE_WORDS = ("score", "rank", "leaderboard", "record", "beat", "points", "streak")


def member_texts() -> str:
    found = [
        value for name, value in vars(texts).items() if name.isupper() and isinstance(value, str)
    ]
    assert found
    return " ".join(found).lower()


def test_counter_texts_never_frame_the_days_as_a_score() -> None:
    words = member_texts()
    assert [word for word in SCORE_WORDS if re.search(rf"\b{word}s?\b", words)] == []
