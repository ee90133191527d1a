"""Fixtures for the emulator's own tests: the usual world and a bare discord.py client."""

from __future__ import annotations

import discord
import pytest
from discord import app_commands

from fakediscord import FakeDiscord
from fakediscord.discordpy import NoIdentifyDelay
from fakediscord.testing import SmallWorld, emulator, pytest_configure, small_world

__all__ = ["client", "emulator", "pytest_configure", "tree", "world"]


class _FastClient(NoIdentifyDelay, discord.Client):
    """A plain client that re-identifies without discord.py's 5 s pause."""


@pytest.fixture
def world(emulator: FakeDiscord) -> SmallWorld:
    return small_world(emulator)


@pytest.fixture
def client() -> discord.Client:
    # A short guild_ready_timeout: discord.py otherwise waits 2 s before `on_ready`.
    return _FastClient(intents=discord.Intents.default(), guild_ready_timeout=0.05)


@pytest.fixture
def tree(client: discord.Client) -> app_commands.CommandTree[discord.Client]:
    return app_commands.CommandTree(client)
