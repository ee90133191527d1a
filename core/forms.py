"""Forms (Discord modals) whose submit is handled whenever it arrives.

discord.py keeps a sent form in memory to route its submit, and drops the submit (and what
the person typed) without a word once the bot restarted or the form timed out. A feature
sends an `InertForm` instead and handles the submit itself, by the form's custom_id, in an
`on_interaction` listener, reading the answers with `submitted_values`.

Controls that survive restarts, the one way every feature builds them:

- A button or select menu whose custom_id carries an id (a request, a record) is a
  `discord.ui.DynamicItem` with a template that parses the id, registered at the cog's
  load with `bot.add_dynamic_items` (and removed at unload). `cogs/helpnow/views.py` is
  the example; `helpnow:open` shows a fixed id the same way.
- A form (modal) is an `InertForm` answered in the cog's `on_interaction`, as above.
- Either way the view calls its feature through a small `typing.Protocol` in the views
  module, one method per control (`HelpNowActions`, `CheckinActions`), which the cog
  implements; the views never import the cog, and the checks of who may press what stay
  in the cog's methods.

(Check-ins' three fixed-id controls still use the older form: one persistent view added
with `bot.add_view`, and inert copies on messages. New features use `DynamicItem`.)
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, cast

import discord


class InertForm(discord.ui.Modal):
    """A form as sent: rendered only, never stored by `send_modal`."""

    def __init__(self, *, title: str, custom_id: str) -> None:
        super().__init__(title=title, timeout=None, custom_id=custom_id)
        self.stop()  # a stopped modal is never stored


def submitted_form_id(interaction: discord.Interaction) -> str | None:
    """The custom_id of the form this interaction submits, or None for anything else."""
    if interaction.type is not discord.InteractionType.modal_submit:
        return None
    form = cast(Mapping[str, Any], interaction.data or {}).get("custom_id")
    return form if isinstance(form, str) else None


def submitted_values(data: Mapping[str, Any]) -> dict[str, str]:
    """What was typed in each field, by custom_id, from a form submit's `data`."""
    values: dict[str, str] = {}

    def walk(components: Iterable[Any]) -> None:
        for component in components:
            if not isinstance(component, Mapping):
                continue
            value = component.get("value")
            if isinstance(value, str) and isinstance(component.get("custom_id"), str):
                values[component["custom_id"]] = value
            walk(component.get("components") or ())
            if isinstance(component.get("component"), Mapping):  # inside a label
                walk((component["component"],))

    walk(data.get("components") or ())
    return values
