"""/setup through the emulator: the real bot, Discord's permission rules, a real database."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from sqlalchemy.engine import make_url

from core.bot import RecoveryBot
from core.error_handler import SOMETHING_WENT_WRONG
from fakediscord.permissions import Permission
from sandbox.community import BotRunner, Community
from tests.tcp_proxy import TcpProxy


async def test_setup_channels_creates_what_is_missing_with_a_private_specialists_channel(
    bot_runner: BotRunner, community: Community
) -> None:
    bot = await bot_runner.start()
    it = await community.organiser.run_command("setup channels", channel=community.checkins)
    reply = await it.wait_for_followup(where=lambda m: "Saved" in m.content, timeout=10)
    assert reply.ephemeral

    config = bot.guild_settings.cached(community.guild.id)
    assert config.specialists_channel_id is not None
    assert config.specialist_role_id is not None
    created = community.emu.channels[config.specialists_channel_id]
    role = community.guild.roles[config.specialist_role_id]
    specialist = community.guild.add_member("casey", roles=[role])
    assert specialist.can_see(created)
    assert not community.alice.can_see(created)


async def test_a_specialists_channel_everyone_can_see_is_refused_and_nothing_changes(
    bot: RecoveryBot, community: Community
) -> None:
    before = bot.guild_settings.cached(community.guild.id)
    it = await community.organiser.run_command(
        "setup channels", channel=community.checkins, specialists=community.milestones
    )
    reply = await it.wait_for_response()
    assert reply.ephemeral
    assert "hidden from @everyone" in reply.content
    assert bot.guild_settings.cached(community.guild.id) == before


async def test_without_manage_channels_the_admin_is_told_and_nothing_is_created(
    bot_runner: BotRunner, community: Community
) -> None:
    community.guild.edit_role(
        community.bot_member.roles[-1],
        permissions=Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES,
    )
    await bot_runner.start()
    channels_before = set(community.emu.channels)
    it = await community.organiser.run_command("setup channels", channel=community.checkins)
    reply = await it.wait_for_response()
    assert "Manage Channels" in reply.content
    assert "Nothing was changed" in reply.content
    assert set(community.emu.channels) == channels_before


async def test_time_zones_are_suggested_and_an_unknown_one_is_refused(
    bot: RecoveryBot, community: Community
) -> None:
    choices = await community.organiser.autocomplete(
        "setup timezone", channel=community.checkins, focused="zone", value="chica"
    )
    assert [c["value"] for c in choices][:1] == ["America/Chicago"]

    it = await community.organiser.run_command(
        "setup timezone", channel=community.checkins, zone="Mars/Base"
    )
    assert "isn't a time zone I know" in (await it.wait_for_response()).content
    assert bot.guild_settings.cached(community.guild.id).timezone == "UTC"

    ok = await community.organiser.run_command(
        "setup timezone", channel=community.checkins, zone="America/Chicago"
    )
    assert "America/Chicago" in (await ok.wait_for_response()).content
    assert bot.guild_settings.cached(community.guild.id).timezone == "America/Chicago"


async def test_members_do_not_see_setup(bot: RecoveryBot, community: Community) -> None:
    with pytest.raises(LookupError):
        await community.alice.run_command("setup status", channel=community.checkins)


@pytest.mark.postgres
async def test_an_unexpected_failure_gets_a_kind_private_reply_and_a_logged_traceback(
    community: Community,
    tmp_path: Path,
    postgres_url: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    upstream = make_url(postgres_url)
    proxy = TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    through_proxy = upstream.set(port=proxy.port).render_as_string(hide_password=False)
    runner = BotRunner(community, through_proxy, tmp_path / "data")
    try:
        await runner.start()
        await proxy.cut()
        it = await community.organiser.run_command("setup status", channel=community.checkins)
        reply = await it.wait_for_response()
        assert reply.ephemeral
        assert reply.content == SOMETHING_WENT_WRONG
        failures = [r for r in caplog.records if r.levelno == logging.ERROR and r.exc_info]
        assert any(
            "/setup status" in r.getMessage() and str(community.guild.id) in r.getMessage()
            for r in failures
        )
    finally:
        await runner.stop_all()
        await proxy.stop()
