"""The buttons under `/privacy delete`'s confirmation: Delete everything, Keep my data.

Both are `core.forms.IdButton`s, so a confirmation still works after a restart. The
custom_id carries only the id of the member it was shown to (`privacy:erase:<member>`),
never a server: the server is the one the press comes from, so a forged id can at most
name another member, and the cog refuses any press by someone other than that member.

The views know nothing of the cog: each button calls one method of `RightsActions`,
which the cog implements and registers.
"""

from __future__ import annotations

from typing import Protocol

import discord

from cogs.privacy import texts
from core.forms import Controls, IdButton


class RightsActions(Protocol):
    """What the confirmation's buttons ask of the feature. Each method checks that the
    person pressing is `owner_id` and answers the interaction itself."""

    async def confirm_erase(self, interaction: discord.Interaction, owner_id: int) -> None:
        """Erase everything about the member in this server."""

    async def keep_data(self, interaction: discord.Interaction, owner_id: int) -> None:
        """The member chose not to erase: nothing changes."""


controls: Controls[RightsActions] = Controls("privacy rights")


@controls.item
class EraseButton(IdButton, prefix="privacy:erase", ids=("owner",)):
    label = texts.DELETE_BUTTON
    style = discord.ButtonStyle.danger

    async def callback(self, interaction: discord.Interaction) -> None:
        [owner_id] = self.ids
        await controls.run(
            interaction, lambda actions: actions.confirm_erase(interaction, owner_id)
        )


@controls.item
class KeepDataButton(IdButton, prefix="privacy:keep", ids=("owner",)):
    label = texts.KEEP_BUTTON

    async def callback(self, interaction: discord.Interaction) -> None:
        [owner_id] = self.ids
        await controls.run(interaction, lambda actions: actions.keep_data(interaction, owner_id))


def confirm_erase_view(owner_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(EraseButton(owner_id))
    view.add_item(KeepDataButton(owner_id))
    return view
