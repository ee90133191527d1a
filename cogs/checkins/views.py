"""The check-in's buttons, menu and form.

The Check in and I used today buttons and the trigger menu are dynamic items (see
`core.forms`): registered for the bot at the cog's load with `controls.register`, they answer
every press of their custom_id, on any message, whenever it was posted, so they keep
working after a restart. Their custom_ids are fixed (`OPEN_ID`, `TRIGGERS_ID`, `USED_ID`),
the same strings the messages posted by earlier versions carry, so those still work too.
The `helpnow:open` button is only shown here: the /help-now feature owns and answers it.
The form is inert (see `core.forms`): it is never stored, and every submit of it (even
one opened before a restart) reaches the cog's `on_interaction` listener by its fixed
custom_id.

The views know nothing of the cog: each control calls one method of `CheckinActions`,
which the cog implements and registers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Mapping
from typing import Any, Protocol

import discord

from cogs.checkins import texts
from cogs.checkins.form import NOTE_MAX_LENGTH, OTHER, RawCheckin
from config.content import CheckinContent
from core.error_handler import ReportingView
from core.forms import Controls, FixedButton, InertForm, submitted_choices, submitted_values

# Fixed since the first version: prompts and replies already posted in Discord carry them.
OPEN_ID = "checkin:open"
TRIGGERS_ID = "checkin:triggers"
USED_ID = "checkin:used"
FORM_ID = "checkin:form"
# The form's trigger menu. Forms sent before it was a menu typed their triggers under this
# id; that text is not read, and the reply offers the menu instead.
TRIGGERS_FIELD = "triggers"
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


controls: Controls[CheckinActions] = Controls("check-in")


class InertButton(discord.ui.Button[Any]):
    """Shown on a message, answered by another feature (the /help-now button)."""

    def is_dispatchable(self) -> bool:
        return False


def _trigger_options(
    content: CheckinContent, picked: Collection[str] = ()
) -> list[discord.SelectOption]:
    """Every trigger of the content by name, then "Other"; those in `picked` shown chosen."""
    options = [
        discord.SelectOption(label=name[:100], value=name, default=name in picked)
        for name in content.triggers
    ]
    options.append(
        discord.SelectOption(label=texts.OTHER_TRIGGER, value=OTHER, default=OTHER in picked)
    )
    return options


def help_now_button() -> discord.ui.Button[Any]:
    return InertButton(
        label=HELP_NOW_LABEL, style=discord.ButtonStyle.danger, custom_id=HELP_NOW_ID
    )


# --- The controls -------------------------------------------------------------------------
# Each template is its fixed custom_id, so a press of that id on any message, posted by
# this process or an earlier one, builds the control and calls its `CheckinActions`.


@controls.item
class OpenButton(FixedButton, custom_id=OPEN_ID):
    """Check in: on the daily prompt."""

    label = texts.CHECK_IN_BUTTON
    style = discord.ButtonStyle.success

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(interaction, lambda actions: actions.open_form(interaction))


@controls.item
class TriggerMenu(discord.ui.DynamicItem[discord.ui.Select[Any]], template=re.escape(TRIGGERS_ID)):
    """The triggers met today, picked after checking in."""

    def __init__(self, select: discord.ui.Select[Any]) -> None:
        super().__init__(select)

    @classmethod
    def of(cls, content: CheckinContent) -> TriggerMenu:
        options = _trigger_options(content)
        return cls(
            discord.ui.Select(
                custom_id=TRIGGERS_ID,
                placeholder=texts.TRIGGER_SELECT_PLACEHOLDER,
                min_values=0,
                max_values=len(options),
                options=options,
            )
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> TriggerMenu:
        # The menu as the message shows it (its options are those it was posted with);
        # discord.py then fills in what was picked.
        if not isinstance(item, discord.ui.Select):
            raise TypeError(f"{TRIGGERS_ID} is not a menu on this message")
        return cls(item)

    async def callback(self, interaction: discord.Interaction) -> None:
        picked = list(self.item.values)
        await controls.run(
            interaction, lambda actions: actions.change_triggers(interaction, picked)
        )


@controls.item
class UsedButton(FixedButton, custom_id=USED_ID):
    """I used today: after checking in."""

    label = texts.USED_BUTTON
    style = discord.ButtonStyle.secondary

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(interaction, lambda actions: actions.used_today(interaction))


# --- What messages carry ------------------------------------------------------------------


def prompt_view() -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    view.add_item(OpenButton())
    return view


def after_checkin_view(
    content: CheckinContent, *, ask_triggers: bool, offer_help: bool
) -> discord.ui.View:
    view = discord.ui.View(timeout=None)
    if ask_triggers:
        view.add_item(TriggerMenu.of(content))
    view.add_item(UsedButton())
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
        before = prefill or RawCheckin("", "", "")
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
        # A menu, not a text field: every choice is in sight, so none has to be guessed.
        options = _trigger_options(content, before.triggers)
        self.triggers: discord.ui.Select[CheckinModal] = discord.ui.Select(
            custom_id=TRIGGERS_FIELD,
            placeholder=texts.TRIGGERS_PLACEHOLDER,
            required=False,
            min_values=0,
            max_values=len(options),
            options=options,
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
        self.add_item(self.mood)
        self.add_item(self.craving)
        self.add_item(self.sleep)
        self.add_item(
            discord.ui.Label(
                text=texts.TRIGGERS_LABEL,
                description=texts.TRIGGERS_DESCRIPTION,
                component=self.triggers,
            )
        )
        self.add_item(self.note)


def submitted_answers(data: Mapping[str, Any]) -> RawCheckin:
    """What a member typed and picked, from the `data` of the form's submit interaction."""
    values = submitted_values(data)
    return RawCheckin(
        mood=values.get("mood", ""),
        craving=values.get("craving", ""),
        sleep=values.get("sleep", ""),
        triggers=tuple(submitted_choices(data).get(TRIGGERS_FIELD, ())),
        note=values.get("note", ""),
    )


class FillAgainView(ReportingView):
    """Under a refusal: opens the form again with what the member typed.

    The one control held in memory, on purpose: what was typed (a note of up to 1000
    characters) cannot ride in a custom_id, and is stored nowhere else, so after a
    restart or 15 minutes there is nothing to refill and the button simply stops."""

    def __init__(self, actions: CheckinActions, answers: RawCheckin) -> None:
        super().__init__(timeout=FILL_AGAIN_TIMEOUT_SECONDS)
        self.actions = actions
        self.answers = answers

    @discord.ui.button(label=texts.FILL_AGAIN_BUTTON, style=discord.ButtonStyle.primary)
    async def fill_again(
        self, interaction: discord.Interaction, _button: discord.ui.Button[FillAgainView]
    ) -> None:
        await self.actions.open_form(interaction, prefill=self.answers)
