"""Entry point and the bot that owns the process's resources.

Usage (README, 'Running the bot'):
    python bot.py                             run the bot against Discord (needs DISCORD_TOKEN)
    python bot.py sync-commands [--guild ID]  register the slash commands, then exit
    python bot.py migrate                     apply database migrations, then exit
    python bot.py rotate-key                  re-encrypt stored text with a new key, then exit
    python bot.py --sandbox [--script FILE]   try the bot in a local pretend Discord
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path

import discord
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from cryptography.fernet import MultiFernet
from discord.ext import commands

from cogs.oncall.service import Rotation
from config.content import Content, load_content
from config.settings import ConfigError, Settings, load_settings
from core.clock import Clock, SystemClock
from core.data_dir import DataDirLock
from core.discord_api import point_discord_at
from core.error_handler import on_app_command_error
from core.guild_settings import GuildSettingsStore
from core.logging import setup_logging
from core.scheduler import SHUTDOWN_GRACE_SECONDS, create_scheduler, pause_and_drain
from db.engine import Database, attach_cipher, create_engine
from db.keys import resolve_cipher, rotate_stored_text
from db.migrate import upgrade_to_head

log = logging.getLogger("bot")

COGS_DIR = Path(__file__).resolve().parent / "cogs"
EXIT_CONFIG = 2

LOGIN_REFUSED_MESSAGE = (
    "DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy the bot token again from "
    "the Developer Portal (README, section 'Running the bot')."
)


def intents() -> discord.Intents:
    # No privileged intents (message content, presences, member list): the bot works
    # from interactions, server and voice-state events only.
    wanted = discord.Intents.none()
    wanted.guilds = True
    wanted.voice_states = True
    wanted.guild_scheduled_events = True
    return wanted


class RecoveryBot(commands.AutoShardedBot):
    """Owns the database, the scheduler and the server settings cache for its lifetime."""

    db: Database
    cipher: MultiFernet
    scheduler: AsyncIOScheduler
    guild_settings: GuildSettingsStore
    rotation: Rotation

    def __init__(
        self,
        settings: Settings,
        content: Content,
        clock: Clock | None = None,
        *,
        guild_ready_timeout: float = 2.0,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents(),
            help_command=None,
            shard_count=settings.shard_count,
            # None (let Discord spread the shards) is discord.py's own default, though
            # its type hints only name lists.
            shard_ids=settings.shard_ids,  # type: ignore[arg-type]
            # Nobody is pinged unless a message asks for it explicitly (a page does).
            allowed_mentions=discord.AllowedMentions.none(),
            guild_ready_timeout=guild_ready_timeout,
        )
        self.settings = settings
        self.content = content
        self.clock = clock or SystemClock()
        self._data_dir_lock: DataDirLock | None = None

    async def setup_hook(self) -> None:
        self._data_dir_lock = DataDirLock.acquire(self.settings.data_dir)
        engine = create_engine(self.settings.effective_database_url)
        # Owned from here on, so close() disposes it whatever fails next.
        self.db = Database(engine)
        await upgrade_to_head(engine)
        encryption_key = self.settings.encryption_key
        self.cipher = await resolve_cipher(
            engine,
            encryption_key.get_secret_value() if encryption_key else None,
            self.settings.data_dir,
        )
        attach_cipher(engine, self.cipher)
        self.guild_settings = GuildSettingsStore(self.db)
        await self.guild_settings.warm()
        self.rotation = Rotation(self.db, self.clock)
        await self.rotation.warm()
        self.scheduler = create_scheduler()
        self.scheduler.start()
        self.tree.error(on_app_command_error)
        for package in feature_packages():
            await self.load_extension(package)
        log.info("Loaded features: %s", ", ".join(sorted(self.extensions)))

    def serves_guild(self, guild_id: int) -> bool:
        """Whether this process's shards hold the server.

        With shards spread over processes, each process runs the scheduled work
        (prompts, escalations, announcements) of its own servers only.
        """
        shard_ids, count = self.shard_ids, self.shard_count
        if shard_ids is None or not count:
            return True
        return ((guild_id >> 22) % count) in shard_ids

    async def close(self) -> None:
        scheduler = getattr(self, "scheduler", None)
        if scheduler is not None and scheduler.running:
            await pause_and_drain(scheduler, SHUTDOWN_GRACE_SECONDS)
        await super().close()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        if db := getattr(self, "db", None):
            await db.dispose()
        if self._data_dir_lock is not None:
            self._data_dir_lock.release()
            self._data_dir_lock = None


def feature_packages() -> list[str]:
    """Every package under cogs/, /setup first: other features add their settings to it."""
    found = sorted(
        f"cogs.{path.name}"
        for path in COGS_DIR.iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    )
    return sorted(found, key=lambda name: name != "cogs.setup")


async def run_bot(bot: RecoveryBot, token: str) -> None:
    async with bot:
        await bot.start(token)


async def sync_commands(bot: RecoveryBot, token: str, guild_id: int | None) -> int:
    async with bot:
        await bot.login(token)
        if guild_id is None:
            synced = await bot.tree.sync()
            where = "globally (Discord may take up to an hour to show them everywhere)"
        else:
            target = discord.Object(guild_id)
            bot.tree.copy_global_to(guild=target)
            synced = await bot.tree.sync(guild=target)
            where = f"to server {guild_id}"
    print(f"Registered {len(synced)} commands {where}.")
    return 0


async def rotate_key(settings: Settings) -> int:
    keys = settings.encryption_key.get_secret_value() if settings.encryption_key else ""
    if "," not in keys:
        raise ConfigError(
            "rotate-key needs ENCRYPTION_KEY=\"NEW_KEY,OLD_KEY\" (README, section 'Privacy')."
        )
    lock = DataDirLock.acquire(settings.data_dir)  # never while the bot is running
    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade_to_head(engine)
        cipher = await resolve_cipher(engine, keys, settings.data_dir)
        rewritten = await rotate_stored_text(engine, cipher)
    finally:
        await engine.dispose()
        lock.release()
    print(
        f"Re-encrypted {rewritten} stored values with the new key. "
        "Set ENCRYPTION_KEY to the new key alone from now on."
    )
    return 0


async def migrate(settings: Settings) -> int:
    engine = create_engine(settings.effective_database_url)
    try:
        await upgrade_to_head(engine)
    finally:
        await engine.dispose()
    print("The database is up to date.")
    return 0


def parse_args(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description="Recovery peer-support Discord bot")
    parser.add_argument(
        "--sandbox",
        action="store_true",
        help="run the bot against a local pretend Discord server (no account needed)",
    )
    parser.add_argument("--script", type=Path, help="with --sandbox: run these lines, then exit")
    commands_ = parser.add_subparsers(dest="command")
    sync = commands_.add_parser("sync-commands", help="register the slash commands with Discord")
    sync.add_argument("--guild", type=int, help="register them in one server only (instant)")
    commands_.add_parser("migrate", help="apply database migrations and exit")
    commands_.add_parser(
        "rotate-key", help='re-encrypt stored text with the first of ENCRYPTION_KEY="NEW,OLD"'
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        settings = load_settings()
        # The sandbox prints what people see; the bot's log would drown it unless asked for.
        quiet = args.sandbox and "LOG_LEVEL" not in os.environ
        setup_logging("WARNING" if quiet else settings.log_level)
        if args.command == "migrate":
            return asyncio.run(migrate(settings))
        if args.command == "rotate-key":
            return asyncio.run(rotate_key(settings))
        content = load_content(settings.content_dir)
        if args.sandbox:
            from sandbox.console import run as run_sandbox

            return asyncio.run(run_sandbox(args.script))
        token = settings.require_token()
        point_discord_at(settings.discord_api_base_url, settings.discord_gateway_url)
        bot = RecoveryBot(settings, content)
        if args.command == "sync-commands":
            return asyncio.run(sync_commands(bot, token, args.guild))
        asyncio.run(run_bot(bot, token))
        return 0
    except ConfigError as error:
        print(error, file=sys.stderr)
        return EXIT_CONFIG
    except discord.LoginFailure:
        print(LOGIN_REFUSED_MESSAGE, file=sys.stderr)
        return EXIT_CONFIG
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
