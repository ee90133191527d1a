"""How late /help-now escalation steps fire, p99, with and without a restart in between.

The real bot (sandbox/community.py's BotRunner) runs against the emulator with Discord's
rate limits on, SQLite, and a short policy set on the settings rows directly (3 s to
acknowledge, then the role and two repeats 3 s apart; /setup help-now policy allows
minutes, which only makes the run longer). 50 requests are opened by members of 25
servers, two a server, each server's specialist on call, one after another over 2 s, so
that their steps come due spread out, as open requests' steps do. (50 due at the same
moment is the /help-now burst bench/helpnow_latency.py measures: here its cost is the
bot's and the in-process emulator's work for 50 pages at once.) Two a server, because the
policy is squeezed twentyfold and Discord's 5 messages per channel per 5 s is not: a page
that finds the channel free goes alone, so with five a server two steps 3 s apart would
wait for the limit, which is Discord's queue, not the scheduler's lateness.

Every step of every request is measured: the first page, the escalation to the role and
its repeats. A step's due time is taken from what the bot recorded (the help_events rows):
the request's creation for its first page, then `policy.due_after` of each step_paged
record, as the desk computes `next_step_at`. A page's arrival is its message's snowflake
time at the emulator; its step is read from the page's text (pages may share a message).

The second run stops the bot (a clean stop, in process: a kill is
tests/cogs/helpnow/test_kill_restart.py's, as real processes) once the first pages are
out, keeps it down until every escalation is over a second overdue, and starts it again:
those steps fire at start, and their lateness is counted from the moment the bot is back
(ready, its servers received). Each step must arrive once: duplicates and missing steps
are figures with goal 0.

    .venv/bin/python -m bench.escalation_timing [--servers 25] [--quick]

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import re
import tempfile
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select

from bench.storage import quiet
from bench.support import emulator
from bench.table import Figure, milliseconds, percentile, render
from cogs.helpnow.policy import FIRST_ROLE_STEP, Policy, due_after
from cogs.oncall.cog import rotation_of
from core.bot import RecoveryBot
from db.engine import create_engine
from db.models import HelpEvent, HelpRequest
from fakediscord import FakeDiscord
from fakediscord.models import Channel, Guild, Member
from fakediscord.snowflake import snowflake_time
from sandbox.community import BotRunner, Community, build_community

BENCH = "escalation timing"


@dataclass(frozen=True)
class Shape:
    servers: int
    per_server: int
    policy: Policy

    @property
    def steps(self) -> list[int]:
        # With the person on call and no backup: step 0, then the role (2) and its repeats.
        return [0, *range(FIRST_ROLE_STEP, FIRST_ROLE_STEP + self.policy.max_repeats + 1)]


def shape(servers: int, quick: bool) -> Shape:
    if quick:
        # A request a server, a step a second: three pages in two seconds fit the channel.
        return Shape(servers, 1, Policy(timedelta(seconds=1), timedelta(seconds=1), 1))
    return Shape(servers, 2, Policy(timedelta(seconds=3), timedelta(seconds=3), 2))


LATE_GOAL = 1.0
DOWN_PAST_DUE = timedelta(seconds=1)
# Each kind of page names the member it is for: the step follows from the kind.
PAGE_KINDS = re.compile(
    r"<@(?P<first>\d+)> asked for help with /help-now"
    r"|not acknowledged yet: <@(?P<escalated>\d+)>'s request"
    r"|\(repeat (?P<repeat>\d+) of \d+\): <@(?P<repeated>\d+)>'s request"
)


@dataclass(frozen=True)
class Server:
    guild: Guild
    specialists: Channel
    checkins: Channel
    specialist: Member
    members: list[Member]


def server_of(community: Community, n: int, per_server: int) -> Server:
    """The community's server first, then more like it for the same bot."""
    if n:
        community = build_community(
            community.emu, app=community.app, name=f"Recovery group {n}", people_suffix=str(n)
        )
    guild = community.guild
    members = [guild.add_member(f"member{n}-{k}") for k in range(per_server)]
    return Server(guild, community.specialists, community.checkins, community.sam, members)


def role_of(server: Server) -> int:
    # The specialist's only role is the specialist role.
    return next(role.id for role in server.specialist.roles if role.id != server.guild.id)


async def configure(bot: RecoveryBot, servers: list[Server], policy: Policy) -> None:
    for server in servers:
        await bot.guild_settings.update(
            server.guild.id,
            server.guild.owner.id,
            checkin_channel_id=server.checkins.id,
            specialists_channel_id=server.specialists.id,
            specialist_role_id=role_of(server),
            region="US",
            ack_timeout_seconds=int(policy.ack_timeout.total_seconds()),
            repeat_interval_seconds=int(policy.repeat_interval.total_seconds()),
            max_repeats=policy.max_repeats,
        )
        await rotation_of(bot).take(server.guild.id, server.specialist.id, hours=8)


async def ask_in_turn(servers: list[Server], over: timedelta) -> None:
    """Every member asks once, one after another evenly over `over`, a server's turn
    coming round again only after every other server's."""
    askers = [(s, s.members[k]) for k in range(len(servers[0].members)) for s in servers]
    gap = over.total_seconds() / len(askers)

    async def one(turn: int, server: Server, member: Member) -> None:
        await asyncio.sleep(turn * gap)
        interaction = await member.run_command("help-now", channel=server.checkins)
        await interaction.wait_for_response(timeout=10)

    await asyncio.gather(*(one(turn, s, m) for turn, (s, m) in enumerate(askers)))


@dataclass
class Pages:
    """Every page at the emulator: (member, step index) → arrival times (UNIX seconds)."""

    arrivals: dict[tuple[int, int], list[float]] = field(default_factory=dict)
    refused: int = 0  # answered 429


def pages_of(emu: FakeDiscord, servers: list[Server]) -> Pages:
    pages = Pages()
    for server in servers:
        for message in emu.messages_in(server.specialists):
            at = snowflake_time(message.id).timestamp()
            for found in PAGE_KINDS.finditer(message.content):
                if found["first"]:
                    key = (int(found["first"]), 0)
                elif found["escalated"]:
                    key = (int(found["escalated"]), 1)
                else:
                    key = (int(found["repeated"]), 1 + int(found["repeat"]))
                pages.arrivals.setdefault(key, []).append(at)
    return pages


async def wait_for(check: Callable[[], bool], within: float) -> bool:
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            return False
        # Seldom: a look costs the loop the bot's pages share (arrivals are the
        # emulator's times, not the moment this sees them).
        await asyncio.sleep(0.5)
    return True


async def due_times(database_url: str, shape: Shape) -> dict[int, list[float]]:
    """Each request's steps' due times (UNIX seconds), by member, from the bot's records."""
    engine = create_engine(database_url)
    try:
        async with engine.connect() as connection:
            requests = (
                await connection.execute(
                    select(HelpRequest.id, HelpRequest.member_user_id, HelpRequest.created_at)
                )
            ).all()
            paged = (
                await connection.execute(
                    select(HelpEvent.request_id, HelpEvent.at)
                    .where(HelpEvent.kind == "step_paged")
                    .order_by(HelpEvent.id)
                )
            ).all()
    finally:
        await engine.dispose()
    steps_paged: dict[int, list[datetime]] = {}
    for request_id, at in paged:
        steps_paged.setdefault(request_id, []).append(at)
    due: dict[int, list[float]] = {}
    for request_id, member_id, created_at in requests:
        times = [created_at]
        for step, at in zip(shape.steps, steps_paged.get(request_id, []), strict=False):
            following = due_after(step, at, shape.policy)
            if following is not None:
                times.append(following)
        due[member_id] = [t.timestamp() for t in times]
    return due


@dataclass
class Run:
    shape: Shape
    due: dict[int, list[float]]
    pages: Pages
    stopped_at: float | None = None
    back_at: float | None = None
    started_at: float | None = None

    def expected(self) -> int:
        return len(self.due) * len(self.shape.steps)

    def lateness(self) -> tuple[dict[int, list[float]], list[float]]:
        """Steps that came due while the bot ran, by step index: lateness from their due
        time; and steps that came due while it was down: lateness from its return."""
        running: dict[int, list[float]] = {}
        at_start: list[float] = []
        for member_id, times in self.due.items():
            for index, due in enumerate(times):
                arrived = self.pages.arrivals.get((member_id, index))
                if not arrived:
                    continue
                down, back = self.stopped_at, self.back_at
                if down is not None and back is not None and down <= due < back:
                    at_start.append(min(arrived) - back)
                    continue
                running.setdefault(index, []).append(min(arrived) - due)
        return running, at_start

    def duplicates(self) -> int:
        return sum(len(times) - 1 for times in self.pages.arrivals.values())

    def missing(self) -> int:
        return self.expected() - len(self.pages.arrivals)


@asynccontextmanager
async def world(shape: Shape) -> AsyncIterator[tuple[Community, list[Server]]]:
    async with emulator() as emu:
        community = build_community(emu)
        yield community, [server_of(community, n, shape.per_server) for n in range(shape.servers)]


async def scenario(shape: Shape, restart: bool) -> Run:
    policy = shape.policy
    async with world(shape) as (community, servers):
        with tempfile.TemporaryDirectory() as tmp:
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
            runner = BotRunner(community, url, Path(tmp) / "data")
            emu = community.emu
            requests = shape.servers * shape.per_server
            stopped_at = back_at = started_at = None
            try:
                bot = await runner.start()
                await configure(bot, servers, policy)
                # Spread over two thirds of the first wait, so that the bot can be
                # stopped after every first page and before any escalation is due.
                await ask_in_turn(servers, policy.ack_timeout * 2 / 3)

                def all_paged(index: int) -> Callable[[], bool]:
                    def check() -> bool:
                        found = pages_of(emu, servers).arrivals
                        return sum(1 for (_, i) in found if i == index) >= requests

                    return check

                if restart:
                    await wait_for(all_paged(0), within=30)
                    arrivals = pages_of(emu, servers).arrivals
                    first_out = max(max(t) for (_, i), t in arrivals.items() if i == 0)
                    stopped_at = time.time()
                    await runner.stop(bot)
                    # Down until every escalation is over a second overdue.
                    back_due = first_out + (policy.ack_timeout + DOWN_PAST_DUE).total_seconds()
                    await asyncio.sleep(max(0.0, back_due - time.time()))
                    started_at = time.time()
                    await runner.start(sync=False)
                    back_at = time.time()
                last = len(shape.steps) - 1
                # The whole chain, and a little more for any page sent twice.
                chain = policy.ack_timeout + policy.repeat_interval * policy.max_repeats
                await wait_for(all_paged(last), within=chain.total_seconds() + 30)
                await asyncio.sleep(1.0)
            finally:
                await runner.stop_all()
            due = await due_times(url, shape)
            pages = pages_of(emu, servers)
            pages.refused = sum(1 for r in emu.requests if r.status == 429)
            return Run(shape, due, pages, stopped_at, back_at, started_at)


def p(values: list[float], fraction: float) -> str:
    return milliseconds(percentile(values, fraction)) if values else "none"


def figures_of(plain: Run, restarted: Run, shape: Shape) -> list[Figure]:
    by_step, _ = plain.lateness()
    running = [late for lates in by_step.values() for late in lates]
    around_by_step, at_start = restarted.lateness()
    around = [late for lates in around_by_step.values() for late in lates]
    kinds = ["first page", "escalation", *(f"repeat {n}" for n in range(1, len(by_step) - 1))]
    steps = ", ".join(
        f"{kind} {p(by_step[index], 0.99)}" for index, kind in enumerate(kinds) if index in by_step
    )
    policy = shape.policy
    what = (
        f"{shape.servers * shape.per_server} requests in {shape.servers} servers, "
        f"{len(shape.steps)} steps {policy.ack_timeout.seconds} s apart"
    )
    figures = [
        Figure(BENCH, f"lateness, no restart ({what}): p50", p(running, 0.5)),
        Figure(
            BENCH,
            f"lateness, no restart: p99 of {len(running)} steps",
            p(running, 0.99),
            f"≤ {milliseconds(LATE_GOAL)}",
            bool(running) and percentile(running, 0.99) <= LATE_GOAL,
        ),
        Figure(BENCH, "  p99 by step, no restart", steps),
        Figure(
            BENCH,
            f"lateness, with a restart, steps due while up: p99 of {len(around)}",
            p(around, 0.99),
            f"≤ {milliseconds(LATE_GOAL)}",
            bool(around) and percentile(around, 0.99) <= LATE_GOAL,
        ),
        Figure(
            BENCH,
            f"steps due while down, from the bot back (ready): p99 of {len(at_start)}",
            p(at_start, 0.99),
            f"≤ {milliseconds(LATE_GOAL)} after back",
            bool(at_start) and percentile(at_start, 0.99) <= LATE_GOAL,
        ),
    ]
    if restarted.started_at is not None and restarted.back_at is not None:
        figures.append(
            Figure(
                BENCH,
                "  restart: start to ready (in process)",
                milliseconds(restarted.back_at - restarted.started_at),
            )
        )
    for name, run in (("no restart", plain), ("with a restart", restarted)):
        figures += [
            Figure(
                BENCH,
                f"steps paged twice, {name}",
                str(run.duplicates()),
                "0",
                not run.duplicates(),
            ),
            Figure(
                BENCH,
                f"steps never paged, {name} (of {run.expected()})",
                str(run.missing()),
                "0",
                not run.missing(),
            ),
        ]
    refused = plain.pages.refused + restarted.pages.refused
    figures.append(Figure(BENCH, "requests answered 429 (both runs)", str(refused)))
    return figures


async def measure(shape: Shape) -> list[Figure]:
    plain = await scenario(shape, restart=False)
    restarted = await scenario(shape, restart=True)
    return figures_of(plain, restarted, shape)


async def figures(quick: bool) -> list[Figure]:
    with quiet():
        return await measure(shape(3 if quick else 25, quick))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, help="2 requests each (25; quick: 3, 1 each)")
    parser.add_argument("--quick", action="store_true", help="3 servers, 1 request each")
    args = parser.parse_args()

    async def run() -> list[Figure]:
        with quiet():
            servers = args.servers or (3 if args.quick else 25)
            return await measure(shape(servers, args.quick))

    print(render(asyncio.run(run())))


if __name__ == "__main__":
    main()
