"""Rules for the /help-now settings an admin can change."""

from __future__ import annotations

from cogs.helpnow import texts
from cogs.helpnow.crisis import DISCORD_MESSAGE_LIMIT, PageState, crisis_message
from config.content import CrisisResources
from core.errors import UserFacingError
from core.guild_settings import LocalResource, ServerConfig

MAX_LOCAL_RESOURCES = 5
RESOURCE_NAME_MAX = 80
RESOURCE_HOW_MAX = 200


def add_resource(
    crisis: CrisisResources, config: ServerConfig, name: str, how: str
) -> tuple[LocalResource, ...]:
    name, how = name.strip(), how.strip()
    current = config.local_resources
    if len(current) >= MAX_LOCAL_RESOURCES:
        raise UserFacingError(texts.RESOURCE_LIMIT.format(limit=MAX_LOCAL_RESOURCES))
    if any(resource.name.lower() == name.lower() for resource in current):
        raise UserFacingError(texts.RESOURCE_DUPLICATE.format(name=name))
    updated = (LocalResource(name, how), *current)
    # Measure the longest reply a member could get; a cut-off crisis reply is not acceptable.
    longest = max(
        len(crisis_message(crisis, config.region, updated, state, emergency_plan=None))
        for state in PageState
    )
    if longest >= DISCORD_MESSAGE_LIMIT:
        raise UserFacingError(texts.RESOURCE_TOO_LONG)
    return updated


def remove_resource(config: ServerConfig, name: str) -> tuple[LocalResource, ...]:
    kept = tuple(r for r in config.local_resources if r.name.lower() != name.strip().lower())
    if len(kept) == len(config.local_resources):
        names = ", ".join(r.name for r in config.local_resources) or texts.NO_RESOURCES
        raise UserFacingError(texts.RESOURCE_UNKNOWN.format(name=name.strip(), names=names))
    return kept
