"""Time zones: the one option type, and the one rule for whose clock a member's day runs on.

Commands take `zone: TimeZone` (or `TimeZone | None`); the value they get is a valid
IANA name such as "Europe/London", which is what the database stores. Services that
take a zone from elsewhere check it with `validate_timezone`, the same rule.

A member's day runs in their own zone, else the group's check-in zone, else the
server's, else UTC: `member_zone` for one member, `member_zone_name` inside a query
over many (every feature that counts a member's days shares it).
"""

from __future__ import annotations

import zoneinfo
from functools import cache
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import discord
from discord import app_commands
from sqlalchemy import ColumnElement, SQLColumnExpression, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from core.errors import UserFacingError
from db.models import GuildSettings, Member
from db.models.checkins import CheckinSchedule

# Discord shows at most 25 autocomplete suggestions.
SUGGESTION_LIMIT = 25
UNKNOWN_TIMEZONE = (
    "“{name}” isn't a time zone I know; pick one from the list, for example Europe/London."
)


@cache
def _all_zones() -> tuple[str, ...]:
    # Legacy aliases ("US/Eastern", "EST5EDT") only confuse people choosing a zone.
    regional = sorted(
        zone
        for zone in zoneinfo.available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return (*regional, "UTC")


def validate_timezone(name: str) -> str:
    """The IANA name, trimmed; a `UserFacingError` if it isn't one we offer."""
    cleaned = name.strip()
    if cleaned not in _all_zones():
        raise UserFacingError(UNKNOWN_TIMEZONE.format(name=cleaned[:64]))
    return cleaned


def timezone_suggestions(query: str) -> list[str]:
    """Zones starting with the query, then cities starting with it, then any containing it."""
    needle = query.strip().lower().replace(" ", "_")
    if not needle:
        return list(_all_zones()[:SUGGESTION_LIMIT])
    starts = [z for z in _all_zones() if z.lower().startswith(needle)]
    city_starts = [
        z
        for z in _all_zones()
        if z.lower().rsplit("/", 1)[-1].startswith(needle) and z not in starts
    ]
    contains = [
        z for z in _all_zones() if needle in z.lower() and z not in starts and z not in city_starts
    ]
    return (starts + city_starts + contains)[:SUGGESTION_LIMIT]


class TimeZoneTransformer(app_commands.Transformer):
    """A string option with zone suggestions; transforms to the validated IANA name.

    A bad name raises `UserFacingError`, which discord.py wraps in a `TransformerError`
    (the error handler shows the person the `UNKNOWN_TIMEZONE` line).
    """

    async def transform(self, interaction: discord.Interaction, value: str, /) -> str:
        return validate_timezone(value)

    async def autocomplete(
        self, interaction: discord.Interaction, value: int | float | str, /
    ) -> list[app_commands.Choice[int | float | str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_suggestions(str(value))]


TimeZone = app_commands.Transform[str, TimeZoneTransformer]


# --- Whose clock a member's day runs on -------------------------------------------------


def zone_or_utc(name: str | None) -> ZoneInfo:
    try:
        return ZoneInfo(name) if name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def group_zone_name(guild_id: int | SQLColumnExpression[int]) -> ColumnElement[Any]:
    """The group's check-in zone, else the server's; NULL when the server set neither."""
    # correlate_except: each stays a lookup of its own table, even inside a query that
    # already joins that table for something else.
    return func.coalesce(
        select(CheckinSchedule.timezone)
        .where(CheckinSchedule.guild_id == guild_id)
        .correlate_except(CheckinSchedule)
        .scalar_subquery(),
        select(GuildSettings.timezone)
        .where(GuildSettings.guild_id == guild_id)
        .correlate_except(GuildSettings)
        .scalar_subquery(),
    )


def member_zone_name(
    guild_id: int | SQLColumnExpression[int], user_id: int | SQLColumnExpression[int]
) -> ColumnElement[Any]:
    """The member's zone name as SQL (columns of the outer query, or values): their own,
    else the group's; NULL when nobody set one (`zone_or_utc` then reads it as UTC)."""
    return func.coalesce(
        select(Member.timezone)
        .where(Member.guild_id == guild_id, Member.user_id == user_id)
        .correlate_except(Member)
        .scalar_subquery(),
        group_zone_name(guild_id),
    )


async def group_zone(session: AsyncSession, guild_id: int) -> str:
    """The group's check-in zone, else the server's, else UTC."""
    return await session.scalar(select(group_zone_name(guild_id))) or "UTC"


async def member_zone(session: AsyncSession, guild_id: int, user_id: int) -> ZoneInfo:
    return zone_or_utc(await session.scalar(select(member_zone_name(guild_id, user_id))))
