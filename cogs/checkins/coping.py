"""Which coping strategies a reply suggests (after a hard day, a use, a warning sign),
what of the member's own plan it reminds them of, and how a list of names is said. No
Discord here.
"""

from __future__ import annotations

from cogs.checkins import texts
from config.content import CopingContent
from core.messages import DISCORD_MESSAGE_LIMIT
from core.plans import PlanHighlights

_COPING_FOR_CRAVING = ("urge-surfing", "breathing", "reach-out", "leave")
_COPING_FOR_LOW_MOOD = ("reach-out", "move", "journaling", "grounding")
_SUGGESTIONS = 3


def suggestions(coping: CopingContent, high_craving: bool, low_mood: bool) -> list[str]:
    strategies = {s.id: s.name for s in coping.strategies}
    wanted = (_COPING_FOR_CRAVING if high_craving else ()) + (
        _COPING_FOR_LOW_MOOD if low_mood else ()
    )
    names = [strategies[i] for i in dict.fromkeys(wanted) if i in strategies]
    names += [name for name in strategies.values() if name not in names]
    return names[:_SUGGESTIONS]


def and_list(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def with_plan(reply: str, plan: PlanHighlights | None) -> str:
    """`reply`, then what the member's plan says helps them and their emergency part.

    A reply is one message: a plan too long to fit is pointed to instead of cut.
    """
    if plan is None:
        return reply
    reminder = "\n".join(
        [
            *(
                [texts.FROM_YOUR_PLAN.format(strategies=and_list(list(plan.coping)))]
                if plan.coping
                else []
            ),
            *([texts.YOUR_EMERGENCY_PLAN.format(plan=plan.emergency)] if plan.emergency else []),
        ]
    )
    if not reminder:
        return reply
    whole = f"{reply}\n\n{reminder}"
    return whole if len(whole) <= DISCORD_MESSAGE_LIMIT else f"{reply}\n\n{texts.SEE_YOUR_PLAN}"
