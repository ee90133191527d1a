"""/oncall through the emulator, with the real bot (sandbox/community.py)."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest

from cogs.oncall import texts
from cogs.oncall.cog import change_job_id, rotation_of
from core import permissions
from core.bot import RecoveryBot
from sandbox.community import BotRunner, Community
from tests.waiting import wait_for

REPLY_WITHIN = 5.0


async def test_anyone_can_ask_who_is_on_call_and_gets_a_private_answer(
    bot: RecoveryBot, community: Community
) -> None:
    it = await community.alice.run_command("oncall now", channel=community.checkins)
    reply = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert reply.ephemeral
    assert reply.content == texts.NOW_NOBODY

    await community.sam.run_command("oncall take", channel=community.checkins)
    await community.emu.wait_for_message(channel=community.specialists)
    it = await community.alice.run_command("oncall now", channel=community.checkins)
    reply = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert reply.ephemeral
    assert reply.content.startswith(texts.NOW_ON_CALL.format(primary=community.sam.mention))


async def test_a_member_without_the_specialist_role_cannot_take_the_pager(
    bot: RecoveryBot, community: Community
) -> None:
    it = await community.alice.run_command("oncall take", channel=community.checkins, hours=4)
    reply = await it.wait_for_response(timeout=REPLY_WITHIN)

    assert reply.ephemeral
    assert reply.content == permissions.NOT_A_SPECIALIST
    assert rotation_of(bot).overrides(community.guild.id) == ()
    assert community.emu.messages_in(community.specialists) == []


async def test_without_a_specialist_role_the_commands_point_to_setup(
    bot: RecoveryBot, community: Community
) -> None:
    await bot.guild_settings.update(
        community.guild.id, community.organiser.id, specialist_role_id=None
    )
    it = await community.sam.run_command("oncall schedule list", channel=community.checkins)
    reply = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert reply.ephemeral
    assert reply.content == permissions.NO_SPECIALIST_ROLE


async def test_a_take_is_announced_in_the_specialists_channel_pinging_the_taker(
    bot: RecoveryBot, community: Community
) -> None:
    it = await community.sam.run_command("oncall take", channel=community.checkins, hours=2)
    reply = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert reply.ephemeral
    assert reply.content.startswith("You hold the pager until <t:")

    announcement = await community.emu.wait_for_message(channel=community.specialists)
    assert announcement.content.startswith(f"{community.sam.mention} has taken the pager")
    assert [user.id for user in announcement.mentions] == [community.sam.id]
    assert rotation_of(bot).chain(community.guild.id, bot.clock.now()).primary == community.sam.id


async def test_a_handoff_goes_only_to_a_specialist_and_is_announced(
    bot: RecoveryBot, community: Community
) -> None:
    await community.sam.run_command("oncall take", channel=community.checkins)
    await community.emu.wait_for_message(channel=community.specialists)

    it = await community.sam.run_command(
        "oncall handoff", channel=community.checkins, specialist=community.alice
    )
    refused = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert refused.ephemeral
    assert refused.content == texts.TARGET_NOT_SPECIALIST.format(user=community.alice.mention)

    it = await community.sam.run_command(
        "oncall handoff", channel=community.checkins, specialist=community.riley
    )
    reply = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert reply.ephemeral
    announcement = await community.emu.wait_for_message(channel=community.specialists)
    assert announcement.content.startswith(
        f"{community.sam.mention} handed the pager to {community.riley.mention}"
    )
    # Only the new holder is pinged.
    assert [user.id for user in announcement.mentions] == [community.riley.id]


async def test_shifts_are_added_listed_and_removed_by_specialists(
    bot: RecoveryBot, community: Community
) -> None:
    choices = await community.sam.autocomplete(
        "oncall schedule add",
        focused="timezone",
        value="new_yo",
        channel=community.checkins,
        specialist=community.riley,
        day="monday",
        start="09:00",
        end="17:00",
    )
    assert {"name": "America/New_York", "value": "America/New_York"} in choices

    it = await community.sam.run_command(
        "oncall schedule add",
        channel=community.checkins,
        specialist=community.riley,
        day="monday",
        start="09:00",
        end="17:00",
        timezone="America/New_York",
    )
    added = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert added.ephemeral
    [shift] = rotation_of(bot).shifts(community.guild.id)
    assert added.content == f"Added shift #{shift.id}: Monday 09:00–17:00 (America/New_York)."

    it = await community.sam.run_command(
        "oncall schedule add",
        channel=community.checkins,
        specialist=community.riley,
        day="tuesday",
        start="9 o'clock",
        end="17:00",
    )
    refused = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert "isn't a time I can read" in refused.content
    assert len(rotation_of(bot).shifts(community.guild.id)) == 1

    it = await community.sam.run_command("oncall schedule list", channel=community.checkins)
    listed = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert listed.ephemeral
    assert f"#{shift.id} · Monday 09:00–17:00 (America/New_York)" in listed.content

    it = await community.sam.run_command(
        "oncall schedule remove", channel=community.checkins, shift=shift.id
    )
    removed = await it.wait_for_response(timeout=REPLY_WITHIN)
    assert removed.content.startswith(f"Removed shift #{shift.id}")
    assert rotation_of(bot).shifts(community.guild.id) == ()


async def test_a_deleted_specialists_channel_does_not_stop_a_take(
    bot: RecoveryBot, community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="cogs.oncall.cog")
    community.guild.delete_channel(community.specialists)

    it = await community.sam.run_command("oncall take", channel=community.checkins)
    reply = await it.wait_for_response(timeout=REPLY_WITHIN)

    assert reply.ephemeral
    assert reply.content.startswith("You hold the pager")
    assert rotation_of(bot).chain(community.guild.id, bot.clock.now()).primary == community.sam.id

    async def failure_logged() -> bool | None:
        messages = [record.getMessage() for record in caplog.records]
        return True if any("Could not post an on-call" in m for m in messages) else None

    await wait_for(failure_logged, within=REPLY_WITHIN, what="the lost announcement logged")


async def test_shift_changes_are_announced_by_the_job_of_their_moment_rebuilt_at_start(
    bot: RecoveryBot, community: Community, bot_runner: BotRunner
) -> None:
    guild_id = community.guild.id
    today = bot.clock.now().strftime("%A").lower()
    it = await community.sam.run_command(
        "oncall schedule add",
        channel=community.checkins,
        specialist=community.riley,
        day=today,
        start="00:00",
        end="24:00",
        timezone="UTC",
    )
    await it.wait_for_response(timeout=REPLY_WITHIN)
    # Riley's shift covers now: the change is announced at once.
    announcement = await community.emu.wait_for_message(channel=community.specialists)
    assert announcement.content == texts.ANNOUNCE_SHIFT_CHANGE.format(user=community.riley.mention)
    assert [user.id for user in announcement.mentions] == [community.riley.id]

    midnight = rotation_of(bot).next_change(guild_id, bot.clock.now())
    assert midnight is not None
    job = bot.scheduler.get_job(change_job_id(midnight))
    assert job is not None
    assert job.next_run_time == midnight

    # What the scheduler runs at midnight: the end of the shift, and the server re-armed.
    await job.func(*job.args)
    announcement = await community.emu.wait_for_message(channel=community.specialists)
    assert announcement.content == texts.ANNOUNCE_SHIFT_CHANGE_NOBODY
    assert bot.scheduler.get_job(change_job_id(midnight)) is None
    rearmed = bot.scheduler.get_job(change_job_id(midnight + timedelta(days=6)))
    assert rearmed is not None
    assert rearmed.next_run_time == midnight + timedelta(days=6)

    # A restarted bot rebuilds the job from the database.
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    rebuilt = restarted.scheduler.get_job(change_job_id(midnight))
    assert rebuilt is not None
    assert rebuilt.next_run_time == midnight
