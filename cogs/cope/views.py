"""/cope's buttons and the journaling form.

Every button is a dynamic item (see `core.forms`), so it keeps working after a restart.
Its custom_id carries the id of the member it was shown to and, where needed, a
strategy's id from the content (never anything the member wrote): the cog refuses a
press by anyone else. A stepped exercise carries the step to show next, so it needs no
memory at all; a Stop reaches the running exercise through the message it is on.

The views know nothing of the cog: each button calls one method of `CopeActions`, which
the cog implements and registers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol, Self

import discord

from cogs.cope import texts
from config.content import CopingStrategy
from core.forms import Controls, InertForm

# Discord shows at most five buttons in a row and takes labels of up to 80 characters.
BUTTONS_PER_ROW = 5
LABEL_LIMIT = 80
# What one journal entry may hold: Discord's own limit for a form's field.
ENTRY_MAX_LENGTH = 4000
ENTRY_FIELD_ID = "entry"
FORM_PREFIX = "cope:journal-form:"
FORM_NOT_KEPT = FORM_PREFIX + "0"
FORM_KEPT = FORM_PREFIX + "1"

_OWNER = r"(?P<owner>[0-9]{1,20})"
_STRATEGY = r"(?P<strategy>[a-z0-9-]{1,40})"


class CopeActions(Protocol):
    """What /cope's buttons ask of the feature, one method per button. Each method checks
    that the person pressing is `owner_id` and answers the interaction itself."""

    async def start(
        self, interaction: discord.Interaction, owner_id: int, strategy_id: str
    ) -> None:
        """Start one of the strategies suggested for a trigger."""

    async def next_step(
        self, interaction: discord.Interaction, owner_id: int, strategy_id: str, index: int
    ) -> None:
        """Show step `index` (from 0) of a stepped exercise in the same message."""

    async def stop(self, interaction: discord.Interaction, owner_id: int) -> None:
        """Stop the exercise running in this message, if any, and say so kindly."""

    async def open_journal(
        self, interaction: discord.Interaction, owner_id: int, keep: bool
    ) -> None:
        """Open the journaling form; `keep` says whether the entry is to be kept."""

    async def read_journal(self, interaction: discord.Interaction, owner_id: int) -> None:
        """Show the member their last kept entries, privately."""


controls: Controls[CopeActions] = Controls("coping exercises")


class _MemberButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    """A button shown to one member; subclasses say how their custom_id is built."""

    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, custom_id: str, owner_id: int, *, label: str = "") -> None:
        super().__init__(
            discord.ui.Button(label=label or self.label, style=self.style, custom_id=custom_id)
        )
        self.owner_id = owner_id

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(interaction, lambda actions: self.press(actions, interaction))

    async def press(self, actions: CopeActions, interaction: discord.Interaction) -> None:
        raise NotImplementedError


def _label_of(item: discord.ui.Item[Any]) -> str:
    return str(getattr(item, "label", "") or "")


@controls.item
class StartButton(_MemberButton, template=rf"cope:start:{_OWNER}:{_STRATEGY}"):
    style = discord.ButtonStyle.primary

    def __init__(self, owner_id: int, strategy_id: str, *, label: str = "") -> None:
        super().__init__(f"cope:start:{owner_id}:{strategy_id}", owner_id, label=label)
        self.strategy_id = strategy_id

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner"]), match["strategy"], label=_label_of(item))

    async def press(self, actions: CopeActions, interaction: discord.Interaction) -> None:
        await actions.start(interaction, self.owner_id, self.strategy_id)


@controls.item
class StepButton(
    _MemberButton, template=rf"cope:step:{_OWNER}:{_STRATEGY}:(?P<index>[0-9]{{1,2}})"
):
    label = texts.NEXT_BUTTON
    style = discord.ButtonStyle.primary

    def __init__(self, owner_id: int, strategy_id: str, index: int) -> None:
        super().__init__(f"cope:step:{owner_id}:{strategy_id}:{index}", owner_id)
        self.strategy_id = strategy_id
        self.index = index

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner"]), match["strategy"], int(match["index"]))

    async def press(self, actions: CopeActions, interaction: discord.Interaction) -> None:
        await actions.next_step(interaction, self.owner_id, self.strategy_id, self.index)


@controls.item
class StopButton(_MemberButton, template=rf"cope:stop:{_OWNER}"):
    label = texts.STOP_BUTTON

    def __init__(self, owner_id: int) -> None:
        super().__init__(f"cope:stop:{owner_id}", owner_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner"]))

    async def press(self, actions: CopeActions, interaction: discord.Interaction) -> None:
        await actions.stop(interaction, self.owner_id)


@controls.item
class JournalButton(_MemberButton, template=rf"cope:journal:{_OWNER}:(?P<keep>[01])"):
    def __init__(self, owner_id: int, keep: bool) -> None:
        super().__init__(
            f"cope:journal:{owner_id}:{int(keep)}",
            owner_id,
            label=texts.WRITE_AND_KEEP_BUTTON if keep else texts.WRITE_NOT_KEPT_BUTTON,
        )
        self.keep = keep

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner"]), match["keep"] == "1")

    async def press(self, actions: CopeActions, interaction: discord.Interaction) -> None:
        await actions.open_journal(interaction, self.owner_id, self.keep)


@controls.item
class ReadJournalButton(_MemberButton, template=rf"cope:journal-read:{_OWNER}"):
    label = texts.READ_KEPT_BUTTON

    def __init__(self, owner_id: int) -> None:
        super().__init__(f"cope:journal-read:{owner_id}", owner_id)

    @classmethod
    async def from_custom_id(
        cls, interaction: discord.Interaction, item: discord.ui.Item[Any], match: re.Match[str], /
    ) -> Self:
        return cls(int(match["owner"]))

    async def press(self, actions: CopeActions, interaction: discord.Interaction) -> None:
        await actions.read_journal(interaction, self.owner_id)


class JournalForm(InertForm):
    """The journaling form as sent (see `core.forms`): its submit reaches the cog's
    `on_interaction`, even after a restart. Whether the entry is kept is in its id."""

    def __init__(self, keep: bool) -> None:
        super().__init__(
            title=texts.FORM_TITLE_KEPT if keep else texts.FORM_TITLE,
            custom_id=FORM_KEPT if keep else FORM_NOT_KEPT,
        )
        self.add_item(
            discord.ui.TextInput(
                custom_id=ENTRY_FIELD_ID,
                label=texts.FORM_LABEL,
                placeholder=texts.FORM_PLACEHOLDER,
                style=discord.TextStyle.paragraph,
                max_length=ENTRY_MAX_LENGTH,
            )
        )


# --- What messages carry ------------------------------------------------------------------


def start_view(owner_id: int, strategies: Sequence[CopingStrategy]) -> discord.ui.View:
    """A Start button per strategy, in order, five to a row."""
    view = discord.ui.View(timeout=None)
    for number, strategy in enumerate(strategies):
        button = StartButton(owner_id, strategy.id, label=_start_label(strategy.name))
        button.row = number // BUTTONS_PER_ROW
        view.add_item(button)
    return view


def step_view(owner_id: int, strategy_id: str, index: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StepButton(owner_id, strategy_id, index))
    return view


def stop_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(StopButton(owner_id))
    return view


def journal_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(JournalButton(owner_id, keep=False))
    view.add_item(JournalButton(owner_id, keep=True))
    view.add_item(ReadJournalButton(owner_id))
    return view


def _start_label(name: str) -> str:
    room = LABEL_LIMIT - len(texts.START_BUTTON.format(name=""))
    shown = name if len(name) <= room else name[: room - 1] + "…"
    return texts.START_BUTTON.format(name=shown)
