"""The buttons under `/privacy delete`'s confirmation: Delete everything, Keep my data.

Both are dynamic items (see `core.forms`), so a confirmation still works after a
restart. The custom_id carries only the id of the member it was shown to
(`privacy:erase:<member>`), never a server: the server is the one the press comes from,
so a forged id can at most name another member, and the cog refuses any press by
someone other than that member.

The views know nothing of the cog: each button calls one method of `RightsActions`,
which the cog implements and registers.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self

import discord

from cogs.privacy import texts
from core.forms import Controls


class RightsActions(Protocol):
    """What the confirmation's buttons ask of the feature. Each method checks that the
    person pressing is `owner_id` and answers the interaction itself."""

    async def confirm_erase(self, interaction: discord.Interaction, owner_id: int) -> None:
        """Erase everything about the member in this server."""

    async def keep_data(self, interaction: discord.Interaction, owner_id: int) -> None:
        """The member chose not to erase: nothing changes."""


controls: Controls[RightsActions] = Controls("privacy rights")


class _OwnedButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    """A button shown to one member: `privacy:<action>:<member>`."""

    action = ""
    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, owner_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label,
                style=self.style,
                custom_id=f"privacy:{self.action}:{owner_id}",
            )
        )
        self.owner_id = owner_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["owner"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(interaction, lambda actions: self.press(actions, interaction))

    async def press(self, actions: RightsActions, interaction: discord.Interaction) -> None:
        raise NotImplementedError


@controls.item
class EraseButton(_OwnedButton, template=r"privacy:erase:(?P<owner>[0-9]{1,20})"):
    action = "erase"
    label = texts.DELETE_BUTTON
    style = discord.ButtonStyle.danger

    async def press(self, actions: RightsActions, interaction: discord.Interaction) -> None:
        await actions.confirm_erase(interaction, self.owner_id)


@controls.item
class KeepDataButton(_OwnedButton, template=r"privacy:keep:(?P<owner>[0-9]{1,20})"):
    action = "keep"
    label = texts.KEEP_BUTTON

    async def press(self, actions: RightsActions, interaction: discord.Interaction) -> None:
        await actions.keep_data(interaction, self.owner_id)


def confirm_erase_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EraseButton(owner_id))
    view.add_item(KeepDataButton(owner_id))
    return view
