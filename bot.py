"""The entry point: the command line that runs the bot (`core/bot.py`) or one of its tools.

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
import os
import sys
from pathlib import Path

import discord

from config.content import load_content
from config.settings import ConfigError, Settings, load_settings
from core.bot import RecoveryBot
from core.data_dir import DataDirLock
from core.discord_api import point_discord_at
from core.logging import setup_logging
from db.engine import create_engine
from db.keys import resolve_cipher, rotate_stored_text
from db.migrate import upgrade_to_head

EXIT_CONFIG = 2

LOGIN_REFUSED_MESSAGE = (
    "DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy the bot token again from "
    "the Developer Portal (README, section 'Running the bot')."
)


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

            return asyncio.run(run_sandbox(args.script, content))
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
