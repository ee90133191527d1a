from __future__ import annotations

from bot import RecoveryBot
from sandbox.community import Community


async def test_the_bot_logs_in_syncs_and_answers_setup_status(
    bot: RecoveryBot, community: Community
) -> None:
    names = community.app.command_names()
    assert "help-now" in names
    assert "setup" in names
    it = await community.organiser.run_command("setup status", channel=community.checkins)
    reply = await it.wait_for_response(timeout=5)
    assert reply.ephemeral
    assert "Everything the bot needs is configured" in reply.embeds[0]["description"]
