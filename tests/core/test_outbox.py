"""The outbox: bulk messages queued in the database, sent once, paced, retried while useful."""

from __future__ import annotations

import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import discord
import pytest
from sqlalchemy import select, update

from core.bot import RecoveryBot
from core.outbox import Outgoing, Refused, enqueue, message_body, withdraw
from db.engine import Database
from db.keys import KEY_FILE_NAME
from db.models import OutboxMessage
from db.models.outbox import EXPIRED, FAILED, QUEUED, SENT
from fakediscord import FakeDiscord
from fakediscord.server import RecordedRequest
from sandbox.community import BotRunner, Community
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

POST = ("POST", "/channels/{channel_id}/messages")
DM_CHANNELS = "/users/@me/channels"
DONE = (SENT, FAILED, EXPIRED)


@pytest.fixture(autouse=True)
def roomy_channels(emulator: FakeDiscord) -> None:
    """Many posts to one channel, without Discord's 5 per 5 s making each test slow."""
    emulator.limiter.set_limit(*POST, 100, 1.0)


@pytest.fixture
def clock(bot: RecoveryBot) -> FakeClock:
    moved = FakeClock(bot.clock.now())
    bot.clock = moved
    return moved


def to_channel(
    clock: FakeClock,
    community: Community,
    key: str,
    text: str = "Time for today's check-in",
    *,
    after: timedelta = timedelta(),
    expires_in: timedelta = timedelta(hours=1),
    kind: str = "test.post",
) -> Outgoing:
    return Outgoing(
        kind=kind,
        dedupe_key=key,
        guild_id=community.guild.id,
        body=message_body(text),
        not_before=clock.now() + after,
        expires_at=clock.now() + expires_in,
        channel_id=community.checkins.id,
    )


async def queue(bot: RecoveryBot, *messages: Outgoing) -> None:
    async with bot.db.all_guilds_session() as session, session.begin():
        await enqueue(session, messages)
    bot.outbox.wake()


async def rows(bot: RecoveryBot) -> list[OutboxMessage]:
    async with bot.db.all_guilds_session() as session:
        found = await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))
        return list(found.all())


async def settled(
    bot: RecoveryBot, count: int, states: tuple[str, ...] = DONE
) -> list[OutboxMessage]:
    async def done() -> list[OutboxMessage] | None:
        found = await rows(bot)
        finished = [r for r in found if r.state in states and r.lease_owner is None]
        return found if len(found) == count and len(finished) == count else None

    return await wait_for(done, within=8, what=f"{count} outbox rows settled")


def posted(emulator: FakeDiscord, community: Community) -> list[str]:
    return [m.content for m in emulator.messages_in(community.checkins)]


async def test_a_message_queued_twice_under_one_key_is_posted_once(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    message = to_channel(clock, community, "test:once")
    await queue(bot, message)
    await queue(bot, message)
    first = await emulator.wait_for_message(channel=community.checkins)
    [row] = await settled(bot, 1)
    assert first.content == "Time for today's check-in"
    assert (row.state, row.message_id, row.attempts) == (SENT, first.id, 1)
    assert len(posted(emulator, community)) == 1


async def test_a_message_waits_for_its_moment_and_expired_ones_are_never_posted(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    await queue(
        bot,
        to_channel(clock, community, "test:later", "later", after=timedelta(minutes=5)),
        to_channel(clock, community, "test:stale", "stale", expires_in=timedelta(seconds=-1)),
    )
    stale = await wait_for(
        lambda: _state_of(bot, "test:stale", EXPIRED), within=10, what="the stale row expired"
    )
    assert stale.message_id is None
    assert (await _row(bot, "test:later")).state == QUEUED
    clock.advance(minutes=5)
    bot.outbox.wake()
    later = await emulator.wait_for_message(channel=community.checkins)
    assert later.content == "later"
    assert posted(emulator, community) == ["later"]


async def _row(bot: RecoveryBot, key: str) -> OutboxMessage:
    async with bot.db.all_guilds_session() as session:
        return (
            await session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key == key))
        ).one()


async def _state_of(bot: RecoveryBot, key: str, state: str) -> OutboxMessage | None:
    row = await _row(bot, key)
    return row if row.state == state else None


async def test_discord_failing_is_retried_until_the_message_goes_out(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    emulator.faults.fail(*POST, status=503, times=2)
    await queue(bot, to_channel(clock, community, "test:retry"))
    for _ in range(2):
        await wait_for(
            lambda: _attempted(bot, "test:retry"), within=10, what="a failed try recorded"
        )
        clock.advance(minutes=1)
        bot.outbox.wake()
    message = await emulator.wait_for_message(channel=community.checkins, timeout=10)
    [row] = await settled(bot, 1)
    assert (row.state, row.message_id, row.attempts) == (SENT, message.id, 3)
    assert len(emulator.requests_to(*POST)) == 3


async def _attempted(bot: RecoveryBot, key: str) -> OutboxMessage | None:
    row = await _row(bot, key)
    retrying = row.state == QUEUED and row.lease_owner is None and row.last_status == 503
    return row if retrying and row.not_before > bot.clock.now() else None


async def test_a_channel_closed_to_the_bot_tells_its_feature_and_is_tried_again_later(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    told: list[Refused] = []

    async def tell(refused: Refused) -> None:
        told.append(refused)

    bot.outbox.on_refused("test.post", tell)
    emulator.faults.fail(*POST, status=403, code=50013, times=1)
    await queue(bot, to_channel(clock, community, "test:refused"))
    row = await wait_for(
        lambda: _refused_row(bot), within=10, what="the refusal recorded for a later try"
    )
    assert row.not_before >= clock.now() + timedelta(minutes=9)
    assert told == [
        Refused("test.post", "test:refused", community.guild.id, community.checkins.id, 403)
    ]
    clock.advance(minutes=10)
    bot.outbox.wake()
    await emulator.wait_for_message(channel=community.checkins)
    [row] = await settled(bot, 1)
    assert row.state == SENT


async def _refused_row(bot: RecoveryBot) -> OutboxMessage | None:
    row = await _row(bot, "test:refused")
    return row if row.last_status == 403 and row.lease_owner is None else None


async def test_a_dm_goes_to_the_member_and_closed_dms_are_not_retried(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    def dm(key: str, user_id: int) -> Outgoing:
        return Outgoing(
            kind="test.dm",
            dedupe_key=key,
            guild_id=community.guild.id,
            body=message_body("A gentle reminder"),
            not_before=clock.now(),
            expires_at=clock.now() + timedelta(hours=1),
            user_id=user_id,
        )

    await queue(bot, dm("test:dm:alice", community.alice.id))
    reminder = await emulator.wait_for_dm(community.alice)
    assert reminder.content == "A gentle reminder"
    emulator.faults.fail(*POST, status=403, code=50007, times=1)
    await queue(bot, dm("test:dm:bob", community.bob.id))
    bob = await wait_for(
        lambda: _state_of(bot, "test:dm:bob", FAILED), within=10, what="bob's DM given up"
    )
    assert bob.last_status == 403
    assert emulator.dms_of(community.bob) == []


async def test_a_dm_already_claimed_is_not_sent_once_its_member_is_erased(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    alice, guild_id = community.alice, community.guild.id
    # Discord is slow to open her DM channel: the DM is claimed, on its way, when she is
    # erased, as when a big batch takes minutes at Discord's pace.
    emulator.faults.slow("POST", DM_CHANNELS, delay=1.0, times=1)
    await queue(
        bot,
        Outgoing(
            kind="test.dm",
            dedupe_key="test:dm:alice",
            guild_id=guild_id,
            body=message_body("A gentle reminder"),
            not_before=clock.now(),
            expires_at=clock.now() + timedelta(hours=1),
            user_id=alice.id,
        ),
    )

    async def asked_for_her_channel() -> RecordedRequest | None:
        return next(iter(emulator.requests_to("POST", DM_CHANNELS)), None)

    opening = await wait_for(asked_for_her_channel, within=5, what="her DM channel asked for")
    await bot.member_data.erase(bot.db, guild_id, alice.id)

    async def opened() -> int | None:
        return opening.status

    await wait_for(opened, within=5, what="her DM channel opened")
    # A post queued after: it goes out with the next claim, once her batch is done.
    await queue(bot, to_channel(clock, community, "test:after"))
    await emulator.wait_for_message(channel=community.checkins)
    assert emulator.dms_of(alice) == []
    assert [r.dedupe_key for r in await rows(bot)] == ["test:after"]


async def test_a_message_posted_just_before_a_crash_is_not_posted_again(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    await queue(bot, to_channel(clock, community, "test:crash", after=timedelta(hours=1)))
    row = await _row(bot, "test:crash")
    # What a process that was killed between Discord's answer and its record sent.
    route = discord.http.Route(
        "POST", "/channels/{channel_id}/messages", channel_id=community.checkins.id
    )
    body = message_body("Time for today's check-in") | {
        "nonce": f"outbox-{row.id}",
        "enforce_nonce": True,
    }
    first = await bot.http.request(route, json=body)
    async with bot.db.all_guilds_session() as session, session.begin():
        await session.execute(
            update(OutboxMessage).where(OutboxMessage.id == row.id).values(not_before=clock.now())
        )
    bot.outbox.wake()
    [done] = await settled(bot, 1)
    assert (done.state, done.message_id) == (SENT, int(first["id"]))
    assert len(posted(emulator, community)) == 1


async def test_cut_off_mid_batch_and_started_again_posts_every_message_once(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community, emulator: FakeDiscord
) -> None:
    clock = FakeClock(bot.clock.now())
    bot.clock = clock
    # Slow posts, so the cut lands with most of the batch unsent and one post in flight.
    emulator.faults.slow(*POST, delay=0.05)
    await queue(bot, *(to_channel(clock, community, f"test:many:{n}", f"n{n}") for n in range(40)))
    await emulator.wait_for_message(channel=community.checkins)
    await bot.outbox.stop(grace_seconds=0)
    await bot_runner.stop(bot)
    sent_before_restart = len(posted(emulator, community))
    assert sent_before_restart < 40
    again = await bot_runner.start(sync=False)
    again.outbox.wake()
    await settled(again, 40)
    assert sorted(posted(emulator, community)) == sorted(f"n{n}" for n in range(40))


async def test_two_processes_on_one_database_post_each_message_once(
    database_url: str, community: Community, emulator: FakeDiscord, tmp_path: Path
) -> None:
    first_runner = BotRunner(community, database_url, tmp_path / "first")
    first = await first_runner.start(sync=False)
    # The second process has its own data folder, with the deployment's key.
    (tmp_path / "second").mkdir()
    shutil.copy(tmp_path / "first" / KEY_FILE_NAME, tmp_path / "second" / KEY_FILE_NAME)
    second_runner = BotRunner(community, database_url, tmp_path / "second")
    try:
        second = await second_runner.start(sync=False)
        clock = FakeClock(first.clock.now())
        first.clock = second.clock = clock
        messages = [to_channel(clock, community, f"test:shared:{n}", f"s{n}") for n in range(60)]
        await queue(first, *messages)
        second.outbox.wake()
        done = await settled(first, 60)
    finally:
        await second_runner.stop_all()
        await first_runner.stop_all()
    assert {row.state for row in done} == {SENT}
    assert sorted(posted(emulator, community)) == sorted(f"s{n}" for n in range(60))


def test_an_outgoing_message_goes_to_a_channel_or_a_member_never_both() -> None:
    at = datetime(2026, 12, 2, tzinfo=UTC)
    with pytest.raises(ValueError, match="not both"):
        Outgoing("test", "k", 1, {}, at, at, channel_id=2, user_id=3)
    with pytest.raises(ValueError, match="not both"):
        Outgoing("test", "k", 1, {}, at, at)


async def test_withdraw_takes_back_only_queued_unleased_messages_whose_key_starts_so(
    database: Database,
) -> None:
    now = datetime(2026, 12, 2, 9, tzinfo=UTC)
    guild, other_guild = 111_000_000_000_000_001, 222_000_000_000_000_002

    def message(key: str, guild_id: int = guild) -> Outgoing:
        return Outgoing(
            "test.post", key, guild_id, {"content": key}, now, now + timedelta(hours=1), 7
        )

    keys = (
        "t:1:queued",
        "t:1:lease-ran-out",
        "t:1:being-sent",
        "t:1:sent",
        "t:12:queued",  # another prefix, only the same digits
        "tx1:queued",  # "_" in a prefix is a character, not LIKE's wildcard
    )
    async with database.all_guilds_session() as session, session.begin():
        await enqueue(session, [message(key) for key in keys])
        await enqueue(session, [message("t:1:other-server", other_guild)])
        for key, values in (
            (
                "t:1:lease-ran-out",
                {"lease_owner": "gone", "lease_until": now - timedelta(minutes=1)},
            ),
            ("t:1:being-sent", {"lease_owner": "busy", "lease_until": now + timedelta(minutes=1)}),
            ("t:1:sent", {"state": SENT, "done_at": now}),
        ):
            await session.execute(
                update(OutboxMessage).where(OutboxMessage.dedupe_key == key).values(**values)
            )

    async with database.all_guilds_session() as session, session.begin():
        withdrawn = await withdraw(session, guild, ["t:1:", "t_1:"], now)
        nothing = await withdraw(session, guild, [], now)

    async with database.all_guilds_session() as session:
        left = (await session.scalars(select(OutboxMessage.dedupe_key))).all()
    assert (withdrawn, nothing) == (2, 0)
    assert sorted(left) == sorted(
        ["t:1:being-sent", "t:1:sent", "t:12:queued", "tx1:queued", "t:1:other-server"]
    )
    # Gone, not marked: the same purpose may be queued again.
    async with database.all_guilds_session() as session, session.begin():
        await enqueue(session, [message("t:1:queued")])
    async with database.all_guilds_session() as session:
        assert (
            await session.scalar(
                select(OutboxMessage.state).where(OutboxMessage.dedupe_key == "t:1:queued")
            )
            == QUEUED
        )


async def test_a_help_now_page_goes_out_in_the_middle_of_a_flood_not_after_it(
    bot: RecoveryBot, community: Community, emulator: FakeDiscord, clock: FakeClock
) -> None:
    flood = 150  # about three seconds of the pace
    await queue(
        bot, *(to_channel(clock, community, f"test:flood:{n}", f"f{n}") for n in range(flood))
    )
    await emulator.wait_for_message(channel=community.checkins)
    asked = await community.alice.run_command("help-now", channel=community.checkins)
    await asked.wait_for_response()
    await emulator.wait_for_message(channel=community.specialists, timeout=10)
    flood_posted_before_the_page = len(posted(emulator, community))
    await settled(bot, flood)
    assert flood_posted_before_the_page < flood // 2
    assert len(posted(emulator, community)) == flood
