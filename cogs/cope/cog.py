"""/cope: coping exercises for a hard moment, each in one private message.

The Discord layer only: who is asking and may they, what they typed, what to show. What
each exercise shows, frame by frame, is `exercises`; the words are `texts`. Nothing
here is awaited before the first reply but memory (the content, `bot.plans`), so /cope
answers well inside Discord's 3 seconds with the database slow or down.

Guided exercises (paced breathing, the urge-surfing timer) are tasks this cog keeps, by
the id of the message they edit. A Stop, an unload, or the end of the token's life ends
them; each is awaited before anything else touches its message, so no edit ever lands
after a stop. Logs carry ids and what happened, never what a member wrote.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, cast
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands
from sqlalchemy import select

from cogs.checkins.views import help_now_button
from cogs.cope import exercises, texts, views
from config.content import CopingContent, CopingStrategy, CopingTrigger
from core import help_offer
from core.choices import loose, matching
from core.error_handler import report_interaction_error
from core.errors import UserFacingError
from core.forms import submitted_form_id, submitted_values
from core.member_data import STORED_EVENT
from core.messages import pack
from core.permissions import Audience, for_audience, guild_of, require_owner
from core.timezones import member_zone
from db.models import JournalEntry

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

KEPT_ENTRIES_SHOWN = 5
# A Stop waits this long for the exercise to end before it answers, well inside the 3 s
# Discord gives the press: a wait ends at once, an edit on its way within a second.
STOP_WAIT_SECONDS = 2.0
# At shutdown, how long the exercises get to end and their messages to say why.
SHUTDOWN_WAIT_SECONDS = 5.0
# If a group removed every journaling strategy, entries from forms already open still
# need a strategy id.
JOURNAL_FALLBACK_ID = "journaling"


@dataclass
class Running:
    """A guided exercise editing its message, and until when its token may edit."""

    interaction: discord.Interaction
    strategy: CopingStrategy
    deadline: float
    task: asyncio.Task[None] = field(init=False)
    # Only a wait is ever cancelled: an edit already on its way to Discord would land
    # after whatever answered the stop, so a stop lets it arrive first.
    waiting: bool = False
    stopping: bool = False
    # The closing text was sent: a restart has nothing left to say over it.
    closed: bool = False

    def stop_asked(self) -> bool:
        # A method, not the attribute: a stop arrives while the task awaits, which the
        # type checker's narrowing of `stopping` cannot see.
        return self.stopping

    async def end(self, within: float) -> bool:
        """End the exercise: at once while it waits, after its edit while it edits.
        Whether it ended within `within` seconds (cancelled anyway if not)."""
        self.stopping = True
        if self.waiting:
            self.task.cancel()
        done, _ = await asyncio.wait([self.task], timeout=within)
        if not done:
            self.task.cancel()
        return bool(done)


class CopeCog(commands.Cog):
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        # Tests swap in a clock they move, so no test waits for real seconds.
        self.pacing = exercises.Pacing()
        self.running: dict[int, Running] = {}

    @property
    def coping(self) -> CopingContent:
        return self.bot.content.coping

    # --- Start and stop -------------------------------------------------------------------

    async def cog_load(self) -> None:
        views.controls.register(self.bot, self)

    async def cog_unload(self) -> None:
        await self._stop_all_for_restart()
        views.controls.unregister(self.bot)

    async def _stop_all_for_restart(self) -> None:
        stopping = list(self.running.values())
        self.running.clear()
        if not stopping:
            return
        await asyncio.gather(*(entry.end(SHUTDOWN_WAIT_SECONDS) for entry in stopping))
        telling = [asyncio.create_task(self._say_restarting(entry)) for entry in stopping]
        _, late = await asyncio.wait(telling, timeout=SHUTDOWN_WAIT_SECONDS)
        for task in late:
            task.cancel()
        if late:
            await asyncio.wait(late)
        log.info("Coping exercises stopped for a restart: %d", len(stopping))

    async def _say_restarting(self, entry: Running) -> None:
        if entry.closed or self.pacing.now() >= entry.deadline:
            return  # closed already, or the token no longer edits
        try:
            await entry.interaction.edit_original_response(
                content=exercises.restarting_text(entry.strategy), view=None
            )
        except Exception as error:  # shutting down: nothing more can be done for it
            log.warning(
                "Could not say a coping exercise stopped, in guild %s (%s)",
                entry.interaction.guild_id,
                type(error).__name__,
            )

    # --- Looking strategies up --------------------------------------------------------------

    def _strategy(self, typed: str) -> CopingStrategy:
        found = self.coping.strategy(typed.strip())
        if found is None:
            found = next((s for s in self.coping.strategies if loose(s.name) == loose(typed)), None)
        if found is None:
            raise UserFacingError(texts.UNKNOWN_STRATEGY.format(typed=typed.strip()))
        return found

    def _trigger(self, typed: str) -> CopingTrigger:
        found = self.coping.trigger(typed.strip())
        if found is None:
            found = next((t for t in self.coping.triggers if loose(t.name) == loose(typed)), None)
        if found is None:
            raise UserFacingError(texts.UNKNOWN_TRIGGER.format(typed=typed.strip()))
        return found

    def _strategy_by_id(self, strategy_id: str) -> CopingStrategy:
        found = self.coping.strategy(strategy_id)
        if found is None:
            raise UserFacingError(texts.STRATEGY_GONE)
        return found

    # --- Autocomplete ---------------------------------------------------------------------

    async def suggest_strategy(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return matching([(s.name, s.id) for s in self.coping.strategies], current)

    async def suggest_trigger(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return matching([(t.name, t.id) for t in self.coping.triggers], current)

    # --- /cope ----------------------------------------------------------------------------

    @app_commands.command(
        name="cope", description=texts.COMMAND_DESCRIPTION, extras=for_audience(Audience.MEMBERS)
    )
    @app_commands.guild_only()
    @app_commands.rename(for_="for")
    @app_commands.describe(strategy=texts.PARAM_STRATEGY, for_=texts.PARAM_FOR)
    @app_commands.autocomplete(strategy=suggest_strategy, for_=suggest_trigger)
    async def cope(
        self,
        interaction: discord.Interaction,
        strategy: app_commands.Range[str, 1, 100] | None = None,
        for_: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        # A chosen exercise is the most direct ask: it wins over a trigger.
        if strategy is not None:
            await self._start(interaction, self._strategy(strategy))
        elif for_ is not None:
            await self._suggest(interaction, self._trigger(for_))
        else:
            await self._list_all(interaction)

    async def _list_all(self, interaction: discord.Interaction) -> None:
        lines = "\n".join(exercises.listing(self.coping.strategies))
        await self._reply(interaction, [f"{texts.LIST_HEADER}\n{lines}", texts.LIST_HINT])

    async def _suggest(self, interaction: discord.Interaction, trigger: CopingTrigger) -> None:
        strategies = exercises.strategies_for(trigger, self.coping.strategy)
        header = texts.FOR_HEADER.format(trigger=trigger.name)
        lines = "\n".join(exercises.listing(strategies))
        await self._reply(
            interaction,
            [f"{header}\n{lines}", texts.FOR_HINT],
            view=views.start_view(interaction.user.id, strategies),
        )

    async def _start(self, interaction: discord.Interaction, strategy: CopingStrategy) -> None:
        owner_id = interaction.user.id
        log.info("Coping exercise started in guild %s (%s)", interaction.guild_id, strategy.id)
        if exercises.is_guided(strategy):
            await self._guide(interaction, strategy)
        elif strategy.exercise == "journal":
            await interaction.response.send_message(
                exercises.journal_text(strategy), view=views.journal_view(owner_id), ephemeral=True
            )
        elif strategy.exercise == "call":
            guild_id = guild_of(interaction)
            highlights = self.bot.plans.highlights(guild_id, owner_id)
            supports = highlights.supports if highlights else None
            view = None
            if not (supports and supports.strip()):
                view = discord.ui.View(timeout=None)
                view.add_item(help_now_button())
            offer = help_offer.button_offer(self.bot.guild_settings.cached(guild_id))
            blocks = exercises.call_blocks(strategy, supports, offer)
            await self._reply(interaction, blocks, view=view)
        else:
            last = exercises.is_last_step(strategy, 0)
            await interaction.response.send_message(
                exercises.stepped_text(strategy, 0),
                view=discord.utils.MISSING if last else views.step_view(owner_id, strategy.id, 1),
                ephemeral=True,
            )

    async def _reply(
        self,
        interaction: discord.Interaction,
        blocks: list[str],
        *,
        view: discord.ui.View | None = None,
    ) -> None:
        """Blocks in as few private messages as fit, any buttons under the last."""
        messages = pack(blocks)
        for number, text in enumerate(messages):
            last = number == len(messages) - 1
            shown = view if last and view is not None else discord.utils.MISSING
            if number == 0:
                await interaction.response.send_message(text, view=shown, ephemeral=True)
            else:
                await interaction.followup.send(text, view=shown, ephemeral=True)

    # --- Guided exercises -----------------------------------------------------------------

    async def _guide(self, interaction: discord.Interaction, strategy: CopingStrategy) -> None:
        # The token's life starts with the member's press, before this reply: the
        # deadline taken now is later than the true one by at most the 3 s a reply may
        # take, which the safety margin covers.
        deadline = self.pacing.deadline()
        frames = exercises.guided_frames(strategy)
        sent = await interaction.response.send_message(
            frames[0].text, view=views.stop_view(interaction.user.id), ephemeral=True
        )
        message_id = sent.message_id
        if message_id is None:
            message_id = (await interaction.original_response()).id
        entry = Running(interaction, strategy, deadline)
        entry.task = asyncio.create_task(self._run(entry, frames, message_id))
        self.running[message_id] = entry

    async def _run(self, entry: Running, frames: list[exercises.Frame], message_id: int) -> None:
        """Each frame after the first as one edit, when the one before has had its time."""
        interaction, strategy = entry.interaction, entry.strategy
        try:
            shown = frames[0]
            for frame in frames[1:]:
                if self.pacing.now() + shown.seconds > entry.deadline:
                    # Past this the token stops working: end now, while an edit still can.
                    await interaction.edit_original_response(
                        content=exercises.ended_at_limit_text(strategy), view=None
                    )
                    entry.closed = True
                    log.info(
                        "Coping exercise reached the token's limit in guild %s",
                        interaction.guild_id,
                    )
                    return
                entry.waiting = True
                try:
                    await self.pacing.sleep(shown.seconds)
                finally:
                    entry.waiting = False
                if entry.stop_asked():
                    return
                if frame is frames[-1]:
                    await interaction.edit_original_response(content=frame.text, view=None)
                    entry.closed = True
                else:
                    # Content only: the Stop button stays as it was sent.
                    await interaction.edit_original_response(content=frame.text)
                if entry.stop_asked():
                    return
                shown = frame
            log.info("Coping exercise finished in guild %s", interaction.guild_id)
        except discord.HTTPException as error:
            # Most often the member dismissed the message; there is nothing left to guide.
            log.info(
                "Coping exercise ended: its message could not be edited in guild %s (%s)",
                interaction.guild_id,
                error.status,
            )
        finally:
            if self.running.get(message_id) is entry:
                del self.running[message_id]

    # --- The buttons (views.CopeActions) ----------------------------------------------------

    async def start(
        self, interaction: discord.Interaction, owner_id: int, strategy_id: str
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        await self._start(interaction, self._strategy_by_id(strategy_id))

    async def next_step(
        self, interaction: discord.Interaction, owner_id: int, strategy_id: str, index: int
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        strategy = self._strategy_by_id(strategy_id)
        # The steps may have been shortened since the button was sent.
        index = min(max(index, 0), len(strategy.steps) - 1)
        last = exercises.is_last_step(strategy, index)
        await interaction.response.edit_message(
            content=exercises.stepped_text(strategy, index),
            view=None if last else views.step_view(owner_id, strategy.id, index + 1),
        )

    async def stop(self, interaction: discord.Interaction, owner_id: int) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        message_id = interaction.message.id if interaction.message else None
        entry = self.running.pop(message_id, None) if message_id is not None else None
        if entry is not None:
            # Ended before the answer edits the message, so no frame lands after it.
            if not await entry.end(STOP_WAIT_SECONDS):
                log.warning("A coping exercise was slow to stop in guild %s", interaction.guild_id)
            log.info("Coping exercise stopped by the member in guild %s", interaction.guild_id)
        await interaction.response.edit_message(
            content=exercises.stopped_text(entry.strategy if entry else None), view=None
        )

    async def open_journal(
        self, interaction: discord.Interaction, owner_id: int, keep: bool
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        await interaction.response.send_modal(views.JournalForm(keep))

    async def read_journal(self, interaction: discord.Interaction, owner_id: int) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        guild_id = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.guild_session(guild_id) as session:
            zone = await member_zone(session, guild_id, owner_id)
            newest = (
                await session.scalars(
                    select(JournalEntry)
                    .where(JournalEntry.guild_id == guild_id, JournalEntry.user_id == owner_id)
                    .order_by(JournalEntry.written_at.desc(), JournalEntry.id.desc())
                    .limit(KEPT_ENTRIES_SHOWN)
                )
            ).all()
        if not newest:
            await interaction.followup.send(texts.NO_KEPT_ENTRIES, ephemeral=True)
            return
        entries = [
            texts.KEPT_ENTRY.format(day=_day_phrase(entry, zone), text=entry.text)
            for entry in reversed(newest)  # read like a journal: oldest of them first
        ]
        for text in pack([texts.KEPT_HEADER, *entries]):
            await interaction.followup.send(text, ephemeral=True)

    # --- The journaling form --------------------------------------------------------------

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every submit of the journaling form, whenever and by whichever process it was
        opened (the form is never stored: see `core.forms`)."""
        form = submitted_form_id(interaction)
        if form not in (views.FORM_KEPT, views.FORM_NOT_KEPT):
            return
        data = cast(dict[str, Any], interaction.data)
        try:
            await self.write_journal(
                interaction,
                submitted_values(data).get(views.ENTRY_FIELD_ID, ""),
                keep=form == views.FORM_KEPT,
            )
        except Exception as error:
            await report_interaction_error(interaction, error)

    async def write_journal(
        self, interaction: discord.Interaction, text: str, *, keep: bool
    ) -> None:
        guild_id = guild_of(interaction)
        # Discord's form holds 4,000 characters, but a client may send more: refused
        # whole, never cut, so what is kept is exactly what the member wrote.
        if len(text) > views.ENTRY_MAX_LENGTH:
            raise UserFacingError(
                texts.ENTRY_TOO_LONG.format(
                    length=f"{len(text):,}", most=f"{views.ENTRY_MAX_LENGTH:,}"
                )
            )
        if not text.strip():
            await interaction.response.send_message(texts.ENTRY_EMPTY, ephemeral=True)
            return
        if not keep:
            log.info("Journal entry written and let go in guild %s", guild_id)
            await interaction.response.send_message(texts.ENTRY_NOT_KEPT, ephemeral=True)
            return
        await interaction.response.defer(ephemeral=True, thinking=True)
        async with self.bot.db.guild_session(guild_id) as session, session.begin():
            session.add(
                JournalEntry(
                    guild_id=guild_id,
                    user_id=interaction.user.id,
                    strategy_id=self._journal_strategy_id(),
                    text=text,
                    written_at=self.bot.clock.now(),
                )
            )
        log.info("Journal entry kept in guild %s", guild_id)
        await interaction.followup.send(texts.ENTRY_KEPT, ephemeral=True)
        self.bot.dispatch(STORED_EVENT, interaction)

    def _journal_strategy_id(self) -> str:
        # The form's id says only whether to keep the entry; the journaling strategy is
        # the content's first (and, as shipped, only) one.
        found = next((s.id for s in self.coping.strategies if s.exercise == "journal"), None)
        return found or JOURNAL_FALLBACK_ID


def _day_phrase(entry: JournalEntry, zone: ZoneInfo) -> str:
    day = entry.written_at.astimezone(zone)
    return f"{day.day} {day:%B %Y}"
