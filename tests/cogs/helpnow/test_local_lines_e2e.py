"""/setup help-now add-line and remove-line through the emulator, up to the member's reply."""

from __future__ import annotations

from typing import Any

import pytest

from cogs.helpnow import settings, texts
from core.bot import RecoveryBot
from fakediscord.driver import UserInteraction
from sandbox.community import BotRunner, Community

BLANKS = ["   ", "\u200b\u200b", "**", "``"]


async def _add_line(community: Community, name: str, how: str, **more: Any) -> UserInteraction:
    return await community.organiser.run_command(
        # `options`: "name" is also run_command's own parameter.
        "setup help-now add-line",
        channel=community.checkins,
        options={"name": name, "how": how, **more},
    )


@pytest.mark.parametrize("blank", BLANKS)
async def test_a_line_of_only_blanks_or_formatting_is_refused_and_nothing_is_saved(
    bot: RecoveryBot, community: Community, blank: str
) -> None:
    before = bot.guild_settings.cached(community.guild.id)
    it = await _add_line(community, blank, blank)
    reply = await it.wait_for_response()
    assert reply.ephemeral
    assert reply.content == texts.RESOURCE_UNREADABLE
    assert bot.guild_settings.cached(community.guild.id) == before

    help_now = await community.alice.run_command("help-now", channel=community.checkins)
    assert "• ****" not in (await help_now.wait_for_response()).content


async def test_a_line_that_names_everyone_or_a_member_pings_nobody_and_shows_as_typed(
    bot: RecoveryBot, community: Community
) -> None:
    bob = f"<@{community.bob.id}>"
    added = await _add_line(
        community, f"@everyone **Clinic** {bob}", "Call 555-0100, 988lifeline.org"
    )
    assert "Added" in (await added.wait_for_response()).content

    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response(timeout=5)
    assert reply.message is not None
    assert not reply.message.mention_everyone
    assert reply.message.mentions == []
    assert "@everyone" not in reply.content
    assert bob not in reply.content
    assert "\\*\\*Clinic\\*\\*" in reply.content  # shown as typed, not as bold
    assert ": Call 555-0100, 988lifeline.org" in reply.content


async def test_after_a_region_switch_the_reply_still_carries_the_whole_honest_words(
    bot: RecoveryBot, community: Community
) -> None:
    # Lines accepted for the UK, whose reply is short; then the server moves to the US.
    await bot.guild_settings.update(community.guild.id, community.organiser.id, region="UK")
    for i in range(settings.MAX_LOCAL_RESOURCES):
        added = await _add_line(community, f"Clinic {i} " + "n" * 60, "Call " + "5" * 190)
        await added.wait_for_response()
    assert len(bot.guild_settings.cached(community.guild.id).local_resources) >= 3
    region = await community.organiser.run_command(
        "setup region", channel=community.checkins, region="US"
    )
    await region.wait_for_response()

    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response(timeout=5)
    assert "911" in reply.content.splitlines()[0]
    assert texts.PAGED_ROLE_NO_ONCALL in reply.content
    assert reply.content.endswith(texts.CLOSING_HINT)
    assert "988" in reply.content
    assert "741741" in reply.content


def _option(options: list[Any], name: str) -> dict[str, Any]:
    found: dict[str, Any] = next(o for o in options if o["name"] == name)
    return found


async def test_remove_line_limits_the_name_to_what_add_line_accepts(
    bot: RecoveryBot, community: Community
) -> None:
    setup = community.app.find_command("setup", community.guild)
    assert setup is not None
    remove = _option(_option(setup["options"], "help-now")["options"], "remove-line")
    assert _option(remove["options"], "name")["max_length"] == settings.RESOURCE_NAME_MAX


async def test_a_line_marked_always_open_says_24_7_also_after_a_restart_and_others_do_not(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await (
        await _add_line(community, "Riverside Clinic", "Call 555-0100, 8am-8pm")
    ).wait_for_response()
    marked = await _add_line(community, "Riverside Warmline", "Call 555-0199", always_open=True)
    await marked.wait_for_response()
    await bot_runner.stop(bot)
    await bot_runner.start(sync=False)

    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = (await it.wait_for_response(timeout=5)).content
    assert "• **Riverside Warmline** (24/7): Call 555-0199" in reply
    assert "• **Riverside Clinic**: Call 555-0100, 8am-8pm" in reply
