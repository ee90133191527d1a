"""Missed meetings as a warning sign, for the check-in feature's detector (see
core/sign_sources.py): a member who used to come and has missed several in a row. The
detector decides what reaches the member and, with their consent, the specialists."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from cogs.meetings import service
from core.sign_sources import SourcedSign

MISSED_MEETINGS = "missed_meetings"


class MissedMeetings:
    def __init__(self, threshold: int) -> None:
        self.threshold = threshold

    async def active_signs(
        self, session: AsyncSession, guild_id: int, now: datetime
    ) -> Sequence[SourcedSign]:
        # The episode began with the first meeting of the run missed: the same day for
        # as long as the run lasts, so the member is nudged once about it. Specialists
        # hear of it only if the member also shares their attendance.
        return [
            SourcedSign(missing.user_id, MISSED_MEETINGS, missing.since, shareable=missing.sharing)
            for missing in await service.missing_members(session, self.threshold, now)
        ]
