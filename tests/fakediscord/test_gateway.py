"""Gateway behaviour: resume after a drop, RECONNECT, INVALID_SESSION, bad tokens, shards."""

from __future__ import annotations

import asyncio

import aiohttp
import discord
import pytest
from discord import app_commands

from fakediscord import FakeDiscord, running_client
from fakediscord.discordpy import NoIdentifyDelay
from fakediscord.testing import SmallWorld

Tree = app_commands.CommandTree[discord.Client]


def add_ping(tree: Tree) -> None:
    @tree.command(name="ping", description="Is the bot there?")
    async def ping(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("pong", ephemeral=True)


async def test_dropped_socket_resumes_and_replays_missed_interaction(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    add_ping(tree)
    async with running_client(client, world.app.token):
        await tree.sync()
        (session,) = emulator.gateway.sessions_of(world.app)
        assert await emulator.drop_gateway() == 1

        # Dispatched while the client is disconnected: it must arrive with the RESUME replay.
        missed = await world.alice.run_command("ping", channel=world.channel)
        assert (await missed.wait_for_response()).content == "pong"
        after = await world.alice.run_command("ping", channel=world.channel)
        assert (await after.wait_for_response()).content == "pong"

        assert emulator.resumes == 1
        assert emulator.gateway.sessions_of(world.app) == [session]
        assert [f.event for f in session.frames if f.event == "READY"] == ["READY"]


async def test_reconnect_opcode_leads_to_resume(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    add_ping(tree)
    resumed = asyncio.Event()

    @client.event
    async def on_resumed() -> None:
        resumed.set()

    async with running_client(client, world.app.token):
        await tree.sync()
        emulator.send_reconnect()
        await asyncio.wait_for(resumed.wait(), 5)
        it = await world.bob.run_command("ping", channel=world.channel)
        assert (await it.wait_for_response()).content == "pong"
        assert emulator.resumes == 1


async def test_invalid_session_makes_the_client_identify_again(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    add_ping(tree)
    async with running_client(client, world.app.token):
        await tree.sync()
        emulator.invalidate_session()
        await emulator.wait_until_connected(world.app)
        (session,) = emulator.gateway.sessions_of(world.app)
        assert session.frames[0].event == "READY"
        it = await world.bob.run_command("ping", channel=world.channel)
        assert (await it.wait_for_response()).content == "pong"
        assert emulator.resumes == 0


async def test_bad_token_is_refused_over_rest(emulator: FakeDiscord, world: SmallWorld) -> None:
    client = discord.Client(intents=discord.Intents.default())
    with pytest.raises(discord.LoginFailure):
        await client.login("not-the-token")
    await client.close()
    assert emulator.requests[-1].status == 401


async def test_bad_token_is_refused_on_the_gateway_with_4004(
    emulator: FakeDiscord, world: SmallWorld
) -> None:
    client = discord.Client(intents=discord.Intents.default())
    await client.login(world.app.token)
    world.app.token = "rotated-meanwhile"
    with pytest.raises(discord.ConnectionClosed) as closed:
        await asyncio.wait_for(client.connect(reconnect=False), 5)
    assert closed.value.code == 4004
    await client.close()


async def test_privileged_intents_need_the_portal_switch(
    emulator: FakeDiscord, world: SmallWorld
) -> None:
    client = discord.Client(intents=discord.Intents.all())
    with pytest.raises(discord.PrivilegedIntentsRequired):
        await asyncio.wait_for(client.start(world.app.token), 5)
    await client.close()


class ShardedClient(NoIdentifyDelay, discord.AutoShardedClient):
    pass


async def test_guild_events_reach_only_their_shard(emulator: FakeDiscord) -> None:
    app = emulator.create_application("Sharded bot")
    first = emulator.create_guild("Shard zero", guild_id=_id_on_shard(emulator, 0, 2))
    second = emulator.create_guild("Shard one", guild_id=_id_on_shard(emulator, 1, 2))
    for guild in (first, second):
        guild.add_bot(app)
    emulator.recommended_shards = 2
    client = ShardedClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    async with running_client(client, app.token):
        await emulator.wait_until_connected(app, shards=2)
        by_shard = {s.shard_id: s for s in emulator.gateway.sessions_of(app)}
        created = {
            i: [f.data["id"] for f in s.frames if f.event == "GUILD_CREATE"]
            for i, s in by_shard.items()
        }
        assert created == {0: [str(first.id)], 1: [str(second.id)]}

        created_role = client.wait_for("guild_role_create", timeout=5)
        role = second.create_role("Peer specialist")
        assert (await created_role).id == role.id
        role_events = {
            shard: [f.data["role"]["id"] for f in s.frames if f.event == "GUILD_ROLE_CREATE"]
            for shard, s in by_shard.items()
        }
        assert role_events == {0: [], 1: [str(role.id)]}
        assert emulator.requests_to("GET", "/gateway/bot")


def _id_on_shard(emulator: FakeDiscord, shard: int, shard_count: int) -> int:
    snowflake = emulator.new_id()
    while (snowflake >> 22) % shard_count != shard:
        snowflake += 1 << 22
    return snowflake


async def test_other_api_versions_are_refused(emulator: FakeDiscord) -> None:
    async with (
        aiohttp.ClientSession() as http,
        http.ws_connect(f"{emulator.gateway_url}?v=9") as ws,
    ):
        message = await ws.receive()
    assert message.type == aiohttp.WSMsgType.CLOSE
    assert message.data == 4012
