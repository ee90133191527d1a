"""/setup help-now: the paging policy, the fallback channel and local crisis lines."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands

from cogs.helpnow import settings, texts
from core.counting import counted
from core.errors import UserFacingError

if TYPE_CHECKING:
    from core.bot import RecoveryBot


def build_group(bot: RecoveryBot) -> app_commands.Group:
    group = app_commands.Group(name="help-now", description=texts.SETUP_DESCRIPTION)

    @group.command(name="policy", description="How long before a page escalates, and how often")
    @app_commands.describe(
        ack_minutes="Minutes to wait for an acknowledgement before paging the next person",
        repeat_minutes="Minutes between repeated pages to the whole specialist role",
        repeats="How many times to repeat the page to the role",
    )
    async def policy(
        interaction: discord.Interaction,
        ack_minutes: app_commands.Range[int, 1, 60],
        repeat_minutes: app_commands.Range[int, 1, 120],
        repeats: app_commands.Range[int, 0, 10],
    ) -> None:
        assert interaction.guild_id is not None
        await bot.guild_settings.update(
            interaction.guild_id,
            interaction.user.id,
            ack_timeout_seconds=ack_minutes * 60,
            repeat_interval_seconds=repeat_minutes * 60,
            max_repeats=repeats,
        )
        await interaction.response.send_message(
            texts.POLICY_SAVED.format(
                ack=ack_minutes, repeat=repeat_minutes, repeats=counted(repeats, texts.MORE_TIMES)
            ),
            ephemeral=True,
        )

    @group.command(name="fallback", description="Where pages go if the specialists channel fails")
    async def fallback(interaction: discord.Interaction, channel: discord.TextChannel) -> None:
        assert interaction.guild is not None
        if not channel.permissions_for(interaction.guild.me).send_messages:
            raise UserFacingError(texts.FALLBACK_NOT_WRITABLE.format(channel=channel.mention))
        await bot.guild_settings.update(
            interaction.guild.id, interaction.user.id, fallback_channel_id=channel.id
        )
        await interaction.response.send_message(
            texts.FALLBACK_SAVED.format(channel=channel.mention), ephemeral=True
        )

    @group.command(name="add-line", description="Add a local crisis line (a clinic's number)")
    @app_commands.describe(
        name="Who it is",
        how="How to reach them: number, hours",
        always_open="Answered day and night, every day (shown as 24/7)",
    )
    async def add_line(
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, settings.RESOURCE_NAME_MAX],
        how: app_commands.Range[str, 1, settings.RESOURCE_HOW_MAX],
        always_open: bool = False,
    ) -> None:
        assert interaction.guild_id is not None
        config = await bot.guild_settings.get(interaction.guild_id)
        updated = settings.add_resource(
            bot.content.crisis, config, name, how, always_open=always_open
        )
        await bot.guild_settings.update(
            interaction.guild_id, interaction.user.id, local_resources=updated
        )
        await interaction.response.send_message(
            texts.RESOURCE_ADDED.format(name=settings.echo(name)), ephemeral=True
        )

    @group.command(name="remove-line", description="Remove a local crisis line")
    async def remove_line(
        interaction: discord.Interaction,
        name: app_commands.Range[str, 1, settings.RESOURCE_NAME_MAX],
    ) -> None:
        assert interaction.guild_id is not None
        config = await bot.guild_settings.get(interaction.guild_id)
        updated = settings.remove_resource(config, name)
        await bot.guild_settings.update(
            interaction.guild_id, interaction.user.id, local_resources=updated
        )
        await interaction.response.send_message(
            texts.RESOURCE_REMOVED.format(name=settings.echo(name)), ephemeral=True
        )

    @remove_line.autocomplete("name")
    async def _line_names(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        assert interaction.guild_id is not None
        config = bot.guild_settings.cached(interaction.guild_id)
        return [
            app_commands.Choice(name=r.name, value=r.name)
            for r in config.local_resources
            if current.lower() in r.name.lower()
        ]

    return group
