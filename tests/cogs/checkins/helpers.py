"""Shared pieces for the check-in tests: ids, content, and quick ways to set a group up."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from cogs.checkins.form import RawCheckin
from cogs.checkins.records import CheckinOutcome, record_checkin
from cogs.checkins.schedule import ScheduleState, parse_local_time, parse_weekdays, save_schedule
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from db.engine import Database
from db.models import GuildSettings, Member

CONTENT = load_content(DEFAULT_CONTENT_DIR)
CHECKINS = CONTENT.checkins
GUILD = 111_000_000_000_000_001
OTHER_GUILD = 222_000_000_000_000_002
ADMIN = 900_000_000_000_000_009
CHANNEL = 500_000_000_000_000_005
ALICE = 333_000_000_000_000_003
BOB = 444_000_000_000_000_004

GOOD = RawCheckin(mood="4", craving="2", sleep="7.5", triggers=(), note="")


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall time in `zone`, as the UTC instant it is."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def set_member_zone(database: Database, guild_id: int, user_id: int, zone: str) -> None:
    async with database.guild_session(guild_id) as session, session.begin():
        session.add(Member(guild_id=guild_id, user_id=user_id, timezone=zone))


async def set_server_zone(database: Database, guild_id: int, zone: str) -> None:
    async with database.guild_session(guild_id) as session, session.begin():
        session.add(GuildSettings(guild_id=guild_id, timezone=zone))


async def schedule(
    database: Database,
    *,
    guild_id: int = GUILD,
    at: str = "19:00",
    zone: str = "UTC",
    days: str = "every day",
) -> ScheduleState:
    hour, minute = parse_local_time(at)
    return await save_schedule(
        database,
        guild_id,
        ADMIN,
        channel_id=CHANNEL,
        hour=hour,
        minute=minute,
        timezone=zone,
        weekdays=parse_weekdays(days),
        enabled=True,
    )


async def check_in(
    database: Database,
    now: datetime,
    *,
    user_id: int = ALICE,
    guild_id: int = GUILD,
    mood: int = 4,
    craving: int = 2,
    sleep: float = 7.5,
    triggers: tuple[str, ...] = (),
    note: str = "",
) -> CheckinOutcome:
    raw = RawCheckin(str(mood), str(craving), str(sleep), triggers, note)
    return await record_checkin(database, guild_id, user_id, raw, CHECKINS, now)
