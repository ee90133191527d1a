"""Buttons of /help-now. They carry the request's id in their custom_id and are
registered as dynamic items, so they keep working after the bot restarts.

The buttons know nothing of the cog: each press calls one method of `HelpNowActions`,
which the feature registers for its bot with `controls.register` (the cog does, at load).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any, Protocol

import discord

from cogs.helpnow import texts
from core.forms import Controls, FixedButton, InertForm

OUTCOME_MAX_LENGTH = 300
OPEN_HELP_ID = "helpnow:open"


class HelpNowActions(Protocol):
    """What the /help-now buttons ask of the feature, one method per button. Each method
    checks that the person may press it (and that the request is still open) and answers
    the interaction itself."""

    async def start_help(self, interaction: discord.Interaction, note: str | None) -> None:
        """Open a request for the member pressing (or re-page theirs)."""

    async def mark_safe(self, interaction: discord.Interaction, public_id: str) -> None:
        """The member says they are safe: the request closes."""

    async def open_thread(self, interaction: discord.Interaction, public_id: str) -> None:
        """The member asks for the request's private thread."""

    async def acknowledge(self, interaction: discord.Interaction, public_id: str) -> None:
        """A specialist takes the request."""

    async def request_backup(self, interaction: discord.Interaction, public_id: str) -> None:
        """A specialist asks for another one."""

    async def open_resolve_form(self, interaction: discord.Interaction, public_id: str) -> None:
        """A specialist opens the outcome form (`ResolveModal`)."""


controls: Controls[HelpNowActions] = Controls("help-now")


class _RequestButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    """A button bound to one request; subclasses set the action (its custom_id's middle
    part), the look, and which of `HelpNowActions` a press calls."""

    action = ""
    label = ""
    style = discord.ButtonStyle.secondary

    def __init__(self, public_id: str, *, disabled: bool = False, row: int | None = None) -> None:
        super().__init__(
            discord.ui.Button(
                label=self.label,
                style=self.style,
                custom_id=f"helpnow:{self.action}:{public_id}",
                disabled=disabled,
                row=row,
            )
        )
        self.public_id = public_id

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> _RequestButton:
        return cls(match["id"])

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(interaction, lambda actions: self.press(actions, interaction))

    async def press(self, actions: HelpNowActions, interaction: discord.Interaction) -> None:
        raise NotImplementedError


@controls.item
class SafeButton(_RequestButton, template=r"helpnow:safe:(?P<id>[0-9a-f]{32})"):
    action = "safe"
    label = texts.BUTTON_SAFE
    style = discord.ButtonStyle.success

    async def press(self, actions: HelpNowActions, interaction: discord.Interaction) -> None:
        await actions.mark_safe(interaction, self.public_id)


@controls.item
class ThreadButton(_RequestButton, template=r"helpnow:thread:(?P<id>[0-9a-f]{32})"):
    action = "thread"
    label = texts.BUTTON_THREAD
    style = discord.ButtonStyle.primary

    async def press(self, actions: HelpNowActions, interaction: discord.Interaction) -> None:
        await actions.open_thread(interaction, self.public_id)


@controls.item
class AckButton(_RequestButton, template=r"helpnow:ack:(?P<id>[0-9a-f]{32})"):
    action = "ack"
    label = texts.BUTTON_ACK
    style = discord.ButtonStyle.success

    async def press(self, actions: HelpNowActions, interaction: discord.Interaction) -> None:
        await actions.acknowledge(interaction, self.public_id)


@controls.item
class BackupButton(_RequestButton, template=r"helpnow:backup:(?P<id>[0-9a-f]{32})"):
    action = "backup"
    label = texts.BUTTON_BACKUP
    style = discord.ButtonStyle.secondary

    async def press(self, actions: HelpNowActions, interaction: discord.Interaction) -> None:
        await actions.request_backup(interaction, self.public_id)


@controls.item
class ResolveButton(_RequestButton, template=r"helpnow:resolve:(?P<id>[0-9a-f]{32})"):
    action = "resolve"
    label = texts.BUTTON_RESOLVED
    style = discord.ButtonStyle.danger

    async def press(self, actions: HelpNowActions, interaction: discord.Interaction) -> None:
        await actions.open_resolve_form(interaction, self.public_id)


@controls.item
class OpenHelpButton(FixedButton, custom_id=OPEN_HELP_ID):
    """The /help-now button other features put in their replies (a check-in, a nudge)."""

    label = texts.BUTTON_OPEN
    style = discord.ButtonStyle.danger

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(interaction, lambda actions: actions.start_help(interaction, None))


def member_view(public_id: str, *, with_thread: bool) -> discord.ui.View:
    """The member's buttons; a thread is offered only where a specialist can be added to it."""
    view = discord.ui.View(timeout=None)
    view.add_item(SafeButton(public_id))
    if with_thread:
        view.add_item(ThreadButton(public_id))
    return view


_PAGE_BUTTONS: dict[str, type[_RequestButton]] = {
    "ack": AckButton,
    "backup": BackupButton,
    "resolve": ResolveButton,
}


def page_view(*public_ids: str) -> discord.ui.View:
    """The buttons of a page: one row per request it carries (Discord allows five rows,
    so the sender puts at most five requests on a page)."""
    view = discord.ui.View(timeout=None)
    for row, public_id in enumerate(public_ids):
        for button in _PAGE_BUTTONS.values():
            view.add_item(button(public_id, row=row))
    return view


def page_view_after(
    components: Sequence[discord.Component],
    public_id: str,
    *,
    acknowledged: bool = False,
    closed: bool = False,
) -> discord.ui.View | None:
    """A page's buttons as they stand, with one request acknowledged (its Acknowledge
    disabled) or closed (its row gone); the other requests on the page keep theirs."""
    view = discord.ui.View(timeout=None)
    rows = [c for c in components if isinstance(c, discord.ActionRow)]
    kept_row = 0
    for row in rows:
        buttons = []
        for child in row.children:
            if not isinstance(child, discord.Button) or not child.custom_id:
                continue
            match = re.fullmatch(r"helpnow:(\w+):([0-9a-f]{32})", child.custom_id)
            if match is None or match[1] not in _PAGE_BUTTONS:
                continue
            action, owner = match[1], match[2]
            if closed and owner == public_id:
                continue
            disabled = child.disabled or (acknowledged and owner == public_id and action == "ack")
            buttons.append(_PAGE_BUTTONS[action](owner, disabled=disabled, row=kept_row))
        for button in buttons:
            view.add_item(button)
        kept_row += bool(buttons)
    return view if view.children else None


RESOLVE_FORM_PREFIX = "helpnow:resolve-modal:"


class ResolveModal(InertForm):
    """The outcome form; its submit reaches the cog's `on_interaction`, even one opened
    before a restart (see `core.forms`)."""

    def __init__(self, public_id: str) -> None:
        super().__init__(title=texts.RESOLVE_MODAL_TITLE, custom_id=RESOLVE_FORM_PREFIX + public_id)
        self.add_item(
            discord.ui.TextInput(
                label=texts.RESOLVE_OUTCOME_LABEL,
                custom_id="outcome",
                placeholder=texts.RESOLVE_OUTCOME_PLACEHOLDER,
                style=discord.TextStyle.paragraph,
                required=False,
                max_length=OUTCOME_MAX_LENGTH,
            )
        )
