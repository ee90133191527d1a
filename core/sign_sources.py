"""Warning signs that other features notice, for the check-in feature's detector.

The detector (cogs/checkins/signs.py) owns what happens to a warning sign: one nudge per
episode, the member's consent for the specialists, the record of what reached whom. A
feature that notices a sign of its own (meetings: several missed in a row) registers a
`SignSource` on `bot.sign_sources` from its `setup()` and unregisters it when it unloads;
the detector asks every registered source on each run, in the same session, so the
features never import each other. No discord here: plain database code.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class SourcedSign:
    """One member's warning sign, as a source sees it now.

    `kind` is the value of a sign the detector knows (`cogs.checkins.signs.Sign`);
    `since` is the local date its episode began, which must stay the same while the
    episode lasts: it is what keeps the detector from nudging twice about it.
    """

    user_id: int
    kind: str
    since: date
    # False when the member's consent for what the source reads does not cover the
    # specialists (attendance not shared): the member is nudged, nobody else hears.
    shareable: bool = True


class SignSource(Protocol):
    async def active_signs(
        self, session: AsyncSession, guild_id: int, now: datetime
    ) -> Sequence[SourcedSign]:
        """The signs active now among the server's members.

        The session is the detector's, scoped to `guild_id` and inside its transaction:
        a source only reads, never commits, and never opens a session of its own.
        """
        ...


class SignSources:
    """The registered sources, asked in the order they were registered."""

    def __init__(self) -> None:
        self._sources: list[SignSource] = []

    def register(self, source: SignSource) -> None:
        # A feature reloaded without unloading must not be asked twice.
        if source not in self._sources:
            self._sources.append(source)

    def unregister(self, source: SignSource) -> None:
        if source in self._sources:
            self._sources.remove(source)

    def list(self) -> tuple[SignSource, ...]:
        """A snapshot: a feature unloading during a detector run changes the next run."""
        return tuple(self._sources)
