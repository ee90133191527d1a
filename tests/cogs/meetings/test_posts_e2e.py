"""What the meetings feature posts, when what a specialist typed is hostile (markdown,
@everyone, role and member mentions, the longest texts allowed, zero-width characters)
and when Discord rate-limits the bot: the reminder role is the only one ever pinged,
nothing crashes, and each reminder goes out exactly once."""

from __future__ import annotations

from typing import Any

import pytest

from cogs.meetings.cog import read_title
from core.bot import RecoveryBot
from db.models.meetings import OPEN
from fakediscord.models import Message
from sandbox.community import Community
from tests.cogs.meetings.helpers import (
    FIRST_START,
    Rooms,
    attendance,
    meeting,
    occurrences,
    posts,
    press_here,
    run_job,
    schedule_options,
    text_room,
    utc,
)
from tests.fake_clock import FakeClock

POST_MESSAGE = "/channels/{channel_id}/messages"
ZERO_WIDTH = "\u200b\u200c\u200d\u2060\ufeff"


def hostile(community: Community, length: int) -> str:
    """Text that would ping the whole server, the specialists and a member, break the
    markdown around it, and hide zero-width characters, padded to `length`."""
    core = (
        f"**@everyone** @here <@&{community.role.id}> <@{community.bob.id}> "
        f"<@!{community.alice.id}> ||`~~__{ZERO_WIDTH}"
    )
    return (core + "x" * length)[:length]


def pinged_by(message: Message) -> tuple[bool, list[int], list[int]]:
    """Whom Discord pinged with the message: everyone, the users, the roles."""
    return (
        message.mention_everyone,
        [user.id for user in message.mentions],
        [role.id for role in message.mention_roles],
    )


def bodies(community: Community) -> list[dict[str, Any]]:
    """The bodies of the bot's accepted posts, in order."""
    return [
        request.body
        for request in community.emu.requests_to("POST", POST_MESSAGE)
        if request.status == 200
    ]


@pytest.mark.parametrize("held", ["voice room", "text channel"])
async def test_hostile_titles_and_topics_ping_nobody_but_the_reminder_role(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock, held: str
) -> None:
    title, topic, description = (hostile(community, n) for n in (100, 300, 1000))
    room = rooms.voice if held == "voice room" else await text_room(bot, community, "circle")
    options = schedule_options(
        rooms,
        title=title,
        topic=topic,
        description=description,
        facilitator=community.bob,
        channel=room,
    )
    reply = await meeting(community, community.sam, "schedule", **options)
    assert "Scheduled" in reply.content
    [event] = community.guild.scheduled_events.values()
    # Spaces folded and invisible characters at the ends dropped, nothing else changed.
    assert event.name == read_title(title)
    assert event.name.startswith("**@everyone")
    assert event.description is not None
    assert len(event.description) <= 1000

    for moment in (utc(2027, 3, 9, 0, 0), utc(2027, 3, 9, 23, 45), FIRST_START):
        clock.at = moment
        await run_job(bot)

    day_before, soon = posts(community, rooms.meetings)[:2]
    # A text meeting opens in its own channel.
    [opening] = posts(community, rooms.meetings if held == "voice room" else room)[-1:]
    assert "Opening round" in opening.content
    assert topic.split()[0] in opening.content
    for reminder in (day_before, soon):
        assert "starts" in reminder.content
        assert pinged_by(reminder) == (False, [], [rooms.role.id])
    assert pinged_by(opening) == (False, [], [])
    # What the bot asked of Discord, not only what Discord made of it.
    sent = bodies(community)
    assert len(sent) == 3
    for body in sent[:2]:
        assert body["allowed_mentions"]["parse"] == []
        assert [int(role) for role in body["allowed_mentions"]["roles"]] == [rooms.role.id]
        assert body["allowed_mentions"].get("users", []) == []
    assert sent[2]["allowed_mentions"] == {"parse": []}
    [row] = await occurrences(bot, community)
    assert row.state == OPEN
    if held == "text channel":
        answer = await press_here(community.alice, opening)
        assert answer.message is not None
        assert pinged_by(answer.message) == (False, [], [])
        assert (await attendance(bot, community))[community.alice.id].here_at == FIRST_START
    listed = await meeting(community, community.alice, "list")
    assert "under way now" in listed.content


@pytest.mark.parametrize("is_global", [False, True], ids=["route", "global"])
async def test_under_discords_rate_limits_each_reminder_goes_out_exactly_once(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock, is_global: bool
) -> None:
    emu = community.emu
    assert emu.rate_limits_enabled
    # One post a second in a channel, and Discord answering the first one with a 429.
    emu.limiter.set_limit("POST", POST_MESSAGE, 1, 1.0)
    emu.faults.rate_limit("POST", POST_MESSAGE, retry_after=0.3, is_global=is_global, times=1)
    titles = ("Tuesday circle", "Tuesday newcomers", "Tuesday family group")
    for title in titles:
        await meeting(community, community.sam, "schedule", **schedule_options(rooms, title=title))

    clock.at = utc(2027, 3, 9, 0, 0)
    await run_job(bot)
    await run_job(bot)  # running again while posts waited sends nothing more
    clock.at = utc(2027, 3, 9, 0, 1)
    await run_job(bot)

    reminders = posts(community, rooms.meetings)
    assert sorted(m.content.split("**")[1] for m in reminders) == sorted(titles)
    statuses = [r.status for r in emu.requests_to("POST", POST_MESSAGE)]
    assert statuses.count(429) >= 1
    assert statuses.count(200) == len(titles)
