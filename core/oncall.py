"""Who is on call now: the value and the interface where /help-now meets the on-call feature.

The on-call feature (cogs/oncall) offers its rotation to the bot as `bot.on_call` when it
loads; /help-now reads `bot.on_call` each time it pages. Without the on-call feature,
`NOBODY_ON_CALL` answers, and pages go to the specialists' role.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Protocol


@dataclass(frozen=True)
class OnCallChain:
    """Who to page, as user ids: the primary (None when nobody is on call), then backups."""

    primary: int | None
    backups: tuple[int, ...]


NOBODY = OnCallChain(primary=None, backups=())


class OnCallSource(Protocol):
    """Who is on call, answered from memory: it must work with the database down."""

    def chain(self, guild_id: int, at: datetime) -> OnCallChain: ...


class _NobodyOnCall:
    """The source while no on-call feature is loaded: nobody, in every server."""

    def chain(self, guild_id: int, at: datetime) -> OnCallChain:
        return NOBODY


NOBODY_ON_CALL: OnCallSource = _NobodyOnCall()
