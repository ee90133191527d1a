"""/checkin: the daily form, its buttons, a member's own settings, history and the group's
participation. The daily prompt, reminders and the warning-sign detector are in `jobs`;
/setup checkins in `setup_commands`.

The Discord layer only: who is asking and may they, what they said, what to show. The
rules live in the plain modules beside it (`form`, `records`, `preferences`, `schedule`,
`signs`); the words in `texts`. Everything personal is ephemeral; logs carry ids and
what happened, never what anyone typed.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Coroutine
from datetime import timedelta
from typing import TYPE_CHECKING, Any, Literal, TypeVar, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.checkins import chart, preferences, records, texts, views
from cogs.checkins.coping import and_list, suggestions, with_plan
from cogs.checkins.form import OTHER, RawCheckin, parse_checkin
from cogs.checkins.jobs import CheckinJobs
from cogs.checkins.posting import SEND_FAILED, messageable, status
from cogs.me.settings import set_timezone
from cogs.sober import service as sober
from cogs.sober import views as sober_views
from core import help_offer
from core.counting import counted
from core.error_handler import report_interaction_error
from core.errors import UserFacingError
from core.forms import submitted_form_id
from core.member_data import STORED_EVENT
from core.permissions import Audience, for_audience, guild_of, require_specialist
from core.timezones import TimeZone

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]
T = TypeVar("T")
# Discord drops an interaction left unanswered for 3 s. Work that takes longer than this
# is acknowledged first (or, for opening the form, done without).
REPLY_BUDGET_SECONDS = 2.0


class CheckinCog(commands.Cog):
    checkin = app_commands.Group(
        name="checkin",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )

    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.content = bot.content.checkins
        self.reply_budget = REPLY_BUDGET_SECONDS
        self.jobs = CheckinJobs(bot)

    # --- Start and stop -------------------------------------------------------------------

    async def cog_load(self) -> None:
        views.controls.register(self.bot, self)
        await self.jobs.start()

    async def cog_unload(self) -> None:
        await self.jobs.stop()
        views.controls.unregister(self.bot)

    # --- The form ---------------------------------------------------------------------------

    async def open_form(
        self, interaction: discord.Interaction, prefill: RawCheckin | None = None
    ) -> None:
        guild_id = guild_of(interaction)
        blind = prefill is not None  # answers typed earlier, not today's stored ones
        if prefill is None:
            # A form cannot follow a deferral: if the database is slow, the form opens
            # empty rather than too late (and its empty note will not erase the note).
            found = await _within(
                self.reply_budget,
                _boxed(
                    records.todays_answers(
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
            views.CheckinModal(self.content, prefill, blind=blind)
        )

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every submit of the check-in form, whenever and by whichever process it was
        opened (the form is never stored: see `views.CheckinModal`)."""
        # Forms only: buttons and the menu are dynamic items (`views.controls`). This
        # listener stays because discord.py has no dynamic item for a form: it routes a
        # submit only to a form it still holds in memory, so one opened before a restart
        # would be dropped with what the member typed. It is the way `core.forms` gives
        # every feature for forms (/help-now's Resolve form too).
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
        guild_id = guild_of(interaction)
        try:
            parse_checkin(answers, self.content)  # refusals need no database
        except UserFacingError as refused:
            await interaction.response.send_message(
                refused.message, view=views.FillAgainView(self, answers), ephemeral=True
            )
            return
        saving = asyncio.ensure_future(
            records.record_checkin(
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
        if outcome.note_not_kept:
            lines.append(texts.NOTE_NOT_KEPT)
        if hard_day:
            lines.append(
                texts.HARD_DAY.format(
                    strategies=and_list(
                        suggestions(self.bot.content.coping, outcome.high_craving, outcome.low_mood)
                    )
                )
            )
            lines.append(help_offer.button_offer(self.bot.guild_settings.cached(guild_id)))
        reply = "\n\n".join(lines)
        if hard_day:
            reply = with_plan(reply, self.bot.plans.highlights(guild_id, interaction.user.id))
        await _reply(
            interaction,
            reply,
            views.after_checkin_view(
                self.content, ask_triggers=not outcome.triggers, offer_help=hard_day
            ),
        )
        log.info("Check-in %s in guild %s", "saved" if outcome.created else "updated", guild_id)
        # Answered: the privacy notice may follow now, never before the reply.
        self.bot.dispatch(STORED_EVENT, interaction)
        if outcome.share_channel_id is not None:
            try:
                channel = await messageable(self.bot, outcome.share_channel_id)
                await channel.send(texts.SHARE_LINE.format(user_id=interaction.user.id))
            except SEND_FAILED as error:
                log.warning(
                    "Could not post a shared check-in line in guild %s (HTTP %s)",
                    guild_id,
                    status(error),
                )

    async def change_triggers(self, interaction: discord.Interaction, picked: list[str]) -> None:
        kept = await records.set_triggers(
            self.bot.db,
            guild_of(interaction),
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
        text = with_plan(
            texts.USED_REPLY.format(
                help=help_offer.button_offer(self.bot.guild_settings.cached(guild_of(interaction))),
                strategies=and_list(suggestions(self.bot.content.coping, True, True)),
            ),
            self.bot.plans.highlights(guild_of(interaction), interaction.user.id),
        )
        await interaction.response.send_message(text, view=views.help_view(), ephemeral=True)
        # Starting a count again is the member's choice: offered after the welcome, never
        # done for them.
        user_id = interaction.user.id
        counters = await sober.show(
            self.bot.db,
            guild_of(interaction),
            user_id,
            self.bot.clock.now(),
            self.bot.content.milestones.days,
        )
        if counters:
            await interaction.followup.send(
                texts.USED_RESET_OFFER,
                view=sober_views.offer_view(user_id, [(c.id, c.substance) for c in counters]),
                ephemeral=True,
            )

    # --- /checkin ---------------------------------------------------------------------------

    @checkin.command(name="today", description=texts.TODAY_DESCRIPTION)
    async def today(self, interaction: discord.Interaction) -> None:
        await self.open_form(interaction)

    @checkin.command(name="share", description=texts.SHARE_DESCRIPTION)
    @app_commands.describe(state=texts.PARAM_STATE)
    async def share(self, interaction: discord.Interaction, state: OnOff) -> None:
        await preferences.set_share(
            self.bot.db, guild_of(interaction), interaction.user.id, state == "on"
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
        setting = await preferences.set_reminders(
            self.bot.db, guild_of(interaction), interaction.user.id, state == "on", hour
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
        await preferences.set_specialist_consent(
            self.bot.db,
            guild_of(interaction),
            interaction.user.id,
            state == "on",
            self.bot.clock.now(),
        )
        if state == "off":
            reply = texts.CONSENT_OFF
        elif self.bot.guild_settings.cached(guild_of(interaction)).specialists_channel_id:
            reply = texts.CONSENT_ON
        else:
            reply = texts.CONSENT_ON_NO_CHANNEL
        await interaction.response.send_message(reply, ephemeral=True)

    @checkin.command(name="timezone", description=texts.TIMEZONE_DESCRIPTION)
    @app_commands.describe(zone=texts.PARAM_MY_ZONE)
    async def timezone(self, interaction: discord.Interaction, zone: TimeZone) -> None:
        # The same setting as /me timezone, which moves the counters' milestones too.
        await set_timezone(self.bot.db, guild_of(interaction), interaction.user.id, zone)
        await interaction.response.send_message(
            texts.TIMEZONE_SET.format(zone=zone), ephemeral=True
        )

    @checkin.command(name="history", description=texts.HISTORY_DESCRIPTION)
    @app_commands.describe(days=texts.PARAM_DAYS)
    async def history(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 7, 365] = 30
    ) -> None:
        guild_id = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        mine = await records.history(self.bot.db, guild_id, interaction.user.id, days, now)
        if not mine.points:
            await interaction.followup.send(texts.HISTORY_EMPTY.format(days=days), ephemeral=True)
            return
        # The caption's "last {days} days", up to the same local today records.history
        # counted back from (the same zone, at the same `now`), so the axis shows all of it.
        today = await sober.local_today(self.bot.db, guild_id, interaction.user.id, now)
        scales = self.content.scales
        png = await asyncio.to_thread(
            chart.history_png,
            mine.points,
            (scales.mood_min, scales.mood_max),
            (scales.craving_min, scales.craving_max),
            (today - timedelta(days=days - 1), today),
            mine.streak,
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

    @checkin.command(
        name="group",
        description=texts.GROUP_PARTICIPATION_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    @app_commands.describe(days=texts.PARAM_DAYS)
    async def group(
        self, interaction: discord.Interaction, days: app_commands.Range[int, 7, 90] = 14
    ) -> None:
        guild_id = guild_of(interaction)
        require_specialist(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        group = await records.participation(self.bot.db, guild_id, days, self.bot.clock.now())
        if group.members == 0:
            await interaction.followup.send(texts.GROUP_EMPTY.format(days=days), ephemeral=True)
            return
        png = await asyncio.to_thread(chart.participation_png, group.per_day)
        await interaction.followup.send(
            texts.GROUP_SUMMARY.format(
                days=days, members=counted(group.members, texts.MEMBERS), average=group.average
            ),
            file=discord.File(io.BytesIO(png), filename="participation.png"),
            ephemeral=True,
        )


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


def _trigger_names(triggers: tuple[str, ...]) -> str:
    return ", ".join(texts.OTHER_TRIGGER if t == OTHER else t for t in triggers)
