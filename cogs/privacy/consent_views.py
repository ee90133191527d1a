"""The privacy choices' buttons, under the notice and under /privacy settings, and the
messages that show them.

Every button is a dynamic item (see `core.forms`), so a notice answered days later, after
a restart, still works. Its custom_id carries the id of the member it was shown to, the
choice and the value it sets (never a name or anything the member wrote), and the
version of the notice the member was shown, which the audit line records. The cog
refuses a press by anyone else (`core.permissions.require_owner`).

The views know nothing of the cog: each button calls one method of `ConsentActions`,
which the cog implements and registers.
"""

from __future__ import annotations

import re
from typing import Any, Protocol, Self

import discord

from cogs.privacy import texts
from cogs.privacy.consent import Choice, Choices
from core.forms import Controls, IdButton

# Short names of the choices in custom_ids.
_CODES = {Choice.KEEP_NOTES: "notes", Choice.SHARE_SIGNALS: "signals"}
_CHOICE_OF_CODE = {code: choice for choice, code in _CODES.items()}


class ConsentActions(Protocol):
    """What the choices' buttons ask of the feature, one method per button. Each method
    checks that the person pressing is `owner_id` and answers the interaction itself."""

    async def change_choice(
        self,
        interaction: discord.Interaction,
        owner_id: int,
        choice: Choice,
        value: bool,
        notice_version: int,
    ) -> None:
        """Set one choice, as seen on a notice (or settings) of `notice_version`."""

    async def accept_notice(
        self, interaction: discord.Interaction, owner_id: int, notice_version: int
    ) -> None:
        """The member keeps their choices as the notice showed them."""

    async def delete_notes(self, interaction: discord.Interaction, owner_id: int) -> None:
        """Delete the check-in notes already stored (offered after turning notes off)."""


controls: Controls[ConsentActions] = Controls("privacy choices")


@controls.item
class ChoiceButton(
    discord.ui.DynamicItem[discord.ui.Button[Any]],
    template=(
        r"privacy:choice:(?P<owner>[0-9]{1,20}):(?P<choice>notes|signals)"
        r":(?P<value>on|off):(?P<version>[0-9]{1,6})"
    ),
):
    """Its custom_id carries a choice and its value as words, so it is no `IdButton`."""

    def __init__(self, owner_id: int, choice: Choice, value: bool, notice_version: int) -> None:
        labels = texts.TURN_ON_BUTTONS if value else texts.TURN_OFF_BUTTONS
        super().__init__(
            discord.ui.Button(
                label=labels[choice.value],
                style=discord.ButtonStyle.secondary,
                custom_id=(
                    f"privacy:choice:{owner_id}:{_CODES[choice]}"
                    f":{'on' if value else 'off'}:{notice_version}"
                ),
            )
        )
        self.owner_id = owner_id
        self.choice = choice
        self.value = value
        self.notice_version = notice_version

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(
            int(match["owner"]),
            _CHOICE_OF_CODE[match["choice"]],
            match["value"] == "on",
            int(match["version"]),
        )

    async def callback(self, interaction: discord.Interaction) -> None:
        await controls.run(
            interaction,
            lambda actions: actions.change_choice(
                interaction, self.owner_id, self.choice, self.value, self.notice_version
            ),
        )


@controls.item
class AcceptButton(
    IdButton,
    prefix="privacy:accept",
    ids=("owner", "version"),
    numbers={"version": "[0-9]{1,6}"},
):
    label = texts.NOTICE_OK_BUTTON
    style = discord.ButtonStyle.primary

    async def callback(self, interaction: discord.Interaction) -> None:
        owner_id, notice_version = self.ids
        await controls.run(
            interaction,
            lambda actions: actions.accept_notice(interaction, owner_id, notice_version),
        )


@controls.item
class DeleteNotesButton(IdButton, prefix="privacy:delete-notes", ids=("owner",)):
    label = texts.DELETE_NOTES_BUTTON
    style = discord.ButtonStyle.danger

    async def callback(self, interaction: discord.Interaction) -> None:
        [owner_id] = self.ids
        await controls.run(interaction, lambda actions: actions.delete_notes(interaction, owner_id))


# --- What messages carry ----------------------------------------------------------------


def choice_lines(choices: Choices) -> str:
    return "\n".join(
        texts.CHOICE_LINES[choice.value].format(
            state=texts.ON if choices.value(choice) else texts.OFF
        )
        for choice in Choice
    )


def notice_text(choices: Choices) -> str:
    return "\n\n".join(
        [texts.NOTICE, f"{texts.NOTICE_CHOICES}\n{choice_lines(choices)}", texts.NOTICE_DEFAULTS]
    )


def settings_text(choices: Choices, done: str | None = None) -> str:
    parts = [done] if done else []
    parts += [f"{texts.SETTINGS_TITLE}\n{choice_lines(choices)}", texts.SETTINGS_FOOTER]
    return "\n\n".join(parts)


def choices_view(
    owner_id: int,
    choices: Choices,
    notice_version: int,
    *,
    notice: bool = False,
    offer_note_deletion: bool = False,
) -> discord.ui.View:
    """A button per choice, each setting it to the other value; on the notice, one to
    keep them as they are; after notes were turned off, one to delete those kept."""
    view = discord.ui.View(timeout=None)
    for choice in Choice:
        view.add_item(ChoiceButton(owner_id, choice, not choices.value(choice), notice_version))
    if notice:
        view.add_item(AcceptButton(owner_id, notice_version))
    if offer_note_deletion:
        view.add_item(DeleteNotesButton(owner_id))
    return view
