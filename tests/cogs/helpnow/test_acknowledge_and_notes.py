"""/help-now paths found in a second review of issue 8: an acknowledgement whose reply
Discord refuses, and a member's note that could hide other pages sharing its message."""

from __future__ import annotations

import discord

from core.bot import RecoveryBot
from sandbox.community import BotRunner, Community
from tests.cogs.helpnow.helpers import button, cog_of, public_id_of, sam_on_call_riley_backup
from tests.waiting import wait_for

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"


async def test_an_acknowledgement_whose_reply_discord_refuses_still_opens_the_thread(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=60)
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)
    public_id = public_id_of(page, "ack")

    # The loop was busy: Discord's 3-second window closed before the page was updated,
    # so the press is already recorded (the escalation stopped) when the reply fails.
    community.emu.faults.fail("POST", CALLBACK, status=404, code=10062, times=2)
    await community.sam.click(page, button(page, "ack"))

    thread = await community.emu.wait_for_thread(parent=community.checkins)
    both = {community.alice.id, community.sam.id}

    async def both_in_thread() -> bool | None:
        return True if both <= set(thread.thread_members) else None

    await wait_for(both_in_thread, within=5, what="the member and the specialist in the thread")
    case = cog_of(bot).desk.get(public_id)
    assert case is not None
    assert case.acknowledged_by == community.sam.id


async def test_a_note_with_markdown_cannot_hide_the_pages_that_share_its_message(
    bot: RecoveryBot, community: Community
) -> None:
    # Under load several requests share one message: an unclosed code block or spoiler in
    # one member's note would swallow the next requests' lines, and their mentions.
    note = "```|| *help* __now__ > please"
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins, note=note)

    page = await community.emu.wait_for_message(channel=community.specialists)
    assert discord.utils.escape_markdown(note) in page.content
    assert "```" not in page.content
    assert "||" not in page.content
