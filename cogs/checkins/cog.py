"""/checkin and /setup checkins, the daily prompt, reminders and the warning-sign detector.

The Discord layer only: who is asking and may they, what they said, what to show. The
rules live in `service`; the words in `texts`. Everything personal is ephemeral; logs
carry ids and what happened, never what anyone typed.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Coroutine
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.checkins import chart, service, texts, views
from cogs.checkins.service import ClaimedPrompt, DetectorAlert, RawCheckin, ScheduleState, Sign
from cogs.setup import service as setup_service
from cogs.setup.cog import timezone_choices
from core.error_handler import report_interaction_error
from core.errors import UserFacingError
from core.forms import submitted_form_id
from core.scheduler import SHUTDOWN_GRACE_SECONDS

if TYPE_CHECKING:
    from bot import RecoveryBot

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]
T = TypeVar("T")
# Discord drops an interaction left unanswered for 3 s. Work that takes longer than this
# is acknowledged first (or, for opening the form, done without).
REPLY_BUDGET_SECONDS = 2.0
_JOBS = ("prompt", "detector", "reminders")
_COPING_FOR_CRAVING = ("urge-surfing", "breathing", "reach-out", "leave")
_COPING_FOR_LOW_MOOD = ("reach-out", "move", "journaling", "grounding")
_SUGGESTIONS = 3
# A prompt that could not be posted is tried again this much later, within the grace.
PROMPT_RETRY_DELAY = timedelta(minutes=10)
_MISFIRE_GRACE_SECONDS = int(service.CATCH_UP_GRACE.total_seconds())
# What a failed post or DM raises: Discord refused it, or the channel takes no messages.
_SEND_FAILED = (discord.HTTPException, discord.ClientException)


def _guild_id(interaction: discord.Interaction) -> int:
    if interaction.guild_id is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild_id


def job_id(kind: str, guild_id: int) -> str:
    return f"checkins:{kind}:{guild_id}"


class CheckinCog(commands.Cog):
    checkin = app_commands.Group(
        name="checkin", description=texts.GROUP_DESCRIPTION, guild_only=True
    )

    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.content = bot.content.checkins
        self.reply_budget = REPLY_BUDGET_SECONDS
        self._startup: asyncio.Task[None] | None = None
        # The local date each server's owner was last told a prompt could not be posted.
        self._owner_told: dict[int, date] = {}

    # --- Start and stop -------------------------------------------------------------------

    async def cog_load(self) -> None:
        self.bot.add_view(views.CheckinHandlers(self, self.content))
        schedules = await service.load_schedules(self.bot.db)
        for state in schedules:
            if self.bot.serves_guild(state.guild_id):
                self.schedule_jobs(state)
        self._startup = asyncio.create_task(self._catch_up(schedules))

    async def cog_unload(self) -> None:
        if self._startup is not None and not self._startup.done():
            # Let a catch-up that is already posting finish: cancelling it in the middle
            # of a database call can leave the connection hanging at shutdown.
            done, _ = await asyncio.wait({self._startup}, timeout=SHUTDOWN_GRACE_SECONDS)
            if not done:
                self._startup.cancel()
        for job in self.bot.scheduler.get_jobs():
            if str(job.id).startswith("checkins:"):
                job.remove()

    async def _catch_up(self, schedules: list[ScheduleState]) -> None:
        """Prompts missed while the bot was down go out once, within the grace period."""
        await self.bot.wait_until_ready()
        now = self.bot.clock.now()
        for state, _day in service.due_prompts(schedules, now):
            if self.bot.serves_guild(state.guild_id):
                log.info("Catching up the check-in prompt of guild %s", state.guild_id)
                await self.prompt_job(state.guild_id)

    def schedule_jobs(self, state: ScheduleState) -> None:
        """One job of each kind per group, replaced whenever the schedule changes."""
        scheduler = self.bot.scheduler
        for kind in _JOBS:
            if scheduler.get_job(job_id(kind, state.guild_id)) is not None:
                scheduler.remove_job(job_id(kind, state.guild_id))
        if not state.enabled or not state.weekdays:
            return
        triggers = {
            "prompt": (self.prompt_job, service.prompt_trigger(state)),
            "detector": (self.detector_job, service.detector_trigger(state)),
            "reminders": (self.reminder_job, service.reminder_trigger()),
        }
        for kind, (function, trigger) in triggers.items():
            scheduler.add_job(
                function,
                trigger,
                id=job_id(kind, state.guild_id),
                args=[state.guild_id],
                replace_existing=True,
                # A run the process slept through still happens when it wakes; whether
                # it is still due (the prompt's grace period) is the job's to decide.
                misfire_grace_time=_MISFIRE_GRACE_SECONDS,
            )

    # --- Jobs -------------------------------------------------------------------------------

    async def prompt_job(self, guild_id: int, retry_until: datetime | None = None) -> None:
        now = self.bot.clock.now()
        try:
            claim = await service.claim_prompt(self.bot.db, guild_id, now)
            if claim is None or await self._send_prompt(claim):
                return
        except Exception:
            log.exception("The check-in prompt job failed for guild %s", guild_id)
        self._retry_prompt(guild_id, now, retry_until or now + service.CATCH_UP_GRACE)

    def _retry_prompt(self, guild_id: int, now: datetime, until: datetime) -> None:
        """One more try a little later, while the day's prompt may still go out."""
        at = now + PROMPT_RETRY_DELAY
        if at > until:
            log.warning("Giving up on today's check-in prompt in guild %s", guild_id)
            return
        self.bot.scheduler.add_job(
            self.prompt_job,
            "date",
            run_date=at,
            id=job_id("prompt-retry", guild_id),
            args=[guild_id, until],
            replace_existing=True,
            misfire_grace_time=_MISFIRE_GRACE_SECONDS,
        )

    async def _send_prompt(self, claim: ClaimedPrompt) -> bool:
        embed = discord.Embed(
            title=texts.PROMPT_TRIGGERS_TITLE, description=service.numbered_triggers(self.content)
        )
        try:
            channel = await self._messageable(claim.channel_id)
            await channel.send(texts.PROMPT_TEXT, embed=embed, view=views.prompt_view())
        except _SEND_FAILED as error:
            log.warning(
                "Could not post the check-in prompt in guild %s (HTTP %s); it can go out "
                "again within the grace period",
                claim.guild_id,
                _status(error),
            )
            await service.release_prompt(self.bot.db, claim)
            if isinstance(error, discord.Forbidden | discord.NotFound | discord.ClientException):
                await self._tell_owner_once(claim)
            return False
        log.info("Posted the check-in prompt in guild %s for %s", claim.guild_id, claim.local_date)
        return True

    async def _tell_owner_once(self, claim: ClaimedPrompt) -> None:
        """Retries can't fix a deleted channel or a missing permission: someone must."""
        if self._owner_told.get(claim.guild_id) == claim.local_date:
            return
        self._owner_told[claim.guild_id] = claim.local_date
        guild = self.bot.get_guild(claim.guild_id)
        if guild is not None and guild.owner_id is not None:
            text = texts.PROMPT_FAILED_OWNER.format(
                guild=guild.name, channel=f"<#{claim.channel_id}>"
            )
            await self._dm(guild.owner_id, text, None)

    async def reminder_job(self, guild_id: int) -> None:
        try:
            users = await service.claim_reminders(self.bot.db, guild_id, self.bot.clock.now())
            state = await service.get_schedule(self.bot.db, guild_id) if users else None
            sent = 0
            for user_id in users:  # one at a time: discord.py keeps to the rate limits
                link = (
                    views.channel_link_view(guild_id, state.channel_id, texts.CHECK_IN_BUTTON)
                    if state
                    else None
                )
                sent += await self._dm(user_id, texts.REMINDER_DM, link)
            if users:
                log.info("Sent %d of %d check-in reminders in guild %s", sent, len(users), guild_id)
        except Exception:
            log.exception("The check-in reminder job failed for guild %s", guild_id)

    async def detector_job(self, guild_id: int) -> None:
        try:
            alerts = await service.run_detector(
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
        state = await service.get_schedule(self.bot.db, guild_id)
        link = (
            views.channel_link_view(guild_id, state.channel_id, texts.CHECK_IN_BUTTON)
            if state
            else None
        )
        nudged = await self._dm(alert.user_id, self.nudge_text(alert), link)
        shared = False
        specialists = self.bot.guild_settings.cached(guild_id).specialists_channel_id
        if alert.share_with_specialists and specialists is not None:
            signs = ", ".join(texts.SIGN_NAMES[sign.value] for sign in alert.active)
            try:
                channel = await self._messageable(specialists)
                await channel.send(
                    texts.SPECIALIST_SIGNAL.format(user_id=alert.user_id, signs=signs)
                )
                shared = True
            except _SEND_FAILED as error:
                log.warning(
                    "Could not post a check-in signal in guild %s (HTTP %s)",
                    guild_id,
                    _status(error),
                )
        await service.record_alert_delivery(
            self.bot.db, guild_id, alert, nudged=nudged, shared=shared
        )
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
            opening = texts.NUDGE_PATTERN.format(signs=_and(signs))
        support = texts.NUDGE_SUPPORT.format(
            strategies=_and(self._coping(high_craving=True, low_mood=True))
        )
        return f"{opening}\n\n{support}"

    async def _dm(self, user_id: int, text: str, view: discord.ui.View | None) -> bool:
        try:
            user = self.bot.get_user(user_id) or await self.bot.fetch_user(user_id)
            if view is None:
                await user.send(text)
            else:
                await user.send(text, view=view)
        except _SEND_FAILED as error:
            # Closed DMs are a choice; nothing to retry.
            log.info("Could not DM user %s (HTTP %s)", user_id, _status(error))
            return False
        return True

    async def _messageable(self, channel_id: int) -> discord.abc.Messageable:
        """The channel to post in; a channel that takes no messages is refused like
        Discord refuses a post (every caller handles `_SEND_FAILED`)."""
        channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
        if not isinstance(channel, discord.abc.Messageable):
            raise discord.ClientException(f"channel {channel_id} takes no messages")
        return channel

    # --- The form ---------------------------------------------------------------------------

    async def open_form(
        self, interaction: discord.Interaction, prefill: RawCheckin | None = None
    ) -> None:
        guild_id = _guild_id(interaction)
        blind = prefill is not None  # answers typed earlier, not today's stored ones
        if prefill is None:
            # A form cannot follow a deferral: if the database is slow, the form opens
            # empty rather than too late (and its empty note will not erase the note).
            found = await _within(
                self.reply_budget,
                _boxed(
                    service.todays_answers(
                        self.bot.db,
                        guild_id,
                        interaction.user.id,
                        self.content,
                        self.bot.clock.now(),
                    )
                ),
            )
            blind = found is None
            prefill = found[0] if found else None
        await interaction.response.send_modal(
            views.CheckinModal(self, self.content, prefill, blind=blind)
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every submit of the check-in form, whenever and by whichever process it was
        opened (the form is never stored: see `views.CheckinModal`)."""
        form = submitted_form_id(interaction)
        if form not in (views.FORM_ID, views.BLIND_FORM_ID):
            return
        data = cast(dict[str, Any], interaction.data)
        try:
            await self.submit(
                interaction,
                views.submitted_answers(data),
                keep_note_if_empty=form == views.BLIND_FORM_ID,
            )
        except Exception as error:
            await report_interaction_error(interaction, error)

    async def submit(
        self,
        interaction: discord.Interaction,
        answers: RawCheckin,
        *,
        keep_note_if_empty: bool = False,
    ) -> None:
        guild_id = _guild_id(interaction)
        try:
            service.parse_checkin(answers, self.content)  # refusals need no database
        except UserFacingError as refused:
            await interaction.response.send_message(
                refused.message, view=views.FillAgainView(self, answers), ephemeral=True
            )
            return
        saving = asyncio.ensure_future(
            service.record_checkin(
                self.bot.db,
                guild_id,
                interaction.user.id,
                answers,
                self.content,
                self.bot.clock.now(),
                keep_note_if_empty=keep_note_if_empty,
            )
        )
        done, _ = await asyncio.wait({saving}, timeout=self.reply_budget)
        if not done:
            # Slow today: acknowledge now, so Discord keeps the interaction, reply after.
            await interaction.response.defer(ephemeral=True, thinking=True)
        outcome = await saving
        hard_day = outcome.high_craving or outcome.low_mood
        lines = [
            texts.THANKS_NEW if outcome.created else texts.THANKS_UPDATED,
            texts.STREAK_ONE
            if outcome.streak <= 1
            else texts.STREAK_MANY.format(days=outcome.streak),
        ]
        if outcome.triggers:
            lines.append(texts.TRIGGERS_NOTED.format(names=_trigger_names(outcome.triggers)))
        if hard_day:
            lines.append(
                texts.HARD_DAY.format(
                    strategies=_and(self._coping(outcome.high_craving, outcome.low_mood))
                )
            )
        await _reply(
            interaction,
            "\n\n".join(lines),
            views.after_checkin_view(
                self.content, ask_triggers=not outcome.triggers, offer_help=hard_day
            ),
        )
        log.info("Check-in %s in guild %s", "saved" if outcome.created else "updated", guild_id)
        if outcome.share_channel_id is not None:
            try:
                channel = await self._messageable(outcome.share_channel_id)
                await channel.send(texts.SHARE_LINE.format(user_id=interaction.user.id))
            except _SEND_FAILED as error:
                log.warning(
                    "Could not post a shared check-in line in guild %s (HTTP %s)",
                    guild_id,
                    _status(error),
                )

    async def change_triggers(self, interaction: discord.Interaction, picked: list[str]) -> None:
        kept = await service.set_triggers(
            self.bot.db,
            _guild_id(interaction),
            interaction.user.id,
            picked,
            self.content,
            self.bot.clock.now(),
        )
        text = (
            texts.TRIGGERS_SAVED.format(names=_trigger_names(kept))
            if kept
            else texts.TRIGGERS_CLEARED
        )
        await interaction.response.send_message(text, ephemeral=True)

    async def used_today(self, interaction: discord.Interaction) -> None:
        # Nothing is stored or posted: the answer is met with support, not a record.
        # (A sober-day counter does not exist yet; when it does, it can offer its reset.)
        text = texts.USED_REPLY.format(strategies=_and(self._coping(True, True)))
        await interaction.response.send_message(text, view=views.help_view(), ephemeral=True)

    def _coping(self, high_craving: bool, low_mood: bool) -> list[str]:
        strategies = {s.id: s.name for s in self.bot.content.coping.strategies}
        wanted = (_COPING_FOR_CRAVING if high_craving else ()) + (
            _COPING_FOR_LOW_MOOD if low_mood else ()
        )
        names = [strategies[i] for i in dict.fromkeys(wanted) if i in strategies]
        names += [name for name in strategies.values() if name not in names]
        return names[:_SUGGESTIONS]

    # --- /checkin ---------------------------------------------------------------------------

    @checkin.command(name="today", description=texts.TODAY_DESCRIPTION)
    async def today(self, interaction: discord.Interaction) -> None:
        await self.open_form(interaction)

    @checkin.command(name="share", description=texts.SHARE_DESCRIPTION)
    @app_commands.describe(state=texts.PARAM_STATE)
    async def share(self, interaction: discord.Interaction, state: OnOff) -> None:
        await service.set_share(
            self.bot.db, _guild_id(interaction), interaction.user.id, state == "on"
        )
        await interaction.response.send_message(
            texts.SHARE_ON if state == "on" else texts.SHARE_OFF, ephemeral=True
        )

    @checkin.command(name="reminders", description=texts.REMINDERS_DESCRIPTION)
    @app_commands.describe(state=texts.PARAM_STATE, hour=texts.PARAM_HOUR)
    async def reminders(
        self,
        interaction: discord.Interaction,
        state: OnOff,
        hour: app_commands.Range[int, 0, 23] | None = None,
    ) -> None:
        setting = await service.set_reminders(
            self.bot.db, _guild_id(interaction), interaction.user.id, state == "on", hour
        )
        text = (
            texts.REMINDERS_ON.format(hour=setting.hour, zone=setting.timezone)
            if setting.enabled
            else texts.REMINDERS_OFF
        )
        await interaction.response.send_message(text, ephemeral=True)

    @checkin.command(name="consent", description=texts.CONSENT_DESCRIPTION)
    @app_commands.describe(state=texts.PARAM_STATE)
    async def consent(self, interaction: discord.Interaction, state: OnOff) -> None:
        await service.set_specialist_consent(
            self.bot.db,
            _guild_id(interaction),
            interaction.user.id,
            state == "on",
            self.bot.clock.now(),
        )
        await interaction.response.send_message(
            texts.CONSENT_ON if state == "on" else texts.CONSENT_OFF, ephemeral=True
        )

    @checkin.command(name="timezone", description=texts.TIMEZONE_DESCRIPTION)
    @app_commands.describe(zone=texts.PARAM_MY_ZONE)
    async def timezone(self, interaction: discord.Interaction, zone: str) -> None:
        valid = setup_service.validate_timezone(zone)
        await service.set_member_timezone(
            self.bot.db, _guild_id(interaction), interaction.user.id, valid
        )
        await interaction.response.send_message(
            texts.TIMEZONE_SET.format(zone=valid), ephemeral=True
        )

    @timezone.autocomplete("zone")
    async def _member_zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @checkin.command(name="history", description=texts.HISTORY_DESCRIPTION)
    @app_commands.describe(days=texts.PARAM_DAYS)
    async def history(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 7, 365] = 30
    ) -> None:
        guild_id = _guild_id(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        mine = await service.history(
            self.bot.db, guild_id, interaction.user.id, days, self.bot.clock.now()
        )
        if not mine.points:
            await interaction.followup.send(texts.HISTORY_EMPTY.format(days=days), ephemeral=True)
            return
        scales = self.content.scales
        png = await asyncio.to_thread(
            chart.history_png,
            mine.points,
            (scales.mood_min, scales.mood_max),
            (scales.craving_min, scales.craving_max),
        )
        streak = (
            texts.STREAK_MANY.format(days=mine.streak)
            if mine.streak > 1
            else (texts.STREAK_ONE if mine.streak == 1 else "")
        )
        await interaction.followup.send(
            f"{texts.HISTORY_CAPTION.format(days=days)} {streak}".strip(),
            file=discord.File(io.BytesIO(png), filename="check-ins.png"),
            ephemeral=True,
        )

    @checkin.command(name="group", description=texts.GROUP_PARTICIPATION_DESCRIPTION)
    @app_commands.describe(days=texts.PARAM_DAYS)
    async def group(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 7, 90] = 14
    ) -> None:
        guild_id = _guild_id(interaction)
        role_id = self.bot.guild_settings.cached(guild_id).specialist_role_id
        if role_id is None:
            raise UserFacingError(texts.NO_SPECIALIST_ROLE)
        roles = getattr(interaction.user, "roles", [])
        if not any(role.id == role_id for role in roles):
            raise UserFacingError(texts.NOT_A_SPECIALIST)
        await interaction.response.defer(ephemeral=True, thinking=True)
        group = await service.participation(self.bot.db, guild_id, days, self.bot.clock.now())
        if group.members == 0:
            await interaction.followup.send(texts.GROUP_EMPTY.format(days=days), ephemeral=True)
            return
        png = await asyncio.to_thread(chart.participation_png, group.per_day)
        await interaction.followup.send(
            texts.GROUP_SUMMARY.format(days=days, members=group.members, average=group.average),
            file=discord.File(io.BytesIO(png), filename="participation.png"),
            ephemeral=True,
        )

    # --- /setup checkins --------------------------------------------------------------------

    @app_commands.command(name="checkins", description=texts.SETUP_DESCRIPTION)
    @app_commands.describe(
        channel=texts.PARAM_CHANNEL,
        time=texts.PARAM_TIME,
        zone=texts.PARAM_ZONE,
        days=texts.PARAM_WEEKDAYS,
        enabled=texts.PARAM_ENABLED,
    )
    async def setup_checkins(
        self,
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        time: str | None = None,
        zone: str | None = None,
        days: str | None = None,
        enabled: OnOff | None = None,
    ) -> None:
        guild = interaction.guild
        if guild is None:
            raise app_commands.NoPrivateMessage()
        hour, minute = service.parse_local_time(time) if time else (None, None)
        weekdays = service.parse_weekdays(days) if days else None
        configured = self.bot.guild_settings.cached(guild.id).checkin_channel_id
        target: discord.abc.GuildChannel | None = channel
        if channel is None and enabled != "off":
            # The prompt keeps its channel, or takes the one from /setup channels: the bot
            # must be able to post there too, or every prompt fails unseen.
            existing = await service.get_schedule(self.bot.db, guild.id)
            if existing is None or existing.enabled or enabled == "on":
                kept = existing.channel_id if existing else configured
                target = guild.get_channel(kept) if kept is not None else None
        if target is not None:
            mine = target.permissions_for(guild.me)
            if not (mine.view_channel and mine.send_messages):
                raise UserFacingError(texts.BOT_CANNOT_POST.format(channel=target.mention))
        state = await service.save_schedule(
            self.bot.db,
            guild.id,
            interaction.user.id,
            channel_id=channel.id if channel else None,
            hour=hour,
            minute=minute,
            timezone=zone,
            weekdays=weekdays,
            enabled=None if enabled is None else enabled == "on",
            default_channel_id=configured,
        )
        self.schedule_jobs(state)
        upcoming = service.next_prompt_after(state, self.bot.clock.now())
        next_line = (
            texts.SETUP_NEXT.format(when=discord.utils.format_dt(upcoming, "F")) if upcoming else ""
        )
        await interaction.response.send_message(
            texts.SETUP_SAVED.format(
                state=texts.SETUP_STATE_ON if state.enabled else texts.SETUP_STATE_OFF,
                channel=f"<#{state.channel_id}>",
                time=f"{state.hour:02d}:{state.minute:02d}",
                zone=state.timezone,
                days=service.describe_weekdays(state.weekdays),
                next_line=next_line,
            ).strip(),
            ephemeral=True,
        )

    @setup_checkins.autocomplete("zone")
    async def _zone_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return timezone_choices(current)

    @setup_checkins.autocomplete("days")
    async def _days_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        choices = [
            app_commands.Choice(name=name, value=value)
            for name, value in texts.WEEKDAY_SUGGESTIONS
            if needle in name.lower() or needle in value
        ]
        if needle and not any(choice.value == needle for choice in choices):
            choices.append(app_commands.Choice(name=current[:100], value=current[:100]))
        return choices


async def _boxed(work: Coroutine[Any, Any, T]) -> tuple[T]:
    """`work`'s result in a 1-tuple, so a None result is told apart from a timeout."""
    return (await work,)


async def _within(seconds: float, work: Coroutine[Any, Any, T]) -> T | None:
    """The result if it comes within `seconds`; otherwise None, and the work finishes
    in the background (its result unused, a failure logged)."""
    task = asyncio.ensure_future(work)
    done, _ = await asyncio.wait({task}, timeout=seconds)
    if task in done:
        return task.result()
    task.add_done_callback(_log_failure)
    return None


def _log_failure(task: asyncio.Future[Any]) -> None:
    if not task.cancelled() and task.exception() is not None:
        log.warning("Background check-in work failed", exc_info=task.exception())


async def _reply(interaction: discord.Interaction, content: str, view: discord.ui.View) -> None:
    if interaction.response.is_done():
        await interaction.followup.send(content, view=view, ephemeral=True)
    else:
        await interaction.response.send_message(content, view=view, ephemeral=True)


def _status(error: Exception) -> int | None:
    return error.status if isinstance(error, discord.HTTPException) else None


def _and(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _trigger_names(triggers: tuple[str, ...]) -> str:
    return ", ".join(texts.OTHER_TRIGGER if t == service.OTHER else t for t in triggers)
