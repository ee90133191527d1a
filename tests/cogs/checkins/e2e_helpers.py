"""What the check-in end-to-end tests share: answers, the member's form, the prompt's set-up."""

from __future__ import annotations

from typing import cast

from sqlalchemy import select

from cogs.checkins.cog import CheckinCog
from core.bot import RecoveryBot
from db.models import Checkin
from fakediscord.driver import UserInteraction
from fakediscord.models import Member
from sandbox.community import Community

NOTE = "Saw my old friend from the bar today and nearly went in"
GOOD = {"mood": "4", "craving": "2", "sleep": "7", "triggers": "", "note": NOTE}


def cog_of(bot: RecoveryBot) -> CheckinCog:
    return cast(CheckinCog, bot.get_cog("CheckinCog"))


async def stored(bot: RecoveryBot, community: Community) -> list[Checkin]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list((await session.scalars(select(Checkin))).all())


async def check_in(
    community: Community, answers: dict[str, str], who: str = "alice"
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
