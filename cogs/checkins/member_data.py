"""Check-ins' part of the privacy hooks (see core/member_data.py).

Per table:
- `checkins`, `checkin_preferences`, `checkin_signals`: `user_id` is the member; every
  row of theirs is their record (answers and notes, reminder and sharing choices, the
  warning signs noticed). Exported in full, the note decrypted; erased in full.
- `checkin_schedules`: the server's prompt schedule; names no member.

The daily jobs (prompt, reminders, detector) are per server and read these tables when
they run, so an erased member gets no reminder or nudge: there is no per-member job.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.member_data import MemberTable, erase_tables, export_tables
from db.base import Base
from db.models import Checkin, CheckinPreference, CheckinSchedule, CheckinSignal

_MEMBER_TABLES = (
    MemberTable(
        "checkins",
        Checkin.user_id,
        "local_date mood craving sleep_hours triggers note created_at updated_at",
        order_by=Checkin.local_date,
    ),
    MemberTable(
        "preferences",
        CheckinPreference.user_id,
        "reminders_enabled reminder_hour share_enabled last_reminder_date",
        one=True,
    ),
    MemberTable(
        "warning_signs",
        CheckinSignal.user_id,
        "kind episode_start detected_on nudge_delivered shared_with_specialists",
    ),
)


class CheckinMemberData:
    name = "checkins"
    tables: tuple[type[Base], ...] = (CheckinSchedule, Checkin, CheckinPreference, CheckinSignal)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        return await export_tables(session, guild_id, user_id, *_MEMBER_TABLES)

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        await erase_tables(session, guild_id, user_id, *_MEMBER_TABLES)
