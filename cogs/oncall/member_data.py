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

from core.member_data import MemberTable, export_tables
from db.base import Base
from db.models import OnCallOverride, OnCallShift

# Exported, never erased.
_ROTA = (
    MemberTable(
        "shifts",
        OnCallShift.specialist_user_id,
        "weekday start_minute end_minute timezone position created_at",
    ),
    MemberTable(
        "pager_holds", OnCallOverride.specialist_user_id, "starts_at ends_at ended_early_at"
    ),
)


class OnCallMemberData:
    name = "oncall"
    tables: tuple[type[Base], ...] = (OnCallShift, OnCallOverride)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        return await export_tables(session, guild_id, user_id, *_ROTA)

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        """Nothing: the rota is kept (see the module's docstring)."""
