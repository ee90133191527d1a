"""Every text a person in crisis can get from /help-now, checked against domain.md's rules."""

from __future__ import annotations

import re

import pytest

from cogs.helpnow import texts
from cogs.helpnow.crisis import PageState, crisis_messages
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core.guild_settings import LocalResource
from core.messages import DISCORD_MESSAGE_LIMIT

CRISIS = load_content(DEFAULT_CONTENT_DIR).crisis
CLINIC = (LocalResource("Riverside Clinic", "Call 555-0100, 8am to 8pm"),)

# Phrases that promise when someone answers, or claim a person is already there.
FORBIDDEN = [
    r"\bwithin\b",
    r"\bminutes?\b",
    r"\bhours?\b",
    r"\bsoon\b",
    r"right away",
    r"\bshortly\b",
    r"\bimmediately\b(?! danger)",
    r"is (now )?(talking|chatting|here) with you",
    r"\bI am a (person|human)\b",
    r"will (call|respond|reply|answer|get back)",
    r"you('| a)re (safe|not at risk|fine)",
]


def _bot_written_part(text: str, code: str) -> str:
    """The text without what the content file supplies (lines, overdose steps).

    Those are facts a group maintains ("a second dose after 2–3 minutes"); the rules
    below are about what the bot itself says.
    """
    region = CRISIS.region(code)
    for supplied in (*[line.how for line in region.lines], *CRISIS.overdose_steps, CLINIC[0].how):
        text = text.replace(supplied, "")
    return text


def all_crisis_texts() -> list[tuple[str, str]]:
    out = []
    for code in CRISIS.regions:
        for state in PageState:
            for local in ((), CLINIC):
                text = "\n\n".join(crisis_messages(CRISIS, code, local, state))
                out.append((f"{code}-{state.value}-{len(local)}", _bot_written_part(text, code)))
    for name in (
        "PAGE_FAILED",
        "THREAD_FAILED",
        "SAFE_THANKS",
        "THREAD_OPENED",
        "CLOSING_HINT",
        "MORE_LINES_HEADER",
    ):
        out.append((name, getattr(texts, name)))
    return out


@pytest.mark.parametrize(("label", "text"), all_crisis_texts())
def test_no_crisis_text_promises_a_time_or_claims_a_human_is_answering(
    label: str, text: str
) -> None:
    lowered = text.lower()
    for pattern in FORBIDDEN:
        assert not re.search(pattern, lowered), f"{label}: {pattern!r} in {text!r}"
    assert "addict" not in lowered
    assert "clean" not in lowered


@pytest.mark.parametrize("code", sorted(CRISIS.regions))
@pytest.mark.parametrize("state", list(PageState))
def test_every_reply_puts_danger_first_and_shows_at_least_two_other_lines(
    code: str, state: PageState
) -> None:
    region = CRISIS.regions[code]
    text = crisis_messages(CRISIS, code, (), state)[0]
    first_paragraph = text.split("\n\n")[0]
    assert region.emergency in first_paragraph
    shown = [line for line in region.lines if line.how in text]
    assert len(shown) >= 2
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
