"""Storage: /checkin history with 3.65 million check-ins, and check-in writes per second,
on SQLite and PostgreSQL.

The table holds 10,000 members' daily check-ins for a year (100 servers of 100 members, a
day missed now and then so streaks vary), filled in bulk by INSERT … SELECT (a recursive
CTE on SQLite, generate_series on PostgreSQL); PostgreSQL is then ANALYZEd, as its
autovacuum would soon after such a load. SQLite is left unanalyzed, as the bot leaves it.

- history: `records.history` (what /checkin history runs: 30 days and the streak) for a
  random member, ~200 calls, p50 and p99, taken in turns with the floor: a plain SELECT of
  that member's 30 rows in a session of its own. The plan of the statement history sends
  is checked to search an index on the member (a figure, not a printout).
- writes: `records.record_checkin` for a server's 200 members at once (a new day, so
  every call inserts), a few servers one after another: check-ins stored per second,
  beside plain single-row INSERTs per second in their own transactions, as many at once.

PostgreSQL runs in a throwaway database on `--postgres` (default the tests' server,
TEST_POSTGRES_URL), created and dropped afterwards; when none answers, a figure says so.

    .venv/bin/python -m bench.storage [--quick] [--postgres SERVER_URL]

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import random
import re
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import (
    JSON,
    ColumnElement,
    FromClause,
    Integer,
    cast,
    event,
    func,
    insert,
    literal,
    select,
    true,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from bench.support import PostgresUnreachable, postgres_database
from bench.table import Figure, milliseconds, percentile, render
from cogs.checkins import records
from cogs.checkins.form import RawCheckin
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from db.engine import Database, create_engine
from db.migrate import upgrade_to_head
from db.models import Checkin, CheckinSchedule, Member
from db.models.checkins import EVERY_DAY
from db.types import UTCDateTime
from tests.databases import POSTGRES_URL

BENCH = "storage"
FIRST_GUILD = 1_000_000_000_000_000_000
FIRST_USER = 2_000_000_000_000_000_000
CHANNEL = 4_000_000_000_000_000_000
PER_SERVER = 100
HISTORY_DAYS = 30
CONTENT = load_content(DEFAULT_CONTENT_DIR).checkins
# A day with every member checked in, in the evening (UTC is every server's zone).
TODAY = date(2026, 11, 10)
NOW = datetime(2026, 11, 10, 20, 0, tzinfo=UTC)
HISTORY_P99_GOAL = 0.050
WRITES_GOAL = 200.0
AT_ONCE = 200
GAP_EVERY = 41


@contextmanager
def quiet() -> Iterator[None]:
    """Only errors are logged meanwhile: a benchmark prints figures, not the bot's log."""
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.ERROR)
    try:
        yield
    finally:
        root.setLevel(level)


def numbers(dialect: str, count: int, name: str = "numbers") -> FromClause:
    """A one-column (`n`) table of 0 … count - 1, made by the database, to INSERT … SELECT
    from: rows by the million without a round trip each."""
    if dialect == "postgresql":
        return func.generate_series(0, count - 1).table_valued("n").render_derived(name=name)
    seed = select(literal(0).label("n")).cte(name, recursive=True)
    return seed.union_all(select(seed.c.n + 1).where(seed.c.n < count - 1))


def days_before(dialect: str, day: date, back: ColumnElement[Any]) -> ColumnElement[Any]:
    if dialect == "postgresql":
        return literal(day) - back
    # SQLite stores a date as its ISO text, which date() computes.
    return func.date(day.isoformat(), func.printf("-%d days", back))


# --- The data ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Sizes:
    servers: int
    days: int
    history_calls: int
    write_rounds: int

    @property
    def members(self) -> int:
        return self.servers * PER_SERVER


FULL = Sizes(servers=100, days=365, history_calls=200, write_rounds=5)
QUICK = Sizes(servers=4, days=365, history_calls=50, write_rounds=1)


# A member's row as the bot writes it, defaults included: the bulk INSERT gets no
# Python-side defaults.
MEMBER_COLUMNS = (
    "guild_id",
    "user_id",
    "share_signals_with_specialists",
    "share_signals_with_partner",
    "keep_checkin_notes",
    "created_at",
    "updated_at",
)


def member_defaults() -> tuple[ColumnElement[Any], ...]:
    stamp = literal(NOW, UTCDateTime())
    return literal(False), literal(False), literal(True), stamp, stamp


def user_of(server: int, n: int) -> int:
    return FIRST_USER + server * PER_SERVER + n


async def fill(connection: AsyncConnection, sizes: Sizes) -> None:
    dialect = connection.dialect.name
    stamp = literal(NOW, UTCDateTime())
    await connection.execute(
        insert(CheckinSchedule),
        [
            {
                "guild_id": FIRST_GUILD + s,
                "channel_id": CHANNEL,
                "prompt_hour": 19,
                "prompt_minute": 0,
                "timezone": "UTC",
                "weekdays": list(EVERY_DAY),
                "enabled": True,
            }
            for s in range(sizes.servers)
        ],
    )
    # Servers × their members, not one series divided: PostgreSQL's floor() of an integer
    # is a float, which would round a snowflake-sized id.
    servers, people = numbers(dialect, sizes.servers, "servers"), numbers(dialect, PER_SERVER)
    await connection.execute(
        insert(Member).from_select(
            [*MEMBER_COLUMNS],
            select(
                literal(FIRST_GUILD) + servers.c.n,
                literal(FIRST_USER) + servers.c.n * PER_SERVER + people.c.n,
                *member_defaults(),
            ).select_from(servers.join(people, true())),
        )
    )
    # Each member's `days` check-ins, today's the newest, with a day missed every
    # GAP_EVERY days (at a different day for each member), so streaks end at varied
    # lengths: "/" divides as integers on both backends ("//" would be a float floor).
    back = numbers(dialect, sizes.days)
    member = Member.__table__
    nth = member.c.user_id - FIRST_USER
    # As the "/" of the SQL (an integer division), binding tighter than "+".
    gaps_before = cast((back.c.n + nth % GAP_EVERY).op("/", precedence=8)(GAP_EVERY), Integer)
    await connection.execute(
        insert(Checkin).from_select(
            [
                "guild_id",
                "user_id",
                "local_date",
                "mood",
                "craving",
                "sleep_hours",
                "triggers",
                "created_at",
                "updated_at",
            ],
            select(
                member.c.guild_id,
                member.c.user_id,
                days_before(dialect, TODAY, back.c.n + gaps_before),
                1 + (back.c.n + nth) % 5,
                (back.c.n * 3 + nth) % 6,
                literal(6.5) + (back.c.n % 4) * 0.5,
                literal([], JSON()),
                stamp,
                stamp,
            ).select_from(member.join(back, true())),
        )
    )
    if dialect == "postgresql":
        await connection.exec_driver_sql("ANALYZE")


async def count_checkins(db: Database) -> int:
    async with db.all_guilds_session() as session:
        return int(await session.scalar(select(func.count()).select_from(Checkin)) or 0)


# --- History ----------------------------------------------------------------------------


class Statements:
    """The SQL statements sent (and their parameters), while `watching`."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.watching = False
        self.seen: list[tuple[str, Any]] = []
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, _conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if self.watching:
            self.seen.append((statement, parameters))


async def history_plan(db: Database, statements: Statements, guild_id: int, user_id: int) -> str:
    """The plan of the statement history sends to read the member's rows, reduced to the
    index it searches ("" when it scans)."""
    statements.watching = True
    try:
        await records.history(db, guild_id, user_id, HISTORY_DAYS, NOW)
    finally:
        statements.watching = False
    reads = [s for s in statements.seen if "FROM checkins" in s[0] and "ORDER BY" in s[0]]
    statement, parameters = reads[0]
    async with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            found = await connection.exec_driver_sql(f"EXPLAIN {statement}", parameters)
            plan = "\n".join(str(row[0]) for row in found)
            match = re.search(r"(?:Index (?:Only )?Scan using|Bitmap Index Scan on) (\w+)", plan)
        else:
            found = await connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement}", parameters)
            plan = "\n".join(str(row[-1]) for row in found)
            match = re.search(r"SEARCH \w+ USING (?:COVERING )?INDEX (\w+ \([^)]*\))", plan)
    return match.group(1) if match else ""


async def history_figures(db: Database, sizes: Sizes, backend: str) -> list[Figure]:
    statements = Statements(db.engine)
    chooser = random.Random(17)
    picks = [
        (s, user_of(s, chooser.randrange(PER_SERVER)))
        for s in (chooser.randrange(sizes.servers) for _ in range(sizes.history_calls))
    ]
    first = TODAY - timedelta(days=HISTORY_DAYS - 1)

    async def floor(server: int, user_id: int) -> int:
        plain = (
            select(
                Checkin.local_date,
                Checkin.mood,
                Checkin.craving,
                Checkin.sleep_hours,
                Checkin.triggers,
            )
            .where(Checkin.user_id == user_id, Checkin.local_date >= first)
            .order_by(Checkin.local_date)
        )
        async with db.guild_session(FIRST_GUILD + server) as session:
            return len((await session.execute(plain)).all())

    async def real(server: int, user_id: int) -> int:
        mine = await records.history(db, FIRST_GUILD + server, user_id, HISTORY_DAYS, NOW)
        return len(mine.points)

    for server, user_id in picks[:10]:  # the pool and the statement caches warmed
        await floor(server, user_id)
        await real(server, user_id)
    gc.collect()
    floors, spent, rows = [], [], []
    # In turns, so a busy moment of the (shared) machine falls on both alike.
    for server, user_id in picks:
        started = time.perf_counter()
        await floor(server, user_id)
        floors.append(time.perf_counter() - started)
        started = time.perf_counter()
        rows.append(await real(server, user_id))
        spent.append(time.perf_counter() - started)
    index = await history_plan(db, statements, FIRST_GUILD + picks[0][0], picks[0][1])
    p99 = percentile(spent, 0.99)
    what = f"history 30 days, {len(picks)} random members, {backend}"
    floor_p99 = percentile(floors, 0.99)
    return [
        Figure(BENCH, f"{what}: p50", milliseconds(statistics.median(spent))),
        Figure(
            BENCH,
            f"{what}: p99",
            f"{milliseconds(p99)} ({p99 / floor_p99:.1f}× floor)",
            f"≤ {milliseconds(HISTORY_P99_GOAL)}",
            p99 <= HISTORY_P99_GOAL,
        ),
        Figure(
            BENCH,
            f"  floor: one SELECT of the 30 rows, {backend}: p50 / p99",
            f"{milliseconds(statistics.median(floors))} / {milliseconds(floor_p99)}",
        ),
        Figure(
            BENCH,
            f"  history's rows read, {backend}: index searched",
            index or "none (a scan)",
            "an index on the member",
            "user_id" in index,
        ),
        Figure(
            BENCH,
            f"  rows a history call returned, {backend}: min / median",
            f"{min(rows)} / {statistics.median(rows):.0f}",
        ),
    ]


# --- Writes -----------------------------------------------------------------------------


@dataclass
class Rate:
    per_second: float
    failures: int


async def at_once(calls: Sequence[Callable[[], Awaitable[object]]]) -> tuple[float, int]:
    started = time.perf_counter()
    done = await asyncio.gather(*(call() for call in calls), return_exceptions=True)
    return time.perf_counter() - started, sum(isinstance(d, BaseException) for d in done)


async def rate(rounds: Sequence[Sequence[Callable[[], Awaitable[object]]]]) -> Rate:
    took, failed, calls = 0.0, 0, 0
    for calls_of_round in rounds:
        seconds, failures = await at_once(calls_of_round)
        took += seconds
        failed += failures
        calls += len(calls_of_round)
    return Rate((calls - failed) / took, failed)


async def write_figures(db: Database, sizes: Sizes, backend: str) -> list[Figure]:
    # The next days, so every check-in is a new row, as each evening's first ones are.
    tomorrow = NOW + timedelta(days=1)
    answer = RawCheckin(mood="4", craving="1", sleep="7.5", triggers=("Boredom",), note="")
    servers = range(min(sizes.write_rounds, sizes.servers))
    at_once_count = min(AT_ONCE, PER_SERVER * 2)

    def checkin(server: int, user_id: int) -> Callable[[], Awaitable[object]]:
        return lambda: records.record_checkin(
            db, FIRST_GUILD + server, user_id, answer, CONTENT, tomorrow
        )

    def plain(server: int, user_id: int) -> Callable[[], Awaitable[object]]:
        async def one() -> None:
            async with db.guild_session(FIRST_GUILD + server) as session, session.begin():
                await session.execute(
                    insert(Checkin).values(
                        guild_id=FIRST_GUILD + server,
                        user_id=user_id,
                        local_date=TODAY + timedelta(days=2),
                        mood=4,
                        craving=1,
                        sleep_hours=7.5,
                        triggers=["Boredom"],
                        created_at=NOW,
                        updated_at=NOW,
                    )
                )

        return one

    def members_of(round_: int) -> list[int]:
        # Two servers' members for 200 at once (a server here has 100), others each round.
        servers_at_once = at_once_count // PER_SERVER
        return [
            user_of((round_ * servers_at_once + k) % sizes.servers, n)
            for k in range(servers_at_once)
            for n in range(PER_SERVER)
        ]

    def server_of(user_id: int) -> int:
        return (user_id - FIRST_USER) // PER_SERVER

    real = await rate([[checkin(server_of(u), u) for u in members_of(s)] for s in servers])
    floor = await rate([[plain(server_of(u), u) for u in members_of(s)] for s in servers])
    what = f"{at_once_count} at once × {len(servers)}, {backend}"
    return [
        Figure(
            BENCH,
            f"check-in writes (record_checkin), {what}",
            f"{real.per_second:.0f}/s ({real.per_second / floor.per_second:.2f}× floor)",
            f"≥ {WRITES_GOAL:.0f}/s",
            real.per_second >= WRITES_GOAL,
        ),
        Figure(BENCH, f"  floor: single-row INSERTs, {what}", f"{floor.per_second:.0f}/s"),
        Figure(
            BENCH,
            f"  failed writes, {backend}",
            f"{real.failures + floor.failures}",
            "0",
            real.failures + floor.failures == 0,
        ),
    ]


# --- Running ----------------------------------------------------------------------------


async def on(url: str, sizes: Sizes, backend: str) -> list[Figure]:
    engine = create_engine(url, cipher=MultiFernet([Fernet(Fernet.generate_key())]))
    db = Database(engine)
    try:
        await upgrade_to_head(engine)
        started = time.perf_counter()
        async with engine.begin() as connection:
            await fill(connection, sizes)
        filled = time.perf_counter() - started
        stored = await count_checkins(db)
        figures = [
            Figure(BENCH, f"set-up: {backend} filled, {stored:,} check-ins", f"{filled:.1f} s")
        ]
        figures += await history_figures(db, sizes, backend)
        figures += await write_figures(db, sizes, backend)
        return figures
    finally:
        await db.dispose()


async def measure(sizes: Sizes, postgres: str | None) -> list[Figure]:
    with tempfile.TemporaryDirectory() as tmp:
        figures = await on(f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}", sizes, "SQLite")
    if postgres is None:
        return figures
    try:
        async with postgres_database(postgres) as url:
            figures += await on(url, sizes, "PostgreSQL")
    except PostgresUnreachable as error:
        figures.append(Figure(BENCH, "PostgreSQL figures", f"not run: {error}", "run", False))
    return figures


async def figures(quick: bool) -> list[Figure]:
    with quiet():
        return await measure(QUICK if quick else FULL, POSTGRES_URL)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="400 members, a few seconds")
    parser.add_argument("--postgres", metavar="SERVER_URL", default=POSTGRES_URL)
    parser.add_argument("--no-postgres", action="store_true", help="SQLite only")
    args = parser.parse_args()

    async def run() -> list[Figure]:
        with quiet():
            postgres = None if args.no_postgres else args.postgres
            return await measure(QUICK if args.quick else FULL, postgres)

    print(render(asyncio.run(run())))


if __name__ == "__main__":
    main()
