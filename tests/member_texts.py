"""Every string the bot shows people, gathered from where it lives, for tests/test_words.py.

Nothing here is a hand-kept list of texts: each feature's `cogs/*/texts.py` is found by
its path (and the prose constants of its other modules with it), commands are read from
the running bot's own tree, and content files are walked whole. A new feature, command
or content file is covered the day it lands.
"""

from __future__ import annotations

import importlib
import tomllib
from collections.abc import Iterable, Iterator
from pathlib import Path
from types import ModuleType
from typing import Any, NamedTuple

import discord
from discord import app_commands

from config.settings import DEFAULT_CONTENT_DIR, ROOT

# Core modules whose UPPER_CASE strings reach members or specialists in Discord.
MEMBER_FACING_CORE = (
    "core.error_handler",
    "core.errors",
    "core.help_offer",
    "core.permissions",
    "core.timezones",
)
# Core modules with prose for the person running the bot (a terminal, the log), never
# shown in Discord. Listed so that a core module with new prose has to be placed in one
# list or the other (tests/test_words.py checks it) instead of slipping past the check.
OPERATOR_FACING_CORE = {
    "core.backup": "what `bot.py restore` prints in the operator's terminal",
    "core.health": "what `bot.py check` prints in the operator's terminal",
}


class Text(NamedTuple):
    where: str
    text: str


def texts_modules() -> list[ModuleType]:
    """Every feature's texts module, found by path so a new feature needs no entry here."""
    paths = sorted((ROOT / "cogs").glob("*/texts.py"))
    return [importlib.import_module(f"cogs.{path.parent.name}.texts") for path in paths]


def member_facing_modules() -> list[ModuleType]:
    return [*texts_modules(), *(importlib.import_module(name) for name in MEMBER_FACING_CORE)]


def other_feature_modules() -> list[ModuleType]:
    """Every module under cogs/ but the texts modules, which `texts_modules` reads whole."""
    names = [
        ".".join(path.relative_to(ROOT).with_suffix("").parts)
        for path in sorted((ROOT / "cogs").rglob("*.py"))
        if path.name != "texts.py"
    ]
    return [importlib.import_module(name.removesuffix(".__init__")) for name in names]


def _strings(value: object, where: str) -> Iterator[Text]:
    if isinstance(value, str):
        yield Text(where, value)
    elif isinstance(value, dict):
        # Keys are ids the code looks texts up by ("emergency"); members see the values.
        for key, item in value.items():
            yield from _strings(item, f"{where}[{key!r}]")
    elif isinstance(value, list | tuple):
        for index, item in enumerate(value):
            yield from _strings(item, f"{where}[{index}]")
    elif isinstance(value, set | frozenset):
        for item in sorted(value, key=repr):
            yield from _strings(item, f"{where}{{…}}")


def module_texts(module: ModuleType) -> Iterator[Text]:
    """The module's UPPER_CASE constants: strings, and strings inside tuples, lists, dicts."""
    path = Path(module.__file__ or module.__name__).resolve().relative_to(ROOT)
    for name, value in vars(module).items():
        if name.isupper():
            yield from _strings(value, f"{path}: {name}")


def prose_constants(module: ModuleType) -> list[str]:
    """The names of the module's UPPER_CASE strings that read as words, not ids or paths."""
    return [
        name
        for name, value in vars(module).items()
        if name.isupper() and isinstance(value, str) and " " in value.strip()
    ]


def stray_texts(module: ModuleType) -> Iterator[Text]:
    """A feature module's public UPPER_CASE prose: a button label kept beside its view.

    Only prose, since these modules also hold custom ids and column names; only public
    names, since a private one (`_REQUEST`) is the module's own business.
    """
    path = Path(module.__file__ or module.__name__).resolve().relative_to(ROOT)
    for name in prose_constants(module):
        if not name.startswith("_"):
            yield Text(f"{path}: {name}", getattr(module, name))


AnyCommand = app_commands.Command[Any, ..., Any] | app_commands.Group | app_commands.ContextMenu


def tree_commands(tree: app_commands.CommandTree[Any]) -> list[AnyCommand]:
    """Every command of the tree: slash commands with their groups, and context menus."""
    return [
        *tree.walk_commands(),
        *tree.get_commands(type=discord.AppCommandType.user),
        *tree.get_commands(type=discord.AppCommandType.message),
    ]


def command_texts(commands: Iterable[AnyCommand]) -> Iterator[Text]:
    """Names, descriptions, option names and descriptions, and choice names.

    Groups are not walked: `tree_commands` already holds what sits under each of them.
    """
    for command in commands:
        where = f"/{command.qualified_name}"
        yield Text(f"{where}: name", command.name)
        if isinstance(command, app_commands.ContextMenu):
            continue
        yield Text(f"{where}: description", command.description)
        if isinstance(command, app_commands.Group):
            continue
        for parameter in command.parameters:
            option = f"{where} {parameter.display_name}"
            yield Text(f"{option}: name", parameter.display_name)
            yield Text(f"{option}: description", parameter.description)
            for choice in parameter.choices:
                yield Text(f"{option}: choice {choice.value!r}", choice.name)


def _toml_strings(value: object, where: str) -> Iterator[Text]:
    if isinstance(value, str):
        yield Text(where, value)
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _toml_strings(item, f"{where}.{key}" if where else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _toml_strings(item, f"{where}[{index}]")


def content_texts(directory: Path = DEFAULT_CONTENT_DIR) -> Iterator[Text]:
    """Every string in every content file of the directory, with its dotted path."""
    for path in sorted(directory.glob("*.toml")):
        shown = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
        data = tomllib.loads(path.read_text(encoding="utf-8"))
        for found in _toml_strings(data, ""):
            yield Text(f"{shown}: {found.where}", found.text)


def collect(
    tree: app_commands.CommandTree[Any], content_dir: Path = DEFAULT_CONTENT_DIR
) -> list[Text]:
    """Every member-facing string: texts modules, the command tree, content files."""
    return [
        *(text for module in member_facing_modules() for text in module_texts(module)),
        *(text for module in other_feature_modules() for text in stray_texts(module)),
        *command_texts(tree_commands(tree)),
        *content_texts(content_dir),
    ]
