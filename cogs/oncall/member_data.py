"""On-call's part of the privacy hooks (see core/member_data.py).

Per table:
- `oncall_shifts`, `oncall_overrides`: `specialist_user_id` is a peer specialist in
  that role and `created_by` whoever set the row up. They are the server's crisis rota,
  not a member's recovery record: erasing a specialist's own recovery data must not
  silently take them off the rota and leave a page with nobody to go to. So erase keeps
  them (with the ids); taking someone off the rota stays the audited
  `/oncall schedule remove`, and a member who leaves the server is taken off by the
  leaver's clean-up (issue 14). Export lists the member's own shifts and pager holds.
- The help requests this feature reports on belong to /help-now.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.member_data import iso, rows_where
from db.base import Base
from db.models import OnCallOverride, OnCallShift


class OnCallMemberData:
    name = "oncall"
    tables: tuple[type[Base], ...] = (OnCallShift, OnCallOverride)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        shifts = await rows_where(
            session,
            OnCallShift,
            OnCallShift.guild_id == guild_id,
            OnCallShift.specialist_user_id == user_id,
            order_by=OnCallShift.id,
        )
        overrides = await rows_where(
            session,
            OnCallOverride,
            OnCallOverride.guild_id == guild_id,
            OnCallOverride.specialist_user_id == user_id,
            order_by=OnCallOverride.id,
        )
        return {
            "shifts": [
                {
                    "weekday": row.weekday,
                    "start_minute": row.start_minute,
                    "end_minute": row.end_minute,
                    "timezone": row.timezone,
                    "position": row.position,
                    "created_at": iso(row.created_at),
                }
                for row in shifts
            ],
            "pager_holds": [
                {
                    "starts_at": iso(row.starts_at),
                    "ends_at": iso(row.ends_at),
                    "ended_early_at": iso(row.ended_early_at),
                }
                for row in overrides
            ],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        """Nothing: the rota is kept (see the module's docstring)."""
