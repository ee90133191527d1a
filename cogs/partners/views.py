"""An invitation's Accept and Decline buttons.

`core.forms.IdButton`s: they work after a restart, on any process, in a DM (which has no
server, so the custom_id carries the server's id with the invitation's). Only the
invitee may answer: the cog checks who pressed, since a private notice or a forwarded
message could put the buttons before someone else.
"""

from __future__ import annotations

from typing import ClassVar, Protocol

import discord

from cogs.partners import texts
from core.forms import Controls, IdButton


class PartnerActions(Protocol):
    async def answer(
        self, interaction: discord.Interaction, guild_id: int, invitation_id: int, accept: bool
    ) -> None:
        """Accept or decline the invitation as the member who pressed, and tell them."""


controls: Controls[PartnerActions] = Controls("partners")
IDS = ("guild", "invitation")


class _AnswerButton(IdButton, prefix="partners:answer", ids=IDS):
    accept: ClassVar[bool]

    async def callback(self, interaction: discord.Interaction) -> None:
        guild_id, invitation_id = self.ids
        await controls.run(
            interaction,
            lambda actions: actions.answer(interaction, guild_id, invitation_id, self.accept),
        )


@controls.item
class AcceptButton(_AnswerButton, prefix="partners:accept", ids=IDS):
    accept = True
    label = texts.ACCEPT_BUTTON
    style = discord.ButtonStyle.success


@controls.item
class DeclineButton(_AnswerButton, prefix="partners:decline", ids=IDS):
    accept = False
    label = texts.DECLINE_BUTTON
    style = discord.ButtonStyle.secondary


def invitation_view(guild_id: int, invitation_id: int) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(AcceptButton(guild_id, invitation_id))
    view.add_item(DeclineButton(guild_id, invitation_id))
    return view
