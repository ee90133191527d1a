"""/help-now through SIGKILLs: the bot as a real process, killed at random moments of its
requests' lives and restarted each time, must still page every step of every request.

A request's life is short in these settings (1 s to the backup, then the role and two
repeats a second apart), so each request lives through many kills. The kill moments are
drawn, with a fixed seed, to cover where a crash can lose something:

- `reply`: a member asks, and the bot dies 0–60 ms after its reply reaches Discord (half
  of them in the first 15 ms, where the request is recorded and the first page goes out);
- `page`: the bot dies after a page it posted reaches Discord: within 30 ms (the page is
  out, its record may not be) or up to 1.3 s later (the next step comes due at +1 s, so
  the kill lands before it, while it is in flight or just after);
- `start`: the bot dies 0.5–4.5 s after it was spawned: while it starts and reads its
  journal, before discord.py's wait for the servers ends, or as overdue steps go out.

Kills run in three independent deployments at once (own token, server, database and
data folder), so that 51 restarts take a third of the time. The emulator keeps Discord's
rate limits on, so pages queue and are batched as in real life.

After the last kill each deployment runs until every request has had its whole chain
(step 0 the person on call, step 1 the backup, then the role and its repeats). A page
posted twice after a crash is allowed (the second says it is a repeat); a missing one
is not, and neither is a doubled "last automatic page" notice to the owner.

Set HELPNOW_KILL_SEED to try other kill moments; CI uses the fixed default.
"""

from __future__ import annotations

import asyncio
import os
import random
import re
import statistics
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from fakediscord import FakeDiscord, WaitTimeoutError
from fakediscord.models import Member, Message
from fakediscord.snowflake import snowflake_time
from sandbox.community import BotRunner, Community, build_community
from tests.bot_process import BotProcess, BotProcesses
from tests.cogs.helpnow.helpers import public_id_of, sam_on_call_riley_backup
from tests.databases import sqlite_url

SEED = int(os.environ.get("HELPNOW_KILL_SEED", "8"))
LANES = 3
# Per deployment: 6 + 7 + 4 = 17 kills, 51 in all.
KILLS_OF_KIND = {"reply": 6, "page": 7, "start": 4}
MAX_REPEATS = 2
ROLE_PAGES = 1 + MAX_REPEATS
# From the process's connection: discord.py waits 2 s for the servers before on_ready,
# and the escalation waits for on_ready; then a step is due every second.
PAGE_WITHIN = 4.0
# The final run waits while pages keep coming: late is allowed (pages queue behind the
# channel's 5 messages per 5 s, on_ready comes 2 s after connecting), silence is not.
# No page for this long, with requests still short, means their chain has stopped:
# longer than discord.py's wait for on_ready plus a full rate-limit window.
STALLED_AFTER = 8.0
# However busy the channel, a chain this late has failed (and pytest's timeout is 120 s).
FINAL_LIMIT = 40.0
UNANSWERED_NOTICE = "has had its last automatic page"
TARGET = re.compile(r"^(?:<@(?P<user>\d+)>|<@&(?P<role>\d+)>|(?P<channel>Peer specialists))")
MENTION = re.compile(r"<@(\d+)>")
SNOWFLAKE = re.compile(r"\d{15,}")


@dataclass(frozen=True)
class Kill:
    kind: str
    offset: float  # seconds after the anchor (the reply, the page, the spawn)


@dataclass
class KillRecord:
    number: int
    plan: Kill
    bot: BotProcess
    anchor: str
    at: float

    def describe(self, t0: float) -> str:
        return (
            f"#{self.number} {self.anchor}+{self.plan.offset * 1000:.0f}ms "
            f"at {self.at - t0:.2f}s (bot {self.bot.number})"
        )


@dataclass
class Request:
    public_id: str
    member: Member
    asked_at: float
    kill_number: int


@dataclass
class Page:
    at: float
    target: str  # "sam", "riley", "role", or who else was named


@dataclass
class Lane:
    """One deployment of the bot, killed and restarted on its own schedule."""

    index: int
    community: Community
    processes: BotProcesses
    plan: list[Kill]
    members: list[Member]
    requests: dict[str, Request] = field(default_factory=dict)
    kills: list[KillRecord] = field(default_factory=list)
    final_outcome: str = ""

    @property
    def emu(self) -> FakeDiscord:
        return self.community.emu

    def pages(self) -> dict[str, list[Page]]:
        """Every request's pages, read line by line: a page message carries up to five
        requests, each line naming its target first and its member after."""
        by_member = {r.member.id: r.public_id for r in self.requests.values()}
        community = self.community
        names = {community.sam.id: "sam", community.riley.id: "riley"}
        found: dict[str, list[Page]] = {pid: [] for pid in self.requests}
        for message in self.emu.messages_in(community.specialists):
            if not message.author.bot:
                continue
            pinged = {u.id for u in message.mentions} | {r.id for r in message.mention_roles}
            at = snowflake_time(message.id).timestamp()
            for line in message.content.split("\n\n"):
                target = TARGET.match(line)
                members = [int(m) for m in MENTION.findall(line) if int(m) in by_member]
                if target is None or not members:
                    continue
                if target["user"] and int(target["user"]) in pinged:
                    name = names.get(int(target["user"]), f"user {target['user']}")
                elif target["role"] and int(target["role"]) in pinged:
                    name = "role" if int(target["role"]) == community.role.id else "another role"
                else:
                    name = f"unpinged {target[0]}"
                found[by_member[members[0]]].append(Page(at, name))
        return found

    def missing(self) -> dict[str, list[str]]:
        """What each request still lacks of its chain."""
        wanted = {"sam": 1, "riley": 1, "role": ROLE_PAGES}
        short: dict[str, list[str]] = {}
        for public_id, pages in self.pages().items():
            got = Counter(page.target for page in pages)
            lacking = [
                f"{target} ({got[target]} of {count})"
                for target, count in wanted.items()
                if got[target] < count
            ]
            if lacking:
                short[public_id] = lacking
        return short

    def unanswered_notices(self) -> list[Message]:
        # One server per deployment: a notice names no request, so they are counted
        # against the deployment's requests.
        return [
            m
            for m in self.emu.dms_of(self.community.organiser)
            if m.author.bot and UNANSWERED_NOTICE in m.content
        ]

    def bot_at(self, moment: float) -> str:
        alive = [b.number for b in self.processes.started if b.alive_at(moment)]
        return f"bot {alive[-1]}" if alive else "no bot"

    def logged_problems(self) -> Counter[str]:
        """Errors and skipped jobs the processes logged, counted across restarts."""
        found: Counter[str] = Counter()
        for bot in self.processes.started:
            for line in bot.output.read_text(errors="replace").splitlines():
                if " ERROR " in line or "Traceback" in line or "skipped" in line:
                    found[SNOWFLAKE.sub("…", line.split(" ", 2)[-1])] += 1
        return found


def kill_plan(lane: int) -> list[Kill]:
    rng = random.Random(f"{SEED}:{lane}")
    kinds = [kind for kind, count in KILLS_OF_KIND.items() for _ in range(count)]
    kinds.remove("reply")
    rng.shuffle(kinds)
    plan = []
    for kind in ["reply", *kinds]:  # a request exists before anything else happens
        if kind == "reply":
            offset = rng.uniform(0, 0.015) if rng.random() < 0.5 else rng.uniform(0.015, 0.06)
        elif kind == "page":
            offset = rng.uniform(0, 0.03) if rng.random() < 0.5 else rng.uniform(0.03, 1.3)
        else:
            offset = rng.uniform(0.5, 4.5)
        plan.append(Kill(kind, offset))
    return plan


async def set_up_lane(index: int, community: Community, runner: BotRunner, tmp_path: Path) -> Lane:
    bot = await runner.start()  # also syncs the slash commands into the emulator
    await runner.configure(
        bot, ack_timeout_seconds=1, repeat_interval_seconds=1, max_repeats=MAX_REPEATS
    )
    await sam_on_call_riley_backup(bot, community)
    await runner.stop(bot)
    plan = kill_plan(index)
    asking = sum(1 for kill in plan if kill.kind == "reply")
    extra = [community.guild.add_member(f"member-{index}-{n}") for n in range(asking - 2)]
    processes = BotProcesses(
        community.emu,
        community.app,
        runner.database_url,
        runner.data_dir,
        tmp_path / f"lane-{index}-logs",
    )
    return Lane(index, community, processes, plan, [community.alice, community.bob, *extra])


async def next_page_of(lane: Lane, bot: BotProcess) -> Message | None:
    """The first page posted after `bot` connected, if one comes in time."""
    assert bot.connected_at is not None
    since = bot.connected_at - 0.001  # snowflakes carry milliseconds
    channel = lane.community.specialists

    def posted() -> Message | None:
        return next(
            (
                m
                for m in lane.emu.messages_in(channel)
                if m.author.bot and snowflake_time(m.id).timestamp() >= since
            ),
            None,
        )

    try:
        return await lane.emu.wait_until(
            posted, within=PAGE_WITHIN, what="a page", seen=lambda: "no page yet"
        )
    except WaitTimeoutError:
        return None  # no step due (or a broken chain): the kill still counts


async def run_lane(lane: Lane) -> None:
    for number, kill in enumerate(lane.plan, start=1):
        if kill.kind == "start":
            bot = await lane.processes.spawn()
            anchor = "spawn"
        else:
            bot = await lane.processes.start()
            if kill.kind == "reply":
                member = lane.members[len(lane.requests)]
                asked = await member.run_command("help-now", channel=lane.community.checkins)
                reply = await asked.wait_for_response(timeout=10)
                assert reply.message is not None
                public_id = public_id_of(reply.message, "safe")
                lane.requests[public_id] = Request(public_id, member, time.time(), number)
                anchor = "reply"
            else:
                anchor = "page" if await next_page_of(lane, bot) else f"connect+{PAGE_WITHIN:g}s"
        # The experiment's random moment, not a wait for an event.
        await asyncio.sleep(kill.offset)
        at = time.time()
        await lane.processes.kill(bot)
        lane.kills.append(KillRecord(number, kill, bot, anchor, at))
    lane.final_outcome = await wait_for_every_chain(lane, await lane.processes.start())


async def wait_for_every_chain(lane: Lane, bot: BotProcess) -> str:
    """How the final run ended: every chain complete, or how it stopped short."""
    channel = lane.community.specialists
    limit = time.monotonic() + FINAL_LIMIT

    def done_or_moved(posted: int) -> Callable[[], bool | None]:
        def check() -> bool | None:
            moved = len(lane.emu.messages_in(channel)) > posted
            return True if moved or not lane.missing() else None

        return check

    while lane.missing():
        left = limit - time.monotonic()
        if left <= 0:
            return f"still short {FINAL_LIMIT:g}s into the final run (bot {bot.number})"
        try:
            await lane.emu.wait_until(
                done_or_moved(len(lane.emu.messages_in(channel))),
                within=min(STALLED_AFTER, left),
                what="the next page",
                seen=lambda: str(lane.missing()),
            )
        except WaitTimeoutError:
            if left > STALLED_AFTER:
                return f"no page for {STALLED_AFTER:g}s in the final run (bot {bot.number})"
    return "complete"


def report(lanes: list[Lane], t0: float) -> str:
    lines: list[str] = []
    requests = sum(len(lane.requests) for lane in lanes)
    kills = sum(len(lane.kills) for lane in lanes)
    short = sum(len(lane.missing()) for lane in lanes)
    lines.append(
        f"{short} of {requests} requests lost a step over {kills} SIGKILLs "
        f"(HELPNOW_KILL_SEED={SEED}; times from the test's start):"
    )
    for lane in lanes:
        missing = lane.missing()
        pages = lane.pages()
        for public_id, lacking in missing.items():
            request = lane.requests[public_id]
            kill = lane.kills[request.kill_number - 1]
            seen = ", ".join(
                f"{p.target} {p.at - t0:.2f}s ({lane.bot_at(p.at)})" for p in pages[public_id]
            )
            lines.append(
                f"  deployment {lane.index}, request {public_id[:8]} of {request.member.name}, "
                f"asked at {request.asked_at - t0:.2f}s, killed {kill.describe(t0)}: "
                f"missing {', '.join(lacking)}; pages: {seen or 'none'}"
            )
        if missing:
            lines.append(f"  deployment {lane.index}'s final run: {lane.final_outcome}")
        notices = len(lane.unanswered_notices())
        if notices > len(lane.requests):
            lines.append(
                f"  deployment {lane.index}: the owner got {notices} 'last automatic page' "
                f"notices for {len(lane.requests)} requests"
            )
    for lane in lanes:
        for problem, count in lane.logged_problems().most_common(5):
            lines.append(f"  deployment {lane.index} logged {count}×: {problem}")
    lines.append("Kills (anchor+offset, when, which bot):")
    for lane in lanes:
        described = [kill.describe(t0) for kill in lane.kills]
        for start in range(0, len(described), 6):
            prefix = f"  deployment {lane.index}: " if start == 0 else "    "
            lines.append(prefix + "; ".join(described[start : start + 6]))
    return "\n".join(lines)


async def test_sigkill_at_random_moments_never_loses_a_page_or_a_step(
    bot_runner: BotRunner, community: Community, tmp_path: Path
) -> None:
    t0 = time.time()
    runners = [bot_runner]
    communities = [community]
    for index in range(1, LANES):
        communities.append(build_community(community.emu))
        folder = tmp_path / f"lane-{index}"
        folder.mkdir()
        runners.append(BotRunner(communities[index], sqlite_url(folder), folder / "data"))
    lanes: list[Lane] = []
    try:
        for index in range(LANES):
            lanes.append(await set_up_lane(index, communities[index], runners[index], tmp_path))
        # A deployment that fails stops the others: none may start processes after the
        # reaping below.
        async with asyncio.TaskGroup() as group:
            for lane in lanes:
                group.create_task(run_lane(lane))
    finally:
        for lane in lanes:
            await lane.processes.kill_all()
        for runner in runners[1:]:
            await runner.stop_all()

    starts = [b.start_seconds for lane in lanes for b in lane.processes.started if b.start_seconds]
    timing = (
        f"{len(starts)} process starts, {statistics.median(starts):.2f}s median "
        f"to connect (max {max(starts):.2f}s); test ran {time.time() - t0:.1f}s"
    )
    print(timing)
    assert sum(len(lane.kills) for lane in lanes) >= 50
    failed = any(lane.missing() for lane in lanes) or any(
        len(lane.unanswered_notices()) > len(lane.requests) for lane in lanes
    )
    assert not failed, report(lanes, t0) + "\n" + timing
