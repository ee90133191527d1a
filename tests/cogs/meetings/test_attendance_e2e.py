"""Attendance end to end: the "I'm here" button of a meeting held in writing or elsewhere,
and a voice meeting's room across a restart of the bot. The real bot, the emulator and a
real database, on one clock the test moves; the job is run by hand."""

from __future__ import annotations

import pytest

from core.bot import RecoveryBot
from db.models.meetings import CLOSED, OPEN
from fakediscord.models import Member
from sandbox.community import BotRunner, Community
from tests.cogs.meetings.helpers import (
    FIRST_START,
    HERE_PREFIX,
    Rooms,
    attendance,
    in_the_room,
    meeting,
    occurrences,
    openings,
    press_here,
    restart,
    run_job,
    schedule_options,
    text_room,
    utc,
)
from tests.fake_clock import FakeClock

LINK = "https://meet.example.org/tuesday-circle"


@pytest.mark.parametrize("held", ["text channel", "link"])
async def test_im_here_counts_each_presser_once_during_the_window_and_is_closed_after(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock, held: str
) -> None:
    # A text meeting opens in its own channel, a link meeting in the meetings channel.
    opens_in = rooms.meetings
    if held == "link":
        where: dict[str, object] = {"channel": None, "link": LINK}
    else:
        opens_in = await text_room(bot, community, "text-circle")
        where = {"channel": opens_in}
    options = {k: v for k, v in schedule_options(rooms, **where).items() if v is not None}
    await meeting(community, community.sam, "schedule", **options)
    [event] = community.guild.scheduled_events.values()
    assert event.entity_type == 3  # Discord's "external": no voice room
    assert event.location == (LINK if held == "link" else "#text-circle on this server")

    clock.at = FIRST_START
    await run_job(bot)
    [row] = await occurrences(bot, community)
    assert row.state == OPEN
    [opening] = openings(community, opens_in)
    assert opening.custom_ids == [f"{HERE_PREFIX}{row.id}"]
    assert "Asking for help" in opening.content

    clock.at = utc(2027, 3, 10, 0, 5)
    first = await press_here(community.alice, opening)
    assert first.ephemeral
    assert "You're counted as at **Tuesday circle**" in first.content
    clock.at = utc(2027, 3, 10, 0, 20)
    again = await press_here(community.alice, opening)
    assert again.ephemeral
    assert "already counted" in again.content
    rows = await attendance(bot, community)
    assert set(rows) == {community.alice.id}  # alice's press counts alice, nobody else
    assert rows[community.alice.id].here_at == utc(2027, 3, 10, 0, 5)  # the first press

    await press_here(community.bob, opening)
    rows = await attendance(bot, community)
    assert set(rows) == {community.alice.id, community.bob.id}
    assert rows[community.bob.id].here_at == utc(2027, 3, 10, 0, 20)

    # The meeting's end has come, the job has not closed it yet: presses are refused.
    clock.at = utc(2027, 3, 10, 1, 0)
    late = await press_here(community.riley, opening)
    assert late.ephemeral
    assert "has finished, so attendance is closed" in late.content
    assert community.riley.id not in await attendance(bot, community)

    await run_job(bot)
    first_row, _next = await occurrences(bot, community)
    assert first_row.state == CLOSED
    rows = await attendance(bot, community)
    assert set(rows) == {community.alice.id, community.bob.id}
    assert rows[community.alice.id].attended is True
    assert rows[community.bob.id].attended is True

    # Pressing the old round after the close changes nobody's record either.
    closed = await press_here(community.alice, opening)
    assert "attendance is closed" in closed.content
    assert (await attendance(bot, community))[community.alice.id].here_at == utc(2027, 3, 10, 0, 5)
    assert community.riley.id not in await attendance(bot, community)


async def test_a_member_still_in_the_room_across_a_restart_keeps_counting_and_attends(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    clock.at = FIRST_START
    await run_job(bot)

    async def at(running: RecoveryBot, minute: int, member: Member, joins: bool) -> None:
        clock.at = utc(2027, 3, 10, 0, minute)
        if joins:
            await member.join_voice(rooms.voice)
        else:
            await member.leave_voice()
        await in_the_room(running, community, member, joins)

    await at(bot, 1, community.alice, True)
    await at(bot, 1, community.bob, True)

    # Down from minute 3 to minute 5; bob leaves meanwhile, alice stays.
    clock.at = utc(2027, 3, 10, 0, 3)
    await bot_runner.stop(bot)
    await community.bob.leave_voice()
    clock.at = utc(2027, 3, 10, 0, 5)
    again = await restart(bot_runner, bot, community, clock)

    # Back up, the bot sees bob gone (his stay ends now: it can't know when he left)...
    await in_the_room(again, community, community.bob, False)
    # ...and still follows the room: alice's leave at minute 13 is recorded.
    await at(again, 13, community.alice, False)

    clock.at = utc(2027, 3, 10, 1, 0)
    await run_job(again)
    rows = await attendance(again, community)
    assert rows[community.alice.id].seconds_present == 12 * 60  # minute 1 to 13, unbroken
    assert rows[community.alice.id].attended is True
    assert rows[community.bob.id].seconds_present == 4 * 60  # minute 1 to the restart
    assert rows[community.bob.id].attended is False


async def test_the_im_here_button_posted_before_a_restart_still_counts_after_it(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    room = await text_room(bot, community, "text-circle")
    await meeting(community, community.sam, "schedule", **schedule_options(rooms, channel=room))
    clock.at = FIRST_START
    await run_job(bot)
    [opening] = openings(community, room)

    clock.at = utc(2027, 3, 10, 0, 30)
    again = await restart(bot_runner, bot, community, clock)
    answer = await press_here(community.alice, opening)

    assert "You're counted as at **Tuesday circle**" in answer.content
    clock.at = utc(2027, 3, 10, 1, 0)
    await run_job(again)
    rows = await attendance(again, community)
    assert rows[community.alice.id].here_at == utc(2027, 3, 10, 0, 30)
    assert rows[community.alice.id].attended is True
