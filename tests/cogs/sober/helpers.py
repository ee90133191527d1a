"""Shared pieces for the sober-day tests: ids, the milestones, members' zones, every
sober row read back for before/after comparisons, and the milestone job run by hand."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import select

from cogs.sober.cog import SoberCog
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core.bot import RecoveryBot
from db.base import Base
from db.engine import Database
from db.models import Member
from tests.cogs.checkins.e2e_helpers import outbox_settled
from tests.fake_clock import FakeClock

MILESTONES = load_content(DEFAULT_CONTENT_DIR).milestones.days
GUILD = 111_000_000_000_000_001
OTHER_GUILD = 222_000_000_000_000_002
CHANNEL = 500_000_000_000_000_005
ALICE = 333_000_000_000_000_003
BOB = 444_000_000_000_000_004


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def local(zone: str, year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    """A wall time in `zone`, as the UTC instant it is."""
    return datetime(year, month, day, hour, minute, tzinfo=ZoneInfo(zone)).astimezone(UTC)


async def set_member_zone(database: Database, guild_id: int, user_id: int, zone: str) -> None:
    async with database.guild_session(guild_id) as session, session.begin():
        member = await session.scalar(select(Member).where(Member.user_id == user_id))
        if member is None:
            session.add(Member(guild_id=guild_id, user_id=user_id, timezone=zone))
        else:
            member.timezone = zone


async def sober_rows(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the counters' tables and of the outbox, in every server, decrypted."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with database.engine.connect() as connection:
        for name in ("sober_counters", "sober_runs", "sober_preferences", "outbox_messages"):
            rows = (await connection.execute(select(Base.metadata.tables[name]))).all()
            found[name] = sorted((tuple(row) for row in rows), key=repr)
    return found


def hold_clock(bot: RecoveryBot, clock: FakeClock) -> RecoveryBot:
    bot.clock = clock
    # The test runs the milestone job itself, at the times it chooses.
    bot.scheduler.pause()
    return bot


async def run_milestones(bot: RecoveryBot) -> None:
    """The milestone job, run as the scheduler runs it, then the outbox emptied."""
    cog = cast(SoberCog, bot.get_cog("SoberCog"))
    job = bot.scheduler.get_job(cog.jobs.scheduled.job_id("milestones"))
    assert job is not None, "no milestone job"
    await job.func(*job.args)
    await outbox_settled(bot)
