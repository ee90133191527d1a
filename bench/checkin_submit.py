"""Check-in submit latency with many members at once: prints p50, p99 and max.

    .venv/bin/python -m bench.checkin_submit                     # the service, on SQLite
    .venv/bin/python -m bench.checkin_submit --postgres postgresql+asyncpg://postgres@127.0.0.1/test
    .venv/bin/python -m bench.checkin_submit --through emulator  # the real bot, end to end

`service` times `record_checkin` (validation, one upsert, the streak) for every member
submitting at the same moment: first new check-ins, then same-day updates. With
`--postgres SERVER_URL` it runs in a throwaway database created on that server and
dropped afterwards (the database named in the URL is only used to connect).

`emulator` starts the real bot against the local Discord emulator (request validation
off) and times each modal submit until its private thanks arrives. The emulator shares
the process and event loop, so those figures include its own work too.

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
import time
import uuid
from collections.abc import Awaitable, Callable, Sequence
from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import Fernet, MultiFernet
from sqlalchemy.engine import make_url

from cogs.checkins import records
from cogs.checkins.form import RawCheckin
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from db.engine import Database, create_engine
from db.migrate import upgrade_to_head

GUILD = 1_000_000_000_000_000_001
FIRST_USER = 2_000_000_000_000_000_000
CONTENT = load_content(DEFAULT_CONTENT_DIR)


def _answers(n: int) -> RawCheckin:
    return RawCheckin(
        mood=str(1 + n % 5),
        craving=str(n % 11),
        sleep=f"{5 + n % 4}.5",
        triggers=(CONTENT.checkins.triggers[0], CONTENT.checkins.triggers[3]) if n % 3 == 0 else (),
        note=f"A private note, number {n}, that is stored encrypted." if n % 2 else "",
    )


def _report(label: str, latencies: Sequence[float], wall: float) -> None:
    ordered = sorted(latencies)
    p99 = ordered[min(len(ordered) - 1, round(0.99 * (len(ordered) - 1)))]
    print(
        f"{label:<34} n={len(ordered):4d}  p50={statistics.median(ordered) * 1000:7.1f} ms  "
        f"p99={p99 * 1000:7.1f} ms  max={ordered[-1] * 1000:7.1f} ms  "
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
    import asyncpg  # the driver the bot uses; only needed here

    url = make_url(server_url)
    admin = await asyncpg.connect(url.set(drivername="postgresql").render_as_string(False))
    name = f"bench_{uuid.uuid4().hex[:12]}"
    await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
    try:
        await through_service(members, url.set(database=name).render_as_string(False))
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def through_emulator(members: int) -> None:
    # Imported here: the emulator and the test harness are only needed for this mode.
    from cogs.checkins.cog import REPLY_BUDGET_SECONDS
    from fakediscord import FakeDiscord
    from fakediscord.discordpy import point_discord_py_at
    from fakediscord.driver import UserInteraction
    from sandbox.community import BotRunner, build_community

    # The emulator checks every request against Discord's OpenAPI description (about
    # 25 ms each, in this same event loop): the tests keep that on, the bench turns it off.
    emu = FakeDiscord(validate=False)
    await emu.start()
    restore = point_discord_py_at(emu.api_base_url, emu.gateway_url)
    with tempfile.TemporaryDirectory() as directory:
        community = build_community(emu)
        people = [community.guild.add_member(f"member{n}") for n in range(members)]
        runner = BotRunner(
            community, f"sqlite+aiosqlite:///{Path(directory) / 'bench.db'}", Path(directory)
        )
        try:
            await runner.start()
            opened = await asyncio.gather(
                *(
                    person.run_command("checkin today", channel=community.checkins)
                    for person in people
                )
            )
            await asyncio.gather(*(it.wait_for_response(timeout=60) for it in opened))

            submitted: list[UserInteraction] = []

            async def submit(n: int) -> None:
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
                submitted.append(it)
                first = await it.wait_for_response(timeout=60)
                if first.deferred:  # acknowledged first: the thanks comes as a followup
                    await it.wait_for_followup(timeout=60)

            calls = [lambda n=n: submit(n) for n in range(members)]
            latencies, wall = await _timed_all(calls)
            _report("sqlite, real bot via emulator, submit", latencies, wall)
            late = [it for it in [*opened, *submitted] if it.rejections]
            deferred = [it for it in submitted if it.response and it.response.deferred]
            print(
                f"submits acknowledged first (saving took over {REPLY_BUDGET_SECONDS} s): "
                f"{len(deferred)}; interactions past Discord's 3 s deadline: {len(late)}"
            )
        finally:
            await runner.stop_all()
            restore()
            await emu.stop()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--members", type=int, default=200)
    parser.add_argument("--through", choices=("service", "emulator"), default="service")
    parser.add_argument(
        "--postgres", metavar="SERVER_URL", help="--through service on a throwaway PostgreSQL db"
    )
    args = parser.parse_args()
    if args.through == "emulator":
        asyncio.run(through_emulator(args.members))
    elif args.postgres:
        asyncio.run(on_postgres(args.members, args.postgres))
    else:
        asyncio.run(on_sqlite(args.members))


if __name__ == "__main__":
    main()
