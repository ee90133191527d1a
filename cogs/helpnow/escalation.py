"""The escalation: every page an open request owes, posted in order, until someone
acknowledges it or its chain ends with the server's owner told.

Silence is impossible by construction: what a request owes is derived from its recorded
state (`HelpDesk.page_owed`), one task per request posts it (`drive`), each request's
next step is a scheduled job, and a watchdog (`check`) re-arms any open request found
with nothing scheduled and nothing running.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta
from typing import TYPE_CHECKING

from cogs.helpnow import texts
from cogs.helpnow.paging import Pager
from cogs.helpnow.policy import Policy, repeat_of
from cogs.helpnow.service import HelpCase, HelpDesk, Status, StepPage
from core.guild_settings import ServerConfig
from core.scheduler import SHUTDOWN_GRACE_SECONDS, FeatureJobs

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

JOBS_OWNER = "helpnow"
REPLY_HEAD_START_SECONDS = 0.5


def policy_of(config: ServerConfig) -> Policy:
    return Policy(
        ack_timeout=timedelta(seconds=config.ack_timeout_seconds),
        repeat_interval=timedelta(seconds=config.repeat_interval_seconds),
        max_repeats=config.max_repeats,
    )


class Escalation:
    def __init__(
        self,
        bot: RecoveryBot,
        desk: HelpDesk,
        pager: Pager,
        *,
        journal_retry_seconds: float,
        watchdog_seconds: float,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.pager = pager
        self.journal_retry_seconds = journal_retry_seconds
        self.watchdog_seconds = watchdog_seconds
        self.jobs = FeatureJobs(bot.scheduler, JOBS_OWNER)
        self._drivers: dict[str, asyncio.Task[None]] = {}
        self._closing = False

    async def start(self) -> None:
        for case in await self.desk.load():
            if self.bot.serves_guild(case.guild_id):
                self.arm(case)
        # At start nothing is wrong yet: this only drives requests whose chain ended
        # while the bot was down, so their owner still hears of them.
        self.check()
        self.jobs.every("journal", self.journal_retry_seconds, self.desk.flush)
        self.jobs.every("watchdog", self.watchdog_seconds, self._watchdog)

    async def stop(self) -> None:
        self._closing = True
        self.jobs.cancel_all()
        drivers = [task for task in self._drivers.values() if not task.done()]
        if drivers:
            # A page cut off here is still owed in the journal: the next start sends it.
            _, late = await asyncio.wait(drivers, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
        await self.pager.close(SHUTDOWN_GRACE_SECONDS)
        await self.desk.flush()

    def drivers(self) -> dict[str, asyncio.Task[None]]:
        """Every request being paged now, by public id."""
        return dict(self._drivers)

    def driver(self, public_id: str) -> asyncio.Task[None] | None:
        """The task posting the request's pages now, if one is."""
        task = self._drivers.get(public_id)
        return task if task is not None and not task.done() else None

    def arm(self, case: HelpCase) -> None:
        """Schedule the request's next step (or take it off when none is owed)."""
        if self._closing:
            return
        if self.desk.get(case.public_id) is None or case.next_step_at is None:
            self.stop_steps(case.public_id)
            return
        self.jobs.at(
            _step_key(case.public_id),
            case.next_step_at,
            self._on_due,
            args=(case.public_id,),
            # A step that came due while the bot was down still runs, once, at start.
            misfire_grace_seconds=None,
        )

    def stop_steps(self, public_id: str) -> None:
        self.jobs.cancel(_step_key(public_id))

    async def _on_due(self, public_id: str) -> None:
        # The job only hands over and returns at once: a job still running when the next
        # step comes due would make APScheduler skip that step.
        self.drive(public_id)

    def drive(
        self, public_id: str, *, after: asyncio.Task[bool] | None = None
    ) -> asyncio.Task[None]:
        """The task posting what the request owes; one per request at a time."""
        running = self._drivers.get(public_id)
        if running is not None and not running.done():
            return running
        task = asyncio.get_running_loop().create_task(self._post_owed(public_id, after))
        self._drivers[public_id] = task
        return task

    async def _post_owed(self, public_id: str, reply: asyncio.Task[bool] | None = None) -> None:
        try:
            await self._post_owed_pages(public_id, reply)
        finally:
            # Every way out, early ones included: a finished driver is never kept.
            if self._drivers.get(public_id) is asyncio.current_task():
                del self._drivers[public_id]

    async def _post_owed_pages(self, public_id: str, reply: asyncio.Task[bool] | None) -> None:
        if reply is not None:
            # The member's reply has the loop to itself until it is out, or until a short
            # head start is over when Discord is slow to take it: the page never waits longer.
            await asyncio.wait([reply], timeout=REPLY_HEAD_START_SECONDS)
            if reply.done() and not reply.cancelled() and reply.result() is False:
                # Two processes got this interaction (one shard held twice, in a deploy's
                # overlap); the one whose reply Discord took pages, so one chain runs.
                self.desk.withdraw(public_id)
                return
        case = self.desk.get(public_id)
        if case is None:
            return
        if self.bot.get_guild(case.guild_id) is None:
            # Only at start, before Discord has sent the server: a member who asks while
            # the bot waits for the rest of its servers is paged without waiting too.
            await self.bot.wait_until_ready()
        try:
            while True:
                config = self.bot.guild_settings.cached(case.guild_id)
                chain = self.pager.chain(case.guild_id)
                if self.desk.escalation_due(public_id) and not await self.desk.claim_escalation(
                    public_id, chain
                ):
                    break  # another process holding this request took the step
                page = self.desk.page_owed(public_id, chain, config.specialist_role_id)
                if page is None:
                    break
                await self._post_step(page)
            if (
                self.desk.chain_finished(case)
                and case.owner_told_at is None
                and await self.desk.claim_owner_notice(case)
            ):
                self.desk.owner_told(case)
                await self.bot.owner_notices.tell(
                    case.guild_id,
                    texts.ADMIN_UNANSWERED.format(guild=self._guild_name(case.guild_id)),
                )
        except Exception:
            log.exception("Help-now escalation failed in guild %s", case.guild_id)
        finally:
            # Whatever happened, the request's next step stays scheduled.
            self.arm(case)

    async def _post_step(self, page: StepPage) -> None:
        case = page.case
        config = self.bot.guild_settings.cached(case.guild_id)
        first = case.page_message_id is None and page.backup_for is None
        if page.backup_for is not None:
            template = texts.PAGE_BACKUP
        elif first:
            template = texts.PAGE
        elif repeat_of(page.step):
            template = texts.PAGE_REPEATED
        else:
            template = texts.PAGE_ESCALATED
        try:
            await self.pager.page(
                case,
                page.target,
                template,
                with_note=first,
                specialist=page.backup_for,
                repeat=repeat_of(page.step),
                resent=page.resent,
                # An escalation is not needed once someone acknowledged; a backup asked for is.
                wanted=lambda: (
                    self.desk.get(case.public_id) is not None
                    and (case.status is Status.OPEN or page.backup_for is not None)
                ),
            )
        except Exception:
            # Counted as sent all the same: the chain goes on to its next target rather
            # than retrying this one forever.
            log.exception("A help-now page failed in guild %s", case.guild_id)
        self.desk.step_paged(page, policy_of(config))

    def _guild_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild else str(guild_id)

    async def _watchdog(self) -> None:
        self.check()

    def check(self) -> list[str]:
        """Hold the invariant: every open, unacknowledged request this process serves has
        its next step scheduled, or is being paged now, or has finished its chain with
        the owner told. Repairs any that has not, and returns their ids."""
        repaired = []
        for case in self.desk.open_cases():
            if (
                case.status is not Status.OPEN
                or not self.bot.serves_guild(case.guild_id)
                or self.driver(case.public_id) is not None
            ):
                continue
            if case.next_step_at is not None:
                if self.jobs.next_run(_step_key(case.public_id)) is not None:
                    continue
                log.error(
                    "A help-now request in guild %s had no next step scheduled; re-armed",
                    case.guild_id,
                )
                self.arm(case)
            elif case.owner_told_at is None:
                # Its last page went out just before a restart: the owner is still owed.
                self.drive(case.public_id)
            else:
                continue
            repaired.append(case.public_id)
        return repaired


def _step_key(public_id: str) -> str:
    return f"step:{public_id}"
