"""The shared `members` row of a person in one server, made when first needed.

Several features (check-in settings, the privacy notice, the daily presence check) may
make it at the same moment; the unique (guild, member) pair keeps one, and every maker
goes through here so none of them fails on the other's row.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.inserts import insert_missing
from db.models import Member


async def member_row(session: AsyncSession, guild_id: int, user_id: int) -> Member:
    """The member's row in `guild_id`, made first if missing, inside the caller's
    transaction."""
    found = await _find(session, guild_id, user_id)
    if found is not None:
        return found
    await insert_missing(
        session,
        Member,
        {"guild_id": guild_id, "user_id": user_id},
        on=[Member.guild_id, Member.user_id],
    )
    made = await _find(session, guild_id, user_id)
    assert made is not None  # inserted above, or by whoever won the race
    return made


async def _find(session: AsyncSession, guild_id: int, user_id: int) -> Member | None:
    return await session.scalar(
        select(Member).where(Member.guild_id == guild_id, Member.user_id == user_id)
    )
