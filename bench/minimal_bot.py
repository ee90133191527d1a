"""The floor a benchmark sets the real bot beside: a bare discord.py client, no project code.

`MinimalBot` is a plain `discord.Client` with an empty command tree; a benchmark adds the
one or two commands it compares, each doing the least that answers the same way, and
runs it against the same emulator, server and settings as the real bot, in the same run.
What is left of the real bot's figures above the floor is the bot's own work.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import discord
from discord import app_commands

from fakediscord.discordpy import NoIdentifyDelay, running_client


class MinimalBot(NoIdentifyDelay, discord.Client):
    """Server events only (the real bot asks for no privileged intents either)."""

    def __init__(self) -> None:
        intents = discord.Intents.none()
        intents.guilds = True
        super().__init__(
            intents=intents,
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=0.05,
        )
        self.tree: app_commands.CommandTree[MinimalBot] = app_commands.CommandTree(self)


@asynccontextmanager
async def running(bot: MinimalBot, token: str) -> AsyncIterator[MinimalBot]:
    """Start `bot`, wait until it is ready, sync its commands; close it afterwards."""
    async with running_client(bot, token, timeout=15):
        await bot.tree.sync()
        yield bot
