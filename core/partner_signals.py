"""What a member's accountability partners may hear: the interface where the check-ins,
the sober-day counters and /help-now meet the partners feature.

A feature that notices something a member may share with their partners (missed
check-ins, a milestone, a warning-sign nudge, a /help-now request) hands a
`PartnerSignal` to `bot.partners` in the same transaction that decided it. The
partners feature (cogs/partners), while it is loaded, queues a DM through the outbox to
each partner of a member who chose to share that kind, and to nobody else; without it,
or for a member who shares nothing, nothing happens. A signal carries what happened,
never the contents (no mood, no note, no substance). No discord here.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from db.engine import Database


class Shared(StrEnum):
    """The kinds a member may share, each its own choice in /partner settings."""

    CHECKINS = "checkins"
    MILESTONES = "milestones"
    WARNING_SIGNS = "warning_signs"
    HELP_NOW = "help_now"


@dataclass(frozen=True)
class PartnerSignal:
    """Something about member `user_id` of server `guild_id` their partners may hear of.

    `occasion` names this one occurrence (a signal's id, a request's id): the same
    occasion handed over twice is sent once. `days` is a milestone's number of days.
    """

    guild_id: int
    user_id: int
    kind: Shared
    occasion: str
    at: datetime
    days: int | None = None


class PartnerSignals(Protocol):
    async def queue(self, session: AsyncSession, signals: Sequence[PartnerSignal]) -> int:
        """Queue each signal for the partners its member shares that kind with, in the
        caller's transaction (a session over every server or the signals' own); returns
        how many messages were queued. The caller wakes the outbox after committing."""
        ...


class _NoPartners:
    """The partners while no partners feature is loaded: nobody has any."""

    async def queue(self, session: AsyncSession, signals: Sequence[PartnerSignal]) -> int:
        return 0


NO_PARTNERS: PartnerSignals = _NoPartners()


async def tell_partners(db: Database, partners: PartnerSignals, signal: PartnerSignal) -> int:
    """Queue one signal in a transaction of its own, for a feature that decided it
    outside the database (a /help-now request, decided in memory)."""
    async with db.guild_session(signal.guild_id) as session, session.begin():
        return await partners.queue(session, [signal])
