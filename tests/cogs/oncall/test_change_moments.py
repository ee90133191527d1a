"""Shift changes scheduled by moment, not by server: one job per instant, shared by every
server whose primary changes then, and their announcements sent through the paced outbox.

The bot runs on the real clock; a moment's job is run by hand, as the scheduler would run
it (tests/cogs/oncall/test_e2e.py does the same).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import cast
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from cogs.oncall import texts
from cogs.oncall.cog import (
    SHIFT_CHANGE_KIND,
    ChangeMoments,
    Move,
    OnCallCog,
    change_job_id,
    change_key,
    change_moments_of,
    rotation_of,
    shift_change_dedupe_key,
)
from core.bot import RecoveryBot
from db.models import OutboxMessage
from db.models.outbox import QUEUED, SENT
from fakediscord import Channel, Guild, Member
from sandbox.community import BotRunner, Community
from tests.waiting import wait_for

POST = ("POST", "/channels/{channel_id}/messages")
REPLY_WITHIN = 5.0
SETTLE_WITHIN = 10.0
# Server ids of no server in the emulator: their rotas are scheduled, nothing is posted.
QUIET_SERVERS = [(1 << 40) + (n << 22) for n in range(40)]


@dataclass(frozen=True)
class Server:
    guild: Guild
    specialists: Channel
    specialist: Member


async def another_server(bot: RecoveryBot, community: Community, name: str) -> Server:
    """One more server with the bot in it, a specialists channel and one specialist."""
    guild = community.emu.create_guild(name)
    role = guild.create_role("Peer specialist")
    guild.add_bot(community.app)
    specialists = guild.create_text_channel("specialists")
    specialist = guild.add_member(f"specialist of {name}", roles=[role])
    await bot.guild_settings.update(
        guild.id, guild.owner.id, specialists_channel_id=specialists.id, specialist_role_id=role.id
    )
    return Server(guild, specialists, specialist)


def oncall(bot: RecoveryBot) -> OnCallCog:
    return cast(OnCallCog, bot.get_cog(OnCallCog.__cog_name__))


def next_midnight(bot: RecoveryBot) -> datetime:
    """The coming midnight, UTC: when a shift on tomorrow's day starts."""
    today = bot.clock.now().astimezone(UTC).date()
    return datetime.combine(today + timedelta(days=1), time(), UTC)


def day_of(at: datetime) -> str:
    return at.strftime("%A").lower()


async def add_shift(
    bot: RecoveryBot,
    guild_id: int,
    specialist_id: int,
    starts: datetime,
    *,
    lasting: timedelta = timedelta(days=1),
    zone: str = "UTC",
) -> int:
    """A weekly shift from `starts`, written as the wall clock of `zone` reads it, armed
    as the command would arm it; its id."""
    local = starts.astimezone(ZoneInfo(zone))
    shift = await rotation_of(bot).add_shift(
        guild_id,
        specialist_id,
        specialist_id,
        day_of(local),
        local.strftime("%H:%M"),
        "24:00" if lasting == timedelta(days=1) else (local + lasting).strftime("%H:%M"),
        zone,
    )
    oncall(bot).arm(guild_id)
    return shift.id


def change_jobs(bot: RecoveryBot) -> list[str]:
    return sorted(
        str(job.id) for job in bot.scheduler.get_jobs() if job.id.startswith("oncall:change:")
    )


async def run_change_job(bot: RecoveryBot, instant: datetime) -> None:
    """What the scheduler runs at `instant`."""
    job = bot.scheduler.get_job(change_job_id(instant))
    assert job is not None, f"no shift-change job at {instant.isoformat()}"
    await job.func(*job.args)


async def outbox_empty(bot: RecoveryBot) -> None:
    async def empty() -> bool | None:
        return True if await bot.outbox.waiting() == 0 else None

    await wait_for(empty, within=SETTLE_WITHIN, what="nothing left due in the outbox")


async def announcement_rows(bot: RecoveryBot) -> list[OutboxMessage]:
    async with bot.db.all_guilds_session() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == SHIFT_CHANGE_KIND)
            .order_by(OutboxMessage.id)
        )
        return list(found.all())


# --- The index --------------------------------------------------------------------------------


def test_the_index_says_when_a_moment_gains_its_first_server_and_loses_its_last() -> None:
    nine = datetime(2026, 12, 7, 9, tzinfo=UTC)
    five = datetime(2026, 12, 7, 17, tzinfo=UTC)
    moments = ChangeMoments()

    assert moments.place(1, nine) == Move(opened=nine)
    assert moments.place(2, nine) == Move()
    assert moments.place(2, nine) == Move()
    assert moments.place(1, five) == Move(opened=five)
    assert moments.place(2, None) == Move(emptied=nine)
    assert (moments.instants(), moments.servers_at(five)) == ([five], frozenset({1}))
    assert moments.take(five) == [1]
    assert (moments.instants(), moments.moment_of(1)) == ([], None)


def test_a_moments_key_names_its_instant_in_utc() -> None:
    nine_in_new_york = datetime(2026, 12, 7, 4, tzinfo=ZoneInfo("America/New_York"))
    assert change_key(nine_in_new_york) == "change:2026-12-07T09:00:00+00:00"
    assert change_job_id(nine_in_new_york) == "oncall:change:2026-12-07T09:00:00+00:00"


# --- One job per moment -----------------------------------------------------------------------


async def test_servers_whose_shifts_change_at_the_same_instant_share_one_job_also_after_restart(
    bot: RecoveryBot, community: Community, bot_runner: BotRunner
) -> None:
    midnight = next_midnight(bot)
    # The same instant reached through three time zones' wall clocks.
    zones = ["UTC", "America/New_York", "Asia/Tokyo"]
    for n, guild_id in enumerate(QUIET_SERVERS):
        await add_shift(
            bot, guild_id, community.sam.id, midnight, lasting=timedelta(hours=1), zone=zones[n % 3]
        )

    assert change_jobs(bot) == [change_job_id(midnight)]
    assert change_moments_of(bot).servers_at(midnight) == set(QUIET_SERVERS)

    await bot_runner.stop(bot)
    restarted = await bot_runner.start(sync=False)
    assert change_jobs(restarted) == [change_job_id(midnight)]
    assert change_moments_of(restarted).servers_at(midnight) == set(QUIET_SERVERS)
    job = restarted.scheduler.get_job(change_job_id(midnight))
    assert job is not None
    assert job.next_run_time == midnight


async def test_a_process_schedules_shift_changes_only_for_the_servers_its_shards_hold(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    midnight = next_midnight(bot)
    for guild_id in QUIET_SERVERS[:4]:
        await add_shift(bot, guild_id, community.sam.id, midnight)
    await bot_runner.stop(bot)

    bot_runner.shard_count, bot_runner.shard_ids = 2, [0]
    shard_zero = await bot_runner.start(sync=False)
    held = {guild_id for guild_id in QUIET_SERVERS[:4] if (guild_id >> 22) % 2 == 0}
    assert len(held) == 2
    assert change_moments_of(shard_zero).servers_at(midnight) == held
    assert change_jobs(shard_zero) == [change_job_id(midnight)]


async def test_a_rota_edit_moves_its_server_to_the_new_instant_and_an_emptied_instant_loses_its_job(
    bot: RecoveryBot, community: Community
) -> None:
    midnight = next_midnight(bot)
    guild_id, elsewhere = community.guild.id, QUIET_SERVERS[0]
    it = await community.sam.run_command(
        "oncall schedule add",
        channel=community.checkins,
        specialist=community.riley,
        day=day_of(midnight),
        start="00:00",
        end="24:00",
        timezone="UTC",
    )
    await it.wait_for_response(timeout=REPLY_WITHIN)
    [shift] = rotation_of(bot).shifts(guild_id)
    other_shift = await add_shift(bot, elsewhere, community.sam.id, midnight)
    assert change_moments_of(bot).servers_at(midnight) == {guild_id, elsewhere}

    # The server's rota now changes at six, not midnight: it moves; midnight keeps the other.
    it = await community.sam.run_command(
        "oncall schedule remove", channel=community.checkins, shift=shift.id
    )
    await it.wait_for_response(timeout=REPLY_WITHIN)
    it = await community.sam.run_command(
        "oncall schedule add",
        channel=community.checkins,
        specialist=community.riley,
        day=day_of(midnight),
        start="06:00",
        end="18:00",
        timezone="UTC",
    )
    await it.wait_for_response(timeout=REPLY_WITHIN)
    six = midnight + timedelta(hours=6)
    assert change_moments_of(bot).moment_of(guild_id) == six
    assert change_moments_of(bot).servers_at(midnight) == {elsewhere}
    assert change_jobs(bot) == sorted([change_job_id(midnight), change_job_id(six)])

    # The last server leaves midnight: its job goes with it.
    await rotation_of(bot).remove_shift(elsewhere, community.sam.id, other_shift)
    oncall(bot).arm(elsewhere)
    assert change_moments_of(bot).moment_of(elsewhere) is None
    assert change_jobs(bot) == [change_job_id(six)]


# --- Announcements through the outbox ---------------------------------------------------------


async def test_each_server_changing_at_a_moment_gets_one_announcement_pinging_who_is_on_call(
    bot: RecoveryBot, community: Community
) -> None:
    midnight = next_midnight(bot)
    servers = [
        Server(community.guild, community.specialists, community.riley),
        await another_server(bot, community, "North"),
        await another_server(bot, community, "South"),
    ]
    for server in servers:
        await add_shift(bot, server.guild.id, server.specialist.id, midnight)
    assert change_jobs(bot) == [change_job_id(midnight)]

    await run_change_job(bot, midnight)

    for server in servers:
        posted = await community.emu.wait_for_message(channel=server.specialists)
        assert posted.content == texts.ANNOUNCE_SHIFT_CHANGE.format(user=server.specialist.mention)
        assert [user.id for user in posted.mentions] == [server.specialist.id]
    await outbox_empty(bot)
    for server in servers:
        assert len(community.emu.messages_in(server.specialists)) == 1
    rows = await announcement_rows(bot)
    assert sorted(row.dedupe_key for row in rows) == sorted(
        shift_change_dedupe_key(server.guild.id, midnight) for server in servers
    )
    assert {row.state for row in rows} == {SENT}
    # Each server re-armed for the end of its shift: one job again, for all three.
    tomorrow_night = midnight + timedelta(days=1)
    assert change_jobs(bot) == [change_job_id(tomorrow_night)]
    assert change_moments_of(bot).servers_at(tomorrow_night) == {s.guild.id for s in servers}


async def test_a_shift_change_announcement_expires_an_hour_after_its_moment_or_at_the_next_one(
    bot: RecoveryBot, community: Community
) -> None:
    midnight = next_midnight(bot)
    half_past = midnight + timedelta(minutes=30)
    # A half-hour shift: "Riley is on call now" is wrong from half past.
    await add_shift(
        bot, community.guild.id, community.riley.id, midnight, lasting=timedelta(minutes=30)
    )

    await run_change_job(bot, midnight)
    await community.emu.wait_for_message(channel=community.specialists)
    await run_change_job(bot, half_past)
    await community.emu.wait_for_message(channel=community.specialists)
    await outbox_empty(bot)

    riley_on, nobody_on = await announcement_rows(bot)
    assert riley_on.expires_at == half_past
    assert nobody_on.expires_at == half_past + timedelta(hours=1)


async def test_a_restart_while_a_shift_change_announcement_is_pending_posts_it_once(
    bot: RecoveryBot, community: Community, bot_runner: BotRunner
) -> None:
    midnight = next_midnight(bot)
    await add_shift(bot, community.guild.id, community.riley.id, midnight)
    # Discord is failing when the moment comes, and the bot is restarted meanwhile.
    community.emu.faults.fail(*POST, status=503, times=None)
    await run_change_job(bot, midnight)
    await community.emu.wait_for_request(*POST, timeout=SETTLE_WITHIN)
    await bot_runner.stop(bot)
    [pending] = await announcement_rows(bot)
    assert pending.state == QUEUED
    community.emu.faults.clear()

    restarted = await bot_runner.start(sync=False)
    # Started before the moment, the new process arms it again; its run is the same
    # announcement, not a second one.
    await run_change_job(restarted, midnight)
    posted = await community.emu.wait_for_message(
        channel=community.specialists, timeout=SETTLE_WITHIN
    )
    assert posted.content == texts.ANNOUNCE_SHIFT_CHANGE.format(user=community.riley.mention)
    assert [user.id for user in posted.mentions] == [community.riley.id]
    await outbox_empty(restarted)
    assert len(community.emu.messages_in(community.specialists)) == 1
    [sent] = await announcement_rows(restarted)
    assert (sent.state, sent.message_id) == (SENT, posted.id)


async def test_a_shift_change_announcement_to_a_deleted_channel_is_logged_and_tried_again_later(
    bot: RecoveryBot, community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="cogs.oncall.cog")
    midnight = next_midnight(bot)
    await add_shift(bot, community.guild.id, community.riley.id, midnight)
    community.guild.delete_channel(community.specialists)

    await run_change_job(bot, midnight)

    async def refused() -> OutboxMessage | None:
        [row] = await announcement_rows(bot)
        return row if row.last_status == 404 and row.lease_owner is None else None

    row = await wait_for(refused, within=SETTLE_WITHIN, what="the refusal recorded")
    assert row.state == QUEUED
    assert row.not_before >= bot.clock.now() + timedelta(minutes=9)
    logged = [r.getMessage() for r in caplog.records if r.name == "cogs.oncall.cog"]
    assert logged == [
        f"Could not post an on-call announcement in channel {community.specialists.id} "
        f"of guild {community.guild.id} (HTTP 404)"
    ]
