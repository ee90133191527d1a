"""The on-call rotation when things go wrong: a late job, members poking at the rota."""

from __future__ import annotations

from datetime import timedelta

from cogs.oncall import texts
from cogs.oncall.cog import change_job_id, change_moments_of, rotation_of
from core import permissions
from core.bot import RecoveryBot
from sandbox.community import Community

REPLY_WITHIN = 3.0


async def test_a_shift_change_job_that_runs_late_still_announces_and_re_arms(
    bot: RecoveryBot, community: Community
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
    await community.emu.wait_for_message(channel=community.specialists)
    midnight = rotation_of(bot).next_change(guild_id, bot.clock.now())
    assert midnight is not None
    job = bot.scheduler.get_job(change_job_id(midnight))
    assert job is not None

    # The process was suspended (a paused VM, a sleeping host) across the shift change
    # and wakes 20 minutes late, past APScheduler's default misfire grace of 15 minutes.
    job.modify(next_run_time=bot.clock.now() - timedelta(minutes=20))
    late = await community.emu.wait_for_message(channel=community.specialists, timeout=5)
    assert late.content == texts.ANNOUNCE_SHIFT_CHANGE_NOBODY
    # ...and the next change is still armed: the server moved on to its next moment.
    following = change_moments_of(bot).moment_of(guild_id)
    assert following is not None
    assert following > bot.clock.now()
    rearmed = bot.scheduler.get_job(change_job_id(following))
    assert rearmed is not None
    assert rearmed.next_run_time == following


async def test_the_shift_list_is_not_shown_to_members_through_autocomplete(
    bot: RecoveryBot, community: Community
) -> None:
    it = await community.sam.run_command(
        "oncall schedule add",
        channel=community.checkins,
        specialist=community.riley,
        day="monday",
        start="09:00",
        end="17:00",
        timezone="UTC",
    )
    assert "Added shift" in (await it.wait_for_response(timeout=REPLY_WITHIN)).content
    # /oncall schedule list is for specialists only; typing into /oncall schedule remove
    # must not hand a member the same list (who is on call when, by name).
    offered = await community.alice.autocomplete(
        "oncall schedule remove", focused="shift", value="", channel=community.checkins
    )
    assert offered == []
    listed = await community.alice.run_command("oncall schedule list", channel=community.checkins)
    assert (await listed.wait_for_response()).content == permissions.NOT_A_SPECIALIST
    # A specialist still gets the choices.
    for_sam = await community.sam.autocomplete(
        "oncall schedule remove", focused="shift", value="", channel=community.checkins
    )
    assert len(for_sam) == 1
