"""What the check-in end-to-end tests share: answers, the member's form, the prompt's set-up,
running a job and waiting for the outbox to send what it queued."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import cast

from sqlalchemy import func, select

from cogs.checkins.cog import CheckinCog
from core.bot import RecoveryBot
from db.models import Checkin, OutboxMessage
from db.models.outbox import QUEUED
from fakediscord.driver import UserInteraction
from fakediscord.models import Channel, Guild, Member
from fakediscord.server import RecordedRequest
from sandbox.community import Community
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

NOTE = "Saw my old friend from the bar today and nearly went in"
# The triggers are a menu in the form: a list of the options picked.
GOOD: dict[str, str | list[str]] = {
    "mood": "4",
    "craving": "2",
    "sleep": "7",
    "triggers": [],
    "note": NOTE,
}


def cog_of(bot: RecoveryBot) -> CheckinCog:
    return cast(CheckinCog, bot.get_cog("CheckinCog"))


async def stored(bot: RecoveryBot, community: Community) -> list[Checkin]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list((await session.scalars(select(Checkin))).all())


async def check_in(
    community: Community, answers: Mapping[str, str | Sequence[str]], who: str = "alice"
) -> UserInteraction:
    member: Member = getattr(community, who)
    opened = await member.run_command("checkin today", channel=community.checkins)
    return await member.submit_modal(opened, answers)


async def set_up_prompt(community: Community, **options: str) -> UserInteraction:
    values: dict[str, object] = {"channel": community.checkins, "time": "19:00", "zone": "UTC"}
    values.update(options)
    return await community.organiser.run_command(
        "setup checkins", channel=community.checkins, options=values
    )


async def outbox_settled(bot: RecoveryBot, within: float = 10.0) -> None:
    """Wait until the outbox has nothing due left to send and nothing in hand."""

    async def settled() -> bool | None:
        if await bot.outbox.waiting():
            return None
        async with bot.db.all_guilds_session() as session:
            leased = await session.scalar(
                select(func.count())
                .select_from(OutboxMessage)
                .where(OutboxMessage.state == QUEUED, OutboxMessage.lease_owner.is_not(None))
            )
        return True if not leased else None

    await wait_for(settled, within=within, what="the outbox to send what was due")


async def run_job(bot: RecoveryBot, key: str) -> None:
    """Run one of the check-in jobs now, as the scheduler would, and wait until the
    outbox has sent what it queued."""
    job = bot.scheduler.get_job(cog_of(bot).jobs.scheduled.job_id(key))
    assert job is not None, f"no check-in job {key!r}"
    await job.func(*job.args)
    await outbox_settled(bot)


def checkin_job_keys(bot: RecoveryBot) -> list[str]:
    return cog_of(bot).jobs.scheduled.keys()


async def another_server(
    bot: RecoveryBot, community: Community, name: str
) -> tuple[Guild, Channel]:
    """One more server with the bot in it and a check-in channel, once the bot knows it."""
    guild = community.emu.create_guild(name, owner_name=f"{name}-organiser")
    guild.add_bot(community.app)
    channel = guild.create_text_channel("check-ins")

    async def known() -> bool | None:
        found = bot.get_guild(guild.id)
        return True if found is not None and found.get_channel(channel.id) else None

    await wait_for(known, within=5, what=f"the bot to see {name}")
    return guild, channel


async def set_up_prompt_in(guild: Guild, channel: Channel, **options: str) -> str:
    """/setup checkins by the server's owner; the bot's reply."""
    values: dict[str, object] = {"channel": channel, "time": "19:00", "zone": "UTC"}
    values.update(options)
    it = await guild.owner.run_command("setup checkins", channel=channel, options=values)
    return (await it.wait_for_response()).content


POST_MESSAGE = "/channels/{channel_id}/messages"


def refused(request: RecordedRequest) -> bool:
    return request.status == 403


async def refused_again_and_the_owner_told_once(
    bot: RecoveryBot, community: Community, clock: FakeClock, owner: Member
) -> None:
    """A channel that refused an outbox message: ten minutes on it is tried again, refused
    again, and the owner, told the first time, is not told twice."""
    first = await community.emu.wait_for_request("POST", POST_MESSAGE, where=refused)
    clock.advance(minutes=10)
    bot.outbox.wake()
    await community.emu.wait_for_request(
        "POST", POST_MESSAGE, where=lambda request: refused(request) and request is not first
    )
    await outbox_settled(bot)
    assert len(community.emu.dms_of(owner)) == 1
