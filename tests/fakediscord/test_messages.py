"""Channel messages through discord.py: rate limits, files, permissions, DMs, mentions."""

from __future__ import annotations

import io
import struct
import zlib

import aiohttp
import discord
import pytest

from fakediscord import FakeDiscord, Permission, Upload, overwrite, running_client
from fakediscord.testing import SmallWorld

MESSAGES = "/channels/{channel_id}/messages"


def tiny_png(width: int = 3, height: int = 2) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    rows = b"".join(b"\x00" + b"\xff\x00\x00" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


async def text_channel(client: discord.Client, channel_id: int) -> discord.TextChannel:
    channel = client.get_channel(channel_id)
    assert isinstance(channel, discord.TextChannel)
    return channel


async def test_a_429_is_waited_out_and_the_message_posted_once(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    emulator.faults.rate_limit("POST", MESSAGES, retry_after=0.3)
    async with running_client(client, world.app.token):
        channel = await text_channel(client, world.channel.id)
        await channel.send("Meeting starts in 10 minutes")
    attempts = emulator.requests_to("POST", MESSAGES)
    assert [r.status for r in attempts] == [429, 200]
    assert attempts[1].started - attempts[0].finished >= 0.3
    assert [m.content for m in emulator.messages_in(world.channel)] == [
        "Meeting starts in 10 minutes"
    ]


async def test_discord_py_respects_bucket_headers_without_hitting_429(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    emulator.limiter.set_limit("POST", MESSAGES, limit=2, period=0.3)
    async with running_client(client, world.app.token):
        channel = await text_channel(client, world.channel.id)
        for n in range(3):
            await channel.send(f"note {n}")
    attempts = emulator.requests_to("POST", MESSAGES)
    assert [r.status for r in attempts] == [200, 200, 200]
    assert attempts[2].started - attempts[0].started >= 0.25
    assert attempts[0].headers["X-RateLimit-Limit"] == "2"
    assert attempts[1].headers["X-RateLimit-Remaining"] == "0"


async def test_a_client_ignoring_the_bucket_gets_429(
    emulator: FakeDiscord, world: SmallWorld
) -> None:
    emulator.limiter.set_limit("POST", MESSAGES, limit=1, period=5.0)
    other = world.guild.create_text_channel("other")
    headers = {"Authorization": f"Bot {world.app.token}"}
    async with aiohttp.ClientSession(headers=headers) as http:

        async def post(channel_id: int) -> aiohttp.ClientResponse:
            url = f"{emulator.api_base_url}/channels/{channel_id}/messages"
            async with http.post(url, json={"content": "hi"}) as response:
                await response.read()
                return response

        assert (await post(world.channel.id)).status == 200
        refused = await post(world.channel.id)
        # The bucket is per channel: another channel still has room.
        assert (await post(other.id)).status == 200
    assert refused.status == 429
    assert refused.headers["X-RateLimit-Scope"] == "user"
    assert refused.headers["Via"]
    body = emulator.requests_to("POST", MESSAGES)[1].response
    assert body["global"] is False
    assert 4.5 < body["retry_after"] <= 5.0


async def test_png_attachment_round_trips_its_bytes(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    png = tiny_png()
    async with running_client(client, world.app.token):
        channel = await text_channel(client, world.channel.id)
        sent = await channel.send("Your week", file=discord.File(io.BytesIO(png), "mood-chart.png"))
        stored = await emulator.wait_for_message(channel=world.channel)
        (attachment,) = stored.attachments
        assert attachment.data == png
        assert attachment.filename == "mood-chart.png"
        assert attachment.image_size() == (3, 2)
        # discord.py downloads it back from the emulator's attachment URL.
        assert await sent.attachments[0].read() == png
        assert sent.attachments[0].width == 3


async def test_posting_where_the_bot_may_not(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    guild = world.guild
    staff = guild.create_role("Staff")
    hidden = guild.create_text_channel(
        "staff-room",
        overwrites=[
            overwrite(guild.everyone, deny=Permission.VIEW_CHANNEL),
            overwrite(staff, allow=Permission.VIEW_CHANNEL),
        ],
    )
    read_only = guild.create_text_channel(
        "announcements", overwrites=[overwrite(guild.everyone, deny=Permission.SEND_MESSAGES)]
    )
    async with running_client(client, world.app.token):
        with pytest.raises(discord.Forbidden) as cannot_see:
            await (await text_channel(client, hidden.id)).send("hello?")
        assert cannot_see.value.code == 50001
        with pytest.raises(discord.Forbidden) as cannot_send:
            await (await text_channel(client, read_only.id)).send("hello?")
        assert cannot_send.value.code == 50013

    guild.give_role(world.bob, staff)
    secret = await world.bob.send_message(hidden, "staff only")
    assert secret in emulator.visible_to(world.bob)
    assert secret not in emulator.visible_to(world.alice)
    assert secret in emulator.visible_to(guild.owner)


async def test_dms_and_users_who_closed_them(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    world.bob.user.accepts_dms = False
    async with running_client(client, world.app.token):
        alice = await client.fetch_user(world.alice.id)
        await alice.send("Your sponsor will call you today")
        dm = await emulator.wait_for_dm(world.alice)
        assert dm.content == "Your sponsor will call you today"
        bob = await client.fetch_user(world.bob.id)
        with pytest.raises(discord.Forbidden) as refused:
            await bob.send("hello")
        assert refused.value.code == 50007


async def test_mentions_follow_allowed_mentions(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    helpers = world.guild.create_role("Helpers", mentionable=True)
    async with running_client(client, world.app.token):
        channel = await text_channel(client, world.channel.id)
        text = f"{world.alice.mention} and {helpers.mention}, @everyone"
        await channel.send(text)
        await channel.send(
            text, allowed_mentions=discord.AllowedMentions(everyone=False, roles=False)
        )
    pinging, quiet = emulator.messages_in(world.channel)
    assert pinging.mentions == [world.alice.user]
    assert pinging.mention_roles == [helpers]
    assert pinging.mention_everyone
    assert quiet.mentions == [world.alice.user]
    assert quiet.mention_roles == []
    assert not quiet.mention_everyone


async def test_people_posting_reach_the_bot_without_content(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        received = client.wait_for("message", timeout=5)
        await world.alice.send_message(world.channel, "private thoughts")
        message = await received
        # No MESSAGE_CONTENT intent: Discord blanks other people's messages.
        assert message.author.id == world.alice.id
        assert message.content == ""
        mentioned = client.wait_for("message", timeout=5)
        await world.alice.send_message(world.channel, f"{world.app.bot_user.mention} help")
        assert (await mentioned).content.endswith("help")


async def test_edit_and_delete_are_announced(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        channel = await text_channel(client, world.channel.id)
        sent = await channel.send("draft")
        edited = client.wait_for("message_edit", timeout=5)
        await sent.edit(content="final")
        before, after = await edited
        assert (before.content, after.content) == ("draft", "final")
        deleted = client.wait_for("message_delete", timeout=5)
        await sent.delete()
        assert (await deleted).id == sent.id
        with pytest.raises(discord.NotFound) as gone:
            await channel.fetch_message(sent.id)
        assert gone.value.code == 10008
    (message,) = emulator.messages_in(world.channel, include_deleted=True)
    assert message.deleted
    assert message.edited_at is not None


async def test_person_uploads_reach_the_bot(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        received = client.wait_for("message", timeout=5)
        await world.alice.send_message(
            world.channel, "", files=[Upload("note.txt", b"one day at a time", "text/plain")]
        )
        message = await received
        assert message.attachments == []  # stripped without MESSAGE_CONTENT
    stored = emulator.messages_in(world.channel)[0]
    assert stored.attachments[0].data == b"one day at a time"
