"""Guild state through discord.py: roles, channels, overwrites, members, voice, threads, events."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from fakediscord import FakeDiscord, Permission, running_client
from fakediscord.testing import SmallWorld


def guild_of(client: discord.Client, world: SmallWorld) -> discord.Guild:
    guild = client.get_guild(world.guild.id)
    assert guild is not None
    return guild


async def test_bot_manages_roles_channels_and_overwrites(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        guild = guild_of(client, world)
        role = await guild.create_role(name="Peer specialist", mentionable=True)
        assert world.guild.role_named("Peer specialist").mentionable

        alice = await guild.fetch_member(world.alice.id)
        await alice.add_roles(role)
        assert [r.name for r in world.alice.roles] == ["Peer specialist"]

        overwrites: dict[
            discord.Role | discord.Member | discord.Object, discord.PermissionOverwrite
        ] = {
            guild.default_role: discord.PermissionOverwrite(view_channel=False),
            role: discord.PermissionOverwrite(view_channel=True),
            guild.me: discord.PermissionOverwrite(view_channel=True),
        }
        channel = await guild.create_text_channel("peer-support", overwrites=overwrites)
        stored = world.guild.channel_named("peer-support")
        assert world.alice.can_see(stored)
        assert not world.bob.can_see(stored)

        await channel.set_permissions(guild.default_role, overwrite=None)
        assert world.bob.can_see(stored)
        await channel.delete()
        assert stored.deleted

        deleted = client.wait_for("guild_role_delete", timeout=5)
        world.guild.delete_role(world.guild.role_named("Peer specialist"))
        assert (await deleted).id == role.id
        assert world.alice.roles == []


async def test_role_hierarchy_and_grants_are_enforced(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    above = world.guild.create_role("Organisers", Permission.ADMINISTRATOR)
    world.guild.edit_role(above, position=100)
    async with running_client(client, world.app.token):
        guild = guild_of(client, world)
        with pytest.raises(discord.Forbidden):
            await guild.create_role(
                name="Boss", permissions=discord.Permissions(administrator=True)
            )
        organisers = guild.get_role(above.id)
        assert organisers is not None
        alice = await guild.fetch_member(world.alice.id)
        with pytest.raises(discord.Forbidden):
            await alice.add_roles(organisers)
        with pytest.raises(discord.NotFound) as unknown:
            await guild.fetch_member(12345)
        assert unknown.value.code == 10007


async def test_member_events_need_the_members_intent(emulator: FakeDiscord) -> None:
    app = emulator.create_application("Greeter", privileged_intents=discord.Intents.members.flag)
    guild = emulator.create_guild("Circle")
    guild.add_bot(app)
    intents = discord.Intents.default()
    intents.members = True
    plain = discord.Client(intents=discord.Intents.default(), guild_ready_timeout=0.05)
    with_members = discord.Client(intents=intents, guild_ready_timeout=0.05)
    async with running_client(plain, app.token), running_client(with_members, app.token):
        joined = with_members.wait_for("member_join", timeout=5)
        carol = guild.add_member("carol")
        assert (await joined).id == carol.id
        left = with_members.wait_for("raw_member_remove", timeout=5)
        guild.remove_member(carol)
        assert (await left).user.id == carol.id
    plain_session, members_session = emulator.gateway.sessions_of(app)
    assert not [f for f in plain_session.frames if f.event and f.event.startswith("GUILD_MEMBER_")]
    assert [
        f.event for f in members_session.frames if f.event and f.event.startswith("GUILD_MEMBER_")
    ] == [
        "GUILD_MEMBER_ADD",
        "GUILD_MEMBER_REMOVE",
    ]


async def test_voice_states_reach_the_bot(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    meeting = world.guild.create_voice_channel("meeting")
    async with running_client(client, world.app.token):
        joined = client.wait_for("voice_state_update", timeout=5)
        await world.alice.join_voice(meeting)
        member, before, after = await joined
        assert member.id == world.alice.id
        assert before.channel is None
        assert after.channel is not None
        assert after.channel.id == meeting.id
        assert [m.id for m in after.channel.members] == [world.alice.id]
        left = client.wait_for("voice_state_update", timeout=5)
        await world.alice.leave_voice()
        assert (await left)[2].channel is None


async def test_scheduled_events_and_interest(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    meeting = world.guild.create_voice_channel("meeting")
    start = datetime.now(UTC) + timedelta(days=1)
    async with running_client(client, world.app.token):
        guild = guild_of(client, world)
        channel = guild.get_channel(meeting.id)
        assert isinstance(channel, discord.VoiceChannel)
        event = await guild.create_scheduled_event(
            name="Thursday meeting",
            start_time=start,
            channel=channel,
            entity_type=discord.EntityType.voice,
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        (stored,) = world.guild.scheduled_events.values()
        assert stored.name == "Thursday meeting"

        await world.alice.mark_interested(stored)
        # discord.py drops USER_ADD for users it has not cached (no members intent), so
        # check the dispatch itself, then read the list back over REST.
        (session,) = emulator.gateway.sessions_of(world.app)
        (added,) = [f.data for f in session.frames if f.event == "GUILD_SCHEDULED_EVENT_USER_ADD"]
        assert added["user_id"] == str(world.alice.id)
        users = [u async for u in event.users()]
        assert [u.id for u in users] == [world.alice.id]

        await event.start()
        assert stored.status == 2
        with pytest.raises(discord.HTTPException):
            await event.start()  # an active event cannot start again
        await event.delete()
        assert world.guild.scheduled_events == {}


async def test_private_threads_and_who_sees_them(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        channel = client.get_channel(world.channel.id)
        assert isinstance(channel, discord.TextChannel)
        thread = await channel.create_thread(
            name="alice-support", type=discord.ChannelType.private_thread
        )
        stored = await emulator.wait_for_thread(parent=world.channel)
        assert stored.type == 12
        await thread.add_user(discord.Object(world.alice.id))
        assert set(stored.thread_members) == {world.app.bot_user.id, world.alice.id}
        note = await thread.send("This space is just for you")
    (message,) = emulator.messages_in(stored)
    assert message.id == note.id
    assert message in emulator.visible_to(world.alice)
    assert message not in emulator.visible_to(world.bob)


async def test_kicking_the_bot_removes_the_guild(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        removed = client.wait_for("guild_remove", timeout=5)
        emulator.kick_bot(world.guild)
        assert (await removed).id == world.guild.id
        assert client.get_guild(world.guild.id) is None


async def test_deleting_a_voice_channel_takes_its_scheduled_events_silently(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    meeting = world.guild.create_voice_channel("meeting")
    start = datetime.now(UTC) + timedelta(days=1)
    in_voice = world.guild.create_scheduled_event("Thursday meeting", start=start, channel=meeting)
    walk = world.guild.create_scheduled_event(
        "Sunday walk", start=start, end=start + timedelta(hours=1), location="the park"
    )
    async with running_client(client, world.app.token):
        guild = guild_of(client, world)
        deleted = client.wait_for("scheduled_event_delete", timeout=5)
        world.guild.delete_channel(meeting)
        assert (await deleted).id == in_voice.id
        with pytest.raises(discord.NotFound):
            await guild.fetch_scheduled_event(in_voice.id)
        assert (await guild.fetch_scheduled_event(walk.id)).name == "Sunday walk"
    assert list(world.guild.scheduled_events) == [walk.id]
    # Discord sends only CHANNEL_DELETE and discord.py drops the events itself: a
    # GUILD_SCHEDULED_EVENT_DELETE as well would tell the bot twice.
    (session,) = emulator.gateway.sessions_of(world.app)
    frames = [f.event for f in session.frames]
    assert "CHANNEL_DELETE" in frames
    assert "GUILD_SCHEDULED_EVENT_DELETE" not in frames
