"""Autocomplete suggestions, the one way every feature makes them."""

from __future__ import annotations

import unicodedata
from collections.abc import Callable, Sequence

from discord import app_commands

# Discord shows at most 25 suggestions, each name and value at most 100 characters.
SUGGESTION_LIMIT = 25
CHOICE_TEXT_LIMIT = 100


def loose(text: str) -> str:
    """A name as a person types it: case, spaces and look-alike characters don't matter."""
    return "".join(unicodedata.normalize("NFKC", text).casefold().split())


def matching(
    named: Sequence[tuple[str, str]], typed: str, key: Callable[[str], str] = loose
) -> list[app_commands.Choice[str]]:
    """The (name, value) pairs whose name starts with what was typed, then those that
    contain it, compared through `key`."""
    needle = key(typed)
    starts = [pair for pair in named if key(pair[0]).startswith(needle)]
    contains = [pair for pair in named if needle in key(pair[0]) and pair not in starts]
    return [
        app_commands.Choice(name=name[:CHOICE_TEXT_LIMIT], value=value[:CHOICE_TEXT_LIMIT])
        for name, value in (starts + contains)[:SUGGESTION_LIMIT]
    ]
