"""The meetings' one button: "I'm here", under a text or online meeting's opening round,
which counts the member who presses it as attending while the meeting is under way.

An `IdButton` (see `core.forms`): it works after a restart, on any process. Its
custom_id carries only the occurrence's id; whoever presses it is the member counted, so
there is no "wrong person" for it, and the reply is private.
"""

from __future__ import annotations

from typing import Protocol

import discord

from cogs.meetings import texts
from core.forms import Controls, IdButton


class MeetingActions(Protocol):
    async def here(self, interaction: discord.Interaction, occurrence_id: int) -> None:
        """Count the member who pressed as attending this occurrence, and tell them."""


controls: Controls[MeetingActions] = Controls("meetings")


@controls.item
class HereButton(IdButton, prefix="meetings:here", ids=("occurrence",)):
    label = texts.HERE_BUTTON
    style = discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        [occurrence_id] = self.ids
        await controls.run(interaction, lambda actions: actions.here(interaction, occurrence_id))


def here_view(occurrence_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(HereButton(occurrence_id))
    return view
