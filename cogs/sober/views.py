"""The sober-day counters' buttons: the confirmations of a reset and of a delete, and the
offer, under the check-in's "I used today" reply, to start a count again.

Every button is a `core.forms.IdButton`, so it keeps working after a restart. Its
custom_id carries the id of the member it was shown to and the counter's id, never the
substance or a date (which counter a member keeps, and the day they began again, are
health data, and a refused press logs its custom_id): a reset's day is carried as how many
days before the day it was asked (0 for "from today"; below 0 only where the bot's clock
runs ahead of Discord's, as in the sandbox). The cog refuses a press by anyone else. The
`helpnow:open` button under a reset's reply is the check-in feature's, answered by
/help-now.

The views know nothing of the cog: each button calls one method of `SoberActions`,
which the cog implements and registers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date
from typing import Any, Protocol, Self

import discord

from cogs.checkins.views import help_now_button
from cogs.sober import texts
from core.forms import Controls, IdButton

LABEL_LIMIT = 80
# Discord shows at most five buttons in a row; the offer fits in one.
OFFER_LIMIT = 5


class SoberActions(Protocol):
    """What the counters' buttons ask of the feature, one method per button. Each method
    checks that the person pressing is `owner_id` and answers the interaction itself."""

    async def offer_reset(
        self, interaction: discord.Interaction, owner_id: int, counter_id: int
    ) -> None:
        """The check-in's offer was taken: ask to confirm a reset from today."""

    async def confirm_reset(
        self, interaction: discord.Interaction, owner_id: int, counter_id: int, back: int
    ) -> None:
        """Start the count again `back` days before the day the member was asked (the
        day the confirmation named), keeping the run that ends."""

    async def confirm_delete(
        self, interaction: discord.Interaction, owner_id: int, counter_id: int
    ) -> None:
        """Delete the counter and its history."""

    async def keep(self, interaction: discord.Interaction, owner_id: int) -> None:
        """The member chose not to go ahead: nothing changes."""


controls: Controls[SoberActions] = Controls("sober-day counters")
OWNER = ("owner",)
COUNTER = ("owner", "counter")


@controls.item
class OfferResetButton(IdButton, prefix="sober:offer", ids=COUNTER):
    """Named after its counter where the offer shows several: the label is the message's."""

    label = texts.OFFER_BUTTON

    def __init__(self, owner_id: int, counter_id: int, *, label: str = "") -> None:
        super().__init__(owner_id, counter_id)
        self.item.label = label or self.label

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        label = str(getattr(item, "label", "") or "")
        return cls(int(match["owner"]), int(match["counter"]), label=label)

    async def callback(self, interaction: discord.Interaction) -> None:
        owner_id, counter_id = self.ids
        await controls.run(
            interaction, lambda actions: actions.offer_reset(interaction, owner_id, counter_id)
        )


@controls.item
class ConfirmResetButton(
    IdButton, prefix="sober:reset", ids=(*COUNTER, "back"), numbers={"back": "-?[0-9]{1,6}"}
):
    label = texts.RESET_YES_BUTTON
    style = discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        owner_id, counter_id, back = self.ids
        await controls.run(
            interaction,
            lambda actions: actions.confirm_reset(interaction, owner_id, counter_id, back),
        )


@controls.item
class ConfirmDeleteButton(IdButton, prefix="sober:delete", ids=COUNTER):
    label = texts.DELETE_YES_BUTTON
    style = discord.ButtonStyle.danger

    async def callback(self, interaction: discord.Interaction) -> None:
        owner_id, counter_id = self.ids
        await controls.run(
            interaction, lambda actions: actions.confirm_delete(interaction, owner_id, counter_id)
        )


@controls.item
class KeepButton(IdButton, prefix="sober:keep", ids=OWNER):
    label = texts.KEEP_BUTTON

    async def callback(self, interaction: discord.Interaction) -> None:
        [owner_id] = self.ids
        await controls.run(interaction, lambda actions: actions.keep(interaction, owner_id))


# --- How replies say days and money ---------------------------------------------------------


def day_phrase(day: date) -> str:
    return f"{day.day} {day:%B %Y}"


def money_phrase(cents: int) -> str:
    # No currency sign: the member gave the amount in theirs, and we don't know which.
    return f"{cents / 100:,.2f}"


# --- What messages carry ------------------------------------------------------------------


def confirm_reset_view(owner_id: int, counter_id: int, back: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmResetButton(owner_id, counter_id, back))
    view.add_item(KeepButton(owner_id))
    return view


def confirm_delete_view(owner_id: int, counter_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(ConfirmDeleteButton(owner_id, counter_id))
    view.add_item(KeepButton(owner_id))
    return view


def support_view() -> discord.ui.View:
    """Under a reset's welcome: the /help-now button."""
    view = discord.ui.View(timeout=None)
    view.add_item(help_now_button())
    return view


def offer_view(owner_id: int, counters: Sequence[tuple[int, str]]) -> discord.ui.View:
    """A button per counter (`(id, substance)`, at most five) to start it again from today;
    with one counter the button needs no name."""
    view = discord.ui.View(timeout=None)
    shown = counters[:OFFER_LIMIT]
    for counter_id, substance in shown:
        label = texts.OFFER_BUTTON if len(shown) == 1 else _offer_label(substance)
        view.add_item(OfferResetButton(owner_id, counter_id, label=label))
    return view


def _offer_label(substance: str) -> str:
    room = LABEL_LIMIT - len(texts.OFFER_BUTTON_FOR.format(substance=""))
    name = substance if len(substance) <= room else substance[: room - 1] + "…"
    return texts.OFFER_BUTTON_FOR.format(substance=name)
