"""Member-facing texts of /help-now, against domain.md: nothing promised that may not happen."""

from __future__ import annotations

import re

import pytest

from cogs.helpnow import texts

# Texts a member in crisis can read.
MEMBER_TEXTS = [
    "PAGED",
    "PAGED_ROLE_NO_ONCALL",
    "REPAGED",
    "NOT_SET_UP",
    "PAGE_FAILED",
    "CLOSING_HINT",
    "SAFE_THANKS",
    "THREAD_OPENED",
    "THREAD_EXISTS",
    "THREAD_FAILED",
    "THREAD_WELCOME",
    "MORE_LINES_HEADER",
]


@pytest.mark.parametrize("name", MEMBER_TEXTS)
def test_no_member_text_promises_that_a_specialist_will_come(name: str) -> None:
    # Nobody may acknowledge the page: "a specialist will join" is not ours to promise.
    text = getattr(texts, name).lower()
    assert not re.search(r"\b(specialist|someone|they) will\b", text), text


def test_the_thread_reply_points_back_to_the_lines() -> None:
    assert "lines" in texts.THREAD_OPENED
