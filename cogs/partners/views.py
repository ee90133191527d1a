"""An invitation's Accept and Decline buttons.

Dynamic items (see `core.forms`): they work after a restart, on any process, in a DM
(which has no server, so the custom_id carries the server's id with the invitation's).
Only the invitee may answer: the cog checks who pressed, since a private notice or a
forwarded message could put the buttons before someone else.
"""

from __future__ import annotations

import re
from typing import Any, ClassVar, Protocol, Self

import discord

from cogs.partners import texts
from core.forms import Controls


class PartnerActions(Protocol):
    async def answer(
        self, interaction: discord.Interaction, guild_id: int, invitation_id: int, accept: bool
    ) -> None:
        """Accept or decline the invitation as the member who pressed, and tell them."""


controls: Controls[PartnerActions] = Controls("partners")


class _AnswerButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    accept: ClassVar[bool]
    action: ClassVar[str]
    label: ClassVar[str]
    style: ClassVar[discord.ButtonStyle]

    def __init__(self, guild_id: int, invitation_id: int) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label,
                style=self.style,
                custom_id=f"partners:{self.action}:{guild_id}:{invitation_id}",
            )
        )
        self.guild_id = guild_id
        self.invitation_id = invitation_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(int(match["guild"]), int(match["invitation"]))

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(
            interaction,
            lambda actions: actions.answer(
                interaction, self.guild_id, self.invitation_id, self.accept
            ),
        )


@controls.item
class AcceptButton(
    _AnswerButton,
    template=r"partners:accept:(?P<guild>[0-9]{1,20}):(?P<invitation>[0-9]{1,20})",
):
    accept = True
    action = "accept"
    label = texts.ACCEPT_BUTTON
    style = discord.ButtonStyle.success


@controls.item
class DeclineButton(
    _AnswerButton,
    template=r"partners:decline:(?P<guild>[0-9]{1,20}):(?P<invitation>[0-9]{1,20})",
):
    accept = False
    action = "decline"
    label = texts.DECLINE_BUTTON
    style = discord.ButtonStyle.secondary


def invitation_view(guild_id: int, invitation_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptButton(guild_id, invitation_id))
    view.add_item(DeclineButton(guild_id, invitation_id))
    return view
