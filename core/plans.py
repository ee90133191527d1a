"""A member's relapse-prevention plan where other features show it: the interface where
/help-now, /cope and the check-ins meet the plan feature.

The plan feature (cogs/plan) offers its plans to the bot as `bot.plans` when it loads.
Every answer comes from memory: /help-now shows the emergency part with the database
down, and /cope and the check-in replies add nothing on their way to Discord's 3-second
window. Without the plan feature, or before it has read the plans, nobody has one.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class PlanHighlights:
    """The parts of a member's plan that help in a hard moment, as the member wrote them.

    `emergency` is the emergency part (who to call, where to go, what to do) rendered as
    lines, `supports` the people and how to reach them, `coping` the names of the coping
    strategies the member chose. Empty parts are None or empty.
    """

    emergency: str | None
    supports: str | None
    coping: tuple[str, ...]


class PlanSource(Protocol):
    """Members' plans, answered from memory: it must work with the database down."""

    def highlights(self, guild_id: int, user_id: int) -> PlanHighlights | None: ...


class _NoPlans:
    """The source while no plan feature is loaded: nobody has a plan."""

    def highlights(self, guild_id: int, user_id: int) -> PlanHighlights | None:
        return None


NO_PLANS: PlanSource = _NoPlans()
