"""Schedule rebuild at start: 10,000 servers and 1,000,000 members, on SQLite.

The project's rule is that jobs are rebuilt from the tables at start, O(servers), never
O(members). This fills a database as a real deployment's would look: bench/scheduled_scale.py's
servers (settings, a check-in schedule in one of 12 moments, an on-call shift, three
members with reminders due now), then, in bulk SQL, the rest of 100 members a server with
their check-in preferences (reminders on for half, at hours spread over the day, sent
today) and a sober-day counter each, its next milestone ahead.

The real bot is then started against the emulator (which holds the servers, not the
members: they are only rows), and measured inside its setup_hook as scheduled_scale does:
the time of every feature load that left jobs in the scheduler, beside N bare APScheduler
cron jobs added in the same process; the jobs the bot holds; and the peak of traced memory
through setup_hook (tracemalloc, in a start of its own: tracing slows allocation).

SQLite only: the start-up reads of both backends are the same few statements a feature,
and SQLite is what a small deployment runs.

    .venv/bin/python -m bench.schedule_rebuild [--servers 10000] [--members 100] [--quick]

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import resource
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import Fernet
from sqlalchemy import func, insert, literal, select, true
from sqlalchemy.ext.asyncio import AsyncConnection

from bench import scheduled_scale as scale
from bench.storage import MEMBER_COLUMNS, member_defaults, numbers, quiet
from bench.table import Figure, render
from config.settings import Settings
from db.engine import create_engine
from db.keys import parse_keys
from db.models import CheckinPreference, GuildSettings, Member, SoberCounter
from db.types import EncryptedText, UTCDateTime
from fakediscord import FakeDiscord
from fakediscord.discordpy import point_discord_py_at

BENCH = "schedule rebuild"
# Far above any snowflake the emulator hands out: the bulk members never meet its users.
FIRST_BULK_USER = 10**17
TIME_GOAL_RATIO = 1.5
PEAK_GOAL_MB = 500


async def add_members(connection: AsyncConnection, per_server: int, now: datetime) -> None:
    """The members scheduled_scale's servers lack, to `per_server` each, in three INSERT …
    SELECTs (a Python loop over a million rows would take minutes)."""
    extra = per_server - scale.MEMBERS_PER_SERVER
    if extra <= 0:
        return
    dialect = connection.dialect.name
    servers = select(
        GuildSettings.guild_id,
        func.row_number().over(order_by=GuildSettings.guild_id).label("i"),
    ).subquery("servers")
    n = numbers(dialect, extra)
    user_id = literal(FIRST_BULK_USER) + servers.c.i * 1000 + n.c.n
    stamp = literal(now, UTCDateTime())
    pairs = select(servers.c.guild_id, user_id.label("user_id"), n.c.n).select_from(
        servers.join(n, true())
    )
    rows = pairs.subquery("pairs")
    await connection.execute(
        insert(Member).from_select(
            [*MEMBER_COLUMNS],
            select(rows.c.guild_id, rows.c.user_id, *member_defaults()),
        )
    )
    today = now.date()
    await connection.execute(
        insert(CheckinPreference).from_select(
            [
                "guild_id",
                "user_id",
                "reminders_enabled",
                "reminder_hour",
                "share_enabled",
                "last_reminder_date",
                "created_at",
                "updated_at",
            ],
            select(
                rows.c.guild_id,
                rows.c.user_id,
                rows.c.n % 2 == 0,
                rows.c.n % 24,
                rows.c.n % 5 == 0,
                literal(today),
                stamp,
                stamp,
            ),
        )
    )
    # One ciphertext for every counter: bound once, it opens with the bot's key (the
    # engine's cipher).
    substance = literal("alcohol", EncryptedText())
    milestone = datetime.combine(today + timedelta(days=3), datetime.min.time(), UTC)
    await connection.execute(
        insert(SoberCounter).from_select(
            [
                "guild_id",
                "user_id",
                "substance",
                "since",
                "next_milestone_days",
                "next_milestone_at",
                "created_at",
                "updated_at",
            ],
            # Every member's, the three a server scheduled_scale made too.
            select(
                Member.__table__.c.guild_id,
                Member.__table__.c.user_id,
                substance,
                literal(today - timedelta(days=27)),
                literal(30),
                literal(milestone, UTCDateTime()),
                stamp,
                stamp,
            ),
        )
    )


@dataclass(frozen=True)
class Filled:
    seconds: float
    members: int
    preferences: int
    counters: int


async def fill(database_url: str, servers: list[scale.Server], per_server: int, key: str) -> Filled:
    started = time.perf_counter()
    now = datetime.now(UTC)
    await scale.fill(database_url, servers, now)
    engine = create_engine(database_url, cipher=parse_keys(key))
    try:
        async with engine.begin() as connection:
            await add_members(connection, per_server, now)
        async with engine.connect() as connection:
            counted = await connection.execute(
                select(
                    select(func.count()).select_from(Member).scalar_subquery(),
                    select(func.count()).select_from(CheckinPreference).scalar_subquery(),
                    select(func.count()).select_from(SoberCounter).scalar_subquery(),
                )
            )
            members, preferences, counters = counted.one()
    finally:
        await engine.dispose()
    return Filled(time.perf_counter() - started, members, preferences, counters)


def rss_mb() -> float:
    # Linux reports kilobytes.
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def measure(count: int, per_server: int) -> list[Figure]:
    gc.collect()
    gc.freeze()
    bare = await scale.bare_apscheduler(count)
    emu = FakeDiscord(validate=False)
    await emu.start()
    restore = point_discord_py_at(emu.api_base_url, emu.gateway_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            app = emu.create_application("Recovery bot")
            servers = scale.build_world(emu, app, count)
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            key = Fernet.generate_key().decode()
            filled = await fill(url, servers, per_server, key)
            settings = Settings(
                _env_file=None,
                discord_token=app.token,
                database_url=url,
                data_dir=Path(tmp) / "data",
                encryption_key=key,
            )
            within = 60 + count / 50
            clock = scale.ShiftedClock()
            tracing = await scale.start_bot(
                scale.TimedBot(settings, clock, trace=True), app.token, within
            )
            await tracing.stop()
            running = await scale.start_bot(scale.TimedBot(settings, clock), app.token, within)
            try:
                return figures_of(running, tracing.bot, count, per_server, bare, filled)
            finally:
                await running.stop()
    finally:
        restore()
        await emu.stop()


def scheduling_features(bot: scale.TimedBot) -> list[str]:
    """The features holding jobs once the bot is up: each owner is its feature's package."""
    owners = scale.jobs_by_owner(bot)
    return sorted(name for owner in owners if (name := f"cogs.{owner}") in bot.spans)


def figures_of(
    running: scale.Running,
    traced: scale.TimedBot,
    count: int,
    per_server: int,
    bare: scale.Span,
    filled: Filled,
) -> list[Figure]:
    bot = running.bot
    features = scheduling_features(bot)
    took = sum((bot.spans[name] for name in features), scale.Span()).seconds
    peak = traced.spans["setup_hook"].peak / scale.MB
    jobs = sum(scale.jobs_by_owner(bot).values())
    members = count * per_server
    size = f"{count:,} servers, {members:,} members"
    return [
        Figure(
            BENCH,
            f"set-up: SQLite filled, {count:,} servers: members / reminder prefs / counters",
            f"{filled.members:,} / {filled.preferences:,} / {filled.counters:,} in "
            f"{filled.seconds:.1f} s",
        ),
        Figure(BENCH, f"bare APScheduler, {count:,} cron jobs", f"{bare.seconds:.2f} s"),
        Figure(
            BENCH,
            f"start-up scheduled work ({len(features)} features), {size}",
            f"{took:.2f} s ({took / bare.seconds:.2f}×)",
            f"≤ {TIME_GOAL_RATIO}× bare ({TIME_GOAL_RATIO * bare.seconds:.2f} s)",
            took <= TIME_GOAL_RATIO * bare.seconds,
        ),
        Figure(
            BENCH,
            "whole setup_hook (migrations check, every feature)",
            f"{bot.spans['setup_hook'].seconds:.2f} s",
        ),
        Figure(
            BENCH,
            f"APScheduler jobs the bot holds, {size}",
            f"{jobs:,}",
            f"≤ {count:,} (O(servers): members add none)",
            jobs <= count,
        ),
        Figure(
            BENCH,
            "peak traced memory through setup_hook",
            f"{peak:.0f} MiB",
            f"≤ {PEAK_GOAL_MB} MiB",
            peak <= PEAK_GOAL_MB,
        ),
        Figure(
            BENCH,
            "process max RSS (emulator's world included)",
            f"{rss_mb():.0f} MiB",
        ),
        Figure(BENCH, f"ready after {count:,} GUILD_CREATEs", f"{running.ready:.1f} s"),
    ]


async def figures(quick: bool) -> list[Figure]:
    with quiet():
        return await measure(200 if quick else 10_000, 100)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument("--members", type=int, default=100, help="a server")
    parser.add_argument("--quick", action="store_true", help="200 servers")
    args = parser.parse_args()

    async def run() -> list[Figure]:
        with quiet():
            return await measure(200 if args.quick else args.servers, args.members)

    print(render(asyncio.run(run())))


if __name__ == "__main__":
    main()
