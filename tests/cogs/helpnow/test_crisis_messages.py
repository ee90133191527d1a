"""The /help-now reply in one or more messages: always whole, the essentials always first."""

from __future__ import annotations

import random

import pytest

from cogs.helpnow import texts
from cogs.helpnow.crisis import (
    REQUIRED_REGION_LINES,
    PageState,
    crisis_messages,
    line_text,
    local_line,
)
from cogs.helpnow.settings import MAX_LOCAL_RESOURCES, RESOURCE_HOW_MAX, RESOURCE_NAME_MAX
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core.guild_settings import LocalResource
from core.messages import DISCORD_MESSAGE_LIMIT

CRISIS = load_content(DEFAULT_CONTENT_DIR).crisis
# Every region of the content file, plus a code the file doesn't know (its fallback).
REGION_CODES = [*sorted(CRISIS.regions), "ZZ"]
HONESTY = {
    PageState.PAGED_ONCALL: texts.PAGED,
    PageState.PAGED_ROLE: texts.PAGED_ROLE_NO_ONCALL,
    PageState.REPAGED: texts.REPAGED,
    PageState.NOT_SET_UP: texts.NOT_SET_UP,
}
# What admins type, at its worst: markdown that escaping doubles, mentions, blanks, emoji.
ALPHABET = "abcXYZ0189 -.,:/()*_~`|>#@<&!\u200b🙂é"
# The longest lines an admin can add: full name and way to reach, marked 24/7.
FULL = tuple(
    LocalResource(
        f"{i}" + "*" * (RESOURCE_NAME_MAX - 1), f"{i}" + "_" * (RESOURCE_HOW_MAX - 1), True
    )
    for i in range(MAX_LOCAL_RESOURCES)
)
OVERDOSE = f"{texts.OVERDOSE_HEADER} {' '.join(CRISIS.overdose_steps)}"


def _region_lines(code: str) -> list[str]:
    return [line_text(r.name, r.how, always_open=r.always_open) for r in CRISIS.region(code).lines]


def _random_text(rng: random.Random, most: int) -> str:
    return "".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, most)))


def _random_case(rng: random.Random) -> tuple[tuple[LocalResource, ...], str | None]:
    local = tuple(
        LocalResource(
            f"{i}{_random_text(rng, RESOURCE_NAME_MAX - 1)}",
            _random_text(rng, RESOURCE_HOW_MAX),
            rng.random() < 0.5,
        )
        for i in range(rng.randint(0, MAX_LOCAL_RESOURCES))
    )
    plan = rng.choice([None, _random_text(rng, 300), "step " * rng.randint(1, 1200)])
    return local, plan


def _assert_whole_and_essentials_first(
    messages: list[str],
    code: str,
    state: PageState,
    local: tuple[LocalResource, ...],
    plan: str | None,
) -> None:
    assert all(len(m) <= DISCORD_MESSAGE_LIMIT for m in messages)
    first, union = messages[0], "\n\n".join(messages)
    region = CRISIS.region(code)
    emergency = texts.EMERGENCY_FIRST.format(emergency=region.emergency)
    assert first.startswith(emergency)
    assert HONESTY[state] in first
    lines = _region_lines(code)
    for required in lines[:REQUIRED_REGION_LINES]:
        assert required in first
    assert first.index(texts.LINES_HEADER) < first.index(lines[1]) < first.index(HONESTY[state])
    if state is not PageState.NOT_SET_UP:
        assert first.endswith(texts.CLOSING_HINT)
    for line in [*lines, *(local_line(r) for r in local), OVERDOSE]:
        assert line in union, line
    if plan is not None and len(texts.YOUR_PLAN.format(plan=plan)) <= DISCORD_MESSAGE_LIMIT:
        assert texts.YOUR_PLAN.format(plan=plan) in union


@pytest.mark.parametrize("seed", range(8))
def test_any_local_lines_in_any_region_and_state_fit_whole_with_the_essentials_first(
    seed: int,
) -> None:
    # A property test over random lines within the admin limits (seeded, so CI repeats it).
    rng = random.Random(seed)
    for _ in range(40):
        local, plan = _random_case(rng)
        for code in REGION_CODES:
            for state in PageState:
                messages = crisis_messages(CRISIS, code, local, state, emergency_plan=plan)
                _assert_whole_and_essentials_first(messages, code, state, local, plan)


@pytest.mark.parametrize("code", REGION_CODES)
@pytest.mark.parametrize("state", list(PageState))
def test_the_longest_lines_an_admin_can_add_move_to_a_second_message_never_away(
    code: str, state: PageState
) -> None:
    messages = crisis_messages(CRISIS, code, FULL, state, emergency_plan="x" * 1500)
    _assert_whole_and_essentials_first(messages, code, state, FULL, "x" * 1500)
    assert len(messages) >= 2
    assert messages[1].startswith(texts.MORE_LINES_HEADER)


def test_without_overflow_the_reply_is_one_message_with_the_server_lines_first() -> None:
    clinic = (LocalResource("Riverside Clinic", "Call 555-0100, 8am to 8pm"),)
    messages = crisis_messages(CRISIS, "US", clinic, PageState.PAGED_ONCALL)
    assert len(messages) == 1
    text = messages[0]
    assert text.index("Riverside Clinic") < text.index("988 Suicide")
    assert OVERDOSE in text
    assert "Never Use Alone" in text


def test_a_region_switch_after_adding_lines_keeps_the_honest_words_whole() -> None:
    # Four long lines fit the UK's reply; the US one is longer (issue 8, item 5).
    local = tuple(LocalResource(f"Clinic {i} " + "n" * 60, "Call " + "5" * 190) for i in range(4))
    messages = crisis_messages(CRISIS, "US", local, PageState.PAGED_ROLE)
    assert all(len(m) <= DISCORD_MESSAGE_LIMIT for m in messages)
    assert texts.PAGED_ROLE_NO_ONCALL in messages[0]
    assert all(local_line(r) in "\n".join(messages) for r in local)


def test_a_long_emergency_plan_goes_whole_into_the_next_message() -> None:
    plan = "Call my sponsor Jo. " * 60
    messages = crisis_messages(CRISIS, "US", (), PageState.PAGED_ONCALL, emergency_plan=plan)
    assert texts.YOUR_PLAN.format(plan=plan) not in messages[0]
    assert texts.YOUR_PLAN.format(plan=plan) in messages[1]
    assert "988" in messages[0]


def test_a_plan_longer_than_a_message_is_split_between_words_not_dropped() -> None:
    plan = " ".join(f"word{i}" for i in range(1000))
    messages = crisis_messages(CRISIS, "US", (), PageState.PAGED_ONCALL, emergency_plan=plan)
    assert len(messages) >= 3
    assert all(len(m) <= DISCORD_MESSAGE_LIMIT for m in messages)
    later = " ".join(messages[1:]).split()
    assert [w for w in later if w.startswith("word")] == plan.split()


def test_a_local_line_shows_markdown_and_mentions_literally_and_keeps_numbers_and_links() -> None:
    resource = LocalResource(
        "**@everyone** <@123456789012345678>", "Call 1-800-555-0100, 988lifeline.org"
    )
    line = local_line(resource)
    assert "@everyone" not in line
    assert "<@123456789012345678>" not in line
    assert "\\*\\*" in line
    assert line.endswith(": Call 1-800-555-0100, 988lifeline.org")


@pytest.mark.parametrize("code", REGION_CODES)
def test_the_header_claims_no_hours_and_only_lines_known_to_be_always_open_say_24_7(
    code: str,
) -> None:
    first = crisis_messages(CRISIS, code, (), PageState.PAGED_ONCALL)[0]
    assert "day or night" not in first
    assert texts.LINES_HEADER in first
    for line in CRISIS.region(code).lines:
        shown = next(row for row in first.splitlines() if f"**{line.name}**" in row)
        assert ("(24/7)" in shown) is line.always_open


def test_a_servers_own_line_says_24_7_only_when_the_admin_marked_it_so() -> None:
    clinic = LocalResource("Riverside Clinic", "Call 555-0100, 8am to 8pm")
    warmline = LocalResource("Riverside Warmline", "Call 555-0199", always_open=True)
    first = crisis_messages(CRISIS, "US", (clinic, warmline), PageState.PAGED_ONCALL)[0]
    assert "• **Riverside Clinic**: Call 555-0100, 8am to 8pm" in first
    assert "• **Riverside Warmline** (24/7): Call 555-0199" in first
