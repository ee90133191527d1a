"""The meetings' one button: "I'm here", under a text or online meeting's opening round,
which counts the member who presses it as attending while the meeting is under way.

A dynamic item (see `core.forms`): it works after a restart, on any process. Its
custom_id carries only the occurrence's id; whoever presses it is the member counted, so
there is no "wrong person" for it, and the reply is private.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self

import discord

from cogs.meetings import texts
from core.forms import Controls


class MeetingActions(Protocol):
    async def here(self, interaction: discord.Interaction, occurrence_id: int) -> None:
        """Count the member who pressed as attending this occurrence, and tell them."""


controls: Controls[MeetingActions] = Controls("meetings")


@controls.item
class HereButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=r"meetings:here:(?P<occurrence>[0-9]{1,20})",
):
    def __init__(self, occurrence_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=texts.HERE_BUTTON,
                style=discord.ButtonStyle.primary,
                custom_id=f"meetings:here:{occurrence_id}",
            )
        )
        self.occurrence_id = occurrence_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["occurrence"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(
            interaction, lambda actions: actions.here(interaction, self.occurrence_id)
        )


def here_view(occurrence_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(HereButton(occurrence_id))
    return view
