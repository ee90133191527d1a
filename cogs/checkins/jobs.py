"""The check-in feature's scheduled work: the daily prompt (caught up after downtime),
reminders and the warning-sign detector.

Jobs per moment, not per server: one prompt job per distinct local time, zone and days
among the servers this process serves, one detector job per time zone, and one reminder
job for all. A job claims its servers' due work in batches and hands the messages to the
outbox (`core.outbox`), which sends them paced and retries them while they are useful.
`ServerGroups` remembers which servers share a job, so a changed schedule moves its server
from one job to another: a job is added when its first server joins and removed when its
last one leaves. The cog starts them when it loads and removes them when it unloads. The
rules live in `schedule`, `preferences` and `signs`; the words in `texts`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from cogs.checkins import preferences, schedule, texts, views
from cogs.checkins.coping import and_list, suggestions, with_plan
from cogs.checkins.posting import SEND_FAILED, dm, messageable, status
from cogs.checkins.schedule import ScheduleState
from cogs.checkins.signs import (
    DetectorAlert,
    Sign,
    detector_trigger,
    record_alert_delivery,
    run_detector,
)
from core import help_offer
from core.outbox import Refused, message_body
from core.pacing import bulk_requests
from core.scheduler import SHUTDOWN_GRACE_SECONDS, FeatureJobs, JobSpec

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OWNER = "checkins"
PROMPT_NOTICE_TOPIC = "checkins:prompt-failed"
REMINDERS_KEY = "reminders"
# Servers claimed per transaction: 10,000 servers at one moment make 20 modest
# statements one after the other, never one giant one nor 10,000 sessions at once.
CHUNK = 500
# A moment whose claim failed (the database had a bad moment) is claimed again this
# much later, while its prompts may still go out; servers already claimed are skipped,
# and a moment its servers have all left meanwhile claims nothing.
PROMPT_RETRY_DELAY = timedelta(minutes=10)
_MISFIRE_GRACE_SECONDS = int(schedule.CATCH_UP_GRACE.total_seconds())


def prompt_key(state: ScheduleState) -> str:
    """The job of every server prompting at the same local time, zone and days:
    "prompt:19:00:Europe/London:0123456" (Monday is 0)."""
    days = "".join(str(day) for day in sorted(state.weekdays))
    return f"prompt:{state.hour:02d}:{state.minute:02d}:{state.timezone}:{days}"


def detector_key(state: ScheduleState) -> str:
    """The job of every server whose detector runs in the same zone (at its hour there)."""
    return f"detector:{state.timezone}"


def retry_key(moment: str) -> str:
    return f"prompt-retry:{moment}"


def _prompts(state: ScheduleState) -> bool:
    return state.enabled and bool(state.weekdays)


def _chunks(guild_ids: Sequence[int]) -> Iterator[Sequence[int]]:
    for start in range(0, len(guild_ids), CHUNK):
        yield guild_ids[start : start + CHUNK]


class _Bodies:
    """One message body per server and channel, however many members it goes to:
    building a view's components for each of 30,000 reminders was a third of the tick."""

    def __init__(self, build: Callable[[int, int], dict[str, Any]]) -> None:
        self._build = build
        self._built: dict[tuple[int, int], dict[str, Any]] = {}

    def of(self, guild_id: int, channel_id: int) -> dict[str, Any]:
        key = (guild_id, channel_id)
        if key not in self._built:
            self._built[key] = self._build(guild_id, channel_id)
        return self._built[key]


@dataclass(frozen=True)
class Regrouped:
    """What moving a server changed: a group it left empty, a group it began."""

    emptied: str | None = None
    started: str | None = None


class ServerGroups:
    """Which servers share each job (a prompt's moment, a detector's zone), and which
    job each server is in."""

    def __init__(self) -> None:
        self._servers: dict[str, set[int]] = {}
        self._group_of: dict[int, str] = {}

    def place(self, guild_id: int, key: str | None) -> Regrouped:
        """Move the server into the group `key` (None: into none)."""
        left = self._group_of.get(guild_id)
        if left == key:
            return Regrouped()
        emptied = None
        if left is not None:
            del self._group_of[guild_id]
            servers = self._servers[left]
            servers.discard(guild_id)
            if not servers:
                del self._servers[left]
                emptied = left
        started = None
        if key is not None:
            self._group_of[guild_id] = key
            if key not in self._servers:
                self._servers[key] = set()
                started = key
            self._servers[key].add(guild_id)
        return Regrouped(emptied, started)

    def servers(self, key: str) -> list[int]:
        return sorted(self._servers.get(key, ()))


class CheckinJobs:
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.content = bot.content.checkins
        self.scheduled = FeatureJobs(bot.scheduler, OWNER)
        self.prompts = ServerGroups()
        self.detectors = ServerGroups()
        self._startup: asyncio.Task[None] | None = None

    # --- Start and stop -------------------------------------------------------------------

    async def start(self) -> None:
        """The jobs of every served server, from their schedules read once, and the
        prompts missed while the bot was down."""
        self.bot.outbox.on_refused(schedule.PROMPT_KIND, self.prompt_refused)
        served = [
            state
            for state in await schedule.load_schedules(self.bot.db)
            if self.bot.serves_guild(state.guild_id)
        ]
        wanted = {REMINDERS_KEY: self._reminder_spec()}
        for state in served:
            if not _prompts(state):
                continue
            # A job's trigger is built once, for the first server of its group.
            if started := self.prompts.place(state.guild_id, prompt_key(state)).started:
                wanted[started] = self._prompt_spec(state)
            if started := self.detectors.place(state.guild_id, detector_key(state)).started:
                wanted[started] = self._detector_spec(state)
        self.scheduled.replace_all(wanted)
        self._startup = asyncio.create_task(self.catch_up(served))

    async def stop(self) -> None:
        if self._startup is not None and not self._startup.done():
            # Let a catch-up that is already claiming finish: cancelling it in the middle
            # of a database call can leave the connection hanging at shutdown.
            done, _ = await asyncio.wait({self._startup}, timeout=SHUTDOWN_GRACE_SECONDS)
            if not done:
                self._startup.cancel()
        self.scheduled.cancel_all()
        self.bot.outbox.forget_refused(schedule.PROMPT_KIND)

    async def catch_up(self, schedules: Sequence[ScheduleState]) -> None:
        """Prompts missed while the bot was down go out once, within the grace period:
        one batch claim over the servers that have one due."""
        now = self.bot.clock.now()
        due = [state.guild_id for state, _day in schedule.due_prompts(schedules, now)]
        if due:
            log.info("Catching up the check-in prompts of %d servers", len(due))
            # At start the database is there; a failed batch is logged, not retried.
            await self._claim_prompts(due, now)

    def schedule_saved(self, state: ScheduleState) -> None:
        """Move the server to the jobs of its new schedule (none when it is off)."""
        active = _prompts(state) and self.bot.serves_guild(state.guild_id)
        self._regroup(
            self.prompts.place(state.guild_id, prompt_key(state) if active else None),
            lambda: self._prompt_spec(state),
        )
        self._regroup(
            self.detectors.place(state.guild_id, detector_key(state) if active else None),
            lambda: self._detector_spec(state),
        )

    def _regroup(self, change: Regrouped, spec: Callable[[], JobSpec]) -> None:
        if change.emptied is not None:
            self.scheduled.cancel(change.emptied)
        if change.started is not None:
            self.scheduled.add(change.started, spec())

    def _prompt_spec(self, state: ScheduleState) -> JobSpec:
        # A run the process slept through still happens when it wakes; whether each
        # prompt is still due (the grace period) is the claim's to decide.
        return JobSpec(
            schedule.prompt_trigger(state),
            self.prompt_job,
            (prompt_key(state),),
            _MISFIRE_GRACE_SECONDS,
        )

    def _detector_spec(self, state: ScheduleState) -> JobSpec:
        return JobSpec(
            detector_trigger(state),
            self.detector_job,
            (detector_key(state),),
            _MISFIRE_GRACE_SECONDS,
        )

    def _reminder_spec(self) -> JobSpec:
        return JobSpec(
            preferences.reminder_trigger(), self.reminder_job, (), _MISFIRE_GRACE_SECONDS
        )

    # --- The prompt -------------------------------------------------------------------------

    async def prompt_job(self, moment: str, retry_until: datetime | None = None) -> None:
        """The prompts of every server of one moment, claimed and queued in batches."""
        now = self.bot.clock.now()
        if await self._claim_prompts(self.prompts.servers(moment), now):
            return
        until = retry_until or now + schedule.CATCH_UP_GRACE
        at = now + PROMPT_RETRY_DELAY
        if at > until:
            log.warning("Giving up on the check-in prompts of %s for today", moment)
            return
        self.scheduled.at(
            retry_key(moment),
            at,
            self.prompt_job,
            args=[moment, until],
            misfire_grace_seconds=_MISFIRE_GRACE_SECONDS,
        )

    async def _claim_prompts(self, guild_ids: Sequence[int], now: datetime) -> bool:
        """Claim and queue the due prompts; False if a batch could not be claimed."""
        message = self.prompt_message()
        queued = 0
        claimed_all = True
        for chunk in _chunks(guild_ids):
            try:
                queued += len(await schedule.claim_prompts(self.bot.db, chunk, now, message))
            except Exception:
                log.exception("Claiming the check-in prompts of %d servers failed", len(chunk))
                claimed_all = False
                continue
            # The outbox sends one batch while the next is claimed.
            self.bot.outbox.wake()
        if queued:
            log.info("Queued %d check-in prompts of %d servers", queued, len(guild_ids))
        return claimed_all

    def prompt_message(self) -> dict[str, Any]:
        return message_body(texts.PROMPT_TEXT, view=views.prompt_view())

    async def prompt_refused(self, refused: Refused) -> None:
        """The outbox tries again every few minutes; someone must mend the channel."""
        log.warning(
            "The check-in prompt of guild %s was refused in channel %s (HTTP %s); it is "
            "tried again while the day's prompt may still go out",
            refused.guild_id,
            refused.channel_id,
            refused.status,
        )
        # Retries can't fix a deleted channel or a missing permission: someone must.
        # Once per day's prompt, however often it is retried.
        await self.bot.owner_notices.tell_of_refused_post(
            refused,
            texts.PROMPT_FAILED_OWNER,
            PROMPT_NOTICE_TOPIC,
            occasion=schedule.prompt_date_of(refused.dedupe_key),
        )

    # --- Reminders --------------------------------------------------------------------------

    async def reminder_job(self) -> None:
        """The due reminders of every served server, claimed and queued in batches."""
        now = self.bot.clock.now()
        try:
            guild_ids = [
                guild_id
                for guild_id in await preferences.servers_with_reminders(self.bot.db)
                if self.bot.serves_guild(guild_id)
            ]
        except Exception:
            log.exception("Finding the servers with check-in reminders failed")
            return
        queued = 0
        bodies = _Bodies(self.reminder_message)
        for chunk in _chunks(guild_ids):
            try:
                claimed = await preferences.claim_reminders(self.bot.db, chunk, now, bodies.of)
            except Exception:
                log.exception("Claiming the check-in reminders of %d servers failed", len(chunk))
                continue
            queued += len(claimed)
            self.bot.outbox.wake()
        if queued:
            log.info("Queued %d check-in reminders in %d servers", queued, len(guild_ids))

    @staticmethod
    def reminder_message(guild_id: int, channel_id: int) -> dict[str, Any]:
        link = views.channel_link_view(guild_id, channel_id, texts.CHECK_IN_BUTTON)
        return message_body(texts.REMINDER_DM, view=link)

    # --- The warning-sign detector ---------------------------------------------------------

    async def detector_job(self, zone: str) -> None:
        """The detector for every server of one time zone, in turn."""
        # Its nudges and signals are bulk: a crisis page never waits behind them.
        with bulk_requests():
            for guild_id in self.detectors.servers(zone):
                await self.detect_in(guild_id)

    async def detect_in(self, guild_id: int) -> None:
        try:
            alerts = await run_detector(
                self.bot.db,
                guild_id,
                self.content.warning_signs,
                self.bot.clock.now(),
                self.bot.sign_sources.list(),
                self.bot.partners,
            )
            if alerts:
                self.bot.outbox.wake()  # what the member's partners may hear of
            state = await schedule.get_schedule(self.bot.db, guild_id) if alerts else None
        except Exception:
            log.exception("The warning-sign job failed for guild %s", guild_id)
            return
        link = (
            views.channel_link_view(guild_id, state.channel_id, texts.CHECK_IN_BUTTON)
            if state
            else None
        )
        for alert in alerts:
            # One member's failed delivery must not cost the others theirs.
            try:
                await self._deliver(guild_id, alert, link)
            except Exception:
                log.exception("A warning-sign delivery failed in guild %s", guild_id)

    async def _deliver(
        self, guild_id: int, alert: DetectorAlert, link: discord.ui.View | None
    ) -> None:
        nudged = await dm(self.bot, alert.user_id, self.nudge_text(guild_id, alert), link)
        shared = False
        specialists = self.bot.guild_settings.cached(guild_id).specialists_channel_id
        shared_signs = alert.shared_signs()
        if shared_signs and specialists is not None:
            signs = ", ".join(texts.SIGN_NAMES[sign.value] for sign in shared_signs)
            try:
                channel = await messageable(self.bot, specialists)
                await channel.send(
                    texts.SPECIALIST_SIGNAL.format(user_id=alert.user_id, signs=signs)
                )
                shared = True
            except SEND_FAILED as error:
                log.warning(
                    "Could not post a check-in signal in guild %s (HTTP %s)",
                    guild_id,
                    status(error),
                )
        await record_alert_delivery(self.bot.db, guild_id, alert, nudged=nudged, shared=shared)
        log.info(
            "Warning signs %s noticed in guild %s: nudge %s, shared %s",
            [sign.value for sign in alert.new],
            guild_id,
            "sent" if nudged else "not delivered",
            shared,
        )

    def nudge_text(self, guild_id: int, alert: DetectorAlert) -> str:
        from_check_ins = [
            sign for sign in alert.active if sign not in (Sign.SEVERAL, Sign.MISSED_MEETINGS)
        ]
        if Sign.MISSED in from_check_ins:
            opening = texts.NUDGE_MISSED
        elif from_check_ins:
            signs = [texts.SIGN_NAMES[sign.value] for sign in from_check_ins]
            opening = texts.NUDGE_PATTERN.format(signs=and_list(signs))
        else:
            # Missed meetings alone: the member may never have checked in at all.
            opening = texts.NUDGE_MISSED_MEETINGS
        if from_check_ins and Sign.MISSED_MEETINGS in alert.active:
            opening = f"{opening} {texts.NUDGE_MEETINGS_TOO}"
        support = texts.NUDGE_SUPPORT.format(
            strategies=and_list(
                suggestions(self.bot.content.coping, high_craving=True, low_mood=True)
            ),
            help=help_offer.command_offer(self.bot.guild_settings.cached(guild_id)),
        )
        return with_plan(
            f"{opening}\n\n{support}", self.bot.plans.highlights(guild_id, alert.user_id)
        )
