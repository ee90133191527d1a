"""The milestone job: one for every server, its messages through the outbox, a refusing
milestones channel reported to the owner once, a failed claim caught up at the next run.
The real bot against the emulator, the job run as the scheduler runs it."""

from __future__ import annotations

import logging
import sys
from collections.abc import Awaitable, Callable
from typing import Any, cast

import pytest

from cogs.sober import jobs as sober_jobs
from cogs.sober.cog import SoberCog
from cogs.sober.jobs import POST_KIND, SoberJobs
from cogs.sober.service import MilestoneReached
from core.bot import RecoveryBot
from fakediscord.permissions import Permission
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import (
    another_server,
    outbox_settled,
    refused_again_and_the_owner_told_once,
)
from tests.cogs.checkins.helpers import utc
from tests.cogs.sober.helpers import run_milestones
from tests.cogs.sober.test_e2e import clock, sober
from tests.fake_clock import FakeClock

__all__ = ["clock"]  # the fixture, shared with the end-to-end tests


async def test_one_job_serves_every_server_and_leaves_with_the_feature(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    guild, channel = await another_server(bot, community, "Second Circle")
    carol = guild.add_member("carol")
    await sober(community, community.alice, "start", substance="alcohol")
    it = await carol.run_command("sober start", channel=channel, substance="gambling")
    assert (await it.wait_for_response()).ephemeral
    jobs = cast(SoberCog, bot.get_cog("SoberCog")).jobs.scheduled
    assert jobs.keys() == ["milestones"]

    clock.at = utc(2026, 11, 11, 0, 5)
    await run_milestones(bot)
    assert "without alcohol" in emu.dms_of(community.alice)[0].content
    assert "without gambling" in emu.dms_of(carol)[0].content

    await bot.unload_extension("cogs.sober")
    assert jobs.keys() == []
    assert POST_KIND not in bot.outbox._handlers


async def test_a_milestones_channel_that_refuses_the_post_tells_the_owner_once(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await sober(community, community.alice, "share", state="on")
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-04")
    community.guild.set_overwrite(
        community.milestones, community.bot_member, deny=Permission.SEND_MESSAGES
    )
    clock.at = utc(2026, 11, 11, 0, 1)
    await run_milestones(bot)
    assert "7 days" in (await emu.wait_for_dm(community.alice)).content
    notice = await emu.wait_for_dm(community.organiser)
    assert f"<#{community.milestones.id}>" in notice.content
    assert "alcohol" not in notice.content
    assert community.alice.mention not in notice.content  # the owner is not told who
    await refused_again_and_the_owner_told_once(bot, community, clock, community.organiser)

    community.guild.set_overwrite(community.milestones, community.bot_member)  # mended
    clock.advance(minutes=10)
    bot.outbox.wake()
    post = await emu.wait_for_message(channel=community.milestones)
    await outbox_settled(bot)
    assert community.alice.mention in post.content
    assert len(emu.messages_in(community.milestones)) == 1
    assert len(emu.dms_of(community.alice)) == 1


async def test_a_claim_that_fails_is_logged_and_sent_at_the_next_run(
    bot: RecoveryBot,
    community: Community,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The bot imports its features afresh at each start: patch the module it runs.
    running = sys.modules["cogs.sober.service"]
    claim: Callable[..., Awaitable[list[MilestoneReached]]] = running.claim_milestones
    failures = [ConnectionResetError("the database went away")]

    async def failing_once(*args: Any, **kwargs: Any) -> list[MilestoneReached]:
        if failures:
            raise failures.pop()
        return await claim(*args, **kwargs)

    monkeypatch.setattr(running, "claim_milestones", failing_once)
    await sober(community, community.alice, "start", substance="alcohol")
    clock.at = utc(2026, 11, 11, 0, 0)
    with caplog.at_level(logging.ERROR, logger=sober_jobs.__name__):
        await run_milestones(bot)
    assert community.emu.dms_of(community.alice) == []
    assert "Claiming the sober-day milestones failed" in caplog.text
    assert "alcohol" not in caplog.text

    clock.advance(minutes=1)
    await run_milestones(bot)
    [congratulation] = community.emu.dms_of(community.alice)
    assert "**1 day**" in congratulation.content


def test_the_post_names_only_the_member_who_shares_and_pings_nobody() -> None:
    shared = MilestoneReached(1, 42, 7, "cannabis", 30, share=True)
    private, post = SoberJobs.body_for(shared)
    assert "**30 days** without cannabis" in private["content"]
    assert post is not None
    assert post["content"] == "🎉 <@42> reaches **30 days** today. Congratulations!"
    assert post["allowed_mentions"]["parse"] == []
    assert SoberJobs.body_for(MilestoneReached(1, 42, 7, "cannabis", 1, share=False))[1] is None
