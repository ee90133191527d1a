"""What the meetings' end-to-end tests share: a server with a meeting room, a meetings
channel and a reminder role; the clock both the bot and the emulator read; the job run
by hand; and the commands as a specialist or member types them."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import select

from cogs.meetings.cog import MeetingCog
from core.bot import RecoveryBot
from db.models import MeetingAttendance, MeetingOccurrence
from fakediscord.models import Channel, Member, Message, Role
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import outbox_settled
from tests.fake_clock import FakeClock
from tests.waiting import wait_for


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


MONDAY_BEFORE_DST = utc(2027, 3, 8, 17, 0)
# Tuesday 9 March, 19:00 in New York (EST, UTC-5), and a week later (EDT, UTC-4).
FIRST_START = utc(2027, 3, 10, 0, 0)
SECOND_START = utc(2027, 3, 16, 23, 0)


@dataclass
class Rooms:
    voice: Channel
    meetings: Channel
    role: Role


def add_rooms(community: Community) -> Rooms:
    guild = community.guild
    return Rooms(
        voice=guild.create_voice_channel("meeting-room"),
        meetings=guild.create_text_channel("meetings"),
        role=guild.create_role("Meeting reminders"),
    )


async def configure(runner: BotRunner, bot: RecoveryBot, rooms: Rooms) -> None:
    await runner.configure(
        bot, meetings_channel_id=rooms.meetings.id, meetings_role_id=rooms.role.id
    )


def hold_clock(bot: RecoveryBot, community: Community, clock: FakeClock) -> None:
    """The bot and the emulator on one clock the test moves; the test runs the job."""
    bot.clock = clock
    community.emu.clock = clock.now
    bot.scheduler.pause()


def cog_of(bot: RecoveryBot) -> MeetingCog:
    return cast(MeetingCog, bot.get_cog("MeetingCog"))


async def run_job(bot: RecoveryBot) -> None:
    """The meetings job as the scheduler runs it, then the outbox emptied."""
    await cog_of(bot).jobs.tick()
    await outbox_settled(bot)


async def meeting(community: Community, who: Member, command: str, **options: object) -> Message:
    """/meeting <command> as `who` in #check-ins; the bot's finished private reply."""
    it = await who.run_command(f"meeting {command}", channel=community.checkins, options=options)
    return await it.wait_for_reply()


def schedule_options(rooms: Rooms, **changes: object) -> dict[str, object]:
    values: dict[str, object] = {
        "title": "Tuesday circle",
        "days": "tue",
        "time": "19:00",
        "zone": "America/New_York",
        "duration": 60,
        "channel": rooms.voice,
        "topic": "Asking for help",
    }
    values.update(changes)
    return values


async def occurrences(bot: RecoveryBot, community: Community) -> list[MeetingOccurrence]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list(
            (await session.scalars(select(MeetingOccurrence).order_by(MeetingOccurrence.id))).all()
        )


async def attendance(bot: RecoveryBot, community: Community) -> Mapping[int, MeetingAttendance]:
    async with bot.db.guild_session(community.guild.id) as session:
        rows = (await session.scalars(select(MeetingAttendance))).all()
    return {row.user_id: row for row in rows}


def posts(community: Community, channel: Channel) -> list[Message]:
    return [
        m for m in community.emu.messages_in(channel) if m.author.id == community.app.bot_user.id
    ]


async def in_the_room(bot: RecoveryBot, community: Community, member: Member, inside: bool) -> None:
    """Wait until the bot recorded `member` coming into (or leaving) the meeting's room."""

    async def recorded() -> bool | None:
        entry = (await attendance(bot, community)).get(member.id)
        there = entry is not None and entry.in_voice_since is not None
        return True if there == inside and (entry is not None or not inside) else None

    await wait_for(recorded, within=5, what=f"{member.user.username}'s voice change recorded")
