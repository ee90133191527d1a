"""The member's crisis reply, built from memory only (content files + cached settings).

No database, no network: this text must go out even when everything else is down.
"""

from __future__ import annotations

from enum import Enum

from cogs.helpnow import texts
from config.content import CrisisResources
from core.guild_settings import LocalResource

DISCORD_MESSAGE_LIMIT = 2000


class PageState(Enum):
    PAGED_ONCALL = "paged_oncall"
    PAGED_ROLE = "paged_role"
    REPAGED = "repaged"
    NOT_SET_UP = "not_set_up"


_HONESTY = {
    PageState.PAGED_ONCALL: texts.PAGED,
    PageState.PAGED_ROLE: texts.PAGED_ROLE_NO_ONCALL,
    PageState.REPAGED: texts.REPAGED,
    PageState.NOT_SET_UP: texts.NOT_SET_UP,
}


def crisis_message(
    crisis: CrisisResources,
    region_code: str | None,
    local_resources: tuple[LocalResource, ...],
    state: PageState,
    emergency_plan: str | None = None,
) -> str:
    region = crisis.region(region_code)
    contacts = [(r.name, r.how) for r in local_resources] + [(r.name, r.how) for r in region.lines]
    lines = [texts.LINE.format(name=name, how=how) for name, how in contacts]
    overdose = " ".join(crisis.overdose_steps)
    parts = [
        texts.EMERGENCY_FIRST.format(emergency=region.emergency),
        "\n".join([texts.LINES_HEADER, *lines]),
        f"{texts.OVERDOSE_HEADER} {overdose}",
        _HONESTY[state],
    ]
    if emergency_plan:
        parts.append(texts.YOUR_PLAN.format(plan=emergency_plan))
    if state is not PageState.NOT_SET_UP:
        parts.append(texts.CLOSING_HINT)
    message = "\n\n".join(parts)
    if len(message) > DISCORD_MESSAGE_LIMIT and emergency_plan:
        # The lines matter more than a copy of the plan the member can open themselves.
        return crisis_message(crisis, region_code, local_resources, state)
    return message[:DISCORD_MESSAGE_LIMIT]
