"""Member-facing texts of /help-now, beyond the one words check (tests/test_words.py)."""

from __future__ import annotations

from cogs.helpnow import texts


def test_the_thread_reply_points_back_to_the_lines() -> None:
    assert "lines" in texts.THREAD_OPENED
