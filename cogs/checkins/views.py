"""The check-in's buttons, menu and form.

Buttons and the trigger menu have fixed custom_ids and one persistent handler
(`CheckinHandlers`, registered with `bot.add_view` at start), so they keep working after
a restart. Messages carry *inert* copies of them: rendered, never stored per message, so
a press always reaches the persistent handler, and the `helpnow:open` button reaches the
/help-now feature, which owns that id. The form is inert in the same way: it is never
stored, and every submit of it (even one opened before a restart) reaches the cog's
`on_interaction` listener by its fixed custom_id.

The views know nothing of the cog: they call `CheckinActions`, which the cog implements.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

import discord

from cogs.checkins import texts
from cogs.checkins.form import NOTE_MAX_LENGTH, OTHER, TRIGGERS_MAX_LENGTH, RawCheckin
from config.content import CheckinContent
from core.error_handler import ReportingView
from core.forms import InertForm, submitted_values

OPEN_ID = "checkin:open"
TRIGGERS_ID = "checkin:triggers"
USED_ID = "checkin:used"
FORM_ID = "checkin:form"
# A form opened without today's answers (the database was slow): its empty note field
# means "not shown", not "erase the note".
BLIND_FORM_ID = "checkin:form:blind"
HELP_NOW_ID = "helpnow:open"  # handled by the /help-now feature, never here
HELP_NOW_LABEL = "Get help now"
FILL_AGAIN_TIMEOUT_SECONDS = 15 * 60


class CheckinActions(Protocol):
    """What the check-in's buttons and menu ask of the feature, one method per control.
    Each method answers the interaction itself."""

    async def open_form(
        self, interaction: discord.Interaction, prefill: RawCheckin | None = None
    ) -> None:
        """Open the check-in form, filled with `prefill` (or today's answers)."""

    async def change_triggers(self, interaction: discord.Interaction, picked: list[str]) -> None:
        """Save the triggers picked in the menu under today's check-in."""

    async def used_today(self, interaction: discord.Interaction) -> None:
        """The member says they used today: support, nothing stored."""


class InertButton(discord.ui.Button[Any]):
    """Shown on a message, handled elsewhere (by the persistent handler for its id)."""

    def is_dispatchable(self) -> bool:
        return False


class InertSelect(discord.ui.Select[Any]):
    def is_dispatchable(self) -> bool:
        return False


def _trigger_options(content: CheckinContent) -> list[discord.SelectOption]:
    options = [discord.SelectOption(label=name[:100], value=name) for name in content.triggers]
    options.append(discord.SelectOption(label=texts.OTHER_TRIGGER, value=OTHER))
    return options


def _open_button(button_type: type[discord.ui.Button[Any]]) -> discord.ui.Button[Any]:
    return button_type(
        label=texts.CHECK_IN_BUTTON, style=discord.ButtonStyle.success, custom_id=OPEN_ID
    )


def _trigger_select(select_type: type[discord.ui.Select[Any]], content: CheckinContent) -> Any:
    options = _trigger_options(content)
    return select_type(
        custom_id=TRIGGERS_ID,
        placeholder=texts.TRIGGER_SELECT_PLACEHOLDER,
        min_values=0,
        max_values=len(options),
        options=options,
    )


def _used_button(button_type: type[discord.ui.Button[Any]]) -> discord.ui.Button[Any]:
    return button_type(
        label=texts.USED_BUTTON, style=discord.ButtonStyle.secondary, custom_id=USED_ID
    )


def help_now_button() -> discord.ui.Button[Any]:
    return InertButton(
        label=HELP_NOW_LABEL, style=discord.ButtonStyle.danger, custom_id=HELP_NOW_ID
    )


# --- What messages carry ------------------------------------------------------------------


def prompt_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(_open_button(InertButton))
    return view


def after_checkin_view(
    content: CheckinContent, *, ask_triggers: bool, offer_help: bool
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if ask_triggers:
        view.add_item(_trigger_select(InertSelect, content))
    view.add_item(_used_button(InertButton))
    if offer_help:
        view.add_item(help_now_button())
    return view


def help_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(help_now_button())
    return view


def channel_link_view(guild_id: int, channel_id: int, label: str) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(
        discord.ui.Button(label=label, url=f"https://discord.com/channels/{guild_id}/{channel_id}")
    )
    return view


# --- The persistent handler ---------------------------------------------------------------


class _OpenButton(discord.ui.Button["CheckinHandlers"]):
    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.actions.open_form(interaction)


class _TriggerSelect(discord.ui.Select["CheckinHandlers"]):
    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.actions.change_triggers(interaction, list(self.values))


class _UsedButton(discord.ui.Button["CheckinHandlers"]):
    async def callback(self, interaction: discord.Interaction) -> None:
        assert self.view is not None
        await self.view.actions.used_today(interaction)


class CheckinHandlers(ReportingView):
    """Handles every press of a check-in button or menu, whichever message it is on."""

    def __init__(self, actions: CheckinActions, content: CheckinContent) -> None:
        super().__init__(timeout=None)
        self.actions = actions
        self.add_item(_open_button(_OpenButton))
        self.add_item(_trigger_select(_TriggerSelect, content))
        self.add_item(_used_button(_UsedButton))


# --- The form -------------------------------------------------------------------------------


class CheckinModal(InertForm):
    """The form as sent (see `core.forms`): its submit always reaches
    cog's `on_interaction`, even after a restart."""

    def __init__(
        self,
        content: CheckinContent,
        prefill: RawCheckin | None = None,
        *,
        blind: bool = False,
    ) -> None:
        super().__init__(title=texts.MODAL_TITLE, custom_id=BLIND_FORM_ID if blind else FORM_ID)
        scales = content.scales
        before = prefill or RawCheckin("", "", "", "", "")
        self.mood: discord.ui.TextInput[CheckinModal] = discord.ui.TextInput(
            custom_id="mood",
            label=texts.MOOD_LABEL.format(low=scales.mood_min, high=scales.mood_max),
            placeholder=texts.MOOD_PLACEHOLDER.format(low=scales.mood_min, high=scales.mood_max),
            default=before.mood or None,
            max_length=8,
        )
        self.craving: discord.ui.TextInput[CheckinModal] = discord.ui.TextInput(
            custom_id="craving",
            label=texts.CRAVING_LABEL.format(low=scales.craving_min, high=scales.craving_max),
            placeholder=texts.CRAVING_PLACEHOLDER.format(
                low=scales.craving_min, high=scales.craving_max
            ),
            default=before.craving or None,
            max_length=8,
        )
        self.sleep: discord.ui.TextInput[CheckinModal] = discord.ui.TextInput(
            custom_id="sleep",
            label=texts.SLEEP_LABEL,
            placeholder=texts.SLEEP_PLACEHOLDER,
            default=before.sleep or None,
            max_length=12,
        )
        self.triggers: discord.ui.TextInput[CheckinModal] = discord.ui.TextInput(
            custom_id="triggers",
            label=texts.TRIGGERS_LABEL,
            placeholder=texts.TRIGGERS_PLACEHOLDER,
            default=before.triggers or None,
            required=False,
            max_length=TRIGGERS_MAX_LENGTH,
        )
        self.note: discord.ui.TextInput[CheckinModal] = discord.ui.TextInput(
            custom_id="note",
            label=texts.NOTE_LABEL,
            placeholder=texts.NOTE_PLACEHOLDER,
            default=before.note or None,
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=NOTE_MAX_LENGTH,
        )
        for field in (self.mood, self.craving, self.sleep, self.triggers, self.note):
            self.add_item(field)


def submitted_answers(data: Mapping[str, Any]) -> RawCheckin:
    """What a member typed, from the `data` of the form's submit interaction."""
    values = submitted_values(data)
    return RawCheckin(
        mood=values.get("mood", ""),
        craving=values.get("craving", ""),
        sleep=values.get("sleep", ""),
        triggers=values.get("triggers", ""),
        note=values.get("note", ""),
    )


class FillAgainView(ReportingView):
    """Under a refusal: opens the form again with what the member typed."""

    def __init__(self, actions: CheckinActions, answers: RawCheckin) -> None:
        super().__init__(timeout=FILL_AGAIN_TIMEOUT_SECONDS)
        self.actions = actions
        self.answers = answers

    @discord.ui.button(label=texts.FILL_AGAIN_BUTTON, style=discord.ButtonStyle.primary)
    async def fill_again(
        self, interaction: discord.Interaction, _button: discord.ui.Button[FillAgainView]
    ) -> None:
        await self.actions.open_form(interaction, prefill=self.answers)
