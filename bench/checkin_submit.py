"""Check-in submit latency with many members at once: prints p50, p99 and max.

    .venv/bin/python -m bench.checkin_submit                     # the service, on SQLite
    .venv/bin/python -m bench.checkin_submit --postgres postgresql+asyncpg://postgres@127.0.0.1/test
    .venv/bin/python -m bench.checkin_submit --through emulator  # the real bot, end to end

`service` times `record_checkin` (validation, one upsert, the streak) for every member
submitting at the same moment: first new check-ins, then same-day updates. With
`--postgres SERVER_URL` it runs in a throwaway database created on that server and
dropped afterwards (the database named in the URL is only used to connect); so does
`emulator`.

`emulator` starts the real bot against the local Discord emulator (request validation
off): every member opens /checkin today, then all submit the form at once, and each
submit is timed at the emulator from its dispatch to the private thanks the member sees
(the followup, when the bot acknowledged first). Beside it, in a fresh emulator, a
minimal bot (`bench/minimal_bot.py`) answers /checkin today with a form of the same
fields and its submit with one aiosqlite insert and a short thanks: the floor (goal:
the real p99 at most twice the minimal bot's, and no answer past Discord's 3 s). The
emulator shares the process and event loop, so both include its own work too.
Each crowd submits twice: members' first check-in in the server (each followed by
the privacy notice), then again as returning members, as on every later day.
`python -m bench` runs `emulator` for 50 and 200 members, on SQLite and PostgreSQL.

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiosqlite
import discord
from cryptography.fernet import Fernet, MultiFernet
from discord import app_commands

from bench import support
from bench.minimal_bot import MinimalBot, running
from bench.support import Answer, PostgresUnreachable
from bench.table import Figure, percentile
from cogs.checkins import records
from cogs.checkins.cog import REPLY_BUDGET_SECONDS
from cogs.checkins.form import RawCheckin
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from db.engine import Database, create_engine
from db.migrate import upgrade_to_head
from fakediscord.driver import UserInteraction
from fakediscord.models import Member
from sandbox.community import BotRunner, Community

GUILD = 1_000_000_000_000_000_001
FIRST_USER = 2_000_000_000_000_000_000
CONTENT = load_content(DEFAULT_CONTENT_DIR)
TRIGGERS = CONTENT.checkins.triggers
BENCH = "check-in submit"
SIZES = (50, 200)
QUICK_SIZES = (5,)


def _answers(n: int) -> RawCheckin:
    return RawCheckin(
        mood=str(1 + n % 5),
        craving=str(n % 11),
        sleep=f"{5 + n % 4}.5",
        triggers=(CONTENT.checkins.triggers[0], CONTENT.checkins.triggers[3]) if n % 3 == 0 else (),
        note=f"A private note, number {n}, that is stored encrypted." if n % 2 else "",
    )


def _report(label: str, latencies: Sequence[float], wall: float) -> None:
    p99 = percentile(latencies, 0.99)
    print(
        f"{label:<34} n={len(latencies):4d}  p50={statistics.median(latencies) * 1000:7.1f} ms  "
        f"p99={p99 * 1000:7.1f} ms  max={max(latencies) * 1000:7.1f} ms  "
        f"all done in {wall:5.2f} s"
    )


async def _timed_all(calls: Sequence[Callable[[], Awaitable[object]]]) -> tuple[list[float], float]:
    async def one(call: Callable[[], Awaitable[object]]) -> float:
        started = time.perf_counter()
        await call()
        return time.perf_counter() - started

    started = time.perf_counter()
    latencies = await asyncio.gather(*(one(call) for call in calls))
    return list(latencies), time.perf_counter() - started


async def through_service(members: int, database_url: str) -> None:
    engine = create_engine(database_url, cipher=MultiFernet([Fernet(Fernet.generate_key())]))
    await upgrade_to_head(engine)
    db = Database(engine)
    now = datetime.now(UTC)
    try:
        for label in ("new check-ins", "same-day updates"):
            calls = [
                (
                    lambda n=n: records.record_checkin(
                        db, GUILD, FIRST_USER + n, _answers(n), CONTENT.checkins, now
                    )
                )
                for n in range(members)
            ]
            latencies, wall = await _timed_all(calls)
            _report(f"{engine.dialect.name}, service, {label}", latencies, wall)
    finally:
        await db.dispose()


async def on_sqlite(members: int) -> None:
    with tempfile.TemporaryDirectory() as directory:
        await through_service(members, f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}")


async def on_postgres(members: int, server_url: str) -> None:
    async with support.postgres_database(server_url) as url:
        await through_service(members, url)


# --- Through the emulator: the real bot beside a minimal one ---------------------------


# Each crowd submits twice: a member's first check-in in the server is followed by the
# privacy notice (one more write, one more message); from then on, every day's is not.
ROUNDS = ("first check-in", "returning")


async def submit_at_once(community: Community, people: Sequence[Member]) -> list[Answer]:
    """Every member opens /checkin today, then all submit the form at the same moment;
    when each saw the answer, from the submit's dispatch."""
    opened = await asyncio.gather(
        *(person.run_command("checkin today", channel=community.checkins) for person in people)
    )
    await asyncio.gather(*(it.wait_for_response(timeout=60) for it in opened))

    async def submit(n: int) -> UserInteraction:
        answers = _answers(n)
        it = await people[n].submit_modal(
            opened[n],
            {
                "mood": answers.mood,
                "craving": answers.craving,
                "sleep": answers.sleep,
                "triggers": answers.triggers,
                "note": answers.note,
            },
        )
        first = await it.wait_for_response(timeout=60)
        if first.deferred:  # acknowledged first: the thanks comes as a followup
            await it.wait_for_followup(timeout=60)
        return it

    submitted = await asyncio.gather(*(submit(n) for n in range(len(people))))
    return support.answers(community.emu, submitted)


async def every_round(community: Community, members: int) -> dict[str, list[Answer]]:
    people = [community.guild.add_member(f"member{n}") for n in range(members)]
    return {name: await submit_at_once(community, people) for name in ROUNDS}


async def real_bot(members: int, database_url: str, workdir: Path) -> dict[str, list[Answer]]:
    async with support.community() as community:
        runner = BotRunner(community, database_url, workdir / "data")
        try:
            await runner.start()
            with support.started_as_a_process_is():
                return await every_round(community, members)
        finally:
            await runner.stop_all()


class MinimalCheckinForm(discord.ui.Modal):
    """The real form's fields under the same custom_ids (cogs/checkins/views.py
    CheckinModal), so the same answers fit; its triggers are the shipped content's."""

    def __init__(self, store: aiosqlite.Connection) -> None:
        # discord.py keys open forms by custom_id alone: the default, random, keeps
        # 200 members' forms apart.
        super().__init__(title="Daily check-in")
        self.store = store
        self.mood: discord.ui.TextInput[MinimalCheckinForm] = discord.ui.TextInput(
            custom_id="mood", label="Mood today (1 = very low, 5 = great)", max_length=8
        )
        self.craving: discord.ui.TextInput[MinimalCheckinForm] = discord.ui.TextInput(
            custom_id="craving", label="Cravings today (0 = none, 10 = very strong)", max_length=8
        )
        self.sleep: discord.ui.TextInput[MinimalCheckinForm] = discord.ui.TextInput(
            custom_id="sleep", label="Hours of sleep last night", max_length=12
        )
        options = [discord.SelectOption(label=name[:100], value=name) for name in TRIGGERS]
        options.append(discord.SelectOption(label="Something else", value="other"))
        self.triggers: discord.ui.Select[MinimalCheckinForm] = discord.ui.Select(
            custom_id="triggers",
            required=False,
            min_values=0,
            max_values=len(options),
            options=options,
        )
        self.note: discord.ui.TextInput[MinimalCheckinForm] = discord.ui.TextInput(
            custom_id="note",
            label="A private note (optional)",
            style=discord.TextStyle.paragraph,
            required=False,
            max_length=1000,
        )
        self.add_item(self.mood)
        self.add_item(self.craving)
        self.add_item(self.sleep)
        self.add_item(
            discord.ui.Label(text="Anything that made today harder?", component=self.triggers)
        )
        self.add_item(self.note)

    async def on_submit(self, interaction: discord.Interaction[Any]) -> None:
        await self.store.execute(
            "INSERT INTO checkins VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
            (
                interaction.guild_id,
                interaction.user.id,
                datetime.now(UTC).date().isoformat(),
                self.mood.value,
                self.craving.value,
                self.sleep.value,
                ",".join(self.triggers.values),
                self.note.value,
            ),
        )
        await self.store.commit()
        await interaction.response.send_message("Thank you for checking in.", ephemeral=True)


async def minimal_bot(members: int, workdir: Path) -> dict[str, list[Answer]]:
    async with (
        support.community() as community,
        aiosqlite.connect(workdir / "minimal.db") as store,
    ):
        await store.execute(
            "CREATE TABLE IF NOT EXISTS checkins (guild_id INTEGER, user_id INTEGER, day TEXT,"
            " mood TEXT, craving TEXT, sleep TEXT, triggers TEXT, note TEXT)"
        )
        await store.commit()
        bot = MinimalBot()
        checkin = app_commands.Group(name="checkin", description="Daily check-in")

        @checkin.command(name="today", description="Check in for today")
        async def today(interaction: discord.Interaction[MinimalBot]) -> None:
            await interaction.response.send_modal(MinimalCheckinForm(store))

        bot.tree.add_command(checkin)
        async with running(bot, community.app.token):
            with support.started_as_a_process_is():
                return await every_round(community, members)


async def beside(
    members: int, dialect: str
) -> tuple[dict[str, list[Answer]], dict[str, list[Answer]]]:
    """The real bot on a fresh database of that dialect, then the minimal bot."""
    async with support.fresh_database(dialect) as (url, workdir):
        real = await real_bot(members, url, workdir)
        floor = await minimal_bot(members, workdir)
    return real, floor


async def figures(quick: bool) -> list[Figure]:
    found: list[Figure] = []
    for dialect, name in support.DATABASES.items():
        for members in QUICK_SIZES if quick else SIZES:
            try:
                real, floor = await beside(members, dialect)
            except PostgresUnreachable as error:
                found.append(Figure(BENCH, f"submit, {name}", f"not measured: {error}"))
                break
            for round_name in ROUNDS:
                found += support.latency_figures(
                    BENCH,
                    "submit",
                    f"{members} members, {round_name}, {name}",
                    real[round_name],
                    floor[round_name],
                )
    return found


async def through_emulator(members: int, server_url: str | None) -> None:
    dialect = "sqlite" if server_url is None else "postgresql"
    if server_url is None:
        real, floor = await beside(members, dialect)
    else:
        async with support.postgres_database(server_url) as url:
            with tempfile.TemporaryDirectory() as directory:
                real = await real_bot(members, url, Path(directory))
                floor = await minimal_bot(members, Path(directory))
    name = support.DATABASES[dialect]
    for round_name in ROUNDS:
        print(support.summary(f"{name}, real bot, {round_name}", real[round_name]))
        print(support.summary("  minimal bot, one aiosqlite insert", floor[round_name]))
    print(f"(the real bot acknowledges first when saving takes over {REPLY_BUDGET_SECONDS} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--through", choices=("service", "emulator"), default="service")
    parser.add_argument(
        "--postgres", metavar="SERVER_URL", help="on a throwaway database on that PostgreSQL server"
    )
    args = parser.parse_args()
    if args.through == "emulator":
        asyncio.run(through_emulator(args.members, args.postgres))
    elif args.postgres:
        asyncio.run(on_postgres(args.members, args.postgres))
    else:
        asyncio.run(on_sqlite(args.members))


if __name__ == "__main__":
    main()
