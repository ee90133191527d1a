"""/cope's part of the privacy hooks (see core/member_data.py).

Per table:
- `journal_entries`: `user_id` is the member who wrote the entry and asked to keep it;
  every row of theirs is their record (what they wrote, with which exercise, when).
  Exported in full, the text decrypted; erased in full. Entries written without asking
  to keep them were never stored.

Nothing else is held: a running exercise keeps only the message it edits, in memory,
for at most 15 minutes, and nothing the member wrote.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from core.member_data import MemberTable, erase_tables, export_tables
from db.base import Base
from db.models import JournalEntry

_ENTRIES = MemberTable(
    "journal_entries",
    JournalEntry.user_id,
    "strategy_id text written_at",
    order_by=(JournalEntry.written_at, JournalEntry.id),
)


class CopeMemberData:
    name = "cope"
    tables: tuple[type[Base], ...] = (JournalEntry,)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        return await export_tables(session, guild_id, user_id, _ENTRIES)

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        await erase_tables(session, guild_id, user_id, _ENTRIES)
