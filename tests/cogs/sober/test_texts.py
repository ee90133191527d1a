"""What the counters say keeps to the domain's words: person first, never a verdict, and
counting days never framed as a score."""

from __future__ import annotations

import re

from cogs.sober import texts

AVOIDED = ("addict", "clean", "dirty", "abuser", "relapsed", "failed", "failure", "streak")
# Days are a count of the member's own, never something to beat or to be ranked by.
SCORE_WORDS = ("score", "rank", "leaderboard", "record", "beat", "points")


def member_texts() -> str:
    found = [
        value for name, value in vars(texts).items() if name.isupper() and isinstance(value, str)
    ]
    assert found
    return " ".join(found).lower()


def test_counter_texts_avoid_the_words_the_domain_avoids() -> None:
    words = member_texts()
    assert [word for word in AVOIDED if re.search(rf"\b{word}", words)] == []


def test_counter_texts_never_frame_the_days_as_a_score() -> None:
    words = member_texts()
    assert [word for word in SCORE_WORDS if re.search(rf"\b{word}\b", words)] == []
