"""Rules behind /setup: valid time zones and regions, and what a server still lacks."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from cogs.setup import texts
from config.content import CrisisResources
from core.errors import UserFacingError
from core.guild_settings import ServerConfig

AUTOCOMPLETE_LIMIT = 25


def validate_region(crisis: CrisisResources, code: str) -> str:
    cleaned = code.strip().upper()
    if cleaned not in crisis.regions:
        raise UserFacingError(
            texts.UNKNOWN_REGION.format(code=cleaned[:16], known=", ".join(sorted(crisis.regions)))
        )
    return cleaned


def region_suggestions(crisis: CrisisResources, query: str) -> list[tuple[str, str]]:
    """(label, code) pairs whose code or name matches."""
    needle = query.strip().lower()
    return [
        (f"{region.name} ({code})", code)
        for code, region in sorted(crisis.regions.items())
        if needle in code.lower() or needle in region.name.lower()
    ][:AUTOCOMPLETE_LIMIT]


class ItemState(Enum):
    OK = "ok"
    MISSING = "missing"
    GONE = "gone"


@dataclass(frozen=True)
class StatusItem:
    label: str
    state: ItemState
    target_id: int | None
    kind: str  # "channel" or "role", for rendering a mention
    # Needed only by a feature a server may not use (meetings).
    optional: bool = False


CHANNEL_ITEMS = (
    ("checkin_channel_id", texts.LABEL_CHECKIN_CHANNEL),
    ("specialists_channel_id", texts.LABEL_SPECIALISTS_CHANNEL),
    ("milestones_channel_id", texts.LABEL_MILESTONES_CHANNEL),
)
# Set by /setup meetings rather than /setup channels; status shows them too.
MEETINGS_CHANNEL_ITEMS = (("meetings_channel_id", texts.LABEL_MEETINGS_CHANNEL),)
OPTIONAL = frozenset({"meetings_channel_id", "meetings_role_id"})
ROLE_ITEMS = (
    ("specialist_role_id", texts.LABEL_SPECIALIST_ROLE),
    ("meetings_role_id", texts.LABEL_MEETINGS_ROLE),
)


def status_items(
    config: ServerConfig, existing_channel_ids: set[int], existing_role_ids: set[int]
) -> list[StatusItem]:
    items: list[StatusItem] = []
    for field, label in (*CHANNEL_ITEMS, *MEETINGS_CHANNEL_ITEMS):
        target = getattr(config, field)
        state = _state(target, existing_channel_ids)
        items.append(StatusItem(label, state, target, "channel", field in OPTIONAL))
    for field, label in ROLE_ITEMS:
        target = getattr(config, field)
        state = _state(target, existing_role_ids)
        items.append(StatusItem(label, state, target, "role", field in OPTIONAL))
    return items


def _state(target: int | None, existing: set[int]) -> ItemState:
    if target is None:
        return ItemState.MISSING
    return ItemState.OK if target in existing else ItemState.GONE
