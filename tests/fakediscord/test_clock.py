"""The emulator's clock: what depends on the present follows `emu.clock`, not the real time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import discord
import pytest

from fakediscord import FakeDiscord, Permission, running_client
from fakediscord.testing import SmallWorld

# A month before the real time: a test's clock is often set in the past.
THEN = datetime.now(UTC).replace(microsecond=0) - timedelta(days=30)


async def test_a_scheduled_event_can_not_start_before_the_emulators_now(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    emulator.clock = lambda: THEN
    meeting = world.guild.create_voice_channel("meeting")
    async with running_client(client, world.app.token):
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        channel = guild.get_channel(meeting.id)
        assert isinstance(channel, discord.VoiceChannel)
        # In the past by the real time, an hour ahead by the emulator's.
        event = await guild.create_scheduled_event(
            name="Thursday meeting",
            start_time=THEN + timedelta(hours=1),
            channel=channel,
            entity_type=discord.EntityType.voice,
            privacy_level=discord.PrivacyLevel.guild_only,
        )
        assert world.guild.scheduled_events[event.id].start == THEN + timedelta(hours=1)
        with pytest.raises(discord.HTTPException) as refused:
            await guild.create_scheduled_event(
                name="Too late",
                start_time=THEN - timedelta(minutes=1),
                channel=channel,
                entity_type=discord.EntityType.voice,
                privacy_level=discord.PrivacyLevel.guild_only,
            )
        assert (refused.value.status, refused.value.code) == (400, 50035)


def test_a_timeout_runs_out_by_the_emulators_clock(
    emulator: FakeDiscord, world: SmallWorld
) -> None:
    alice = world.alice
    alice.communication_disabled_until = THEN + timedelta(hours=1)

    def timed_out_and_may_send() -> tuple[bool, bool]:
        return alice.timed_out, bool(alice.permissions & Permission.SEND_MESSAGES)

    emulator.clock = lambda: THEN
    assert timed_out_and_may_send() == (True, False)
    assert alice.can_see(world.channel)  # a timed-out member still reads
    emulator.clock = lambda: THEN + timedelta(hours=1, seconds=1)
    assert timed_out_and_may_send() == (False, True)


async def test_an_edit_is_stamped_by_the_emulators_clock(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    emulator.clock = lambda: THEN
    async with running_client(client, world.app.token):
        channel = client.get_channel(world.channel.id)
        assert isinstance(channel, discord.TextChannel)
        message = await channel.send("See you Thursday")
        edited = await message.edit(content="See you Thursday at 7")
    assert emulator.messages[message.id].edited_at == THEN
    assert edited.edited_at == THEN
