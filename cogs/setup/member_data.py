"""/setup's part of the privacy hooks (see core/member_data.py).

- `guild_settings`: the server's configuration (channels, role, time zone, crisis
  lines); it names no member. Which admin changed it is in the audit log (core).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from db.base import Base
from db.models import GuildSettings


class SetupMemberData:
    name = "setup"
    tables: tuple[type[Base], ...] = (GuildSettings,)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        return {}

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        """Nothing names a member here."""
