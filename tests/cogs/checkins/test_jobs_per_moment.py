"""The check-in's scheduled work as jobs per moment, not per server: one job holds every
server prompting at the same local time, its claim is a batch, and what it decides is sent
through the outbox, once. The real bot against the emulator, and the claims themselves
on both database backends."""

from __future__ import annotations

import asyncio
import logging
import sys
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from types import ModuleType
from typing import Any

import pytest
from cryptography.fernet import MultiFernet
from sqlalchemy import Update, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins import schedule, texts, views
from cogs.checkins.preferences import claim_reminders, set_reminders
from cogs.checkins.schedule import claim_prompts, load_schedules
from core.bot import RecoveryBot
from core.outbox import message_body
from db.engine import Database, create_engine
from db.models import CheckinSchedule, OutboxMessage
from db.models.outbox import SENT
from fakediscord.models import Channel
from fakediscord.permissions import Permission
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import (
    another_server,
    checkin_job_keys,
    cog_of,
    outbox_settled,
    refused_again_and_the_owner_told_once,
    run_job,
    set_up_prompt,
    set_up_prompt_in,
)
from tests.cogs.checkins.helpers import ALICE, GUILD, utc
from tests.cogs.checkins.helpers import schedule as schedule_at
from tests.fake_clock import FakeClock

EVENING = "prompt:19:00:UTC:0123456"
MORNING = "prompt:07:15:UTC:0123456"
JOBS_LOGGER = "cogs.checkins.jobs"
PROMPT = message_body("Time for today's check-in")
Claim = Callable[..., Awaitable[list[schedule.ClaimedPrompt]]]


def reminder_body(guild_id: int, channel_id: int) -> dict[str, Any]:
    return message_body(f"A gentle reminder for {guild_id} in {channel_id}")


async def outbox_rows(database: Database) -> list[OutboxMessage]:
    async with database.all_guilds_session() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.dedupe_key))
        return list(found.all())


async def servers_prompting_at_seven_in_the_evening(
    bot: RecoveryBot, community: Community, *names: str
) -> list[Channel]:
    """The community's server and one more per name, all prompting at 19:00 UTC."""
    await (await set_up_prompt(community)).wait_for_response()
    channels = [community.checkins]
    for name in names:
        guild, channel = await another_server(bot, community, name)
        assert "19:00 (UTC)" in await set_up_prompt_in(guild, channel)
        channels.append(channel)
    return channels


# --- One job per moment --------------------------------------------------------------------


async def test_servers_prompting_at_the_same_moment_share_one_job(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await servers_prompting_at_seven_in_the_evening(bot, community, "north", "south", "east")
    assert checkin_job_keys(bot) == ["detector:UTC", EVENING, "reminders"]
    assert len(cog_of(bot).jobs.prompts.servers(EVENING)) == 4


async def test_a_server_changing_its_time_moves_to_that_moments_job_and_an_emptied_job_goes(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    jobs = cog_of(bot).jobs
    await (await set_up_prompt(community)).wait_for_response()
    other, channel = await another_server(bot, community, "north")
    await set_up_prompt_in(other, channel)

    await (await set_up_prompt(community, time="07:15")).wait_for_response()
    assert jobs.scheduled.keys("prompt") == [MORNING, EVENING]
    assert jobs.prompts.servers(EVENING) == [other.id]

    await set_up_prompt_in(other, channel, time="07:15")
    assert jobs.scheduled.keys("prompt") == [MORNING]
    assert jobs.prompts.servers(MORNING) == sorted([community.guild.id, other.id])


async def test_turning_the_prompt_off_takes_the_server_out_and_the_last_one_out_ends_the_jobs(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await set_up_prompt(community)).wait_for_response()
    other, channel = await another_server(bot, community, "north")
    await set_up_prompt_in(other, channel, zone="Europe/London")

    await (await set_up_prompt(community, enabled="off")).wait_for_response()
    assert checkin_job_keys(bot) == [
        "detector:Europe/London",
        "prompt:19:00:Europe/London:0123456",
        "reminders",
    ]
    await set_up_prompt_in(other, channel, enabled="off")
    assert checkin_job_keys(bot) == ["reminders"]


async def test_start_up_with_ten_thousand_servers_schedules_one_job_per_moment(
    bot_runner: BotRunner, bot: RecoveryBot
) -> None:
    # Four evening times at least six hours from now: none is due, so nothing is caught up.
    hours = [(bot.clock.now().hour + 6 + n) % 24 for n in range(4)]
    servers = [10**17 + n for n in range(10_000)]
    async with bot.db.all_guilds_session() as session, session.begin():
        await session.execute(
            insert(CheckinSchedule),
            [
                {
                    "guild_id": guild_id,
                    "channel_id": guild_id + 1,
                    "prompt_hour": hours[n % 4],
                    "prompt_minute": 0,
                    "timezone": "UTC",
                    "weekdays": list(range(7)),
                    "enabled": True,
                }
                for n, guild_id in enumerate(servers)
            ],
        )
    await bot_runner.stop(bot)
    restarted = await bot_runner.start(sync=False)
    jobs = cog_of(restarted).jobs
    assert jobs._startup is not None
    await asyncio.wait_for(jobs._startup, timeout=10)

    moments = sorted(f"prompt:{hour:02d}:00:UTC:0123456" for hour in hours)
    assert jobs.scheduled.keys() == ["detector:UTC", *moments, "reminders"]
    assert sum(len(jobs.prompts.servers(moment)) for moment in moments) == 10_000
    assert await outbox_rows(restarted.db) == []


# --- A moment's job posts through the outbox, once -----------------------------------------


async def test_a_moments_job_posts_every_due_servers_prompt_exactly_once_through_the_outbox(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    channels = await servers_prompting_at_seven_in_the_evening(
        bot, community, "north", "south", "east", "west"
    )
    clock.at = utc(2026, 11, 10, 19, 0)
    await run_job(bot, EVENING)
    await run_job(bot, EVENING)  # fired again (the doubled hour in autumn): nothing more

    posted = []
    for channel in channels:
        [prompt] = community.emu.messages_in(channel)
        assert prompt.content == texts.PROMPT_TEXT
        assert views.OPEN_ID in prompt.custom_ids
        posted.append(prompt.id)
    rows = await outbox_rows(bot.db)
    assert {(row.kind, row.state) for row in rows} == {(schedule.PROMPT_KIND, SENT)}
    assert sorted(row.message_id or 0 for row in rows) == sorted(posted)


async def test_the_job_and_the_catch_up_claiming_at_once_post_each_prompt_once(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    channels = await servers_prompting_at_seven_in_the_evening(bot, community, "north", "south")
    jobs = cog_of(bot).jobs
    clock.at = utc(2026, 11, 10, 19, 5)
    await asyncio.gather(jobs.prompt_job(EVENING), jobs.catch_up(await load_schedules(bot.db)))
    await outbox_settled(bot)
    assert [len(community.emu.messages_in(channel)) for channel in channels] == [1, 1, 1]


async def test_a_channel_that_refuses_the_prompt_tells_the_owner_once_and_gets_it_once_mended(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await (await set_up_prompt(community)).wait_for_response()
    community.guild.set_overwrite(
        community.checkins, community.bot_member, deny=Permission.SEND_MESSAGES
    )
    clock.at = utc(2026, 11, 10, 19, 0)
    await run_job(bot, EVENING)
    notice = await emu.wait_for_dm(community.organiser)
    assert "could not be posted" in notice.content
    assert f"<#{community.checkins.id}>" in notice.content
    await refused_again_and_the_owner_told_once(bot, community, clock, community.organiser)

    community.guild.set_overwrite(community.checkins, community.bot_member)  # mended
    clock.advance(minutes=10)
    bot.outbox.wake()
    prompt = await emu.wait_for_message(channel=community.checkins)
    await outbox_settled(bot)
    assert views.OPEN_ID in prompt.custom_ids
    assert len(emu.messages_in(community.checkins)) == 1
    assert len(emu.dms_of(community.organiser)) == 1


async def test_a_moment_whose_claim_failed_is_claimed_again_ten_minutes_later(
    bot: RecoveryBot, community: Community, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    await (await set_up_prompt(community)).wait_for_response()
    running = _running_schedule_module()
    claim: Claim = running.claim_prompts
    failures = [ConnectionResetError("the database went away")]

    async def failing_once(*args: Any, **kwargs: Any) -> list[schedule.ClaimedPrompt]:
        if failures:
            raise failures.pop()
        return await claim(*args, **kwargs)

    monkeypatch.setattr(running, "claim_prompts", failing_once)
    clock.at = utc(2026, 11, 10, 19, 0)
    await run_job(bot, EVENING)
    assert community.emu.messages_in(community.checkins) == []

    again = f"prompt-retry:{EVENING}"
    assert cog_of(bot).jobs.scheduled.next_run(again) == utc(2026, 11, 10, 19, 10)
    clock.at = utc(2026, 11, 10, 19, 10)
    await run_job(bot, again)
    [prompt] = community.emu.messages_in(community.checkins)
    assert views.OPEN_ID in prompt.custom_ids


# --- Reminders: one job for every server ---------------------------------------------------


async def test_reminders_for_members_of_many_servers_come_from_one_job_and_go_out_once(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await (await set_up_prompt(community)).wait_for_response()
    reminded = [(community.alice, community.guild, community.checkins)]
    for name in ("north", "south"):
        guild, channel = await another_server(bot, community, name)
        await set_up_prompt_in(guild, channel)
        reminded.append((guild.add_member(f"{name}-member"), guild, channel))
    for member, _guild, channel in reminded:
        on = await member.run_command("checkin reminders", channel=channel, state="on", hour=20)
        assert "20:00" in (await on.wait_for_response()).content
    assert [key for key in checkin_job_keys(bot) if not key.startswith(("prompt", "detector"))] == [
        "reminders"
    ]

    clock.at = utc(2026, 11, 10, 20, 0)
    await run_job(bot, "reminders")
    await run_job(bot, "reminders")
    for member, guild, channel in reminded:
        [reminder] = emu.dms_of(member)
        assert "gentle reminder" in reminder.content
        assert f"/channels/{guild.id}/{channel.id}" in str(reminder.components)
    assert emu.dms_of(community.bob) == []


# --- After downtime --------------------------------------------------------------------------


async def test_prompts_missed_while_the_bot_was_down_are_caught_up_once_in_one_batch(
    bot: RecoveryBot,
    bot_runner: BotRunner,
    community: Community,
    caplog: pytest.LogCaptureFixture,
) -> None:
    # The real clock: the prompt time was an hour ago, while the bot was "down".
    earlier = (bot.clock.now() - timedelta(hours=1)).strftime("%H:%M")
    await (await set_up_prompt(community, time=earlier)).wait_for_response()
    channels = [community.checkins]
    for name in ("north", "south"):
        guild, channel = await another_server(bot, community, name)
        await set_up_prompt_in(guild, channel, time=earlier)
        channels.append(channel)
    caplog.set_level(logging.INFO, logger=JOBS_LOGGER)

    await bot_runner.stop(bot)
    restarted = await _started(bot_runner)
    # One claim for the three servers, not one each.
    assert _queued_lines(caplog) == ["Queued 3 check-in prompts of 3 servers"]
    assert [len(community.emu.messages_in(channel)) for channel in channels] == [1, 1, 1]

    await bot_runner.stop(restarted)
    await _started(bot_runner)
    assert [len(community.emu.messages_in(channel)) for channel in channels] == [1, 1, 1]


def _queued_lines(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        record.getMessage()
        for record in caplog.records
        if record.name == JOBS_LOGGER and record.getMessage().startswith("Queued")
    ]


def _running_schedule_module() -> ModuleType:
    # The bot imports its features afresh at each start (and drops them at each stop),
    # so the module it runs is not necessarily the one this test imported.
    return sys.modules["cogs.checkins.schedule"]


async def _started(bot_runner: BotRunner) -> RecoveryBot:
    """A fresh process, once its catch-up is queued and sent."""
    started = await bot_runner.start()
    startup = cog_of(started).jobs._startup
    assert startup is not None
    await asyncio.wait_for(startup, timeout=10)
    await outbox_settled(started)
    return started


# --- Two processes claiming at once (both backends) ----------------------------------------


class ReadingTogether(Database):
    """One process's connections, whose claims, once they have read, wait to write until
    the other process has read too: the race two processes claiming one moment run."""

    def __init__(self, url: str, cipher: MultiFernet, barrier: asyncio.Barrier) -> None:
        super().__init__(create_engine(url, cipher=cipher))
        self.barrier = barrier

    def all_guilds_session(self) -> AsyncSession:
        session = super().all_guilds_session()
        execute = session.execute

        async def once_both_have_read(statement: Any, *args: Any, **kwargs: Any) -> Any:
            if isinstance(statement, Update):
                await asyncio.wait_for(self.barrier.wait(), timeout=5)
            return await execute(statement, *args, **kwargs)

        session.execute = once_both_have_read  # type: ignore[method-assign]
        return session


@pytest.fixture
async def two_processes(
    database: Database, database_url: str, cipher: MultiFernet
) -> AsyncIterator[tuple[Database, Database]]:
    """Two processes' connections to the (migrated) database, claiming side by side."""
    barrier = asyncio.Barrier(2)
    both = (
        ReadingTogether(database_url, cipher, barrier),
        ReadingTogether(database_url, cipher, barrier),
    )
    yield both
    for process in both:
        await process.dispose()


async def at_once(
    processes: tuple[Database, Database], claim: Callable[[Database], Awaitable[list[Any]]]
) -> list[Any]:
    first, second = await asyncio.gather(*(claim(process) for process in processes))
    return [*first, *second]


SERVERS = [GUILD + n for n in range(30)]


async def test_two_processes_claiming_one_moment_at_once_queue_each_prompt_once(
    database: Database, two_processes: tuple[Database, Database]
) -> None:
    for guild_id in SERVERS:
        await schedule_at(database, guild_id=guild_id, at="19:00")
    at = utc(2026, 11, 10, 19, 0)

    claimed = await at_once(two_processes, lambda db: claim_prompts(db, SERVERS, at, PROMPT))
    assert sorted(claim.guild_id for claim in claimed) == SERVERS
    rows = await outbox_rows(database)
    assert sorted(row.guild_id for row in rows) == SERVERS
    assert {row.expires_at for row in rows} == {at + schedule.CATCH_UP_GRACE}


async def test_two_processes_claiming_reminders_at_once_queue_each_reminder_once(
    database: Database, two_processes: tuple[Database, Database]
) -> None:
    for guild_id in SERVERS:
        await schedule_at(database, guild_id=guild_id, at="09:00")
        await set_reminders(database, guild_id, ALICE, True, hour=20)
    at = utc(2026, 11, 10, 20, 0)

    claimed = await at_once(
        two_processes, lambda db: claim_reminders(db, SERVERS, at, reminder_body)
    )
    assert sorted(claim.guild_id for claim in claimed) == SERVERS
    rows = await outbox_rows(database)
    assert sorted((row.guild_id, row.user_id) for row in rows) == [(g, ALICE) for g in SERVERS]
    assert {row.expires_at for row in rows} == {utc(2026, 11, 10, 23, 0)}
