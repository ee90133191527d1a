"""The check-in feature's scheduled work: the daily prompt (caught up after downtime,
retried while the day's prompt may still go out), reminders and the warning-sign detector.

One job of each kind per group, replaced whenever the group's schedule changes; the cog
starts them when it loads and removes them when it unloads. The rules live in
`schedule`, `preferences` and `signs`; the words in `texts`.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

import discord

from cogs.checkins import form, preferences, schedule, texts, views
from cogs.checkins.coping import and_list, suggestions
from cogs.checkins.posting import SEND_FAILED, dm, messageable, status
from cogs.checkins.schedule import ClaimedPrompt, ScheduleState
from cogs.checkins.signs import (
    DetectorAlert,
    Sign,
    detector_trigger,
    record_alert_delivery,
    run_detector,
)
from core import scheduler
from core.scheduler import SHUTDOWN_GRACE_SECONDS, FeatureJobs

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

_JOBS = ("prompt", "detector", "reminders")
# A prompt that could not be posted is tried again this much later, within the grace.
PROMPT_RETRY_DELAY = timedelta(minutes=10)
_MISFIRE_GRACE_SECONDS = int(schedule.CATCH_UP_GRACE.total_seconds())


OWNER = "checkins"
PROMPT_NOTICE_TOPIC = "checkins:prompt-failed"


def job_key(kind: str, guild_id: int) -> str:
    return f"{kind}:{guild_id}"


def job_id(kind: str, guild_id: int) -> str:
    """The scheduler's id of a group's job of this kind: "checkins:prompt:<guild id>"."""
    return scheduler.job_id(OWNER, job_key(kind, guild_id))


class CheckinJobs:
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.content = bot.content.checkins
        self.scheduled = FeatureJobs(bot.scheduler, OWNER)
        self._startup: asyncio.Task[None] | None = None

    # --- Start and stop -------------------------------------------------------------------

    async def start(self) -> None:
        """Every served group's jobs, and the prompts missed while the bot was down."""
        schedules = await schedule.load_schedules(self.bot.db)
        for state in schedules:
            if self.bot.serves_guild(state.guild_id):
                self.schedule_jobs(state)
        self._startup = asyncio.create_task(self._catch_up(schedules))

    async def stop(self) -> None:
        if self._startup is not None and not self._startup.done():
            # Let a catch-up that is already posting finish: cancelling it in the middle
            # of a database call can leave the connection hanging at shutdown.
            done, _ = await asyncio.wait({self._startup}, timeout=SHUTDOWN_GRACE_SECONDS)
            if not done:
                self._startup.cancel()
        self.scheduled.cancel_all()

    async def _catch_up(self, schedules: list[ScheduleState]) -> None:
        """Prompts missed while the bot was down go out once, within the grace period."""
        await self.bot.wait_until_ready()
        now = self.bot.clock.now()
        for state, _day in schedule.due_prompts(schedules, now):
            if self.bot.serves_guild(state.guild_id):
                log.info("Catching up the check-in prompt of guild %s", state.guild_id)
                await self.prompt_job(state.guild_id)

    def schedule_jobs(self, state: ScheduleState) -> None:
        """One job of each kind per group, replaced whenever the schedule changes."""
        if not state.enabled or not state.weekdays:
            for kind in _JOBS:
                self.scheduled.cancel(job_key(kind, state.guild_id))
            return
        triggers = {
            "prompt": (self.prompt_job, schedule.prompt_trigger(state)),
            "detector": (self.detector_job, detector_trigger(state)),
            "reminders": (self.reminder_job, preferences.reminder_trigger()),
        }
        for kind, (function, trigger) in triggers.items():
            self.scheduled.cron(
                job_key(kind, state.guild_id),
                function,
                trigger=trigger,
                args=[state.guild_id],
                # A run the process slept through still happens when it wakes; whether
                # it is still due (the prompt's grace period) is the job's to decide.
                misfire_grace_seconds=_MISFIRE_GRACE_SECONDS,
            )

    # --- Jobs -------------------------------------------------------------------------------

    async def prompt_job(self, guild_id: int, retry_until: datetime | None = None) -> None:
        now = self.bot.clock.now()
        try:
            claim = await schedule.claim_prompt(self.bot.db, guild_id, now)
            if claim is None or await self._send_prompt(claim):
                return
        except Exception:
            log.exception("The check-in prompt job failed for guild %s", guild_id)
        self._retry_prompt(guild_id, now, retry_until or now + schedule.CATCH_UP_GRACE)

    def _retry_prompt(self, guild_id: int, now: datetime, until: datetime) -> None:
        """One more try a little later, while the day's prompt may still go out."""
        at = now + PROMPT_RETRY_DELAY
        if at > until:
            log.warning("Giving up on today's check-in prompt in guild %s", guild_id)
            return
        self.scheduled.at(
            job_key("prompt-retry", guild_id),
            at,
            self.prompt_job,
            args=[guild_id, until],
            misfire_grace_seconds=_MISFIRE_GRACE_SECONDS,
        )

    async def _send_prompt(self, claim: ClaimedPrompt) -> bool:
        embed = discord.Embed(
            title=texts.PROMPT_TRIGGERS_TITLE, description=form.numbered_triggers(self.content)
        )
        try:
            channel = await messageable(self.bot, claim.channel_id)
            await channel.send(texts.PROMPT_TEXT, embed=embed, view=views.prompt_view())
        except SEND_FAILED as error:
            log.warning(
                "Could not post the check-in prompt in guild %s (HTTP %s); it can go out "
                "again within the grace period",
                claim.guild_id,
                status(error),
            )
            await schedule.release_prompt(self.bot.db, claim)
            if isinstance(error, discord.Forbidden | discord.NotFound | discord.ClientException):
                await self._tell_owner(claim)
            return False
        log.info("Posted the check-in prompt in guild %s for %s", claim.guild_id, claim.local_date)
        return True

    async def _tell_owner(self, claim: ClaimedPrompt) -> None:
        """Retries can't fix a deleted channel or a missing permission: someone must.
        Once per day's prompt, however often it is retried."""
        guild = self.bot.get_guild(claim.guild_id)
        text = texts.PROMPT_FAILED_OWNER.format(
            guild=guild.name if guild else claim.guild_id, channel=f"<#{claim.channel_id}>"
        )
        await self.bot.owner_notices.tell_now_and_then(
            claim.guild_id, PROMPT_NOTICE_TOPIC, text, occasion=claim.local_date
        )

    async def reminder_job(self, guild_id: int) -> None:
        try:
            users = await preferences.claim_reminders(self.bot.db, guild_id, self.bot.clock.now())
            state = await schedule.get_schedule(self.bot.db, guild_id) if users else None
            sent = 0
            for user_id in users:  # one at a time: discord.py keeps to the rate limits
                link = (
                    views.channel_link_view(guild_id, state.channel_id, texts.CHECK_IN_BUTTON)
                    if state
                    else None
                )
                sent += await dm(self.bot, user_id, texts.REMINDER_DM, link)
            if users:
                log.info("Sent %d of %d check-in reminders in guild %s", sent, len(users), guild_id)
        except Exception:
            log.exception("The check-in reminder job failed for guild %s", guild_id)

    async def detector_job(self, guild_id: int) -> None:
        try:
            alerts = await run_detector(
                self.bot.db, guild_id, self.content.warning_signs, self.bot.clock.now()
            )
        except Exception:
            log.exception("The warning-sign job failed for guild %s", guild_id)
            return
        for alert in alerts:
            # One member's failed delivery must not cost the others theirs.
            try:
                await self._deliver(guild_id, alert)
            except Exception:
                log.exception("A warning-sign delivery failed in guild %s", guild_id)

    async def _deliver(self, guild_id: int, alert: DetectorAlert) -> None:
        state = await schedule.get_schedule(self.bot.db, guild_id)
        link = (
            views.channel_link_view(guild_id, state.channel_id, texts.CHECK_IN_BUTTON)
            if state
            else None
        )
        nudged = await dm(self.bot, alert.user_id, self.nudge_text(alert), link)
        shared = False
        specialists = self.bot.guild_settings.cached(guild_id).specialists_channel_id
        if alert.share_with_specialists and specialists is not None:
            signs = ", ".join(texts.SIGN_NAMES[sign.value] for sign in alert.active)
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

    def nudge_text(self, alert: DetectorAlert) -> str:
        if Sign.MISSED in alert.active:
            opening = texts.NUDGE_MISSED
        else:
            signs = [texts.SIGN_NAMES[s.value] for s in alert.active if s is not Sign.SEVERAL]
            opening = texts.NUDGE_PATTERN.format(signs=and_list(signs))
        support = texts.NUDGE_SUPPORT.format(
            strategies=and_list(
                suggestions(self.bot.content.coping, high_craving=True, low_mood=True)
            )
        )
        return f"{opening}\n\n{support}"
