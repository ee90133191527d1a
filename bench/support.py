"""What the interaction benchmarks share: the emulator in this process, a fresh database
of either kind, and latency as the emulator saw it, turned into figures.

Latency is taken from the emulator's own records: from the moment it dispatched the
interaction to the moment it accepted the answer the member sees (the initial response,
or, when the bot acknowledged first, its followup or edit). Waiting on the member's side
would add the time this process takes to wake every waiter, which grows with the crowd.
"""

from __future__ import annotations

import gc
import math
import statistics
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterator, Sequence
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from pathlib import Path

import asyncpg
from sqlalchemy.engine import make_url

from bench.table import Figure, milliseconds, percentile
from core.bot import keep_start_out_of_gc
from fakediscord import FakeDiscord
from fakediscord.discordpy import point_discord_py_at
from fakediscord.driver import UserInteraction
from sandbox.community import Community, build_community
from tests.databases import POSTGRES_URL

DEADLINE_SECONDS = 3.0  # Discord's: an interaction not answered by then fails for the member
DEFERRED_TYPES = (5, 6)  # acknowledged now, the answer comes as a followup or an edit
DATABASES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


@asynccontextmanager
async def emulator(*, validate: bool = False) -> AsyncIterator[FakeDiscord]:
    """The emulator in this process, discord.py pointed at it.

    Its OpenAPI checks cost milliseconds of CPU per request in this same event loop, work
    real Discord would not add to the bot's figures: off unless asked for."""
    emu = FakeDiscord(validate=validate)
    await emu.start()
    restore = point_discord_py_at(emu.api_base_url, emu.gateway_url)
    try:
        yield emu
    finally:
        restore()
        await emu.stop()


@asynccontextmanager
async def community(*, validate: bool = False) -> AsyncIterator[Community]:
    """The sandbox's recovery group in a fresh emulator."""
    async with emulator(validate=validate) as emu:
        yield build_community(emu)


@contextmanager
def started_as_a_process_is() -> Iterator[None]:
    """From a bot's start to its end, the garbage collector set as `python bot.py` sets
    it once the bot is ready (`core.bot.keep_start_out_of_gc`), for the real bot and the
    minimal one alike; undone after, so the next bot in this process starts afresh."""
    keep_start_out_of_gc()
    try:
        yield
    finally:
        gc.unfreeze()


# --- Databases -------------------------------------------------------------------------


class PostgresUnreachable(Exception):
    pass


async def _admin(server_url: str) -> asyncpg.Connection:
    dsn = make_url(server_url).set(drivername="postgresql").render_as_string(hide_password=False)
    try:
        return await asyncpg.connect(dsn, timeout=5)
    except (OSError, asyncpg.PostgresError) as error:
        raise PostgresUnreachable(f"PostgreSQL not reachable at {server_url}: {error}") from error


@asynccontextmanager
async def postgres_database(server_url: str = POSTGRES_URL) -> AsyncIterator[str]:
    """A throwaway database on that server, dropped afterwards (the URL's own database is
    only used to connect). Raises PostgresUnreachable when no server answers."""
    admin = await _admin(server_url)
    name = f"bench_{uuid.uuid4().hex[:12]}"
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE template0')
        yield make_url(server_url).set(database=name).render_as_string(hide_password=False)
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def postgres_version(server_url: str = POSTGRES_URL) -> str | None:
    try:
        admin = await _admin(server_url)
    except PostgresUnreachable:
        return None
    try:
        return str(await admin.fetchval("SHOW server_version"))
    finally:
        await admin.close()


@asynccontextmanager
async def fresh_database(dialect: str) -> AsyncIterator[tuple[str, Path]]:
    """An empty database of that dialect ("sqlite" or "postgresql") and an empty folder
    for the bot's data (its encryption key)."""
    with tempfile.TemporaryDirectory() as directory:
        folder = Path(directory)
        if dialect == "sqlite":
            yield f"sqlite+aiosqlite:///{folder / 'bench.db'}", folder
        else:
            async with postgres_database() as url:
                yield url, folder


# --- Latency ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Answer:
    seconds: float  # dispatch to the answer the member sees; inf: it never came
    deferred: bool


def answers(emu: FakeDiscord, interactions: Sequence[UserInteraction]) -> list[Answer]:
    """When each member saw the answer to their interaction, by the emulator's records."""
    accepted: dict[str, float] = {}
    for request in emu.requests:
        if 200 <= request.status < 300 and request.method in ("POST", "PATCH"):
            accepted.setdefault(request.path, request.finished)
    found = []
    for it in interactions:
        callback = accepted.get(f"/interactions/{it.id}/{it.token}/callback")
        deferred = it.response is not None and it.response.type in DEFERRED_TYPES
        seen = callback
        if callback is not None and deferred:
            # A refused callback never reaches `accepted`: the member saw it fail.
            later = [
                at
                for path, at in accepted.items()
                if path.startswith("/webhooks/") and f"/{it.token}" in path
            ]
            seen = min(later, default=None)
        seconds = math.inf if seen is None else seen - it.dispatched_at
        found.append(Answer(seconds, deferred))
    return found


def duration(seconds: float) -> str:
    return "never" if math.isinf(seconds) else milliseconds(seconds)


def latency_figures(
    bench: str,
    what: str,
    crowd: str,
    real: Sequence[Answer],
    floor: Sequence[Answer],
    *,
    plural: str = "",
    detail: bool = True,
) -> list[Figure]:
    """p50, p99 (held to twice the minimal bot's) and answers past Discord's 3 s deadline
    (held to none), with `detail` also max and deferrals, for `what` ("reply", "submit")
    and `crowd` ("200 members, SQLite")."""
    plural = plural or f"{what}s"
    mine = [a.seconds for a in real]
    base = [a.seconds for a in floor]
    late = sum(1 for s in mine if s > DEADLINE_SECONDS)
    late_floor = sum(1 for s in base if s > DEADLINE_SECONDS)
    deferred = sum(a.deferred for a in real)
    deferred_floor = sum(a.deferred for a in floor)
    p50, p50_floor = statistics.median(mine), statistics.median(base)
    p99, p99_floor = percentile(mine, 0.99), percentile(base, 0.99)
    middle = [
        Figure(
            bench,
            f"{what} max, {crowd}",
            f"{duration(max(mine))} (minimal bot {duration(max(base))})",
        ),
        Figure(
            bench,
            f"{plural} deferred, {crowd}",
            f"{deferred} of {len(mine)} (minimal bot {deferred_floor})",
        ),
    ]
    return [
        Figure(
            bench,
            f"{what} p50, {crowd}",
            f"{duration(p50)} (minimal bot {duration(p50_floor)})",
        ),
        Figure(
            bench,
            f"{what} p99, {crowd}",
            duration(p99),
            f"≤ 2× minimal bot's {duration(p99_floor)}",
            p99 <= 2 * p99_floor,
        ),
        *(middle if detail else []),
        Figure(
            bench,
            f"{plural} past 3 s, {crowd}",
            f"{late} of {len(mine)} (minimal bot {late_floor})",
            "none",
            late == 0,
        ),
    ]


def summary(label: str, found: Sequence[Answer]) -> str:
    """One line for a module's own command line."""
    seconds = [a.seconds for a in found]
    late = sum(1 for s in seconds if s > DEADLINE_SECONDS)
    return (
        f"{label:<44} p50 {duration(statistics.median(seconds)):>9}   "
        f"p99 {duration(percentile(seconds, 0.99)):>9}   max {duration(max(seconds)):>9}   "
        f"deferred {sum(a.deferred for a in found)}, past 3 s {late} (n={len(seconds)})"
    )
