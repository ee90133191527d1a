"""/privacy's part of the privacy hooks (see core/member_data.py).

Privacy stores nothing in tables of its own: the choices and the notice seen are columns
of the shared `members` row, and its audit lines are core's; core's hooks export and
erase both. What it holds in memory is which members have seen the current notice
(`consent.NoticesSeen`): an erasure forgets them there too, so a member who comes back
is told again what the bot keeps.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cogs.privacy.consent import NoticesSeen
from db.base import Base


class PrivacyMemberData:
    name = "privacy"
    tables: tuple[type[Base], ...] = ()

    def __init__(self, notices_seen: NoticesSeen) -> None:
        self._notices_seen = notices_seen

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        return {}

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        """Nothing of its own in the database."""

    async def forget_member(self, guild_id: int, user_id: int) -> Callable[[], None]:
        return self._notices_seen.forget_member(guild_id, user_id)

    async def forget_server(self, guild_id: int) -> Callable[[], None]:
        return self._notices_seen.forget_server(guild_id)
