"""/me: a member's own settings that belong to no single feature.

The time zone is one setting for everyone's days (`members.timezone`): check-ins,
reminders and sober-day counters all read it, so changing it here moves the counters'
next milestones too. `/checkin timezone` does the same and stays for members used to it.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from cogs.me import texts
from cogs.me.settings import set_timezone
from core.permissions import Audience, for_audience
from core.timezones import TimeZone

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)


class MeCog(commands.Cog):
    me = app_commands.Group(
        name="me",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )

    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    @me.command(name="timezone", description=texts.TIMEZONE_DESCRIPTION)
    @app_commands.describe(zone=texts.PARAM_ZONE)
    async def timezone(self, interaction: discord.Interaction, zone: TimeZone) -> None:
        if interaction.guild_id is None:
            raise app_commands.NoPrivateMessage()
        await set_timezone(self.bot.db, interaction.guild_id, interaction.user.id, zone)
        log.info("A member set their time zone in guild %s", interaction.guild_id)
        await interaction.response.send_message(
            texts.TIMEZONE_SET.format(zone=zone), ephemeral=True
        )
