"""/cope end to end: the list, the suggestions for a trigger (from the content, so a
group's own strategy appears without code), autocomplete, typed names, and a stepped
exercise walked through with Next."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from cogs.cope import texts
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core import help_offer
from core.bot import RecoveryBot
from sandbox.community import BotRunner, Community
from tests.cogs.cope.helpers import cope, copied_where_anyone_can_press, press
from tests.databases import sqlite_url

STRESS_LIST = 'strategies = ["breathing", "breathing-478", "move", "journaling", "halt"]'
OUR_OWN = """
[[strategies]]
id = "cold-water"
name = "Cold water"
summary = "Splash cold water on your face to slow your heart."
steps = ["Run the cold tap.", "Splash your face three times and breathe out slowly."]
"""


async def test_cope_alone_lists_every_strategy_privately_with_a_hint(
    bot: RecoveryBot, community: Community
) -> None:
    listed = await cope(community, community.alice)
    assert listed.ephemeral
    for strategy in bot.content.coping.strategies:
        assert f"**{strategy.name}**: {strategy.summary}" in listed.content
    assert texts.LIST_HINT in listed.content
    assert listed.message is not None
    assert listed.message.custom_ids == []


async def test_cope_for_stress_suggests_exactly_the_strategies_mapped_to_stress_in_order(
    bot: RecoveryBot, community: Community
) -> None:
    stress = bot.content.coping.trigger("stress")
    assert stress is not None
    suggested = await cope(community, community.alice, **{"for": "stress"})
    assert suggested.ephemeral
    alice = community.alice.id
    assert suggested.message is not None
    assert suggested.message.custom_ids == [f"cope:start:{alice}:{i}" for i in stress.strategies]
    names = [bot.content.coping.strategy(i) for i in stress.strategies]
    positions = [suggested.content.index(f"**{s.name}**") for s in names if s is not None]
    assert positions == sorted(positions)
    others = set(s.id for s in bot.content.coping.strategies) - set(stress.strategies)
    for other in others:
        found = bot.content.coping.strategy(other)
        assert found is not None
        assert f"**{found.name}**" not in suggested.content


async def test_a_trigger_typed_by_its_name_and_a_start_button_start_the_exercise(
    bot: RecoveryBot, community: Community
) -> None:
    suggested = await cope(community, community.alice, **{"for": "  BOREDOM "})
    started = await press(
        community.alice, suggested.message, f"cope:start:{community.alice.id}:move"
    )
    assert started.ephemeral
    assert "**Move your body**" in started.content
    assert "Step 1 of 3" in started.content
    assert started.message is not suggested.message  # the suggestions stay to pick again


async def test_a_groups_own_strategy_appears_for_its_trigger_without_code_changes(
    community: Community, tmp_path: Path
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content)
    coping = content / "coping.toml"
    shipped = coping.read_text(encoding="utf-8")
    assert STRESS_LIST in shipped
    ours = shipped.replace(STRESS_LIST, STRESS_LIST.replace('"halt"]', '"halt", "cold-water"]'))
    coping.write_text(ours.replace("# Triggers /cope for:", OUR_OWN + "\n# Triggers /cope for:"))
    runner = BotRunner(
        community, sqlite_url(tmp_path), tmp_path / "data", content=load_content(content)
    )
    try:
        bot = await runner.start()
        await runner.configure(bot)
        suggested = await cope(community, community.alice, **{"for": "stress"})
        assert "**Cold water**: Splash cold water" in suggested.content
        custom_id = f"cope:start:{community.alice.id}:cold-water"
        assert suggested.message is not None
        assert suggested.message.custom_ids[-1] == custom_id
        started = await press(community.alice, suggested.message, custom_id)
        assert "Run the cold tap." in started.content
    finally:
        await runner.stop_all()


async def test_autocomplete_answers_in_time_with_at_most_25_matching_choices(
    bot: RecoveryBot, community: Community
) -> None:
    coping = bot.content.coping
    everything = await community.alice.autocomplete(
        "cope", focused="strategy", value="", channel=community.checkins
    )
    # The emulator only records an answer that came inside Discord's 3 seconds.
    assert [c["value"] for c in everything] == [s.id for s in coping.strategies][:25]
    assert len(everything) <= 25

    breathing = await community.alice.autocomplete(
        "cope", focused="strategy", value="BREATH", channel=community.checkins
    )
    assert [(c["name"], c["value"]) for c in breathing] == [
        ("Box breathing", "breathing"),
        ("4-7-8 breathing", "breathing-478"),
    ]
    # Names starting with what was typed come before names that only contain it.
    triggers = await community.alice.autocomplete(
        "cope", focused="for", value="s", channel=community.checkins
    )
    values = [c["value"] for c in triggers]
    assert values[:2] == ["stress", "social-pressure"]
    assert set(values) == {t.id for t in coping.triggers if "s" in t.name.lower()}
    assert len(values) <= 25
    nothing = await community.alice.autocomplete(
        "cope", focused="for", value="zzz", channel=community.checkins
    )
    assert nothing == []


@pytest.mark.parametrize("typed", ["grounding", "5-4-3-2-1 GROUNDING", " 5-4-3-2-1grounding "])
async def test_a_strategy_is_found_by_its_id_or_its_name_in_any_case_and_spacing(
    bot: RecoveryBot, community: Community, typed: str
) -> None:
    started = await cope(community, community.alice, strategy=typed)
    assert "**5-4-3-2-1 grounding**" in started.content
    assert "Step 1 of 5" in started.content


async def test_a_strategy_given_with_a_trigger_wins(bot: RecoveryBot, community: Community) -> None:
    started = await cope(community, community.alice, strategy="grounding", **{"for": "stress"})
    assert "Step 1 of 5" in started.content
    assert started.message is not None
    assert started.message.custom_ids == [f"cope:step:{community.alice.id}:grounding:1"]


@pytest.mark.parametrize(
    ("options", "refusal"),
    [
        ({"strategy": "juggling"}, texts.UNKNOWN_STRATEGY.format(typed="juggling")),
        ({"for": "mondays"}, texts.UNKNOWN_TRIGGER.format(typed="mondays")),
    ],
    ids=["unknown strategy", "unknown trigger"],
)
async def test_an_unknown_name_gets_a_clear_private_refusal(
    bot: RecoveryBot, community: Community, options: dict[str, str], refusal: str
) -> None:
    refused = await cope(community, community.alice, **options)
    assert refused.ephemeral
    assert refused.content == refusal


async def test_grounding_steps_with_next_in_one_message_to_a_closing_without_buttons(
    bot: RecoveryBot, community: Community
) -> None:
    grounding = bot.content.coping.strategy("grounding")
    assert grounding is not None
    alice = community.alice
    shown = await cope(community, alice, strategy="grounding")
    message = shown.message
    assert message is not None
    assert grounding.steps[0] in message.content
    for index in range(1, len(grounding.steps)):
        pressed = await press(alice, message, f"cope:step:{alice.id}:grounding:{index}")
        assert pressed.message is message  # edited in place, never a new message
        assert f"Step {index + 1} of 5" in message.content
        assert grounding.steps[index] in message.content
    assert texts.DONE in message.content
    assert message.custom_ids == []


async def test_a_next_pressed_by_someone_else_is_refused_and_changes_nothing(
    bot: RecoveryBot, community: Community
) -> None:
    shown = await cope(community, community.alice, strategy="grounding")
    assert shown.message is not None
    before = shown.message.content
    copy = copied_where_anyone_can_press(community, shown.message)
    assert copy.custom_ids
    for custom_id in copy.custom_ids:
        refused = await press(community.bob, copy, custom_id)
        assert refused.ephemeral
        assert refused.content == texts.NOT_YOURS
    assert copy.content == "copied"
    assert shown.message.content == before


@pytest.mark.parametrize("set_up", [True, False])
async def test_call_someone_without_supports_promises_a_page_only_where_one_can_go(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community, set_up: bool
) -> None:
    if not set_up:
        await bot_runner.configure(bot, specialists_channel_id=None, specialist_role_id=None)
    shown = await cope(community, community.alice, strategy="reach-out")
    expected = help_offer.BUTTON_PAGES if set_up else help_offer.BUTTON_LINES
    assert expected in shown.content
    assert "reaches a peer specialist" not in shown.content
