"""Buttons of /help-now. They carry the request's id in their custom_id and are
registered as dynamic items, so they keep working after the bot restarts."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

import discord

from cogs.helpnow import texts
from core.error_handler import report_interaction_error
from core.forms import InertForm

if TYPE_CHECKING:
    from cogs.helpnow.cog import HelpNowCog

OUTCOME_MAX_LENGTH = 300


def _cog(interaction: discord.Interaction) -> HelpNowCog:
    cog = interaction.client.get_cog("HelpNowCog")  # type: ignore[attr-defined]
    assert cog is not None, "the help-now feature is not loaded"
    return cog  # type: ignore[no-any-return]


class _RequestButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    """A button bound to one request; subclasses set the action and the look."""

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
        try:
            await _cog(interaction).on_button(interaction, self.action, self.public_id)
        except Exception as error:  # every failure gets the kind reply and a log line
            await report_interaction_error(interaction, error)


class SafeButton(_RequestButton, template=r"helpnow:safe:(?P<id>[0-9a-f]{32})"):
    action = "safe"
    label = texts.BUTTON_SAFE
    style = discord.ButtonStyle.success


class ThreadButton(_RequestButton, template=r"helpnow:thread:(?P<id>[0-9a-f]{32})"):
    action = "thread"
    label = texts.BUTTON_THREAD
    style = discord.ButtonStyle.primary


class AckButton(_RequestButton, template=r"helpnow:ack:(?P<id>[0-9a-f]{32})"):
    action = "ack"
    label = texts.BUTTON_ACK
    style = discord.ButtonStyle.success


class BackupButton(_RequestButton, template=r"helpnow:backup:(?P<id>[0-9a-f]{32})"):
    action = "backup"
    label = texts.BUTTON_BACKUP
    style = discord.ButtonStyle.secondary


class ResolveButton(_RequestButton, template=r"helpnow:resolve:(?P<id>[0-9a-f]{32})"):
    action = "resolve"
    label = texts.BUTTON_RESOLVED
    style = discord.ButtonStyle.danger


class OpenHelpButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"helpnow:open"):
    """The /help-now button other features put in their replies (a check-in, a nudge)."""

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(
                label=texts.BUTTON_OPEN, style=discord.ButtonStyle.danger, custom_id="helpnow:open"
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> OpenHelpButton:
        return cls()

    async def callback(self, interaction: discord.Interaction) -> None:
        try:
            await _cog(interaction).start_help(interaction, note=None)
        except Exception as error:  # every failure gets the kind reply and a log line
            await report_interaction_error(interaction, error)


DYNAMIC_ITEMS = (SafeButton, ThreadButton, AckButton, BackupButton, ResolveButton, OpenHelpButton)


def member_view(public_id: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(SafeButton(public_id))
    view.add_item(ThreadButton(public_id))
    return view


_PAGE_BUTTONS: dict[str, type[_RequestButton]] = {
    "ack": AckButton,
    "backup": BackupButton,
    "resolve": ResolveButton,
}
# Discord allows five rows of buttons on a message: one row per request.
MAX_REQUESTS_PER_PAGE = 5


def page_view(*public_ids: str) -> discord.ui.View:
    """The buttons of a page: one row per request it carries."""
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
    """The outcome form; its submit reaches `HelpNowCog.on_interaction`, even one opened
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
