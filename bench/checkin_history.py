"""/checkin history with years of check-ins, and one warning-sign detector run: prints figures.

    .venv/bin/python -m bench.checkin_history                    # on SQLite
    .venv/bin/python -m bench.checkin_history --postgres postgresql+asyncpg://postgres@127.0.0.1/test

`history` times `records.history` (the member's last 30 days and their streak) for a
member who checked in every day for `--years` years, one call after another: p50, p99
and the SQL statements per call. Beside it, the floor: one plain SELECT of that member's
last 30 days of rows, in a session of its own, on the same database.

`detector` builds a server of `--members` members with 45 days of check-ins each, a
share of them showing warning signs, and times one `signs.run_detector` run, then the
delivery records for its alerts (`signs.record_alert_delivery`, one per alert, as the job
calls it; a third of the nudges fail), counting SQL statements (a
`before_cursor_execute` listener). A second run finds nothing new: the idempotency the
batching must keep.

With `--postgres SERVER_URL` it runs in a throwaway database created on that server and
dropped afterwards (the database named in the URL is only used to connect).

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import statistics
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy import event, insert, select
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncEngine

from cogs.checkins import records, signs
from cogs.checkins.schedule import save_schedule
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from db.engine import Database, create_engine
from db.migrate import upgrade_to_head
from db.models import Checkin, Member

HISTORY_GUILD = 1_000_000_000_000_000_001
DETECTOR_GUILD = 1_000_000_000_000_000_002
ADMIN = 3_000_000_000_000_000_000
CHANNEL = 4_000_000_000_000_000_000
LONG_MEMBER = 2_000_000_000_000_000_000
FIRST_USER = 2_100_000_000_000_000_000
HISTORY_DAYS = 30
CONTENT = load_content(DEFAULT_CONTENT_DIR)
# A Tuesday evening in UTC, so "today" is already checked in.
NOW = datetime(2026, 11, 10, 20, 0, tzinfo=UTC)


class StatementCounter:
    """SQL statements sent to the database (one a round trip, bar executemany batching)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.count = 0
        event.listen(engine.sync_engine, "before_cursor_execute", self._seen)

    def _seen(self, *_args: Any) -> None:
        self.count += 1

    @contextmanager
    def counting(self) -> Iterator[list[int]]:
        counted: list[int] = []
        before = self.count
        try:
            yield counted
        finally:
            counted.append(self.count - before)


def _percentile(ordered: list[float], fraction: float) -> float:
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def _report(label: str, seconds: list[float], extra: str = "") -> float:
    ordered = sorted(s * 1000 for s in seconds)
    p50 = statistics.median(ordered)
    print(
        f"{label:<44} n={len(ordered):4d}  p50={p50:7.2f} ms  "
        f"p99={_percentile(ordered, 0.99):7.2f} ms  max={ordered[-1]:7.2f} ms{extra}"
    )
    return p50


def _row(guild_id: int, user_id: int, day: date, mood: int, craving: int, sleep: float) -> Any:
    return {
        "guild_id": guild_id,
        "user_id": user_id,
        "local_date": day,
        "mood": mood,
        "craving": craving,
        "sleep_hours": sleep,
        "triggers": ["Boredom"] if day.day % 3 == 0 else [],
        "note": None,
    }


async def _insert(db: Database, guild_id: int, model: Any, rows: list[Any]) -> None:
    async with db.guild_session(guild_id) as session, session.begin():
        for start in range(0, len(rows), 5_000):
            await session.execute(insert(model), rows[start : start + 5_000])


async def build_history(db: Database, years: int) -> None:
    await save_schedule(db, HISTORY_GUILD, ADMIN, channel_id=CHANNEL, timezone="UTC")
    today = NOW.date()
    days = round(years * 365.25)
    rows = [
        _row(HISTORY_GUILD, LONG_MEMBER, today - timedelta(days=n), 3 + n % 3, n % 6, 7.0)
        for n in range(days)
    ]
    await _insert(db, HISTORY_GUILD, Checkin, rows)
    print(f"history: one member, {days} days of daily check-ins up to today")


def _member_days(n: int, today: date) -> list[Any]:
    """45 days of one member's check-ins; one in five shows signs, half of those several."""
    rows = []
    for back in range(signs.DETECTOR_LOOKBACK_DAYS, 0, -1):
        day = today - timedelta(days=back)
        mood, craving, sleep = 4, 1 + back % 2, 7.5
        if n % 10 == 0 and back < 5:
            continue  # away for four days: missed
        if n % 10 == 1 and back <= 3:
            mood, sleep = 2, 4.0  # low mood and short sleep: three signs with "several"
        rows.append(_row(DETECTOR_GUILD, FIRST_USER + n, day, mood, craving, sleep))
    return rows


async def build_detector_server(db: Database, members: int) -> None:
    await save_schedule(db, DETECTOR_GUILD, ADMIN, channel_id=CHANNEL, timezone="UTC")
    today = NOW.date()
    people = [
        {
            "guild_id": DETECTOR_GUILD,
            "user_id": FIRST_USER + n,
            "timezone": None,
            "share_signals_with_specialists": n % 2 == 0,
        }
        for n in range(members)
    ]
    await _insert(db, DETECTOR_GUILD, Member, people)
    rows = [row for n in range(members) for row in _member_days(n, today)]
    await _insert(db, DETECTOR_GUILD, Checkin, rows)
    print(f"detector: {members} members, {len(rows)} check-ins in the last 45 days")


async def bench_history(db: Database, counter: StatementCounter, calls: int) -> None:
    first = NOW.date() - timedelta(days=HISTORY_DAYS - 1)
    plain = (
        select(
            Checkin.local_date,
            Checkin.mood,
            Checkin.craving,
            Checkin.sleep_hours,
            Checkin.triggers,
        )
        .where(Checkin.user_id == LONG_MEMBER, Checkin.local_date >= first)
        .order_by(Checkin.local_date)
    )

    async def baseline() -> int:
        async with db.guild_session(HISTORY_GUILD) as session:
            return len((await session.execute(plain)).all())

    async def real() -> int:
        mine = await records.history(db, HISTORY_GUILD, LONG_MEMBER, HISTORY_DAYS, NOW)
        return mine.streak

    for _ in range(10):  # warm the pool and the statement caches
        await baseline()
        await real()
    # Taken in turns, so that a busy moment of the machine falls on both alike.
    floor, spent, statements = [], [], 0
    for _ in range(calls):
        started = time.perf_counter()
        await baseline()
        floor.append(time.perf_counter() - started)
        before = counter.count
        started = time.perf_counter()
        await real()
        spent.append(time.perf_counter() - started)
        statements += counter.count - before
    streak = await real()
    base = _report(f"baseline: one SELECT of the last {HISTORY_DAYS} days", floor)
    ratio = statistics.median(spent) * 1000 / base
    _report(
        f"history({HISTORY_DAYS} days), streak {streak}",
        spent,
        f"  ({statements / calls:.0f} statements a call, p50 {ratio:.1f}x baseline)",
    )


async def bench_detector(db: Database, counter: StatementCounter) -> None:
    thresholds = CONTENT.checkins.warning_signs
    with counter.counting() as statements:
        started = time.perf_counter()
        alerts = await signs.run_detector(db, DETECTOR_GUILD, thresholds, NOW)
        spent = time.perf_counter() - started
    recorded = sum(len(alert.signal_ids) for alert in alerts)
    print(
        f"{'detector run':<44} {spent * 1000:8.1f} ms  {statements[0]:4d} statements  "
        f"({len(alerts)} alerts, {recorded} signals recorded)"
    )
    with counter.counting() as statements:
        started = time.perf_counter()
        for alert in alerts:
            # A third of the members keep their DMs closed.
            nudged = (alert.user_id - FIRST_USER) % 3 != 0
            shared = alert.share_with_specialists
            await signs.record_alert_delivery(
                db, DETECTOR_GUILD, alert, nudged=nudged, shared=shared
            )
        spent = time.perf_counter() - started
    print(
        f"{'delivery records, one call per alert':<44} {spent * 1000:8.1f} ms  "
        f"{statements[0]:4d} statements  ({statements[0] / max(len(alerts), 1):.1f} an alert)"
    )
    with counter.counting() as statements:
        started = time.perf_counter()
        again = await signs.run_detector(db, DETECTOR_GUILD, thresholds, NOW)
        spent = time.perf_counter() - started
    print(
        f"{'detector run again, same day':<44} {spent * 1000:8.1f} ms  {statements[0]:4d} "
        f"statements  ({len(again)} alerts)"
    )


async def run(database_url: str, years: int, members: int, calls: int) -> None:
    engine = create_engine(database_url, cipher=MultiFernet([Fernet(Fernet.generate_key())]))
    await upgrade_to_head(engine)
    db = Database(engine)
    try:
        print(f"database: {engine.dialect.name}")
        await build_history(db, years)
        await build_detector_server(db, members)
        gc.collect()  # building the data left garbage that the timed calls should not pay for
        counter = StatementCounter(engine)
        await bench_history(db, counter, calls)
        await bench_detector(db, counter)
    finally:
        await db.dispose()


async def on_sqlite(years: int, members: int, calls: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        url = f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}"
        await run(url, years, members, calls)


async def on_postgres(years: int, members: int, calls: int, server_url: str) -> None:
    import asyncpg  # the driver the bot uses; only needed here

    url = make_url(server_url)
    admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    name = f"bench_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        await run(url.set(database=name).render_as_string(False), years, members, calls)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--years", type=int, default=4, help="of the member's daily check-ins")
    parser.add_argument("--members", type=int, default=1000, help="in the detector's server")
    parser.add_argument("--calls", type=int, default=200, help="history calls timed")
    parser.add_argument("--postgres", metavar="SERVER_URL", help="on a throwaway PostgreSQL db")
    args = parser.parse_args()
    if args.postgres:
        asyncio.run(on_postgres(args.years, args.members, args.calls, args.postgres))
    else:
        asyncio.run(on_sqlite(args.years, args.members, args.calls))


if __name__ == "__main__":
    main()
