"""Meetings when things go wrong: bad input changes nothing; a missing permission, a deleted
channel or a deleted event is told to the specialists and the schedule is kept; a bot that
was down sends a reminder still useful once, and never one after the meeting started."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from core.bot import RecoveryBot
from db.models import Meeting
from db.models.meetings import CLOSED, PLANNED
from fakediscord.permissions import Permission
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import outbox_settled
from tests.cogs.meetings.helpers import (
    FIRST_START,
    Rooms,
    hold_clock,
    meeting,
    occurrences,
    posts,
    run_job,
    schedule_options,
    utc,
)
from tests.fake_clock import FakeClock
from tests.waiting import wait_for


async def meetings_stored(bot: RecoveryBot, community: Community) -> int:
    async with bot.db.guild_session(community.guild.id) as session:
        return int(await session.scalar(select(func.count()).select_from(Meeting)) or 0)


@pytest.mark.parametrize(
    ("changes", "words"),
    [
        ({"zone": "Mars/Olympus"}, "time zone"),
        ({"days": "fifth tue", "every": "month"}, "fifth"),
        ({"days": "someday"}, "someday"),
        ({"time": "25:99"}, "25:99"),
        ({"starting": "2027-03-01"}, "past"),
        ({"reminders": "every so often"}, "every so often"),
        ({"channel": None}, "Where is it held"),
        ({"link": "javascript:alert(1)", "channel": None}, "https://"),
        ({"title": "\u200b\u00a0\u200b"}, "name members can read"),
        ({"starting": "9999-12-31"}, "more than a year"),
    ],
)
async def test_bad_input_gets_a_clear_message_and_creates_nothing(
    bot: RecoveryBot,
    community: Community,
    rooms: Rooms,
    clock: FakeClock,
    changes: dict[str, object],
    words: str,
) -> None:
    options = {k: v for k, v in schedule_options(rooms, **changes).items() if v is not None}
    reply = await meeting(community, community.sam, "schedule", **options)

    assert words.casefold() in reply.content.casefold()
    assert reply.flags & 64
    assert await meetings_stored(bot, community) == 0
    assert community.guild.scheduled_events == {}


async def test_a_channel_the_bot_cannot_see_is_refused(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    from fakediscord.models import overwrite

    hidden = community.guild.create_voice_channel(
        "private-room",
        overwrites=[overwrite(community.bot_member, deny=Permission.VIEW_CHANNEL)],
    )
    reply = await meeting(
        community, community.sam, "schedule", **schedule_options(rooms, channel=hidden)
    )

    assert "can't see" in reply.content
    assert await meetings_stored(bot, community) == 0


async def test_members_cannot_schedule_meetings(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    it = await community.alice.run_command(
        "meeting schedule", channel=community.checkins, options=schedule_options(rooms)
    )
    reply = await it.wait_for_reply()

    assert "peer specialist" in reply.content.casefold()
    assert await meetings_stored(bot, community) == 0


async def test_without_manage_events_specialists_are_told_and_the_schedule_is_kept(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    role = community.bot_member.roles[-1]
    community.guild.edit_role(
        role, permissions=role.permissions & ~(Permission.MANAGE_EVENTS | Permission.CREATE_EVENTS)
    )
    reply = await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    await outbox_settled(bot)

    assert "Manage Events" in reply.content
    assert community.guild.scheduled_events == {}
    [row] = await occurrences(bot, community)
    assert row.state == PLANNED
    [notice] = posts(community, community.specialists)
    assert "Manage Events" in notice.content

    # Reminders still go out; the notice is not repeated at every retry.
    clock.at = utc(2027, 3, 9, 0, 0)
    await run_job(bot)
    assert len(posts(community, rooms.meetings)) == 1
    assert len(posts(community, community.specialists)) == 1

    # Once the permission is back, the next try makes the event.
    community.guild.edit_role(role, permissions=role.permissions | Permission.MANAGE_EVENTS)
    clock.at = utc(2027, 3, 9, 0, 11)
    await run_job(bot)
    [event] = community.guild.scheduled_events.values()
    assert event.start == FIRST_START


async def test_a_deleted_voice_channel_is_told_to_specialists_and_nothing_crashes(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    community.guild.delete_channel(rooms.voice)

    async def told() -> bool | None:
        found = [m for m in posts(community, community.specialists) if "was deleted" in m.content]
        return True if found else None

    await outbox_settled(bot)
    await wait_for(told, within=5, what="the specialists to hear of the deleted channel")
    clock.at = FIRST_START
    await run_job(bot)  # the meeting opens without its room; nothing crashes
    reply = await meeting(community, community.alice, "list")
    assert "Tuesday circle" in reply.content


async def test_an_event_deleted_by_hand_is_told_and_not_made_again(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    [event] = community.guild.scheduled_events.values()
    community.guild.delete_scheduled_event(event)

    async def told() -> bool | None:
        await outbox_settled(bot)
        found = [m for m in posts(community, community.specialists) if "was deleted" in m.content]
        return True if found else None

    await wait_for(told, within=5, what="the specialists to hear of the deleted event")
    clock.at = utc(2027, 3, 9, 0, 0)
    await run_job(bot)
    assert community.guild.scheduled_events == {}
    [row] = await occurrences(bot, community)
    assert row.state == PLANNED
    assert row.event_deleted


async def test_a_reminder_due_while_the_bot_was_down_is_sent_once_after_the_restart(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    await bot_runner.stop(bot)
    clock.at = utc(2027, 3, 9, 23, 50)  # both the 24-hour and the 15-minute reminder are due

    again = await bot_runner.start()
    hold_clock(again, community, clock)
    await run_job(again)
    await bot_runner.stop(again)
    third = await bot_runner.start()
    hold_clock(third, community, clock)
    await run_job(third)

    [reminder] = posts(community, rooms.meetings)
    assert "starts" in reminder.content


async def test_a_meeting_missed_entirely_while_down_sends_nothing_late(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    await bot_runner.stop(bot)
    clock.at = utc(2027, 3, 10, 2, 0)  # after the meeting's end

    again = await bot_runner.start()
    hold_clock(again, community, clock)
    await run_job(again)

    assert posts(community, rooms.meetings) == []
    first, second = await occurrences(again, community)
    assert first.state == CLOSED
    assert not first.observed
    assert second.state == PLANNED


@pytest.mark.parametrize(
    ("options", "words"),
    [
        ({"meeting": "Tuesday circle", "day": "9999-12-31"}, "more than a year"),
        ({"meeting": "²"}, "couldn't find a meeting"),
        ({"meeting": "99999999999999999999"}, "couldn't find a meeting"),
    ],
)
async def test_odd_skips_are_refused_clearly_and_change_nothing(
    bot: RecoveryBot,
    community: Community,
    rooms: Rooms,
    clock: FakeClock,
    options: dict[str, object],
    words: str,
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    before = await occurrences(bot, community)

    reply = await meeting(community, community.sam, "skip", **options)

    assert words in reply.content
    after = await occurrences(bot, community)
    assert [(o.id, o.state, o.starts_at) for o in after] == [
        (o.id, o.state, o.starts_at) for o in before
    ]
