"""Who may do what. Every member may use the member commands; these checks say who is
one of the group's peer specialists, for commands and buttons alike, with one refusal
text; a feature never writes its own. (Admins are Discord's own: `/setup` is limited
with default permissions, which a server's owner can change under Integrations.)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, cast

import discord
from discord import app_commands

from core.errors import UserFacingError

if TYPE_CHECKING:
    from core.bot import RecoveryBot

NOT_A_SPECIALIST = "This is for the group's peer specialists (the specialist role)."
NO_SPECIALIST_ROLE = (
    "This server has no peer specialist role set up yet, so I can't tell who the peer "
    "specialists are. An admin can choose one with /setup channels."
)


class Refused(app_commands.CheckFailure, UserFacingError):
    """A check said no; the error handler shows the message privately, changing nothing."""

    def __init__(self, message: str) -> None:
        UserFacingError.__init__(self, message)


def guild_of(interaction: discord.Interaction) -> int:
    """The server a command or press came from; in a DM, refused as `guild_only` would."""
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


def require_owner(interaction: discord.Interaction, owner_id: int, refusal: str) -> None:
    """A control shown to one member is theirs: anyone else's press changes nothing."""
    if interaction.user.id != owner_id:
        raise UserFacingError(refusal)


def specialist_role_id(bot: RecoveryBot, guild_id: int) -> int | None:
    return bot.guild_settings.cached(guild_id).specialist_role_id


def has_specialist_role(user: discord.abc.User, role_id: int | None) -> bool:
    return (
        role_id is not None
        and isinstance(user, discord.Member)
        and user.get_role(role_id) is not None
    )


def is_specialist(interaction: discord.Interaction) -> bool:
    """Whether the person acting holds this server's specialist role."""
    if interaction.guild_id is None:
        return False
    bot = cast("RecoveryBot", interaction.client)
    return has_specialist_role(interaction.user, specialist_role_id(bot, interaction.guild_id))


def require_specialist(interaction: discord.Interaction) -> discord.Member:
    """The specialist acting, or `Refused` with the reason."""
    if interaction.guild_id is None:
        raise Refused(NOT_A_SPECIALIST)
    bot = cast("RecoveryBot", interaction.client)
    if specialist_role_id(bot, interaction.guild_id) is None:
        raise Refused(NO_SPECIALIST_ROLE)
    if not is_specialist(interaction):
        raise Refused(NOT_A_SPECIALIST)
    return cast(discord.Member, interaction.user)
