"""What the meetings' end-to-end tests share: a server with a meeting room, a meetings
channel and a reminder role; the clock both the bot and the emulator read; the job run
by hand; and the commands as a specialist or member types them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import select

from cogs.meetings.cog import MeetingCog
from core.bot import RecoveryBot
from db.models import MeetingAttendance, MeetingOccurrence, MeetingPreference
from db.models.meetings import PLANNED
from fakediscord.driver import InteractionResponse
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


# --- Added for the commands, attendance, privacy and warning-sign tests ---------------------

EVERY_DAY = "mon, tue, wed, thu, fri, sat, sun"
HERE_PREFIX = "meetings:here:"


async def text_room(bot: RecoveryBot, community: Community, name: str) -> Channel:
    """A new text channel for a meeting held in writing, once the bot knows it."""
    channel = community.guild.create_text_channel(name)

    async def known() -> bool | None:
        return True if bot.get_channel(channel.id) is not None else None

    await wait_for(known, within=5, what=f"the bot to see #{name}")
    return channel


def here_button(message: Message) -> str:
    """The custom_id of the "I'm here" button on an opening round."""
    [custom_id] = [c for c in message.custom_ids if c.startswith(HERE_PREFIX)]
    return custom_id


async def press_here(member: Member, message: Message) -> InteractionResponse:
    """`member` presses "I'm here" on `message`; the bot's answer."""
    it = await member.click(message, here_button(message))
    return await it.wait_for_response()


def openings(community: Community, channel: Channel) -> list[Message]:
    return [m for m in posts(community, channel) if "Opening round" in m.content]


async def planned(bot: RecoveryBot, community: Community) -> MeetingOccurrence:
    """The one occurrence still to come."""
    [row] = [row for row in await occurrences(bot, community) if row.state == PLANNED]
    return row


async def hold_next_meeting(
    bot: RecoveryBot,
    community: Community,
    clock: FakeClock,
    channel: Channel,
    here: Sequence[Member] = (),
) -> MeetingOccurrence:
    """The next text or link meeting runs its course: the clock moves to its start, the
    opening round is posted in `channel`, each of `here` presses "I'm here", the clock
    moves to its end and the meeting is closed. Returns the occurrence as it was planned."""
    row = await planned(bot, community)
    clock.at = row.starts_at
    await run_job(bot)
    opening = openings(community, channel)[-1]
    assert here_button(opening) == f"{HERE_PREFIX}{row.id}"
    for member in here:
        answer = await press_here(member, opening)
        assert "Thanks for being here" in answer.content
    clock.at = row.ends_at
    await run_job(bot)
    return row


async def preferences(bot: RecoveryBot, community: Community) -> Mapping[int, MeetingPreference]:
    async with bot.db.guild_session(community.guild.id) as session:
        rows = (await session.scalars(select(MeetingPreference))).all()
    return {row.user_id: row for row in rows}


async def restart(
    runner: BotRunner, bot: RecoveryBot, community: Community, clock: FakeClock
) -> RecoveryBot:
    """The bot stopped and started again like a process, on the test's clock from its
    first moment (what it does as it comes up reads that clock), the job run by hand."""
    await runner.stop(bot)
    runner.clock = clock
    again = await runner.start()
    hold_clock(again, community, clock)
    return again


async def daily_text_meeting(bot: RecoveryBot, community: Community, rooms: Rooms) -> Channel:
    """ "Daily circle", held in writing every evening at 19:00 in New York, without
    reminders (its opening rounds are posted in that channel); its channel."""
    channel = await text_room(bot, community, "daily-circle")
    options = schedule_options(
        rooms, title="Daily circle", days=EVERY_DAY, channel=channel, reminders="none"
    )
    reply = await meeting(community, community.sam, "schedule", **options)
    assert "Scheduled **Daily circle**" in reply.content
    return channel
