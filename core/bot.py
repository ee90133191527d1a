"""The bot: it owns the process's resources (database, scheduler, server settings cache)
for its lifetime and loads every feature package under cogs/.

`bot.py` is the command line that builds and runs it; the sandbox and the tests build
it the same way against the emulator.
"""

from __future__ import annotations

import gc
import logging
from pathlib import Path

import discord
from cryptography.fernet import MultiFernet
from discord.ext import commands

from config.content import Content
from config.settings import Settings
from core.clock import Clock, SystemClock
from core.data_dir import DataDirLock
from core.error_handler import on_app_command_error
from core.guild_settings import GuildSettingsStore
from core.member_data import CoreMemberData, MemberDataRegistry
from core.notify import OwnerNotifier
from core.oncall import NOBODY_ON_CALL, OnCallSource
from core.outbox import Outbox, process_identity
from core.pacing import GlobalPacer, install, per_process
from core.partner_signals import NO_PARTNERS, PartnerSignals
from core.permissions import CheckedTree
from core.plans import NO_PLANS, PlanSource
from core.scheduler import SHUTDOWN_GRACE_SECONDS, Scheduler, create_scheduler, pause_and_drain
from core.sign_sources import SignSources
from db.engine import Database, attach_cipher, create_engine
from db.keys import resolve_cipher
from db.migrate import upgrade_to_head

log = logging.getLogger("bot")  # the name the operator's log has always shown

# The longest a clean stop takes: close() waits, one after another, for the scheduler's
# running jobs, the outbox's sends, and, as the features unload, the check-in catch-up,
# the /help-now pages under way and the page sender, each for at most one grace period
# (a final journal write and closing the database follow). A supervisor's stop timeout
# (deploy/recovery-bot.service, TimeoutStopSec) must leave room above it.
STOP_WITHIN_SECONDS = 5 * SHUTDOWN_GRACE_SECONDS

COGS_DIR = Path(__file__).resolve().parent.parent / "cogs"


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
    scheduler: Scheduler
    guild_settings: GuildSettingsStore
    outbox: Outbox

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
            tree_cls=CheckedTree,
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
        # From the first line of setup_hook on, failures are the bot's own (the database,
        # a feature), not Discord's, and a stop waits for setup instead of cutting it off.
        self.setup_started = False
        # Every feature's export and erase hooks (the feature contract, cogs/README.md).
        self.member_data = MemberDataRegistry()
        self.member_data.register(CoreMemberData())
        # Warning signs other features notice (core/sign_sources.py), for the check-in
        # detector: meetings registers its source while it is loaded.
        self.sign_sources = SignSources()
        # Who is on call now (core/oncall.py): the on-call feature offers its rotation
        # while it is loaded; until then, and without it, nobody is.
        self.on_call: OnCallSource = NOBODY_ON_CALL
        # Members' plans (core/plans.py), offered by the plan feature while it is loaded.
        self.plans: PlanSource = NO_PLANS
        # Members' accountability partners (core/partner_signals.py), offered by the
        # partners feature while it is loaded; until then nobody has any.
        self.partners: PartnerSignals = NO_PARTNERS
        # Problems only a person can fix reach the server's owner through this.
        self.owner_notices = OwnerNotifier(self, self.clock)
        # Every REST call is paced under Discord's global limit, bulk work last.
        self.pacer = GlobalPacer(per_process(settings.shard_ids, settings.shard_count))
        install(self.http, self.pacer)

    async def setup_hook(self) -> None:
        self.setup_started = True
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
        self.outbox = Outbox(
            self.db,
            self,
            # Read at each use: tests move the bot's clock after it is built.
            lambda: self.clock.now(),
            identity=process_identity(self.settings.data_dir),
            shards=self.held_shards(),
        )
        self.scheduler = create_scheduler()
        self.scheduler.start()
        self.tree.error(on_app_command_error)
        for package in feature_packages():
            await self.load_extension(package)
        log.info("Loaded features: %s", ", ".join(sorted(self.extensions)))
        # After the features, which tell it whom to call when a channel refuses.
        await self.outbox.start()

    def held_shards(self) -> tuple[list[int], int] | None:
        """This process's shards and their count; None when it holds every server."""
        shard_ids, count = self.settings.shard_ids, self.settings.shard_count
        if shard_ids is None or not count:
            return None
        return shard_ids, count

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
        if outbox := getattr(self, "outbox", None):
            await outbox.stop(SHUTDOWN_GRACE_SECONDS)
        await super().close()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)
        if db := getattr(self, "db", None):
            await db.dispose()
        if self._data_dir_lock is not None:
            self._data_dir_lock.release()
            self._data_dir_lock = None


def keep_start_out_of_gc() -> None:
    """Called once the bot is ready (`python bot.py` does): what its start made (the
    features, the servers' caches, the content) is kept out of the garbage collector's
    passes from then on. Nearly all of it lives as long as the process, and rescanning it
    in every full pass during a group's burst of check-ins cost about a third of their
    answers' time (bench/RESULTS.md). Not for a process that runs bot after bot (tests):
    each one's start would stay in memory."""
    gc.collect()
    gc.freeze()


def feature_packages() -> list[str]:
    """Every package under cogs/, /setup first: other features add their settings to it."""
    found = sorted(
        f"cogs.{path.name}"
        for path in COGS_DIR.iterdir()
        if path.is_dir() and (path / "__init__.py").exists()
    )
    return sorted(found, key=lambda name: name != "cogs.setup")
