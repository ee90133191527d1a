"""The one place where a failed interaction turns into a kind reply and a log line.

Slash commands, buttons, selects and modals all end here: the person gets a short
private message, the log gets the traceback with the command and the server (and
never what the person typed, which may be health information).
"""

from __future__ import annotations

import logging
from typing import Any

import discord
from discord import app_commands

from core.errors import UserFacingError

log = logging.getLogger(__name__)

SOMETHING_WENT_WRONG = (
    # Only what is known: the failure may have come after part of the work was saved.
    "Sorry, something went wrong on our side and I couldn't finish that. Please try again "
    "in a moment. If you need support right now, use /help-now or call your local emergency "
    "number."
)
NOT_ALLOWED = "You don't have permission to do that here."
BOT_NOT_ALLOWED = (
    "I'm missing a permission for that here: {missing}. Please ask an admin to add it."
)


def describe(interaction: discord.Interaction) -> str:
    if interaction.command is not None:
        what = f"/{interaction.command.qualified_name}"
    else:
        custom_id = interaction.data.get("custom_id") if interaction.data else None
        what = f"component {custom_id!r}"
    return f"{what} in guild {interaction.guild_id}"


def message_for(error: BaseException) -> tuple[str, bool]:
    """The text for the person, and whether the log needs the traceback."""
    original = getattr(error, "original", error)
    if isinstance(original, UserFacingError):
        return original.message, False
    if isinstance(error, app_commands.BotMissingPermissions):
        return BOT_NOT_ALLOWED.format(missing=", ".join(error.missing_permissions)), False
    if isinstance(error, app_commands.CheckFailure):
        return NOT_ALLOWED, False
    if isinstance(error, app_commands.TransformerError):
        # A transformer (such as core.timezones) that refuses in its own words.
        if isinstance(error.__cause__, UserFacingError):
            return error.__cause__.message, False
        return f"I couldn't understand “{error.value}” for that option.", False
    return SOMETHING_WENT_WRONG, True


async def report_interaction_error(interaction: discord.Interaction, error: BaseException) -> None:
    text, unexpected = message_for(error)
    if unexpected:
        log.error("Interaction failed: %s", describe(interaction), exc_info=error)
    else:
        log.info("Interaction refused: %s (%s)", describe(interaction), type(error).__name__)
    try:
        if interaction.response.is_done():
            await interaction.followup.send(text, ephemeral=True)
        else:
            await interaction.response.send_message(text, ephemeral=True)
    except discord.HTTPException:
        # The interaction may have expired; the log line above is what is left.
        log.warning("Could not tell the person about the failure: %s", describe(interaction))


async def on_app_command_error(
    interaction: discord.Interaction, error: app_commands.AppCommandError
) -> None:
    await report_interaction_error(interaction, error)


class ReportingView(discord.ui.View):
    """A view whose failures go through the same handler as slash commands."""

    async def on_error(
        self,
        interaction: discord.Interaction,
        error: Exception,
        item: discord.ui.Item[Any],
        /,
    ) -> None:
        await report_interaction_error(interaction, error)
