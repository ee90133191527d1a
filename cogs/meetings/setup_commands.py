"""/setup meetings: the channel for reminders and opening rounds, and the role members
take with /meeting remind on (the reminders mention it: no DMs to everyone)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from cogs.meetings import texts
from core.errors import UserFacingError
from core.guild_settings import ServerConfig

if TYPE_CHECKING:
    from core.bot import RecoveryBot


def describe(config: ServerConfig) -> dict[str, str]:
    channel = (
        f"<#{config.meetings_channel_id}>" if config.meetings_channel_id else texts.SETUP_NO_CHANNEL
    )
    role = (
        texts.SETUP_ROLE.format(role=f"<@&{config.meetings_role_id}>")
        if config.meetings_role_id
        else ""
    )
    return {"channel": channel, "role": role}


def check_role(interaction: discord.Interaction, role: discord.Role) -> None:
    """A role the bot can give members: not Discord's or an integration's, and below the
    bot's own highest role."""
    if role.managed or role.is_default():
        raise UserFacingError(texts.SETUP_ROLE_MANAGED.format(role=role.mention))
    me = interaction.guild.me if interaction.guild else None
    if me is not None and role >= me.top_role:
        raise UserFacingError(texts.SETUP_ROLE_TOO_HIGH.format(role=role.mention))


def build_command(bot: RecoveryBot) -> app_commands.Command[Any, ..., None]:
    """The command, to hang under /setup (admins only, as the whole group is)."""

    @app_commands.command(name="meetings", description=texts.SETUP_MEETINGS_DESCRIPTION)
    @app_commands.describe(channel=texts.PARAM_MEETINGS_CHANNEL, role=texts.PARAM_MEETINGS_ROLE)
    async def setup_meetings(
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        role: discord.Role | None = None,
    ) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise app_commands.NoPrivateMessage()
        changes: dict[str, int] = {}
        if channel is not None:
            changes["meetings_channel_id"] = channel.id
        if role is not None:
            check_role(interaction, role)
            changes["meetings_role_id"] = role.id
        if not changes:
            config = await bot.guild_settings.get(guild_id)
            await interaction.response.send_message(
                texts.SETUP_UNCHANGED.format(**describe(config)), ephemeral=True
            )
            return
        config = await bot.guild_settings.update(guild_id, interaction.user.id, **changes)
        await interaction.response.send_message(
            texts.SETUP_SAVED.format(**describe(config)), ephemeral=True
        )

    return setup_meetings
