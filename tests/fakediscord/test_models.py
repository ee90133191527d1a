"""Permissions, snowflakes, and every factory payload against Discord's description."""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from fakediscord import ALL_PERMISSIONS, FakeDiscord, Permission, Upload, factories, overwrite
from fakediscord.openapi import load_spec
from fakediscord.snowflake import DISCORD_EPOCH_MS, SnowflakeGenerator, snowflake_time
from fakediscord.testing import SmallWorld, small_world

VIEW, SEND = Permission.VIEW_CHANNEL, Permission.SEND_MESSAGES


@pytest.fixture
def offline() -> SmallWorld:
    return small_world(FakeDiscord(validate=False))


def test_snowflakes_carry_their_creation_time_and_increase() -> None:
    generator = SnowflakeGenerator()
    before = time.time()
    ids = [generator.next() for _ in range(5000)]
    assert ids == sorted(set(ids))
    created = snowflake_time(ids[0]).timestamp()
    assert before - 0.01 <= created <= time.time() + 0.01
    assert (ids[0] >> 22) + DISCORD_EPOCH_MS == int(created * 1000)


def test_overwrites_apply_in_discords_order(offline: SmallWorld) -> None:
    guild, alice = offline.guild, offline.alice
    helpers = guild.create_role("Helpers")
    guild.give_role(alice, helpers)
    channel = guild.create_text_channel(
        "quiet",
        overwrites=[
            overwrite(guild.everyone, deny=VIEW | SEND),
            overwrite(helpers, allow=VIEW | SEND),
            overwrite(alice, deny=SEND),  # the member's own overwrite comes last and wins
        ],
    )
    perms = alice.permissions_in(channel)
    assert perms & VIEW
    assert not perms & SEND
    assert not perms & Permission.EMBED_LINKS  # meaningless without SEND_MESSAGES
    assert offline.bob.permissions_in(channel) == 0
    assert guild.owner.permissions_in(channel) == ALL_PERMISSIONS


def test_administrator_and_timeouts(offline: SmallWorld) -> None:
    guild, alice, bob = offline.guild, offline.alice, offline.bob
    hidden = guild.create_text_channel("hidden", overwrites=[overwrite(guild.everyone, deny=VIEW)])
    admins = guild.create_role("Admins", Permission.ADMINISTRATOR)
    guild.give_role(alice, admins)
    assert alice.permissions_in(hidden) == ALL_PERMISSIONS
    bob.communication_disabled_until = datetime.now(UTC) + timedelta(minutes=5)
    assert bob.permissions_in(offline.channel) == VIEW | Permission.READ_MESSAGE_HISTORY


def test_private_threads_are_for_members_and_thread_managers(offline: SmallWorld) -> None:
    guild, alice, bob = offline.guild, offline.alice, offline.bob
    thread = guild.create_thread(offline.channel, "just-us", owner=alice, private=True)
    assert alice.can_see(thread)
    assert not bob.can_see(thread)
    guild.add_thread_member(thread, bob)
    assert bob.can_see(thread)
    bot = guild.members[offline.app.bot_user.id]
    assert bot.can_see(thread)  # the bot's role has MANAGE_THREADS


def _check(schema: str, payload: Any) -> list[str]:
    validator = load_spec()._validator(  # the same cached validators the server uses
        "urn:fakediscord:openapi:response", f"/components/schemas/{schema}"
    )
    return [f"{list(e.absolute_path)}: {e.message[:120]}" for e in validator.iter_errors(payload)]


def test_every_factory_payload_fits_the_description() -> None:
    world = FakeDiscord(validate=False)
    emu_world = small_world(world)
    guild, app, alice = emu_world.guild, emu_world.app, emu_world.alice
    voice = guild.create_voice_channel("meeting")
    category = guild.create_category("support")
    thread = guild.create_thread(emu_world.channel, "t", owner=alice, private=True)
    dm = world.dm_channel(alice.user, app.bot_user)
    embed = {"title": "t", "fields": [{"name": "a", "value": "b"}], "footer": {"text": "f"}}
    button = {"type": 2, "style": 1, "label": "Go", "custom_id": "go"}
    select = {"type": 3, "custom_id": "s", "options": [{"label": "a", "value": "a"}]}
    rich = world.post_message(
        emu_world.channel,
        app.bot_user,
        {
            "content": alice.mention,
            "embeds": [embed],
            "components": [
                {"type": 1, "components": [button]},
                {"type": 1, "components": [select]},
            ],
        },
    )
    reply = world.post_message(
        emu_world.channel,
        alice.user,
        {"content": "thanks", "message_reference": {"message_id": str(rich.id)}},
        [Upload("a.txt", b"hi", "text/plain")],
    )
    layout = {"type": 17, "components": [{"type": 10, "content": "hello"}, {"type": 14}]}
    v2 = world.post_message(
        emu_world.channel, app.bot_user, {"flags": 1 << 15, "components": [layout]}
    )
    start = datetime.now(UTC) + timedelta(hours=1)
    voice_event = guild.create_scheduled_event("meeting", start=start, channel=voice)
    walk = guild.create_scheduled_event(
        "walk", start=start, end=start + timedelta(hours=1), location="park"
    )
    command = factories.application_command(
        1, app.id, {"name": "x", "description": "d", "default_member_permissions": 8}, version=1
    )
    payloads = [
        ("UserResponse", alice.user.payload()),
        ("UserPIIResponse", factories.current_user(app.bot_user.payload())),
        ("PrivateApplicationResponse", app.payload()),
        ("GuildResponse", guild.payload()),
        ("GuildRoleResponse", guild.everyone.payload()),
        ("GuildMemberResponse", alice.payload()),
        ("GuildChannelResponse", emu_world.channel.payload()),
        ("GuildChannelResponse", voice.payload()),
        ("GuildChannelResponse", category.payload()),
        ("ThreadResponse", thread.payload(for_user_id=alice.id)),
        ("ThreadMemberResponse", thread.thread_member_payload(alice.id, with_member=True)),
        ("PrivateChannelResponse", dm.payload()),
        ("MessageResponse", rich.payload()),
        ("MessageResponse", reply.payload()),
        ("MessageResponse", v2.payload()),
        ("VoiceScheduledEventResponse", voice_event.payload()),
        ("ExternalScheduledEventResponse", walk.payload()),
        ("VoiceStateResponse", guild.set_voice_state(alice, voice).payload()),
        ("ApplicationCommandResponse", command),
        ("GatewayBotResponse", factories.gateway_bot("ws://x", 1)),
        ("RatelimitedResponse", factories.rate_limited(0.5, is_global=False)),
    ]
    problems = {f"{schema} #{i}": _check(schema, p) for i, (schema, p) in enumerate(payloads)}
    assert {k: v for k, v in problems.items() if v} == {}
