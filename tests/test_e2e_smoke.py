from __future__ import annotations

from core.bot import RecoveryBot
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


async def test_after_a_dropped_connection_the_bot_resumes_and_answers(
    bot: RecoveryBot, community: Community
) -> None:
    emu = community.emu
    resumes_before = emu.resumes
    await emu.drop_gateway()
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response(timeout=10)
    assert "988" in reply.content
    assert it.rejections == []
    assert emu.resumes == resumes_before + 1


async def test_a_rate_limited_page_arrives_once_after_the_wait(
    bot: RecoveryBot, community: Community
) -> None:
    emu = community.emu
    emu.faults.rate_limit("POST", "/channels/{channel_id}/messages", retry_after=0.3, times=1)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await emu.wait_for_message(channel=community.specialists, timeout=10)
    attempts = emu.requests_to("POST", "/channels/{channel_id}/messages")
    assert [r.status for r in attempts][:2] == [429, 200]
    assert attempts[1].started - attempts[0].started >= 0.3
    assert [m for m in emu.messages_in(community.specialists)] == [page]
