"""Claiming milestones: one private congratulation per milestone reached, a post in the
milestones channel only for a member who shares in a server that has one, never twice,
only the highest of several passed while the bot was down, and only on this process's
shards."""

from __future__ import annotations

import json
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select, update

from cogs.sober import service
from db.engine import Database
from db.models import OutboxMessage, SoberCounter
from tests.cogs.sober.helpers import (
    ALICE,
    BOB,
    CHANNEL,
    GUILD,
    MILESTONES,
    OTHER_GUILD,
    local,
    set_member_zone,
    utc,
)

SINCE = date(2026, 11, 10)
STARTED = utc(2026, 11, 10, 9)
DAY_ONE = utc(2026, 11, 11)  # UTC midnight starting day 1
SECOND = timedelta(seconds=1)
# A server with no settings at all, so no milestones channel.
UNSET_GUILD = 666_000_000_000_000_006


def bodies(reached: service.MilestoneReached) -> tuple[dict[str, Any], dict[str, Any] | None]:
    # Always a post body: whether it is queued must be the service's decision.
    return {"content": f"dm {reached.days}"}, {"content": f"post {reached.days}"}


async def start(
    db: Database, guild_id: int = GUILD, user_id: int = ALICE, since: date = SINCE
) -> int:
    counter = await service.start(db, guild_id, user_id, "alcohol", since, STARTED, MILESTONES)
    return counter.id


async def claim(
    db: Database, now: datetime, shards: tuple[list[int], int] | None = None
) -> list[service.MilestoneReached]:
    return await service.claim_milestones(db, now, MILESTONES, shards, bodies)


async def queued(db: Database) -> list[OutboxMessage]:
    async with db.all_guilds_session() as session:
        return list((await session.scalars(select(OutboxMessage).order_by(OutboxMessage.id))).all())


async def counter_row(db: Database, counter_id: int) -> SoberCounter:
    async with db.all_guilds_session() as session:
        row = await session.get(SoberCounter, counter_id)
    assert row is not None
    return row


async def test_a_milestone_reached_at_midnight_queues_one_private_congratulation(
    db: Database,
) -> None:
    counter_id = await start(db)

    too_early = await claim(db, DAY_ONE - SECOND)
    reached = await claim(db, DAY_ONE)

    assert too_early == []
    assert reached == [service.MilestoneReached(GUILD, ALICE, counter_id, "alcohol", 1, False)]
    [dm] = await queued(db)
    assert (dm.kind, dm.user_id, dm.channel_id, dm.guild_id) == (
        "sober.milestone",
        ALICE,
        None,
        GUILD,
    )
    assert dm.dedupe_key == f"sober:milestone:{counter_id}:2026-11-10:1"
    assert json.loads(dm.body) == {"content": "dm 1"}
    assert (dm.not_before, dm.expires_at) == (DAY_ONE, DAY_ONE + timedelta(days=2))
    row = await counter_row(db, counter_id)
    assert (row.next_milestone_days, row.next_milestone_at) == (7, utc(2026, 11, 17))


async def test_a_post_goes_to_the_milestones_channel_only_when_shared_and_the_channel_is_set(
    db: Database,
) -> None:
    shared = await start(db, GUILD, ALICE)
    not_shared = await start(db, GUILD, BOB)
    shared_without_channel = await start(db, OTHER_GUILD, ALICE)
    shared_without_settings = await start(db, UNSET_GUILD, ALICE)
    for guild_id in (GUILD, OTHER_GUILD, UNSET_GUILD):
        await service.set_sharing(db, guild_id, ALICE, True)

    reached = await claim(db, DAY_ONE)

    assert {(r.counter_id, r.share) for r in reached} == {
        (shared, True),
        (not_shared, False),
        (shared_without_channel, False),
        (shared_without_settings, False),
    }
    messages = await queued(db)
    posts = [m for m in messages if m.channel_id is not None]
    assert sorted(m.user_id for m in messages if m.user_id is not None) == sorted(
        [ALICE, BOB, ALICE, ALICE]
    )
    [post] = posts
    assert (post.kind, post.channel_id, post.guild_id, post.user_id) == (
        "sober.milestone_post",
        CHANNEL,
        GUILD,
        None,
    )
    assert post.dedupe_key == f"sober:milestone-post:{shared}:2026-11-10:1"
    assert json.loads(post.body) == {"content": "post 1"}


async def test_claiming_again_at_the_same_moment_queues_nothing_more(db: Database) -> None:
    await start(db)
    await service.set_sharing(db, GUILD, ALICE, True)
    await claim(db, DAY_ONE)
    before = [(m.dedupe_key, m.body) for m in await queued(db)]

    again = await claim(db, DAY_ONE)

    assert again == []
    assert len(before) == 2
    assert [(m.dedupe_key, m.body) for m in await queued(db)] == before


async def test_a_milestone_claimed_twice_is_still_queued_once(db: Database) -> None:
    counter_id = await start(db)
    await service.set_sharing(db, GUILD, ALICE, True)
    await claim(db, DAY_ONE)
    # As if the counter had not moved on (another process, a retried job): the outbox's
    # dedupe keys still drop the second congratulation.
    async with db.guild_session(GUILD) as session, session.begin():
        await session.execute(
            update(SoberCounter)
            .where(SoberCounter.id == counter_id)
            .values(next_milestone_days=1, next_milestone_at=DAY_ONE)
        )

    await claim(db, DAY_ONE + SECOND)

    assert sorted(m.kind for m in await queued(db)) == ["sober.milestone", "sober.milestone_post"]


async def test_several_milestones_passed_while_down_celebrate_only_the_highest(
    db: Database,
) -> None:
    counter_id = await start(db)

    reached = await claim(db, utc(2026, 11, 10, 12) + timedelta(days=95))

    assert [r.days for r in reached] == [90]
    [dm] = await queued(db)
    assert dm.dedupe_key == f"sober:milestone:{counter_id}:2026-11-10:90"
    assert dm.expires_at == DAY_ONE + timedelta(days=89 + 2)
    row = await counter_row(db, counter_id)
    assert (row.next_milestone_days, row.next_milestone_at) == (180, DAY_ONE + timedelta(179))


async def test_after_a_reset_the_same_milestone_is_celebrated_again(db: Database) -> None:
    counter_id = await start(db)
    await claim(db, DAY_ONE)
    await service.reset(db, GUILD, ALICE, "alcohol", None, DAY_ONE + timedelta(hours=9), MILESTONES)

    reached = await claim(db, DAY_ONE + timedelta(days=1))

    assert [r.days for r in reached] == [1]
    assert [m.dedupe_key for m in await queued(db)] == [
        f"sober:milestone:{counter_id}:2026-11-10:1",
        f"sober:milestone:{counter_id}:2026-11-11:1",
    ]


async def test_a_milestone_begins_at_the_members_midnight_not_at_utcs(db: Database) -> None:
    await set_member_zone(db, GUILD, ALICE, "Pacific/Auckland")
    counter_id = await start(db)  # 22:00 in Auckland
    midnight = local("Pacific/Auckland", 2026, 11, 11)  # 11:00 UTC on the 10th

    assert await claim(db, midnight - SECOND) == []
    assert [r.counter_id for r in await claim(db, midnight)] == [counter_id]


async def test_a_member_who_moved_west_is_not_congratulated_before_their_own_midnight(
    db: Database,
) -> None:
    await set_member_zone(db, GUILD, ALICE, "Pacific/Auckland")
    counter_id = await start(db)
    await set_member_zone(db, GUILD, ALICE, "Pacific/Honolulu")  # and nothing told the counter
    auckland_midnight = local("Pacific/Auckland", 2026, 11, 11)
    honolulu_midnight = local("Pacific/Honolulu", 2026, 11, 11)

    early = await claim(db, auckland_midnight)

    assert early == []
    assert await queued(db) == []
    row = await counter_row(db, counter_id)
    assert (row.next_milestone_days, row.next_milestone_at) == (1, honolulu_midnight)
    assert [r.days for r in await claim(db, honolulu_midnight)] == [1]


SHARD_SIZE = 1 << 22  # a server's shard is (guild_id >> 22) % shard_count
ON_SHARD_0 = SHARD_SIZE * 1_000_000
ON_SHARD_1 = SHARD_SIZE * 1_000_001


async def test_only_the_servers_of_the_shards_this_process_holds_are_claimed(
    db: Database,
) -> None:
    first = await start(db, ON_SHARD_0)
    second = await start(db, ON_SHARD_1)

    mine = await claim(db, DAY_ONE, ([1], 2))
    assert [r.counter_id for r in mine] == [second]
    assert [m.guild_id for m in await queued(db)] == [ON_SHARD_1]

    theirs = await claim(db, DAY_ONE, ([0], 2))
    assert [r.counter_id for r in theirs] == [first]


async def test_counters_are_claimed_chunk_by_chunk_until_none_is_due(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(service, "CLAIM_CHUNK", 2)
    counters = [await start(db, GUILD, user_id) for user_id in range(1, 6)]

    reached = await claim(db, DAY_ONE)

    assert sorted(r.counter_id for r in reached) == sorted(counters)
    assert len(await queued(db)) == 5
    assert await claim(db, DAY_ONE) == []
