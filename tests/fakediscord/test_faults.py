"""Injected faults and Discord's 'Unknown …' errors as discord.py sees them."""

from __future__ import annotations

import discord
import pytest

from fakediscord import FakeDiscord, UnhandledRequest, ValidationIssue, running_client
from fakediscord.ratelimit import RateLimiter
from fakediscord.testing import SmallWorld

MESSAGES = "/channels/{channel_id}/messages"


async def test_injected_server_errors_and_slowness(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        channel = client.get_channel(world.channel.id)
        assert isinstance(channel, discord.TextChannel)
        emulator.faults.slow("POST", MESSAGES, delay=0.2, times=1)
        await channel.send("slow")
        emulator.faults.fail("POST", MESSAGES, status=503, times=1)
        with pytest.raises(discord.DiscordServerError) as failed:
            await channel.send("refused")
        assert failed.value.status == 503
        await channel.send("fine")
    slow, refused, fine = emulator.requests_to("POST", MESSAGES)
    assert slow.finished - slow.started >= 0.2
    assert (refused.status, fine.status) == (503, 200)
    assert fine.finished - fine.started < 0.2
    assert [m.content for m in emulator.messages_in(world.channel)] == ["slow", "fine"]


async def test_unknown_things_answer_with_discords_codes(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        with pytest.raises(discord.NotFound) as channel:
            await client.fetch_channel(42)
        with pytest.raises(discord.NotFound) as guild:
            await client.fetch_guild(42)
        http = client.http
        with pytest.raises(discord.NotFound) as role:
            await http.delete_role(world.guild.id, 42)
        with pytest.raises(discord.NotFound) as member:
            await http.get_member(world.guild.id, 42)
        with pytest.raises(discord.NotFound) as message:
            await http.get_message(world.channel.id, 42)
    codes = [e.value.code for e in (channel, guild, role, member, message)]
    assert codes == [10003, 10004, 10011, 10007, 10008]


async def test_deleted_channels_and_roles_disappear_for_the_bot(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    helpers = world.guild.create_role("Helpers")
    async with running_client(client, world.app.token):
        gone = client.wait_for("guild_channel_delete", timeout=5)
        world.guild.delete_channel(world.channel)
        assert (await gone).id == world.channel.id
        role_gone = client.wait_for("guild_role_delete", timeout=5)
        world.guild.delete_role(helpers)
        assert (await role_gone).id == helpers.id
        with pytest.raises(discord.NotFound):
            await client.http.send_message(world.channel.id, params=_text("anyone there?"))


def _text(content: str) -> discord.http.MultipartParameters:
    return discord.http.handle_message_parameters(content=content)


def test_problems_lists_what_the_fixture_would_fail_on(emulator: FakeDiscord) -> None:
    assert emulator.problems() == []
    emulator.unhandled_requests.append(UnhandledRequest("GET", "/api/v10/nowhere"))
    emulator.validation_errors.append(ValidationIssue("POST", "/x", "request", "content: bad"))
    assert emulator.problems() == [
        "unhandled request GET /api/v10/nowhere",
        "OpenAPI mismatch: request POST /x: content: bad",
    ]
    assert emulator.problems(unhandled=False, invalid=False) == []
    emulator.unhandled_requests.clear()
    emulator.validation_errors.clear()


def test_the_global_limit_counts_bot_routes_but_not_interaction_ones() -> None:
    limiter = RateLimiter()
    limiter.global_limit = 3
    params = {"channel_id": "1"}
    bot = [
        limiter.check("GET", "/users/@me", {}, "tok", counts_globally=True, now=10.0)
        for _ in range(3)
    ]
    assert all(d.retry_after is None for d in bot)
    refused = limiter.check("POST", MESSAGES, params, "tok", counts_globally=True, now=10.5)
    assert refused.is_global
    assert refused.headers["X-RateLimit-Scope"] == "global"
    assert refused.retry_after == pytest.approx(0.5)
    spared = limiter.check(
        "POST",
        "/interactions/{interaction_id}/{interaction_token}/callback",
        {"interaction_id": "9", "interaction_token": "t"},
        None,
        counts_globally=False,
        now=10.5,
    )
    assert spared.retry_after is None
    assert (
        limiter.check("POST", MESSAGES, params, "tok", counts_globally=True, now=11.1).retry_after
        is None
    )
