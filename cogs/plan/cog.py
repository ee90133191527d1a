"""/plan: a member's relapse-prevention plan, written once in five parts, and a peer
specialist's read of a plan the member shared.

The Discord layer only: who is asking and may they, what they typed, what to show. The
rules live in `service`, the words in `texts`. Every reply is private. Each write also
updates the highlights in memory (`memory`) that /help-now, /cope and the check-ins show,
so they never wait on the database. Logs carry ids and what happened, never a word of
a plan.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.plan import render, service, texts, views
from cogs.plan.memory import PlanMemory
from cogs.plan.service import Part, Plan
from core.counting import counted
from core.error_handler import report_interaction_error
from core.errors import UserFacingError
from core.forms import submitted_form_id, submitted_values
from core.member_data import STORED_EVENT
from core.messages import pack
from core.permissions import Audience, for_audience, guild_of, require_owner, require_specialist
from core.plans import NO_PLANS

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]
PartName = Literal["routine", "supports", "coping", "signs", "emergency"]
PART_CHOICES = [
    app_commands.Choice(name=name, value=value) for value, name in texts.PART_NAMES.items()
]


class PlanCog(commands.Cog):
    plan = app_commands.Group(
        name="plan",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )

    def __init__(self, bot: RecoveryBot, memory: PlanMemory) -> None:
        self.bot = bot
        self.memory = memory

    async def cog_load(self) -> None:
        views.controls.register(self.bot, self)
        self.memory.replace_all(
            await service.all_highlights(self.bot.db, self.bot.content, self.bot.held_shards())
        )
        self.bot.plans = self.memory
        log.info("Plans with highlights in memory: %d", len(self.memory))

    async def cog_unload(self) -> None:
        views.controls.unregister(self.bot)
        if self.bot.plans is self.memory:
            self.bot.plans = NO_PLANS

    # --- Writing ------------------------------------------------------------------------

    async def _save(self, guild_id: int, user_id: int, changes: dict[str, str | None]) -> Plan:
        plan = await service.save(self.bot.db, guild_id, user_id, changes)
        self.memory.remember(guild_id, user_id, service.highlights(plan, self.bot.content))
        log.info("Plan changed in guild %s (%s)", guild_id, ", ".join(sorted(changes)))
        return plan

    def _choices(self, column: str) -> list[tuple[str, str]]:
        """A list's (value, label) choices as the content has them now."""
        coping = self.bot.content.coping
        if column == "coping_picked":
            return [(s.id, s.name) for s in coping.strategies]
        found = (
            coping.plan.warning_signs
            if column == "signs_picked"
            else self.bot.content.checkins.triggers
        )
        return [(text, text) for text in found]

    def _menus(self, owner_id: int, part: Part, plan: Plan | None) -> list[views.PickMenu]:
        menus = {
            Part.COPING: (("coping_picked", texts.COPING_MENU),),
            Part.SIGNS: (
                ("signs_picked", texts.SIGNS_MENU),
                ("triggers_picked", texts.TRIGGERS_MENU),
            ),
        }[part]
        return [
            views.PickMenu.of(
                owner_id,
                column,
                placeholder,
                self._choices(column),
                cast(tuple[str, ...], getattr(plan, column)) if plan else (),
            )
            for column, placeholder in menus
        ]

    # --- /plan ---------------------------------------------------------------------------

    @plan.command(name="show", description=texts.SHOW_DESCRIPTION)
    async def show(self, interaction: discord.Interaction) -> None:
        guild_id, user_id = guild_of(interaction), interaction.user.id
        plan = await service.plan_of(self.bot.db, guild_id, user_id)
        if plan is None or plan.is_empty:
            blocks = [texts.PLAN_EMPTY]
        else:
            blocks = [texts.SHOW_TITLE, *render.plan_blocks(plan, self.bot.content, own=True)]
        blocks.append(await self._sharing(guild_id, user_id, plan))
        await self._send_private(interaction, pack(["\n\n".join(blocks)]))

    async def _sharing(self, guild_id: int, user_id: int, plan: Plan | None) -> str:
        if plan is None or not plan.shared:
            return texts.SHARING_OFF
        assert plan.shared_changed_at is not None
        lines = [texts.SHARING_ON.format(when=discord.utils.format_dt(plan.shared_changed_at, "D"))]
        count, recent = await service.looks_at(self.bot.db, guild_id, user_id)
        if count:
            lines.append(texts.LOOKS.format(times=counted(count, texts.TIMES)))
            lines += [
                texts.LOOK_LINE.format(
                    viewer=f"<@{look.viewer_id}>",
                    when=discord.utils.format_dt(look.looked_at, "f"),
                )
                for look in recent
            ]
        return "\n".join(lines)

    @plan.command(name="edit", description=texts.EDIT_DESCRIPTION)
    @app_commands.describe(part=texts.PARAM_PART)
    @app_commands.choices(part=PART_CHOICES)
    async def edit(self, interaction: discord.Interaction, part: PartName) -> None:
        guild_id, user_id = guild_of(interaction), interaction.user.id
        chosen = Part(part)
        plan = await service.plan_of(self.bot.db, guild_id, user_id)
        if chosen in (Part.COPING, Part.SIGNS):
            intro = texts.PICK_COPING if chosen is Part.COPING else texts.PICK_SIGNS
            await interaction.response.send_message(
                intro,
                view=views.picker_view(user_id, chosen, self._menus(user_id, chosen, plan)),
                ephemeral=True,
            )
            return
        await interaction.response.send_modal(views.PlanForm(chosen, plan))

    @plan.command(name="share", description=texts.SHARE_DESCRIPTION)
    @app_commands.describe(share=texts.PARAM_SHARE)
    async def share(self, interaction: discord.Interaction, share: OnOff) -> None:
        guild_id, user_id = guild_of(interaction), interaction.user.id
        wanted = share == "on"
        _, changed = await service.set_shared(
            self.bot.db, guild_id, user_id, wanted, self.bot.clock.now()
        )
        if changed:
            log.info("Plan sharing turned %s in guild %s", share, guild_id)
            answer = texts.SHARED_NOW if wanted else texts.UNSHARED_NOW
        else:
            answer = texts.ALREADY_SHARED if wanted else texts.ALREADY_PRIVATE
        await interaction.response.send_message(answer, ephemeral=True)

    @plan.command(
        name="view", description=texts.VIEW_DESCRIPTION, extras=for_audience(Audience.SPECIALISTS)
    )
    @app_commands.describe(member=texts.PARAM_MEMBER)
    async def view(self, interaction: discord.Interaction, member: discord.Member) -> None:
        guild_id = guild_of(interaction)
        specialist = require_specialist(interaction)
        name = discord.utils.escape_markdown(member.display_name)
        plan = await service.look(
            self.bot.db, guild_id, member.id, specialist.id, self.bot.clock.now()
        )
        if plan is None:
            await interaction.response.send_message(
                texts.NOT_SHARED.format(member=name), ephemeral=True
            )
            return
        log.info("A specialist read a shared plan in guild %s", guild_id)
        blocks = [
            texts.VIEW_TITLE.format(member=name),
            *render.plan_blocks(plan, self.bot.content, own=False),
            texts.VIEW_FOOTER.format(member=name),
        ]
        await self._send_private(interaction, pack(["\n\n".join(blocks)]))

    async def _send_private(
        self, interaction: discord.Interaction, messages: Sequence[str]
    ) -> None:
        first, *more = messages
        await interaction.response.send_message(first, ephemeral=True)
        for message in more:
            await interaction.followup.send(message, ephemeral=True)

    # --- The controls (views.PlanActions) ------------------------------------------------

    async def pick(
        self, interaction: discord.Interaction, owner_id: int, column: str, picked: list[str]
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        if column not in views.MENUS:
            raise UserFacingError(texts.PICK_UNKNOWN)
        allowed = [value[: views.OPTION_TEXT_MAX] for value, _ in self._choices(column)]
        changes = service.picked_changes(column, picked, allowed)
        await self._save(guild_of(interaction), owner_id, changes)
        await interaction.response.send_message(texts.PICKED_SAVED, ephemeral=True)

    async def open_form(self, interaction: discord.Interaction, owner_id: int, part: Part) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOURS)
        plan = await service.plan_of(self.bot.db, guild_of(interaction), owner_id)
        await interaction.response.send_modal(views.PlanForm(part, plan))

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every submit of a plan form, whenever it was opened (see `core.forms`)."""
        part = views.form_part(submitted_form_id(interaction))
        if part is None:
            return
        try:
            typed = submitted_values(cast(dict[str, Any], interaction.data))
            changes = service.written_changes(part, typed)
            await self._save(guild_of(interaction), interaction.user.id, changes)
            await interaction.response.send_message(
                texts.SAVED.format(part=texts.PART_NAMES[part.value]), ephemeral=True
            )
            self.bot.dispatch(STORED_EVENT, interaction)
        except Exception as error:
            await report_interaction_error(interaction, error)
