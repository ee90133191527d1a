"""The specialists' /meeting edit, skip and cancel, and a member's /meeting remind, end to
end: what each says, what it changes in the database, and what it asks of Discord (the
scheduled events, the member's roles), read from the emulator's recorded traffic."""

from __future__ import annotations

from sqlalchemy import select

from cogs.meetings import service, texts
from core.bot import RecoveryBot
from db.models import Meeting, OutboxMessage
from db.models.meetings import PLANNED, SKIPPED
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import outbox_settled
from tests.cogs.meetings.helpers import (
    FIRST_START,
    SECOND_START,
    Rooms,
    meeting,
    occurrences,
    posts,
    run_job,
    schedule_options,
    utc,
)
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

EVENT = "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}"
POST_MESSAGE = "/channels/{channel_id}/messages"


async def skipped_days(bot: RecoveryBot, community: Community) -> list[list[str]]:
    async with bot.db.guild_session(community.guild.id) as session:
        return [list(m.skipped_days) for m in (await session.scalars(select(Meeting))).all()]


async def queued_reminders(bot: RecoveryBot, community: Community) -> list[str]:
    async with bot.db.guild_session(community.guild.id) as session:
        keys = await session.scalars(
            select(OutboxMessage.dedupe_key).where(
                OutboxMessage.dedupe_key.contains(":reminder:"), OutboxMessage.state == "queued"
            )
        )
        return list(keys.all())


# --- /meeting edit ------------------------------------------------------------------------


async def test_editing_the_time_moves_the_planned_meeting_and_its_discord_event(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    [before] = await occurrences(bot, community)

    reply = await meeting(community, community.sam, "edit", meeting="Tuesday circle", time="20:00")

    assert "Changed **Tuesday circle**" in reply.content
    moved = utc(2027, 3, 10, 1, 0)  # 20:00 in New York, still EST
    [after] = await occurrences(bot, community)
    assert after.id == before.id
    assert (after.starts_at, after.ends_at) == (moved, utc(2027, 3, 10, 2, 0))
    assert after.state == PLANNED
    [patch] = community.emu.requests_to("PATCH", EVENT)
    assert patch.status == 200
    assert patch.path.endswith(f"/scheduled-events/{before.discord_event_id}")
    assert patch.body["scheduled_start_time"].startswith("2027-03-10T01:00:00")
    [event] = community.guild.scheduled_events.values()
    assert event.id == before.discord_event_id
    assert event.start == moved


# --- /meeting skip ------------------------------------------------------------------------


async def test_skipping_the_next_day_deletes_its_event_and_plans_the_following_one(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    [first] = await occurrences(bot, community)
    first_event = first.discord_event_id

    reply = await meeting(community, community.sam, "skip", meeting="Tuesday circle")

    assert "won't be held on 2027-03-09" in reply.content
    assert "The next one is" in reply.content
    skipped, following = await occurrences(bot, community)
    assert skipped.state == SKIPPED
    assert skipped.discord_event_id is None
    assert (following.state, following.starts_at) == (PLANNED, SECOND_START)
    [deleted] = community.emu.requests_to("DELETE", EVENT)
    assert deleted.path.endswith(f"/scheduled-events/{first_event}")
    [event] = community.guild.scheduled_events.values()
    assert event.id == following.discord_event_id
    assert event.start == SECOND_START
    assert await skipped_days(bot, community) == [["2027-03-09"]]

    # The skipped day's reminders never go out.
    clock.at = utc(2027, 3, 9, 0, 0)
    await run_job(bot)
    assert posts(community, rooms.meetings) == []


async def test_skipping_a_day_that_is_not_a_meeting_day_or_is_past_is_refused_unchanged(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    [before] = await occurrences(bot, community)
    events_before = dict(community.guild.scheduled_events)

    wednesday = await meeting(
        community, community.sam, "skip", meeting="Tuesday circle", day="2027-03-10"
    )
    past = await meeting(
        community, community.sam, "skip", meeting="Tuesday circle", day="2027-03-02"
    )

    assert "isn't held on 2027-03-10" in wednesday.content
    assert wednesday.flags & 64
    assert past.content == texts.SKIP_PAST
    [after] = await occurrences(bot, community)
    assert (after.id, after.state, after.starts_at, after.discord_event_id) == (
        before.id,
        PLANNED,
        FIRST_START,
        before.discord_event_id,
    )
    assert community.guild.scheduled_events == events_before
    assert community.emu.requests_to("DELETE", EVENT) == []
    assert await skipped_days(bot, community) == [[]]


# --- /meeting cancel ----------------------------------------------------------------------


async def test_cancelling_deletes_the_event_withdraws_queued_reminders_and_leaves_the_list(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await meeting(community, community.sam, "schedule", **schedule_options(rooms))
    [row] = await occurrences(bot, community)
    # The day-before reminder is queued, but Discord is briefly down: it waits to be retried.
    community.emu.faults.fail("POST", POST_MESSAGE, status=503, times=1)
    clock.at = utc(2027, 3, 9, 0, 0)
    await run_job(bot)
    assert await queued_reminders(bot, community) == [
        service.reminder_key(row.id, 1440, row.starts_at)
    ]

    reply = await meeting(community, community.sam, "cancel", meeting="Tuesday circle")

    assert "no longer scheduled" in reply.content
    assert community.guild.scheduled_events == {}
    [deleted] = community.emu.requests_to("DELETE", EVENT)
    assert deleted.path.endswith(f"/scheduled-events/{row.discord_event_id}")
    assert await queued_reminders(bot, community) == []
    listed = await meeting(community, community.alice, "list")
    assert listed.content == texts.LIST_EMPTY

    # Discord is back and time goes on: the withdrawn reminder and the 15-minute one
    # never go out, and nothing opens.
    clock.at = utc(2027, 3, 9, 0, 5)
    bot.outbox.wake()
    await outbox_settled(bot)
    clock.at = utc(2027, 3, 9, 23, 45)
    await run_job(bot)
    clock.at = FIRST_START
    await run_job(bot)
    assert posts(community, rooms.meetings) == []
    assert [r.status for r in community.emu.requests_to("POST", POST_MESSAGE)] == [503]
    [skipped] = await occurrences(bot, community)
    assert skipped.state == SKIPPED


# --- /meeting remind ----------------------------------------------------------------------


async def test_remind_on_and_off_add_and_remove_the_role_and_say_so_when_repeated(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    alice = community.alice

    on = await meeting(community, alice, "remind", state="on")
    assert on.content == texts.REMIND_ON
    assert on.flags & 64
    assert rooms.role in alice.roles
    again = await meeting(community, alice, "remind", state="on")
    assert "already" in again.content
    assert [r for r in alice.roles if r is rooms.role] == [rooms.role]

    off = await meeting(community, alice, "remind", state="off")
    assert off.content == texts.REMIND_OFF
    assert rooms.role not in alice.roles
    off_again = await meeting(community, alice, "remind", state="off")
    assert off_again.content == texts.REMIND_ALREADY_OFF
    assert rooms.role not in alice.roles
    assert rooms.role not in community.bob.roles  # only the member who asked


async def test_remind_is_refused_clearly_without_a_reminder_role(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    await bot_runner.configure(bot, meetings_channel_id=rooms.meetings.id, meetings_role_id=None)
    refused = await meeting(community, community.alice, "remind", state="on")
    assert refused.content == texts.NO_REMINDER_ROLE
    assert refused.flags & 64
    assert rooms.role not in community.alice.roles

    # A role configured, then deleted from the server, is the same as none.
    await bot_runner.configure(
        bot, meetings_channel_id=rooms.meetings.id, meetings_role_id=rooms.role.id
    )
    community.guild.delete_role(rooms.role)

    async def forgotten() -> bool | None:
        guild = bot.get_guild(community.guild.id)
        return True if guild is not None and guild.get_role(rooms.role.id) is None else None

    await wait_for(forgotten, within=5, what="the bot to see the role deleted")
    gone = await meeting(community, community.alice, "remind", state="on")
    assert gone.content == texts.NO_REMINDER_ROLE
    assert community.alice.roles == []
