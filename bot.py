"""The entry point: the command line that runs the bot (`core/bot.py`) or one of its tools.

Usage (README, 'Running the bot'):
    python bot.py                             run the bot against Discord (needs DISCORD_TOKEN)
    python bot.py sync-commands [--guild ID]  register the slash commands, then exit
    python bot.py migrate                     apply database migrations, then exit
    python bot.py rotate-key                  re-encrypt stored text with a new key, then exit
    python bot.py check                       check settings, content, database, key and token
    python bot.py backup DEST                 write the data (database, key, journal) to one file
    python bot.py restore FILE                unpack a backup into an empty data folder
    python bot.py --sandbox [--script FILE]   try the bot in a local pretend Discord

Ctrl-C or SIGTERM stops the bot cleanly (exit 0). At start it waits for Discord if it
cannot reach it yet; a one-shot command that cannot reach Discord exits 3.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import signal
import socket
import sys
from collections.abc import Iterator
from pathlib import Path

import aiohttp
import discord
from discord.utils import MISSING

from config.content import load_content
from config.settings import ConfigError, Settings, load_settings
from core.backup import backup, restore
from core.bot import STOP_WITHIN_SECONDS, RecoveryBot, keep_start_out_of_gc
from core.data_dir import DataDirLock
from core.discord_api import point_discord_at
from core.health import run_checks
from core.logging import setup_logging
from db.engine import create_engine
from db.keys import resolve_cipher, rotate_stored_text
from db.migrate import upgrade_to_head

EXIT_CONFIG = 2
# A one-shot command could not reach Discord: nothing is wrong with the set-up, try again.
EXIT_UNREACHABLE = 3

# The first wait before trying Discord again, doubled after each failure up to the cap:
# a machine that booted before its network is up is retried soon, a long outage once a
# minute.
RETRY_FIRST_SECONDS = 2.0
RETRY_MAX_SECONDS = 60.0

# What discord.py raises when Discord does not answer: the name does not resolve or the
# address refuses (aiohttp's ClientConnectorError, an OSError, as are timeouts), the
# connection drops, or Discord answers with a server error (DiscordServerError, and
# GatewayNotFound when that happens to the gateway address lookup). A rejected token
# (LoginFailure) is not among them: retrying cannot fix it.
UNREACHABLE = (OSError, aiohttp.ClientError, discord.DiscordServerError, discord.GatewayNotFound)

STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)

log = logging.getLogger("bot")

LOGIN_REFUSED_MESSAGE = (
    "DISCORD_TOKEN was rejected by Discord (401 Unauthorized): copy the bot token again from "
    "the Developer Portal (README, section 'Running the bot')."
)


def _why_unreachable(error: BaseException) -> str:
    cause = error.__cause__ if isinstance(error, discord.GatewayNotFound) else error
    if isinstance(cause, discord.HTTPException):
        return f"it answered {cause.status}"
    if isinstance(error, aiohttp.ClientConnectorError):
        failure = error.os_error
        # A name lookup's own words ("Temporary failure in name resolution"); for the
        # rest the system's ("Connection refused") over asyncio's "Connect call failed".
        if isinstance(failure, socket.gaierror) or not failure.errno:
            text = failure.strerror or str(failure)
        else:
            text = os.strerror(failure.errno)
        return f"{error.host}:{error.port}: {text}"
    return " ".join(str(error).split()) or type(error).__name__


def unreachable_line(error: BaseException, retry_in: float | None = None) -> str:
    """One line for the log: Discord did not answer, why, and what happens next."""
    reason = _why_unreachable(error)
    if retry_in is None:
        return (
            f"Can't reach Discord ({reason}): check the network (and DISCORD_API_BASE_URL if "
            "set), then run the command again."
        )
    return f"Can't reach Discord ({reason}); retrying in {retry_in:g} s."


def retry_waits() -> Iterator[float]:
    wait = RETRY_FIRST_SECONDS
    while True:
        yield wait
        wait = min(wait * 2, RETRY_MAX_SECONDS)


async def connect_when_reachable(bot: RecoveryBot, token: str, logged_in: asyncio.Event) -> None:
    """Log in and connect, retrying with backoff while Discord cannot be reached, so a
    service started before the network is up comes up by itself. `logged_in` is set once
    setup has run (it runs once) and the gateway connection begins."""
    waits = retry_waits()
    failed = 0
    while True:
        try:
            await bot.login(token)
            break
        except UNREACHABLE as error:
            if bot.setup_started:
                raise  # the bot's own set-up failed (its database), not Discord
            failed += 1
            wait = next(waits)
            log.warning(unreachable_line(error, wait))
            # Each login opens a new HTTP session on the client's connector, and closing
            # the session closes the connector too: the next login must make a new one
            # (discord.py does when none is set) or it fails with "Session is closed".
            await bot.http.close()
            bot.http.connector = MISSING
            await asyncio.sleep(wait)
    if failed:
        log.info("Discord answered after %d failed attempts.", failed)
    logged_in.set()
    while True:
        try:
            await bot.connect()
            return
        except UNREACHABLE as error:
            # Only the gateway address lookup raises these, before any shard is up; once
            # one is, discord.py reconnects by itself.
            if bot.shards:
                raise
            wait = next(waits)
            log.warning(unreachable_line(error, wait))
            await asyncio.sleep(wait)


def _stop_requested(signum: int, stop: asyncio.Event) -> None:
    name = signal.Signals(signum).name
    if stop.is_set():
        log.info("%s again: still stopping (at most %g s).", name, STOP_WITHIN_SECONDS)
        return
    log.info("%s: stopping; work under way gets a few seconds to finish.", name)
    stop.set()


async def _until(task: asyncio.Task[None], event: asyncio.Event) -> None:
    waiting = asyncio.create_task(event.wait())
    try:
        await asyncio.wait({task, waiting}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        waiting.cancel()


async def _serve(bot: RecoveryBot, token: str, stop: asyncio.Event) -> None:
    logged_in = asyncio.Event()
    session = asyncio.create_task(connect_when_reachable(bot, token, logged_in))
    try:
        await _until(session, stop)
        if not session.done() and not logged_in.is_set() and bot.setup_started:
            # Cut off halfway, a migration or a feature's start would be left half done;
            # setup takes a second or two, then the stop is the usual clean one.
            await _until(session, logged_in)
        if session.done():
            return session.result()
        if logged_in.is_set():
            await bot.close()
            # discord.py's connection loop ends with the close, unless a shard is still
            # retrying its first connection (cancelled below).
            await asyncio.wait({session}, timeout=1.0)
            if session.done():
                session.result()
    finally:
        # Waiting to retry, or asking Discord: nothing that needs to finish.
        if not session.done():
            session.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await session


async def freeze_what_start_made(bot: RecoveryBot) -> None:
    await bot.wait_until_ready()
    keep_start_out_of_gc()


async def run_bot(bot: RecoveryBot, token: str) -> None:
    """Run until Discord ends the session, or SIGTERM (systemd, Docker) or Ctrl-C asks the
    bot to stop; either signal gets the same clean close (RecoveryBot.close)."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signum in STOP_SIGNALS:
        loop.add_signal_handler(signum, _stop_requested, signum, stop)
    try:
        async with bot:  # closes the bot however the session ends
            freezing = loop.create_task(freeze_what_start_made(bot))
            try:
                await _serve(bot, token, stop)
            finally:
                freezing.cancel()
        if stop.is_set():
            log.info("Stopped cleanly.")
    finally:
        for signum in STOP_SIGNALS:
            loop.remove_signal_handler(signum)


async def sync_commands(bot: RecoveryBot, token: str, guild_id: int | None) -> int:
    async with bot:
        try:
            await bot.login(token)
        except UNREACHABLE as error:
            if bot.setup_started:
                raise  # the bot's own set-up failed (its database), not Discord
            print(unreachable_line(error), file=sys.stderr)
            return EXIT_UNREACHABLE
        try:
            if guild_id is None:
                synced = await bot.tree.sync()
                where = "globally (Discord may take up to an hour to show them everywhere)"
            else:
                target = discord.Object(guild_id)
                bot.tree.copy_global_to(guild=target)
                synced = await bot.tree.sync(guild=target)
                where = f"to server {guild_id}"
        except UNREACHABLE as error:
            print(unreachable_line(error), file=sys.stderr)
            return EXIT_UNREACHABLE
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
    commands_.add_parser("check", help="check that this set-up can run, one line per piece")
    backup_ = commands_.add_parser("backup", help="write a backup file while the bot runs")
    backup_.add_argument("destination", type=Path, help="the file to write, or a folder for it")
    restore_ = commands_.add_parser("restore", help="restore a backup into an empty data folder")
    restore_.add_argument("file", type=Path, help="a file written by `bot.py backup`")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(sys.argv[1:] if argv is None else argv)
    try:
        if args.command == "check":
            # Before load_settings: broken settings are one of the things it reports.
            return asyncio.run(run_checks())
        settings = load_settings()
        # The sandbox prints what people see; the bot's log would drown it unless asked for.
        quiet = args.sandbox and "LOG_LEVEL" not in os.environ
        setup_logging("WARNING" if quiet else settings.log_level)
        if args.command == "migrate":
            return asyncio.run(migrate(settings))
        if args.command == "rotate-key":
            return asyncio.run(rotate_key(settings))
        if args.command == "backup":
            print("\n".join(backup(settings, args.destination)))
            return 0
        if args.command == "restore":
            print("\n".join(restore(settings, args.file)))
            return 0
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
