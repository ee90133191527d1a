"""Rules for the /help-now settings an admin can change."""

from __future__ import annotations

import unicodedata

from cogs.helpnow import texts
from cogs.helpnow.crisis import PageState, local_lines_fit_first_message, shown
from config.content import CrisisResources
from core.errors import UserFacingError
from core.guild_settings import LocalResource, ServerConfig

MAX_LOCAL_RESOURCES = 5
RESOURCE_NAME_MAX = 80
RESOURCE_HOW_MAX = 200
# How much of a name an admin typed is repeated back to them.
ECHO_MAX = RESOURCE_NAME_MAX

# Letters that render as blank space (Hangul fillers), though Unicode files them as letters.
_BLANK_LETTERS = frozenset("\u115f\u1160\u3164\uffa0")


def _normal(text: str) -> str:
    return " ".join(text.split())


def _readable(text: str) -> bool:
    """Whether a member would see any letter or digit, not only blanks or formatting."""
    return any(
        unicodedata.category(char)[0] in "LN" and char not in _BLANK_LETTERS for char in text
    )


def echo(text: str) -> str:
    """A name an admin typed, short enough to repeat in any reply and without markdown."""
    flat = _normal(text)
    return shown(flat if len(flat) <= ECHO_MAX else flat[: ECHO_MAX - 1] + "…")


def add_resource(
    crisis: CrisisResources,
    config: ServerConfig,
    name: str,
    how: str,
    *,
    always_open: bool = False,
) -> tuple[LocalResource, ...]:
    name, how = _normal(name), _normal(how)
    if not (_readable(name) and _readable(how)):
        raise UserFacingError(texts.RESOURCE_UNREADABLE)
    current = config.local_resources
    if len(current) >= MAX_LOCAL_RESOURCES:
        raise UserFacingError(texts.RESOURCE_LIMIT.format(limit=MAX_LOCAL_RESOURCES))
    if any(_normal(resource.name).casefold() == name.casefold() for resource in current):
        raise UserFacingError(texts.RESOURCE_DUPLICATE.format(name=echo(name)))
    updated = (LocalResource(name, how, always_open), *current)
    # Overflow would reach members in a 2nd message anyway; refusing keeps server lines in the 1st.
    if not all(
        local_lines_fit_first_message(crisis, region, updated, state)
        for region in crisis.regions
        for state in PageState
    ):
        raise UserFacingError(texts.RESOURCE_CROWDS_FIRST_MESSAGE)
    return updated


def remove_resource(config: ServerConfig, name: str) -> tuple[LocalResource, ...]:
    wanted = _normal(name).casefold()
    kept = tuple(r for r in config.local_resources if _normal(r.name).casefold() != wanted)
    if len(kept) == len(config.local_resources):
        names = ", ".join(echo(r.name) for r in config.local_resources) or texts.NO_RESOURCES
        raise UserFacingError(texts.RESOURCE_UNKNOWN.format(name=echo(name), names=names))
    return kept
