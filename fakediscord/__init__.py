"""A local Discord emulator (API v10, REST + gateway) for testing bots with the real discord.py.

Start one, point discord.py at it, set up a guild, and act as its members::

    emu = FakeDiscord()
    await emu.start()
    point_discord_py_at(emu.api_base_url, emu.gateway_url)
    app = emu.create_application("Recovery bot")
    guild = emu.create_guild("Recovery Circle")
    guild.add_bot(app)
    alice = guild.add_member("alice")

See README.md for the API and fakediscord.testing for the pytest fixture.
"""

from fakediscord.discordpy import point_discord_py_at, running_client
from fakediscord.driver import ComponentError, InteractionResponse, UserInteraction
from fakediscord.emulator import FakeDiscord
from fakediscord.errors import DiscordError
from fakediscord.gateway import NotConnectedError
from fakediscord.models import (
    Application,
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    Overwrite,
    Role,
    ScheduledEvent,
    User,
    overwrite,
)
from fakediscord.openapi import SpecMissingError, ValidationIssue
from fakediscord.options import CommandInputError, CommandUnavailableError
from fakediscord.permissions import ALL_PERMISSIONS, DEFAULT_EVERYONE, Permission
from fakediscord.server import RecordedRequest, UnhandledRequest
from fakediscord.state import WaitTimeoutError
from fakediscord.uploads import Upload

__all__ = [
    "ALL_PERMISSIONS",
    "DEFAULT_EVERYONE",
    "Application",
    "Attachment",
    "Channel",
    "CommandInputError",
    "CommandUnavailableError",
    "ComponentError",
    "DiscordError",
    "FakeDiscord",
    "Guild",
    "InteractionResponse",
    "Member",
    "Message",
    "NotConnectedError",
    "Overwrite",
    "Permission",
    "RecordedRequest",
    "Role",
    "ScheduledEvent",
    "SpecMissingError",
    "UnhandledRequest",
    "Upload",
    "User",
    "UserInteraction",
    "ValidationIssue",
    "WaitTimeoutError",
    "overwrite",
    "point_discord_py_at",
    "running_client",
]
