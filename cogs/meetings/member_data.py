"""Meetings' part of the privacy hooks (see core/member_data.py).

Per table:
- `meeting_attendance`: `user_id` is the member; each row is their presence at one
  meeting (time in the room, the "I'm here" press, whether it counted). Exported with the
  meeting's title and start; erased in full.
- `meeting_preferences`: the member's consent to share their attendance. Exported and
  erased.
- `audit_log` (core's table): each time a specialist's `/meeting report` named the member
  (only with their consent) is a line there, read back as their access log's looks;
  core's hook exports and erases those lines.
- `meetings`, `meeting_occurrences`: the group's schedule. `created_by` and
  `facilitator_user_id` name a member in their role as a specialist or facilitator, not
  their own record: kept, as the on-call rota is.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.meetings.service import VIEWED
from core.member_data import (
    Look,
    MemberTable,
    erase_rows,
    erase_tables,
    export_tables,
    exported,
    member_rows,
)
from db.base import Base
from db.models import AuditEntry, Meeting, MeetingAttendance, MeetingOccurrence, MeetingPreference

LOOKED_AT_ATTENDANCE = "your meeting attendance (you had chosen to share it)"

_PREFERENCES = MemberTable(
    "preferences", MeetingPreference.user_id, "share_attendance changed_at", one=True
)


class MeetingMemberData:
    name = "meetings"
    tables: tuple[type[Base], ...] = (
        Meeting,
        MeetingOccurrence,
        MeetingAttendance,
        MeetingPreference,
    )

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        rows = (
            await session.execute(
                select(MeetingAttendance, MeetingOccurrence.starts_at, Meeting.title)
                .join(MeetingOccurrence, MeetingOccurrence.id == MeetingAttendance.occurrence_id)
                .join(Meeting, Meeting.id == MeetingOccurrence.meeting_id)
                .where(MeetingAttendance.guild_id == guild_id, MeetingAttendance.user_id == user_id)
                .order_by(MeetingOccurrence.starts_at)
            )
        ).all()
        return {
            "attendance": [
                exported(
                    entry,
                    "meeting starts_at seconds_present here_at attended",
                    meeting=title,
                    starts_at=starts_at,
                )
                for entry, starts_at, title in rows
            ],
            **await export_tables(session, guild_id, user_id, _PREFERENCES),
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        await erase_rows(session, MeetingAttendance, guild_id, MeetingAttendance.user_id == user_id)
        await erase_tables(session, guild_id, user_id, _PREFERENCES)

    async def looks_at_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> list[Look]:
        lines = await member_rows(
            session,
            AuditEntry,
            guild_id,
            AuditEntry.subject_user_id == user_id,
            AuditEntry.action == VIEWED,
        )
        return [
            Look(line.actor_user_id or 0, LOOKED_AT_ATTENDANCE, line.created_at) for line in lines
        ]
