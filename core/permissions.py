"""Who may do what: three audiences, members, peer specialists (the role set with
/setup) and admins (Manage Server), with one refusal text each; a feature never writes
its own.

Every command declares its audience (`extras=for_audience(...)` on it or on its group;
a test checks that none is left out), and `CheckedTree` refuses a command to anyone
outside it before the command runs. Admin commands are also hidden from others with
Discord's default permissions, which a server's owner can widen under Integrations:
the check here still holds. Buttons check who pressed with `require_owner` or
`require_specialist`.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Any, Protocol, cast

import discord
from discord import app_commands

from core.errors import UserFacingError
from core.guild_settings import GuildSettingsStore

NOT_A_SPECIALIST = "This is for the group's peer specialists (the specialist role)."
NOT_AN_ADMIN = "This is for the server's admins (the Manage Server permission)."
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


class _WithSettings(Protocol):
    """What these checks read of the bot (its type would make core.bot import itself)."""

    guild_settings: GuildSettingsStore


def specialist_role_id(bot: _WithSettings, guild_id: int) -> int | None:
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
    bot = cast(_WithSettings, interaction.client)
    return has_specialist_role(interaction.user, specialist_role_id(bot, interaction.guild_id))


def require_specialist(interaction: discord.Interaction) -> discord.Member:
    """The specialist acting, or `Refused` with the reason."""
    if interaction.guild_id is None:
        raise Refused(NOT_A_SPECIALIST)
    bot = cast(_WithSettings, interaction.client)
    if specialist_role_id(bot, interaction.guild_id) is None:
        raise Refused(NO_SPECIALIST_ROLE)
    if not is_specialist(interaction):
        raise Refused(NOT_A_SPECIALIST)
    return cast(discord.Member, interaction.user)


class Audience(StrEnum):
    MEMBERS = "members"
    SPECIALISTS = "specialists"
    ADMINS = "admins"


_AUDIENCE = "audience"


def for_audience(audience: Audience) -> dict[str, Any]:
    """A command's (or group's) `extras`: who it is for."""
    return {_AUDIENCE: audience}


def audience_of(
    command: app_commands.Command[Any, ..., Any] | app_commands.Group,
) -> Audience | None:
    """The audience a command declared, on itself or on the nearest group above it."""
    found: app_commands.Command[Any, ..., Any] | app_commands.Group | None = command
    while found is not None:
        audience = found.extras.get(_AUDIENCE)
        if audience is not None:
            return Audience(audience)
        found = found.parent
    return None


def require_admin(interaction: discord.Interaction) -> None:
    if not interaction.permissions.manage_guild:
        raise Refused(NOT_AN_ADMIN)


def require_audience(interaction: discord.Interaction) -> None:
    """Refuse a command to anyone outside its audience."""
    command = interaction.command
    if not isinstance(command, app_commands.Command | app_commands.Group):
        return
    audience = audience_of(command)
    if audience is Audience.ADMINS:
        require_admin(interaction)
    elif audience is Audience.SPECIALISTS:
        require_specialist(interaction)


class CheckedTree(app_commands.CommandTree[discord.Client]):
    """The bot's command tree: no command runs for someone outside its audience."""

    async def interaction_check(self, interaction: discord.Interaction, /) -> bool:
        try:
            require_audience(interaction)
        except Refused:
            if interaction.type is not discord.InteractionType.autocomplete:
                raise
            # An autocomplete has no reply to carry a refusal: it offers nothing instead,
            # answered, so Discord doesn't show the member an error.
            await interaction.response.autocomplete([])
            return False
        return True
