"""Forms (Discord modals) whose submit is handled whenever it arrives.

discord.py keeps a sent form in memory to route its submit, and drops the submit (and what
the person typed) without a word once the bot restarted or the form timed out. A feature
sends an `InertForm` instead and handles the submit itself, by the form's custom_id, in an
`on_interaction` listener, reading the answers with `submitted_values` (text) and
`submitted_choices` (what was picked in a select menu).

Controls that survive restarts, the one way every feature builds them:

- A button or select menu is a `discord.ui.DynamicItem`: its template matches its
  custom_id (and parses the id it carries: a request, a record). The views module keeps
  one `Controls` for the feature; each item class is marked `@controls.item`, and
  `controls.register(bot, actions)`, called at the cog's load, adds them all with
  `bot.add_dynamic_items` (`unregister` at unload). It answers a press of that custom_id
  on any message, whichever process posted it. `cogs/helpnow/views.py` is the example
  with ids; `cogs/checkins/views.py` and `helpnow:open` show fixed ids, the template
  being the id itself, which is how a control keeps the custom_id messages already
  posted carry (a select reads its options from the message: `TriggerMenu`). A button
  bound to numbers only is an `IdButton` (`cogs/partners/views.py`).
- A form (modal) is an `InertForm` answered in the cog's `on_interaction`, as above:
  discord.py has no dynamic item for forms, so this listener is the one place a feature
  reads raw interactions, and only for its forms' submits.
- Either way the view calls its feature through a small `typing.Protocol` in the views
  module, one method per control (`HelpNowActions`, `CheckinActions`), which the cog
  implements and passes to `register`; the views never import the cog, and the checks of
  who may press what stay in the cog's methods. A control's callback goes through
  `controls.run`, which answers every failure with the kind reply (discord.py would
  only log it).
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Mapping
from typing import Any, Generic, Self, TypeVar, cast

import discord

from core.error_handler import report_interaction_error

ActionsT = TypeVar("ActionsT")
ItemT = TypeVar("ItemT", bound=type[discord.ui.DynamicItem[Any]])


class Controls(Generic[ActionsT]):
    """One feature's controls, routed on each bot to the actions registered for it.

    Per bot, so two bots in one process (the tests' restarts) each reach their own cog.
    Binding the cog into per-bot subclasses instead would not hold: discord.py registers
    a DynamicItem's class again from every view it sends, so the plain classes would
    take over.
    """

    def __init__(self, feature: str) -> None:
        self._feature = feature
        self._items: list[type[discord.ui.DynamicItem[Any]]] = []
        self._actions: weakref.WeakKeyDictionary[discord.Client, ActionsT] = (
            weakref.WeakKeyDictionary()
        )

    def item(self, item_class: ItemT) -> ItemT:
        """Mark a DynamicItem class as one of the feature's controls."""
        self._items.append(item_class)
        return item_class

    def register(self, client: discord.Client, actions: ActionsT) -> None:
        self._actions[client] = actions
        client.add_dynamic_items(*self._items)

    def unregister(self, client: discord.Client) -> None:
        client.remove_dynamic_items(*self._items)
        self._actions.pop(client, None)

    async def run(
        self,
        interaction: discord.Interaction,
        press: Callable[[ActionsT], Awaitable[None]],
    ) -> None:
        """Hand a press to the feature's actions; any failure gets the kind reply."""
        try:
            actions = self._actions.get(interaction.client)
            if actions is None:
                raise RuntimeError(f"the {self._feature} feature is not loaded")
            await press(actions)
        except Exception as error:  # every failure gets the kind reply and a log line
            await report_interaction_error(interaction, error)


class FixedButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    """A button whose custom_id is the same on every message (a prompt's Check in): a
    subclass names it, `class Open(FixedButton, custom_id="feature:open")`, and sets its
    `label` and `style`; its `callback` hands the press on through `Controls.run`."""

    fixed_id = ""
    label = ""
    style = discord.ButtonStyle.secondary

    def __init_subclass__(cls, *, custom_id: str) -> None:
        super().__init_subclass__(template=re.escape(custom_id))
        cls.fixed_id = custom_id

    def __init__(self) -> None:
        super().__init__(
            discord.ui.Button(label=self.label, style=self.style, custom_id=self.fixed_id)
        )

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls()


_NUMBER = "[0-9]{1,20}"  # an id of Discord's or of a row: at most 20 digits


class IdButton(discord.ui.DynamicItem[discord.ui.Button[Any]], template=r"^$"):
    """A button bound to numbers its custom_id carries (a record's id, a server's):
    `class Accept(IdButton, prefix="feature:accept", ids=("guild", "invitation"))` makes
    the custom_id `feature:accept:<guild>:<invitation>`; `Accept(guild_id, row_id)` builds
    it, and a press rebuilds it from the custom_id, the numbers in `self.ids`. A subclass
    sets its `label` and `style`, and its `callback` hands the press on through
    `Controls.run`.

    Each number is up to 20 digits; `numbers` gives another pattern for a named one, as
    custom_ids already posted require (`numbers={"back": r"-?[0-9]{1,6}"}`): it must
    match only what `int` reads."""

    prefix = ""
    id_names: tuple[str, ...] = ()
    label = ""
    style = discord.ButtonStyle.secondary

    def __init_subclass__(
        cls, *, prefix: str, ids: tuple[str, ...], numbers: Mapping[str, str] | None = None
    ) -> None:
        patterns = numbers or {}
        template = "".join(f":(?P<{name}>{patterns.get(name, _NUMBER)})" for name in ids)
        super().__init_subclass__(template=re.escape(prefix) + template)
        cls.prefix = prefix
        cls.id_names = ids

    def __init__(self, *ids: int) -> None:
        custom_id = ":".join([self.prefix, *(str(number) for number in ids)])
        super().__init__(discord.ui.Button(label=self.label, style=self.style, custom_id=custom_id))
        self.ids = ids

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction,
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        return cls(*(int(match[name]) for name in cls.id_names))


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
    for component in _fields(data):
        value = component.get("value")
        if isinstance(value, str):
            values[component["custom_id"]] = value
    return values


def submitted_choices(data: Mapping[str, Any]) -> dict[str, list[str]]:
    """What was picked in each select menu, by custom_id, from a form submit's `data`.

    The values are as the submit carries them: a feature keeps only those it knows, since
    its options may have changed since the form was sent (and a client can send any
    string)."""
    choices: dict[str, list[str]] = {}
    for component in _fields(data):
        picked = component.get("values")
        if isinstance(picked, list):
            choices[component["custom_id"]] = [v for v in picked if isinstance(v, str)]
    return choices


def _fields(data: Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """Every component with a custom_id in a form submit, inside rows and labels too."""

    def walk(components: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
        for component in components:
            if not isinstance(component, Mapping):
                continue
            if isinstance(component.get("custom_id"), str):
                yield component
            yield from walk(component.get("components") or ())
            if isinstance(component.get("component"), Mapping):  # inside a label
                yield from walk((component["component"],))

    return walk(data.get("components") or ())
