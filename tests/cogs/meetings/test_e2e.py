"""Meetings end to end: the real bot, the emulator's Discord rules, a real database, and one
clock (the bot's and the emulator's) the test moves. The job is run by hand at the moments
the test picks; nothing waits for real time."""

from __future__ import annotations

from core.bot import RecoveryBot
from db.models.meetings import CLOSED, EVENT_COMPLETED, OPEN, PLANNED
from fakediscord.models import Member
from sandbox.community import Community
from tests.cogs.meetings.helpers import (
    FIRST_START,
    SECOND_START,
    Rooms,
    attendance,
    in_the_room,
    meeting,
    occurrences,
    posts,
    run_job,
    schedule_options,
    utc,
)
from tests.fake_clock import FakeClock


async def test_scheduling_makes_a_discord_event_at_the_right_utc_start_across_dst(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    reply = await meeting(community, community.sam, "schedule", **schedule_options(rooms))

    assert "Scheduled **Tuesday circle**" in reply.content
    assert "events list" in reply.content
    [event] = community.guild.scheduled_events.values()
    assert event.start == FIRST_START
    assert event.channel_id == rooms.voice.id
    assert event.entity_type == 2

    # The first meeting runs its course; the next one, after the change, is 23:00 UTC.
    clock.at = FIRST_START
    await run_job(bot)
    clock.at = utc(2027, 3, 10, 1, 0)
    await run_job(bot)

    first, second = await occurrences(bot, community)
    assert first.state == CLOSED
    assert second.starts_at == SECOND_START
    assert second.state == PLANNED
    assert community.guild.scheduled_events[first.discord_event_id or 0].status == EVENT_COMPLETED
    assert community.guild.scheduled_events[second.discord_event_id or 0].start == SECOND_START


async def test_reminders_fire_once_each_at_their_time_and_the_opening_round_at_the_start(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))

    clock.at = utc(2027, 3, 8, 23, 59)  # a minute before 24 hours ahead: nothing yet
    await run_job(bot)
    assert posts(community, rooms.meetings) == []

    clock.at = utc(2027, 3, 9, 0, 0)
    await run_job(bot)
    await run_job(bot)  # running again sends nothing more
    [day_before] = posts(community, rooms.meetings)
    assert "Tuesday circle" in day_before.content
    assert [role.id for role in day_before.mention_roles] == [rooms.role.id]

    clock.at = utc(2027, 3, 9, 23, 45)
    await run_job(bot)
    assert len(posts(community, rooms.meetings)) == 2

    clock.at = FIRST_START
    await run_job(bot)
    opening = posts(community, rooms.meetings)[-1]
    assert "Opening round" in opening.content
    assert "Asking for help" in opening.content
    [row] = await occurrences(bot, community)
    assert row.state == OPEN
    assert community.guild.scheduled_events[row.discord_event_id or 0].status == 2


async def test_voice_attendance_counts_ten_minutes_summed_over_rejoins_and_not_a_short_visit(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    clock.at = FIRST_START
    await run_job(bot)

    async def at(minute: int, member: Member, joins: bool) -> None:
        clock.at = utc(2027, 3, 10, 0, minute)
        if joins:
            await member.join_voice(rooms.voice)
        else:
            await member.leave_voice()
        await in_the_room(bot, community, member, joins)

    await at(2, community.alice, True)
    await at(8, community.alice, False)
    await at(10, community.bob, True)
    await at(12, community.bob, False)  # a 2-minute visit
    await at(30, community.alice, True)
    await at(35, community.alice, False)  # 6 minutes, then 5 more: 11 in all

    clock.at = utc(2027, 3, 10, 1, 0)
    await run_job(bot)

    rows = await attendance(bot, community)
    assert rows[community.alice.id].attended is True
    assert rows[community.bob.id].attended is False
    assert rows[community.alice.id].seconds_present == 11 * 60
    reply = await meeting(community, community.alice, "attendance")
    assert "You were at the last meeting" in reply.content
    assert reply.flags & 64  # private
