"""/setup privacy: when data of members who left is erased, and how long notes are kept."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from cogs.privacy import leaving, texts
from core.counting import counted
from core.errors import UserFacingError
from core.guild_settings import ServerConfig

if TYPE_CHECKING:
    from core.bot import RecoveryBot


def describe(config: ServerConfig) -> str:
    """The server's erasure grace and retention, as the admin reads them."""
    days = config.erase_after_days
    erase = (
        texts.ERASE_AFTER.format(days=counted(days, texts.DAYS))
        if days
        else texts.ERASE_AT_NEXT_CHECK
    )
    return texts.PRIVACY_SETTINGS.format(
        erase=erase, retention=counted(config.retention_days, texts.DAYS)
    )


def build_command(bot: RecoveryBot) -> app_commands.Command[Any, ..., None]:
    """The command, to hang under /setup (admins only, as the whole group is)."""

    @app_commands.command(name="privacy", description=texts.SETUP_PRIVACY_DESCRIPTION)
    @app_commands.describe(
        erase_after_days=texts.PARAM_ERASE_AFTER_DAYS, retention_days=texts.PARAM_RETENTION_DAYS
    )
    async def setup_privacy(
        interaction: discord.Interaction,
        erase_after_days: app_commands.Range[
            int, leaving.ERASE_AFTER_DAYS_MIN, leaving.ERASE_AFTER_DAYS_MAX
        ]
        | None = None,
        retention_days: app_commands.Range[
            int, leaving.RETENTION_DAYS_MIN, leaving.RETENTION_DAYS_MAX
        ]
        | None = None,
    ) -> None:
        guild_id = interaction.guild_id
        if guild_id is None:
            raise app_commands.NoPrivateMessage()
        changes: dict[str, int] = {}
        # Discord refuses values out of range before they reach the bot; checked again
        # here, as a stored grace out of range would erase at the wrong time.
        if erase_after_days is not None:
            if not leaving.check_erase_after_days(erase_after_days):
                raise UserFacingError(
                    texts.ERASE_AFTER_DAYS_REFUSED.format(
                        low=leaving.ERASE_AFTER_DAYS_MIN, high=leaving.ERASE_AFTER_DAYS_MAX
                    )
                )
            changes["erase_after_days"] = erase_after_days
        if retention_days is not None:
            if not leaving.check_retention_days(retention_days):
                raise UserFacingError(
                    texts.RETENTION_DAYS_REFUSED.format(
                        low=leaving.RETENTION_DAYS_MIN, high=leaving.RETENTION_DAYS_MAX
                    )
                )
            changes["retention_days"] = retention_days
        if not changes:
            config = await bot.guild_settings.get(guild_id)
            await interaction.response.send_message(
                texts.PRIVACY_UNCHANGED.format(settings=describe(config)), ephemeral=True
            )
            return
        config = await bot.guild_settings.update(guild_id, interaction.user.id, **changes)
        await interaction.response.send_message(
            texts.PRIVACY_SAVED.format(settings=describe(config)), ephemeral=True
        )

    return setup_privacy
