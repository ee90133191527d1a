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

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.member_data import iso, rows_where
from db.base import Base
from db.models import Checkin, CheckinPreference, CheckinSchedule, CheckinSignal

_MEMBER_TABLES = (Checkin, CheckinPreference, CheckinSignal)


class CheckinMemberData:
    name = "checkins"
    tables: tuple[type[Base], ...] = (CheckinSchedule, *_MEMBER_TABLES)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        checkins = await rows_where(
            session,
            Checkin,
            Checkin.guild_id == guild_id,
            Checkin.user_id == user_id,
            order_by=Checkin.local_date,
        )
        preference = await session.scalar(
            select(CheckinPreference).where(
                CheckinPreference.guild_id == guild_id, CheckinPreference.user_id == user_id
            )
        )
        signals = await rows_where(
            session,
            CheckinSignal,
            CheckinSignal.guild_id == guild_id,
            CheckinSignal.user_id == user_id,
            order_by=CheckinSignal.id,
        )
        return {
            "checkins": [
                {
                    "local_date": iso(row.local_date),
                    "mood": row.mood,
                    "craving": row.craving,
                    "sleep_hours": row.sleep_hours,
                    "triggers": list(row.triggers),
                    "note": row.note,
                    "created_at": iso(row.created_at),
                    "updated_at": iso(row.updated_at),
                }
                for row in checkins
            ],
            "preferences": None
            if preference is None
            else {
                "reminders_enabled": preference.reminders_enabled,
                "reminder_hour": preference.reminder_hour,
                "share_enabled": preference.share_enabled,
                "last_reminder_date": iso(preference.last_reminder_date),
            },
            "warning_signs": [
                {
                    "kind": row.kind,
                    "episode_start": iso(row.episode_start),
                    "detected_on": iso(row.detected_on),
                    "nudge_delivered": row.nudge_delivered,
                    "shared_with_specialists": row.shared_with_specialists,
                }
                for row in signals
            ],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        for table in _MEMBER_TABLES:
            await session.execute(
                delete(table).where(table.guild_id == guild_id, table.user_id == user_id)
            )
