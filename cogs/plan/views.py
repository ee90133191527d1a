"""The plan's controls: the menus a member picks coping strategies, warning signs and
triggers from, the button that opens the form for their own words, and the forms.

Menus and buttons are dynamic items (see `core.forms`), so a menu still works after a
restart; their custom_ids carry the id of the member they were shown to and which list
they are, never what was picked. Forms are `InertForm`s answered in the cog's
`on_interaction`. The cog refuses a press by anyone but the member.

The views know nothing of the cog: each control calls one method of `PlanActions`.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, Self

import discord

from cogs.plan import texts
from cogs.plan.service import WRITTEN, Part, Plan
from core.forms import Controls, InertForm

FORM_PREFIX = "plan:form:"
# Discord: a menu has at most 25 options, each label and value at most 100 characters.
MENU_OPTIONS_MAX = 25
OPTION_TEXT_MAX = 100
# Which list each menu picks from: its custom_id names it, the cog knows its options.
MENUS = ("coping_picked", "signs_picked", "triggers_picked")


class PlanActions(Protocol):
    """What the plan's controls ask of the feature. Each method checks that the person
    pressing is `owner_id` and answers the interaction itself."""

    async def pick(
        self, interaction: discord.Interaction, owner_id: int, column: str, picked: list[str]
    ) -> None:
        """Save what the member picked from one list."""

    async def open_form(self, interaction: discord.Interaction, owner_id: int, part: Part) -> None:
        """Open the form for the member's own words in this part."""


controls: Controls[PlanActions] = Controls("relapse-prevention plan")


@controls.item
class PickMenu(
    discord.ui.DynamicItem[discord.ui.Select[Any]],
    template=r"plan:pick:(?P<owner>[0-9]{1,20}):(?P<column>[a-z_]{1,20})",
):
    """A list to pick from: `plan:pick:<member>:<column>`."""

    def __init__(self, select: discord.ui.Select[Any], owner_id: int, column: str) -> None:
        super().__init__(select)
        self.owner_id = owner_id
        self.column = column

    @classmethod
    def of(
        cls,
        owner_id: int,
        column: str,
        placeholder: str,
        choices: Sequence[tuple[str, str]],
        chosen: Sequence[str],
    ) -> PickMenu:
        """A menu of (value, label) choices, those already chosen shown picked."""
        options = [
            discord.SelectOption(
                label=label[:OPTION_TEXT_MAX],
                value=value[:OPTION_TEXT_MAX],
                default=value in chosen,
            )
            for value, label in choices[:MENU_OPTIONS_MAX]
        ]
        return cls(
            discord.ui.Select(
                custom_id=f"plan:pick:{owner_id}:{column}",
                placeholder=placeholder,
                min_values=0,
                max_values=len(options),
                options=options,
            ),
            owner_id,
            column,
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        if not isinstance(item, discord.ui.Select):
            raise TypeError("a plan menu's custom_id is not on a menu")
        return cls(item, int(match["owner"]), match["column"])

    async def callback(self, interaction: discord.Interaction) -> None:
        picked = list(self.item.values)
        await controls.run(
            interaction,
            lambda actions: actions.pick(interaction, self.owner_id, self.column, picked),
        )


@controls.item
class WriteOwnButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"plan:write:(?P<owner>[0-9]{1,20}):(?P<part>[a-z]{1,20})",
):
    """Opens the form for the member's own words: `plan:write:<member>:<part>`."""

    def __init__(self, owner_id: int, part: Part) -> None:
        super().__init__(
            discord.ui.Button(
                label=texts.WRITE_OWN_BUTTON,
                style=discord.ButtonStyle.secondary,
                custom_id=f"plan:write:{owner_id}:{part.value}",
            )
        )
        self.owner_id = owner_id
        self.part = part

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["owner"]), Part(match["part"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(
            interaction, lambda actions: actions.open_form(interaction, self.owner_id, self.part)
        )


def picker_view(owner_id: int, part: Part, menus: Sequence[PickMenu]) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    for menu in menus:
        view.add_item(menu)
    view.add_item(WriteOwnButton(owner_id, part))
    return view


class PlanForm(InertForm):
    """One part's form, filled with what the member wrote before."""

    def __init__(self, part: Part, plan: Plan | None) -> None:
        super().__init__(title=texts.PART_NAMES[part.value], custom_id=f"{FORM_PREFIX}{part.value}")
        for field in WRITTEN[part]:
            before = plan.value(field.column) if plan else None
            self.add_item(
                discord.ui.TextInput(
                    custom_id=field.column,
                    label=field.label,
                    placeholder=field.placeholder,
                    style=discord.TextStyle.paragraph,
                    default=before,
                    required=False,
                    max_length=field.max_length,
                )
            )


def form_part(custom_id: str | None) -> Part | None:
    """The part a submitted form is for, or None for any other form."""
    if custom_id is None or not custom_id.startswith(FORM_PREFIX):
        return None
    try:
        return Part(custom_id.removeprefix(FORM_PREFIX))
    except ValueError:
        return None
