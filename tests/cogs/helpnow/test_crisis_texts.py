"""The reply a person in crisis gets from /help-now: honest, whole, within Discord's limits.

Its words, the emergency number first and two independent lines are checked with every
other text in tests/test_words.py.
"""

from __future__ import annotations

import pytest

from cogs.helpnow.crisis import PageState, crisis_messages
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core.guild_settings import LocalResource
from core.messages import DISCORD_MESSAGE_LIMIT

CRISIS = load_content(DEFAULT_CONTENT_DIR).crisis
CLINIC = (LocalResource("Riverside Clinic", "Call 555-0100, 8am to 8pm"),)


@pytest.mark.parametrize("code", sorted(CRISIS.regions))
@pytest.mark.parametrize("state", list(PageState))
def test_every_reply_says_it_is_automated_and_fits_one_message(code: str, state: PageState) -> None:
    text = crisis_messages(CRISIS, code, (), state)[0]
    assert "automated" in text
    assert len(text) <= DISCORD_MESSAGE_LIMIT


def test_the_us_reply_has_911_988_and_more() -> None:
    text = crisis_messages(CRISIS, "US", CLINIC, PageState.PAGED_ONCALL)[0]
    assert "911" in text
    assert "988" in text
    assert "741741" in text
    assert "Riverside Clinic" in text
    assert "paged the peer specialist on call" in text


def test_an_unknown_region_falls_back_to_the_international_lines() -> None:
    text = crisis_messages(CRISIS, "ZZ", (), PageState.PAGED_ROLE)[0]
    assert "findahelpline.com" in text


def test_a_long_emergency_plan_never_pushes_the_lines_out() -> None:
    messages = crisis_messages(
        CRISIS, "US", CLINIC, PageState.PAGED_ONCALL, emergency_plan="x" * 3000
    )
    assert all(len(m) <= DISCORD_MESSAGE_LIMIT for m in messages)
    assert "988" in messages[0]
    assert "Riverside Clinic" in messages[0]
