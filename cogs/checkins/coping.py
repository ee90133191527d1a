"""Which coping strategies a reply suggests (after a hard day, a use, a warning sign), and
how a list of names is said. No Discord here.
"""

from __future__ import annotations

from config.content import CopingContent

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
