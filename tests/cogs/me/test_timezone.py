"""A member's time zone and their counters' next milestones change together or not at
all, on both backends: a failure between the two steps leaves everything as it was."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, select

from cogs.me.settings import set_timezone
from cogs.sober import service
from db.engine import Database
from db.models import Member, SoberCounter
from tests.cogs.sober.helpers import ALICE, GUILD, MILESTONES, local, sober_rows, utc

NOW = utc(2026, 11, 10, 18)
TODAY = date(2026, 11, 10)
# Started 20 days ago in UTC: the next milestone is 30 days, at UTC midnight on 20 November.
SINCE = TODAY - timedelta(days=20)


class Interrupted(Exception):
    """The crash or database error that comes between the two steps."""


async def start_counter(db: Database) -> None:
    await service.start(db, GUILD, ALICE, "alcohol", SINCE, NOW, MILESTONES)


async def zone_of(db: Database) -> str | None:
    async with db.guild_session(GUILD) as session:
        return await session.scalar(select(Member.timezone).where(Member.user_id == ALICE))


async def next_milestone(db: Database) -> tuple[int | None, datetime | None]:
    async with db.guild_session(GUILD) as session:
        [row] = (await session.scalars(select(SoberCounter))).all()
        return row.next_milestone_days, row.next_milestone_at


@pytest.fixture
def counters_refused() -> Iterator[None]:
    """The database refuses the counters' write when the transaction is committed, after
    the member's new zone has already been sent to it."""

    def refuse(*_: Any) -> None:
        raise Interrupted("the database refused the counters' write")

    event.listen(SoberCounter, "before_update", refuse)
    try:
        yield
    finally:
        event.remove(SoberCounter, "before_update", refuse)


async def test_a_new_zone_is_saved_with_the_counters_next_milestones(db: Database) -> None:
    await start_counter(db)
    assert await next_milestone(db) == (30, utc(2026, 11, 20))

    await set_timezone(db, GUILD, ALICE, "America/New_York")

    assert await zone_of(db) == "America/New_York"
    assert await next_milestone(db) == (30, local("America/New_York", 2026, 11, 20))


async def test_a_failure_while_moving_the_counters_leaves_the_zone_as_it_was(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    await start_counter(db)
    await set_timezone(db, GUILD, ALICE, "Europe/London")
    before = await sober_rows(db)

    def crash(*_: Any) -> datetime:
        raise Interrupted("crashed while moving the counters")

    monkeypatch.setattr(service, "milestone_at", crash)
    with pytest.raises(Interrupted):
        await set_timezone(db, GUILD, ALICE, "America/New_York")

    # Neither step is saved: the zone and the counters still agree.
    assert await zone_of(db) == "Europe/London"
    assert await sober_rows(db) == before


@pytest.mark.usefixtures("counters_refused")
async def test_a_database_error_on_the_counters_write_saves_neither(db: Database) -> None:
    await start_counter(db)
    before = await sober_rows(db)

    with pytest.raises(Interrupted):
        await set_timezone(db, GUILD, ALICE, "America/New_York")

    assert await zone_of(db) is None  # never set: the server's UTC, as before
    assert await sober_rows(db) == before
    assert await next_milestone(db) == (30, utc(2026, 11, 20))
