"""/sober: a member's own sober-day counters, and the buttons that confirm a reset or a
delete. The milestones are the job's (`jobs`).

The Discord layer only: who is asking and may they, what they typed, what to show. The
rules live in `service`, the words in `texts`. Every reply is private (a member's
counters are theirs); nothing here ever posts in a channel, least of all a reset. Logs
carry ids and what happened, never a substance or a date a member typed.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs.checkins.coping import and_list, suggestions, with_plan
from cogs.sober import chart, service, texts, views
from cogs.sober.jobs import SoberJobs
from core import help_offer
from core.choices import matching
from core.counting import counted
from core.errors import UserFacingError
from core.permissions import Audience, for_audience, guild_of, require_owner

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]


class SoberCog(commands.Cog):
    sober = app_commands.Group(
        name="sober",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )

    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.milestones = bot.content.milestones.days
        self.jobs = SoberJobs(bot)

    # --- Start and stop -------------------------------------------------------------------

    async def cog_load(self) -> None:
        views.controls.register(self.bot, self)
        self.jobs.start()

    async def cog_unload(self) -> None:
        self.jobs.stop()
        views.controls.unregister(self.bot)

    # --- Looking counters up --------------------------------------------------------------

    async def _counters(self, guild_id: int, user_id: int) -> list[service.Counter]:
        return await service.show(
            self.bot.db, guild_id, user_id, self.bot.clock.now(), self.milestones
        )

    async def _counter_named(self, guild_id: int, user_id: int, name: str) -> service.Counter:
        return await service.find(
            self.bot.db, guild_id, user_id, name, self.bot.clock.now(), self.milestones
        )

    async def _counter_by_id(self, guild_id: int, user_id: int, counter_id: int) -> service.Counter:
        for counter in await self._counters(guild_id, user_id):
            if counter.id == counter_id:
                return counter
        raise UserFacingError(texts.COUNTER_GONE)

    async def _today(self, guild_id: int, user_id: int) -> date:
        return await self._day_at(guild_id, user_id, self.bot.clock.now())

    async def _day_at(self, guild_id: int, user_id: int, instant: datetime) -> date:
        return await service.local_today(self.bot.db, guild_id, user_id, instant)

    # --- Autocomplete ---------------------------------------------------------------------

    async def suggest_new(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        # Suggestions only: whatever the member types is taken as it is.
        return matching(
            [(n, n) for n in self.bot.content.substances.names], current, service.normalise
        )

    async def suggest_mine(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        mine = await service.substances_of(self.bot.db, guild_of(interaction), interaction.user.id)
        return matching([(n, n) for n in mine], current, service.normalise)

    # --- /sober ---------------------------------------------------------------------------

    @sober.command(name="start", description=texts.START_DESCRIPTION)
    @app_commands.describe(
        substance=texts.PARAM_SUBSTANCE, since=texts.PARAM_SINCE, daily_cost=texts.PARAM_COST
    )
    @app_commands.autocomplete(substance=suggest_new)
    async def start(
        self,
        interaction: discord.Interaction,
        substance: app_commands.Range[str, 1, 100],
        since: app_commands.Range[str, 1, 40] | None = None,
        daily_cost: app_commands.Range[str, 1, 20] | None = None,
    ) -> None:
        guild_id, user_id = guild_of(interaction), interaction.user.id
        # Everything typed is read before anything is written: a refusal changes nothing.
        first_day = (
            service.parse_day(since, await self._today(guild_id, user_id)) if since else None
        )
        cents = service.parse_cost(daily_cost) if daily_cost else None
        counter = await service.start(
            self.bot.db,
            guild_id,
            user_id,
            substance,
            first_day,
            self.bot.clock.now(),
            self.milestones,
            daily_cost_cents=cents,
        )
        log.info("Sober-day counter started in guild %s", guild_id)
        lines = [
            texts.STARTED.format(
                substance=counter.substance, since=views.day_phrase(counter.since)
            ),
            texts.STARTED_SO_FAR.format(days=counted(counter.days, texts.DAYS))
            if counter.days
            else texts.STARTED_TODAY,
            *self._next_line(counter),
            texts.PRIVATE_NOTE,
        ]
        await interaction.response.send_message("\n".join(lines), ephemeral=True)

    @sober.command(name="show", description=texts.SHOW_DESCRIPTION)
    async def show(self, interaction: discord.Interaction) -> None:
        counters = await self._counters(guild_of(interaction), interaction.user.id)
        if not counters:
            await interaction.response.send_message(texts.SHOW_EMPTY, ephemeral=True)
            return
        blocks = ["\n".join(self._describe(counter)) for counter in counters]
        await interaction.response.send_message(
            "\n\n".join([*blocks, texts.PRIVATE_NOTE]), ephemeral=True
        )

    @sober.command(name="reset", description=texts.RESET_DESCRIPTION)
    @app_commands.describe(substance=texts.PARAM_MY_SUBSTANCE, on=texts.PARAM_ON)
    @app_commands.autocomplete(substance=suggest_mine)
    async def reset(
        self,
        interaction: discord.Interaction,
        substance: app_commands.Range[str, 1, 100],
        on: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        guild_id, user_id = guild_of(interaction), interaction.user.id
        today = await self._today(guild_id, user_id)
        day = service.parse_day(on, today) if on else today
        counter = await self._counter_named(guild_id, user_id, substance)
        await self._ask_to_reset(interaction, counter, day)

    @sober.command(name="history", description=texts.HISTORY_DESCRIPTION)
    @app_commands.describe(substance=texts.PARAM_HISTORY_SUBSTANCE)
    @app_commands.autocomplete(substance=suggest_mine)
    async def history(
        self,
        interaction: discord.Interaction,
        substance: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild_id, user_id = guild_of(interaction), interaction.user.id
        await interaction.response.defer(ephemeral=True, thinking=True)
        counters = await service.history(
            self.bot.db, guild_id, user_id, substance, self.bot.clock.now()
        )
        if not counters:
            await interaction.followup.send(texts.HISTORY_EMPTY, ephemeral=True)
            return
        png = await asyncio.to_thread(
            chart.history_png, counters, await self._today(guild_id, user_id)
        )
        await interaction.followup.send(
            texts.HISTORY_CAPTION,
            file=discord.File(io.BytesIO(png), filename="sober-days.png"),
            ephemeral=True,
        )

    @sober.command(name="share", description=texts.SHARE_DESCRIPTION)
    @app_commands.describe(state=texts.PARAM_STATE)
    async def share(self, interaction: discord.Interaction, state: OnOff) -> None:
        guild_id = guild_of(interaction)
        await service.set_sharing(self.bot.db, guild_id, interaction.user.id, state == "on")
        if state == "off":
            text = texts.SHARE_OFF
        elif self.bot.guild_settings.cached(guild_id).milestones_channel_id is None:
            text = texts.SHARE_ON_NO_CHANNEL
        else:
            text = texts.SHARE_ON
        await interaction.response.send_message(text, ephemeral=True)

    @sober.command(name="delete", description=texts.DELETE_DESCRIPTION)
    @app_commands.describe(substance=texts.PARAM_MY_SUBSTANCE)
    @app_commands.autocomplete(substance=suggest_mine)
    async def delete(
        self, interaction: discord.Interaction, substance: app_commands.Range[str, 1, 100]
    ) -> None:
        user_id = interaction.user.id
        counter = await self._counter_named(guild_of(interaction), user_id, substance)
        await interaction.response.send_message(
            texts.DELETE_CONFIRM.format(substance=counter.substance),
            view=views.confirm_delete_view(user_id, counter.id),
            ephemeral=True,
        )

    # --- The buttons (views.SoberActions) ---------------------------------------------------

    async def offer_reset(
        self, interaction: discord.Interaction, owner_id: int, counter_id: int
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        guild_id = guild_of(interaction)
        counter = await self._counter_by_id(guild_id, owner_id, counter_id)
        await self._ask_to_reset(interaction, counter, await self._today(guild_id, owner_id))

    async def confirm_reset(
        self, interaction: discord.Interaction, owner_id: int, counter_id: int, back: int
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        guild_id = guild_of(interaction)
        counter = await self._counter_by_id(guild_id, owner_id, counter_id)
        # The day the confirmation named: `back` days before the member's local day at the
        # moment they were asked, which Discord keeps on the confirmation's message (so a
        # press after midnight still means that day). A message no interaction of theirs
        # made is no confirmation of theirs.
        asked = interaction.message.interaction_metadata if interaction.message else None
        if asked is None or asked.user.id != owner_id:
            raise UserFacingError(texts.NOT_YOURS)
        day = await self._day_at(guild_id, owner_id, asked.created_at) - timedelta(days=back)
        restarted = await service.reset(
            self.bot.db,
            guild_id,
            owner_id,
            counter.substance,
            day,
            self.bot.clock.now(),
            self.milestones,
        )
        log.info("Sober-day counter reset in guild %s", guild_id)
        welcome = with_plan(
            texts.RESET_WELCOME.format(
                substance=restarted.substance,
                since=views.day_phrase(restarted.since),
                strategies=and_list(suggestions(self.bot.content.coping, True, True)),
                help=help_offer.button_offer(self.bot.guild_settings.cached(guild_id)),
            ),
            self.bot.plans.highlights(guild_id, owner_id),
        )
        # The confirmation becomes the welcome, so it cannot be pressed twice.
        await interaction.response.edit_message(content=welcome, view=views.support_view())

    async def confirm_delete(
        self, interaction: discord.Interaction, owner_id: int, counter_id: int
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        guild_id = guild_of(interaction)
        counter = await self._counter_by_id(guild_id, owner_id, counter_id)
        await service.delete(
            self.bot.db, guild_id, owner_id, counter.substance, self.bot.clock.now()
        )
        log.info("Sober-day counter deleted in guild %s", guild_id)
        await interaction.response.edit_message(
            content=texts.DELETED.format(substance=counter.substance), view=None
        )

    async def keep(self, interaction: discord.Interaction, owner_id: int) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        await interaction.response.edit_message(content=texts.KEPT, view=None)

    # --- What replies say -------------------------------------------------------------------

    async def _ask_to_reset(
        self, interaction: discord.Interaction, counter: service.Counter, day: date
    ) -> None:
        # The button carries the day as days back from the member's day now (a date in a
        # custom_id would reach the log of a refused press), "now" being this interaction's
        # own time, which the confirmation's message keeps for `confirm_reset` to read.
        asked_on = await self._day_at(
            guild_of(interaction), interaction.user.id, interaction.created_at
        )
        await interaction.response.send_message(
            texts.RESET_CONFIRM.format(substance=counter.substance, day=views.day_phrase(day)),
            view=views.confirm_reset_view(interaction.user.id, counter.id, (asked_on - day).days),
            ephemeral=True,
        )

    def _describe(self, counter: service.Counter) -> list[str]:
        lines = [
            texts.SHOW_COUNTER.format(
                substance=counter.substance,
                days=counted(counter.days, texts.DAYS),
                since=views.day_phrase(counter.since),
            )
        ]
        if counter.longest_days > counter.days:
            lines.append(texts.SHOW_LONGEST.format(days=counted(counter.longest_days, texts.DAYS)))
        if counter.saved_cents is not None:
            lines.append(texts.SHOW_SAVED.format(amount=views.money_phrase(counter.saved_cents)))
        return lines + self._next_line(counter)

    @staticmethod
    def _next_line(counter: service.Counter) -> list[str]:
        on = counter.since + timedelta(days=counter.next_milestone)
        return [
            texts.SHOW_NEXT.format(
                days=counted(counter.next_milestone, texts.DAYS), on=views.day_phrase(on)
            )
        ]
