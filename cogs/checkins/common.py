"""What the check-in rules share: whose clock a date is read on, and two small helpers.

Dates that belong to a person are local dates: a member's day runs in their own time
zone (else the group's check-in zone, else the server's). Times in the database are
UTC. `now` always comes from the caller (the bot's injectable clock). No Discord here.
"""

from __future__ import annotations

from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from db.models import GuildSettings, Member
from db.models.checkins import CheckinSchedule

# --- Time zones -----------------------------------------------------------------------------


def zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


async def group_zone(session: AsyncSession, guild_id: int) -> str:
    """The group's check-in zone, else the server's, else UTC."""
    schedule = await session.get(CheckinSchedule, guild_id)
    if schedule is not None:
        return schedule.timezone
    settings = await session.get(GuildSettings, guild_id)
    return settings.timezone if settings is not None else "UTC"


async def member_zone(session: AsyncSession, guild_id: int, user_id: int) -> ZoneInfo:
    own = await session.scalar(select(Member.timezone).where(Member.user_id == user_id))
    return zone_or_utc(own or await group_zone(session, guild_id))


# --- Small helpers --------------------------------------------------------------------------


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def echo(value: str) -> str:
    cleaned = " ".join(value.split())
    return cleaned if len(cleaned) <= 20 else cleaned[:19] + "…"
