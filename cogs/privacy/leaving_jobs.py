"""The daily jobs of leaving (rules in `leaving`): who left, servers that removed the bot,
and retention. One job per moment for every server (a fixed time of day, UTC), each run
working through the servers this process serves; nothing per member or per server is
scheduled, so nothing needs rebuilding beyond the three jobs at start.

The presence check asks Discord about each member with data, one REST call each (GET
/guilds/{guild}/members/{user}), one at a time inside `bulk_requests()`: paced under the
global limit, after every crisis page and reply. See the README's Privacy section for
what it costs.
"""

from __future__ import annotations

import logging
from collections import defaultdict
from datetime import timedelta
from typing import TYPE_CHECKING

import aiohttp
import discord

from cogs.privacy import leaving
from cogs.privacy.leaving import Candidate, Presence
from core.pacing import bulk_requests
from core.scheduler import FeatureJobs

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OWNER = "privacy"
PRESENCE_KEY = "presence"
REMOVED_KEY = "bot-removed"
RETENTION_KEY = "retention"
# Quiet hours for most servers, and apart so the three never run at once.
_TIMES = {PRESENCE_KEY: (3, 10), REMOVED_KEY: (4, 40), RETENTION_KEY: (5, 10)}
UNKNOWN_MEMBER = 10007
# A presence check that outlives its run's moment (a very large bot) still finishes.
_MISFIRE_GRACE_SECONDS = 6 * 60 * 60


class LeavingJobs:
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.scheduled = FeatureJobs(bot.scheduler, OWNER)

    @classmethod
    def start_for(cls, bot: RecoveryBot) -> LeavingJobs:
        jobs = cls(bot)
        jobs.start()
        return jobs

    def start(self) -> None:
        runs = {
            PRESENCE_KEY: self.check_presence,
            REMOVED_KEY: self.erase_removed_servers,
            RETENTION_KEY: self.purge_old_words,
        }
        for key, function in runs.items():
            hour, minute = _TIMES[key]
            self.scheduled.cron(
                key,
                function,
                hour=hour,
                minute=minute,
                misfire_grace_seconds=_MISFIRE_GRACE_SECONDS,
            )

    def stop(self) -> None:
        self.scheduled.cancel_all()

    def _actor(self) -> int | None:
        return self.bot.user.id if self.bot.user else None

    # -- members who left ------------------------------------------------------------

    async def check_presence(self) -> None:
        """Ask Discord about the members due a check; mark, unmark, erase."""
        if not self.bot.is_ready():
            return  # the servers are not known yet: tomorrow's run does it
        now = self.bot.clock.now()
        me = self._actor()
        candidates: list[Candidate] = []
        for guild in self.bot.guilds:
            if not self.bot.serves_guild(guild.id):
                continue
            if self.bot.guild_settings.cached(guild.id).bot_removed_at is not None:
                continue  # a stale mark the removed-servers job clears
            candidates += await leaving.presence_candidates(
                self.bot.db, self.bot.member_data, guild.id, exclude={me} if me else ()
            )
        due = leaving.due_for_check(candidates, now)
        by_guild: dict[int, list[int]] = defaultdict(list)
        for candidate in due:
            by_guild[candidate.guild_id].append(candidate.user_id)
        counts = {presence: 0 for presence in Presence}
        erased = 0
        for guild_id, users in by_guild.items():
            grace = (await self.bot.guild_settings.get(guild_id)).erase_after_days
            for start in range(0, len(users), leaving.CHUNK):
                answers = {}
                with bulk_requests():
                    for user_id in users[start : start + leaving.CHUNK]:
                        answers[user_id] = await self._presence(guild_id, user_id)
                for presence in answers.values():
                    counts[presence] += 1
                due_now = await leaving.record_presence(
                    self.bot.db, self.bot.member_data, guild_id, answers, now, grace
                )
                # What a feature queued for someone found gone (a partner told it ended).
                self.bot.outbox.wake()
                for user_id in due_now:
                    erased += await self._erase_member(guild_id, user_id)
        log.info(
            "Presence check: %d asked, %d here, %d gone, %d unknown, %d erased",
            len(due),
            counts[Presence.HERE],
            counts[Presence.GONE],
            counts[Presence.UNKNOWN],
            erased,
        )

    async def _presence(self, guild_id: int, user_id: int) -> Presence:
        try:
            await self.bot.http.get_member(guild_id, user_id)
        except discord.NotFound as error:
            # Only Unknown Member says they are gone; Unknown Guild (the bot removed
            # meanwhile) or anything else is no answer about them.
            return Presence.GONE if error.code == UNKNOWN_MEMBER else Presence.UNKNOWN
        except (discord.HTTPException, aiohttp.ClientError, TimeoutError) as error:
            log.warning(
                "Presence check of a member in guild %s: %s", guild_id, type(error).__name__
            )
            return Presence.UNKNOWN
        return Presence.HERE

    async def _erase_member(self, guild_id: int, user_id: int) -> int:
        try:
            await self.bot.member_data.erase(
                self.bot.db, guild_id, user_id, actor_user_id=self._actor()
            )
        except Exception as error:  # the next check finds them gone again and retries
            log.error(
                "Erasing a member who left guild %s failed: %s", guild_id, type(error).__name__
            )
            return 0
        return 1

    # -- the bot removed from a server -----------------------------------------------

    async def bot_removed(self, guild_id: int) -> None:
        if await leaving.mark_bot_removed(self.bot.db, guild_id, self.bot.clock.now()):
            log.info("Removed from guild %s: its data is erased after the grace", guild_id)
        await self.bot.guild_settings.get(guild_id)  # the cache follows

    async def bot_added(self, guild_id: int) -> None:
        if await leaving.clear_bot_removed(self.bot.db, guild_id):
            log.info("Added back to guild %s within the grace: nothing is erased", guild_id)
            await self.bot.guild_settings.get(guild_id)

    async def erase_removed_servers(self) -> None:
        """Erase every server the bot was removed from whose grace has passed."""
        if not self.bot.is_ready():
            return  # it may be back in a server it does not know yet
        now = self.bot.clock.now()
        for removed in await leaving.removed_servers(self.bot.db):
            if not self.bot.serves_guild(removed.guild_id):
                continue
            if self.bot.get_guild(removed.guild_id) is not None:
                # Added back while this process was not listening (a restart).
                await self.bot_added(removed.guild_id)
                continue
            if leaving.due_at(removed.removed_at, removed.erase_after_days) > now:
                continue
            try:
                counts = await leaving.erase_server(
                    self.bot.db, self.bot.member_data, removed.guild_id
                )
            except Exception as error:  # tried again tomorrow, nothing erased meanwhile
                log.error(
                    "Erasing guild %s after the bot was removed failed: %s",
                    removed.guild_id,
                    type(error).__name__,
                )
                continue
            await self.bot.guild_settings.get(removed.guild_id)  # back to defaults
            log.info(
                "Erased guild %s, removed %s: %s",
                removed.guild_id,
                removed.removed_at.date().isoformat(),
                ", ".join(f"{name} {count}" for name, count in sorted(counts.items())) or "no rows",
            )

    # -- retention -------------------------------------------------------------------

    async def purge_old_words(self) -> None:
        """Purge check-in notes and journal entries older than each server's retention."""
        now = self.bot.clock.now()
        notes = entries = 0
        for guild_id in await leaving.servers_with_old_words(self.bot.db):
            if not self.bot.serves_guild(guild_id):
                continue
            days = (await self.bot.guild_settings.get(guild_id)).retention_days
            try:
                purged = await leaving.purge_older_than(
                    self.bot.db, guild_id, now - timedelta(days=days), self._actor()
                )
            except Exception as error:
                log.error("Retention purge of guild %s failed: %s", guild_id, type(error).__name__)
                continue
            notes += purged.checkin_notes
            entries += purged.journal_entries
        log.info("Retention: %d check-in notes and %d journal entries purged", notes, entries)
