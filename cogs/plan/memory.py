"""The plans' highlights in memory: what `bot.plans` answers (core/plans.py).

Read once when the feature loads (the database is up then: the bot has just migrated
it), then kept in step by every write and erasure of this process. Servers are served by
one process each (their shard's), and every plan change arrives as that server's
interaction, so the process holding the server holds its plans' latest highlights.
"""

from __future__ import annotations

from collections.abc import Callable

from core.plans import PlanHighlights


class PlanMemory:
    def __init__(self) -> None:
        self._highlights: dict[tuple[int, int], PlanHighlights] = {}

    def highlights(self, guild_id: int, user_id: int) -> PlanHighlights | None:
        return self._highlights.get((guild_id, user_id))

    def replace_all(self, found: dict[tuple[int, int], PlanHighlights]) -> None:
        self._highlights = dict(found)

    def remember(self, guild_id: int, user_id: int, shown: PlanHighlights | None) -> None:
        if shown is None:
            self._highlights.pop((guild_id, user_id), None)
        else:
            self._highlights[(guild_id, user_id)] = shown

    def forget(self, guild_id: int, user_id: int) -> Callable[[], None]:
        """Drop the member's highlights; the returned function puts them back."""
        dropped = self._highlights.pop((guild_id, user_id), None)
        return lambda: self.remember(guild_id, user_id, dropped)

    def __len__(self) -> int:
        return len(self._highlights)
