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
from core.outbox import Outgoing, enqueue
from db.engine import Database
from db.models import OutboxMessage, SoberCounter
from db.models.outbox import QUEUED, SENT
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
    await mark(db, SENT, lease_until=None)  # the first run's day went out
    await service.reset(db, GUILD, ALICE, "alcohol", None, DAY_ONE + timedelta(hours=9), MILESTONES)

    reached = await claim(db, DAY_ONE + timedelta(days=1))

    assert [r.days for r in reached] == [1]
    assert [m.dedupe_key for m in await queued(db)] == [
        f"sober:milestone:{counter_id}:2026-11-10:1",
        f"sober:milestone:{counter_id}:2026-11-11:1",
    ]


# --- A counter deleted or reset while its milestone waits in the outbox ---------------------


async def mark(db: Database, state: str, lease_until: datetime | None, *keys: str) -> None:
    """Put the queued messages (those of `keys`, or all) in `state`, leased until then."""
    async with db.all_guilds_session() as session, session.begin():
        chosen = update(OutboxMessage)
        if keys:
            chosen = chosen.where(OutboxMessage.dedupe_key.in_(keys))
        await session.execute(
            chosen.values(
                state=state,
                lease_owner=None if lease_until is None else "a worker",
                lease_until=lease_until,
            )
        )


async def change(db: Database, action: str, guild_id: int, user_id: int, at: datetime) -> None:
    if action == "delete":
        await service.delete(db, guild_id, user_id, "alcohol", at)
    else:
        await service.reset(db, guild_id, user_id, "alcohol", None, at, MILESTONES)


def keys_of(counter_id: int, since: str = "2026-11-10", days: int = 1) -> list[str]:
    return [
        f"sober:milestone:{counter_id}:{since}:{days}",
        f"sober:milestone-post:{counter_id}:{since}:{days}",
    ]


@pytest.mark.parametrize("action", ["delete", "reset"])
async def test_deleting_or_resetting_withdraws_exactly_that_counters_queued_milestones(
    db: Database, action: str
) -> None:
    for guild_id, user_id in ((GUILD, ALICE), (GUILD, BOB), (OTHER_GUILD, ALICE)):
        await service.set_sharing(db, guild_id, user_id, True)
    alcohol = await start(db, GUILD, ALICE)
    nicotine = await service.start(db, GUILD, ALICE, "nicotine", SINCE, STARTED, MILESTONES)
    bobs = await start(db, GUILD, BOB)
    elsewhere = await start(db, OTHER_GUILD, ALICE)  # her own count in another server
    await claim(db, DAY_ONE)
    # And one of a counter whose id begins with the same digits (counter 12 after 1).
    lookalike = f"sober:milestone:{alcohol}0:2026-11-10:1"
    async with db.guild_session(GUILD) as session, session.begin():
        await enqueue(
            session,
            [
                Outgoing(
                    kind=service.MILESTONE_KIND,
                    dedupe_key=lookalike,
                    guild_id=GUILD,
                    body={"content": "dm 1"},
                    not_before=DAY_ONE,
                    expires_at=DAY_ONE + timedelta(days=2),
                    user_id=BOB,
                )
            ],
        )
    before = {m.dedupe_key for m in await queued(db)}
    assert set(keys_of(alcohol)) <= before

    await change(db, action, GUILD, ALICE, DAY_ONE + timedelta(hours=9))

    assert {m.dedupe_key for m in await queued(db)} == {
        *keys_of(nicotine.id),
        *keys_of(bobs),
        keys_of(elsewhere)[0],  # no milestones channel there: a DM only
        lookalike,
    }
    assert before - {m.dedupe_key for m in await queued(db)} == set(keys_of(alcohol))


@pytest.mark.parametrize("action", ["delete", "reset"])
async def test_a_milestone_being_sent_or_already_done_is_not_withdrawn(
    db: Database, action: str
) -> None:
    await service.set_sharing(db, GUILD, ALICE, True)
    alcohol = await start(db)
    await claim(db, DAY_ONE)
    await mark(db, SENT, None)  # her first day went out
    now = utc(2026, 11, 17, 9)
    await claim(db, now)  # her week
    dm, post = keys_of(alcohol, days=7)
    # The DM in a worker's hands right now; the post held by a worker that died (its
    # lease ran out), so free again.
    await mark(db, QUEUED, now + timedelta(minutes=1), dm)
    await mark(db, QUEUED, now - SECOND, post)

    await change(db, action, GUILD, ALICE, now)

    assert {(m.dedupe_key, m.state) for m in await queued(db)} == {
        (dm, QUEUED),
        *((key, SENT) for key in keys_of(alcohol)),
    }


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
