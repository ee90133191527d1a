"""Every server's check-in prompt due in the same minute: how the outbox fans them out.

Builds one emulator (Discord's rate limits on) holding N servers, each with its own
check-in channel, starts the real bot against it, saves every server's schedule for the
current minute and runs that moment's prompt job, which claims the prompts and hands
them to the outbox (`--via enqueue`: queue the same messages in one transaction and
wake the outbox, without the job). A few seconds in, a member of the first server (set
up as the sandbox's community, with a specialists channel and someone on call) runs
/help-now, and the page is timed.

Prints how many prompts were posted (each exactly once?), the time from the job's start
to the last post beside the lower bound (N ÷ 50 a second, Discord's global limit; the
goal is at most 1.1× of it), the 429s the emulator answered, and the page's delay from
the command (goal < 1 s).

Beside it, in a fresh emulator with the same servers, a minimal bot
(`bench/minimal_bot.py`: bare discord.py) posts the same prompts as a naive bot would,
every channel at once; discord.py gives up on a message after five 429s.

The emulator shares the process and event loop; its OpenAPI checks are off (they cost
CPU real Discord would not add). `python -m bench` runs the real bot's prompt job for
1,000 servers on SQLite, and gives its figures without the minimal bot's.

    .venv/bin/python -m bench.fanout [--servers 1000] [--help-after 3] [--via enqueue]
        [--only outbox|minimal]
    .venv/bin/python -m bench.fanout --postgres postgresql+asyncpg://postgres@127.0.0.1:5432/test

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import re
import tempfile
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import discord
from sqlalchemy import func, insert, select

from bench import support
from bench.minimal_bot import MinimalBot, running
from bench.support import DATABASES
from bench.table import Figure, milliseconds
from cogs.checkins import texts, views
from cogs.checkins.cog import CheckinCog
from cogs.checkins.jobs import CheckinJobs, prompt_key
from cogs.checkins.schedule import PROMPT_KIND, ScheduleState, prompt_dedupe_key
from cogs.oncall.cog import rotation_of
from core.bot import RecoveryBot
from core.outbox import Outgoing, enqueue
from db.models.checkins import EVERY_DAY, CheckinSchedule
from db.models.outbox import QUEUED, OutboxMessage
from fakediscord import FakeDiscord
from fakediscord.models import Channel
from fakediscord.server import RecordedRequest
from sandbox.community import BotRunner, Community, build_community

GLOBAL_PER_SECOND = 50
POST_ROUTE = "/channels/{channel_id}/messages"
CHANNEL_IN_PATH = re.compile(r"^/channels/(\d+)/messages$")
# How often the bench looks at the emulator while waiting: the figures come from the
# emulator's own records, so this only decides how soon the wait notices the end.
POLL_SECONDS = 0.05
BENCH = "daily fan-out"
SERVERS = 1000
QUICK_SERVERS = 50
BOUND_RATIO_GOAL = 1.1
PAGE_GOAL_SECONDS = 1.0
HELP_AFTER_SECONDS = 3.0


@dataclass
class Servers:
    """The first server is the sandbox's community; the others only a check-in channel."""

    community: Community
    prompt_channels: list[Channel]


def populate(emu: FakeDiscord, servers: int) -> Servers:
    # Made before any bot connects: no gateway events to dispatch, so 1,000 take no time.
    community = build_community(emu)
    channels = [community.checkins]
    for n in range(1, servers):
        guild = emu.create_guild(f"Recovery group {n}", owner_name=f"organiser{n}")
        guild.add_bot(community.app)
        channels.append(guild.create_text_channel("check-ins"))
    return Servers(community, channels)


@asynccontextmanager
async def emulated(servers: int) -> AsyncIterator[Servers]:
    async with support.emulator() as emu:
        yield populate(emu, servers)


def prompt_parts() -> tuple[str, discord.ui.View]:
    """The prompt job's message as discord.py's arguments: text, button."""
    return texts.PROMPT_TEXT, views.prompt_view()


# --- What the emulator saw -------------------------------------------------------------


@dataclass
class Delivery:
    posted_once: int
    duplicates: int
    missing: int
    last_post: float | None  # loop time of the last prompt's answer
    rate_limited: int
    rate_limited_global: int
    requests: int


def prompt_posts(emu: FakeDiscord, channel_ids: set[int]) -> Counter[int]:
    # By content: the /help-now reply (ephemeral) is also the bot's, in a check-in channel.
    return Counter(
        m.channel.id
        for m in emu.messages.values()
        if m.content == texts.PROMPT_TEXT and m.channel.id in channel_ids and not m.ephemeral
    )


def delivery(emu: FakeDiscord, channel_ids: set[int], since: int) -> Delivery:
    per_channel = prompt_posts(emu, channel_ids)
    recorded = emu.requests[since:]
    posts = [r for r in recorded if _prompt_post(r, channel_ids) and 200 <= r.status < 300]
    refused = [r for r in recorded if r.status == 429]
    return Delivery(
        posted_once=sum(1 for c in channel_ids if per_channel[c] == 1),
        duplicates=sum(max(0, count - 1) for count in per_channel.values()),
        missing=sum(1 for c in channel_ids if per_channel[c] == 0),
        last_post=max((r.finished for r in posts), default=None),
        rate_limited=len(refused),
        rate_limited_global=sum(1 for r in refused if r.headers.get("X-RateLimit-Global")),
        requests=len(recorded),
    )


def _prompt_post(request: RecordedRequest, channel_ids: set[int]) -> bool:
    if request.method != "POST" or request.route != POST_ROUTE:
        return False
    found = CHANNEL_IN_PATH.match(request.path)
    return found is not None and int(found[1]) in channel_ids


async def all_posted(emu: FakeDiscord, channel_ids: set[int], within: float) -> bool:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while len(prompt_posts(emu, channel_ids)) < len(channel_ids):
        if loop.time() > deadline:
            return False
        await asyncio.sleep(POLL_SECONDS)
    return True


def figures_line(label: str, servers: int, seen: Delivery, started: float) -> str:
    bound = servers / GLOBAL_PER_SECOND
    took = "never" if seen.last_post is None else f"{seen.last_post - started:.1f} s"
    ratio = "" if seen.last_post is None else f", {(seen.last_post - started) / bound:.2f}×"
    missing = f", {seen.missing} never posted" if seen.missing else ""
    return (
        f"{label:<7} {servers} servers: {seen.posted_once} posted once, "
        f"{seen.duplicates} duplicates{missing}, {took} (bound {bound:.1f} s{ratio}), "
        f"429s: {seen.rate_limited} ({seen.rate_limited_global} global) "
        f"of {seen.requests} requests"
    )


# --- The real bot ----------------------------------------------------------------------


@dataclass
class Page:
    replied: float | None  # the member's command to the bot's first answer
    paged: float | None  # the member's command to the page in the specialists channel


async def help_now_after(community: Community, delay: float, within: float) -> Page:
    emu = community.emu
    loop = asyncio.get_running_loop()
    member = community.guild.add_member("in-crisis")
    await asyncio.sleep(delay)
    started = loop.time()
    interaction = await member.run_command("help-now", channel=community.checkins)
    replied: float | None = None
    paged: float | None = None

    async def reply() -> None:
        nonlocal replied
        await interaction.wait_for_response(timeout=within)
        replied = loop.time() - started

    async def page() -> None:
        nonlocal paged
        deadline = started + within
        # Not wait_for_message: one page message may carry several members' requests.
        while not any(member.mention in m.content for m in emu.messages_in(community.specialists)):
            if loop.time() > deadline:
                return
            await asyncio.sleep(POLL_SECONDS / 5)
        paged = loop.time() - started

    await asyncio.gather(reply(), page(), return_exceptions=True)
    return Page(replied, paged)


async def settled_rows(bot: RecoveryBot, within: float) -> Counter[str]:
    """The outbox rows by state, once none is queued or leased (or `within` ran out):
    a prompt sent twice would show in the emulator before then."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        async with bot.db.all_guilds_session() as session:
            found = await session.execute(
                select(OutboxMessage.state, OutboxMessage.lease_owner.is_not(None), func.count())
                .where(OutboxMessage.kind == PROMPT_KIND)
                .group_by(OutboxMessage.state, OutboxMessage.lease_owner.is_not(None))
            )
            states: Counter[str] = Counter()
            busy = False
            for state, leased, count in found.all():
                states[state] += count
                busy |= state == QUEUED or bool(leased)
        if not busy or loop.time() > deadline:
            return states
        await asyncio.sleep(POLL_SECONDS)


def checkin_jobs(bot: RecoveryBot) -> CheckinJobs:
    for cog in bot.cogs.values():
        if isinstance(cog, CheckinCog):
            return cog.jobs
    raise RuntimeError("the check-in feature is not loaded")


async def schedule_every_server(bot: RecoveryBot, channels: list[Channel], now: datetime) -> str:
    """Every server's prompt at this very minute (UTC), as /setup checkins leaves it; the
    key of the one job of that moment."""
    states = [
        ScheduleState(
            guild_id=channel.guild.id,
            channel_id=channel.id,
            hour=now.hour,
            minute=now.minute,
            timezone="UTC",
            weekdays=frozenset(EVERY_DAY),
            enabled=True,
        )
        for channel in channels
        if channel.guild is not None
    ]
    async with bot.db.all_guilds_session() as session, session.begin():
        await session.execute(
            insert(CheckinSchedule),
            [
                {
                    "guild_id": state.guild_id,
                    "channel_id": state.channel_id,
                    "prompt_hour": state.hour,
                    "prompt_minute": state.minute,
                    "timezone": state.timezone,
                    "weekdays": list(EVERY_DAY),
                    "enabled": True,
                }
                for state in states
            ],
        )
    jobs = checkin_jobs(bot)
    for state in states:
        jobs.schedule_saved(state)
    return prompt_key(states[0])


async def enqueue_prompts(bot: RecoveryBot, channels: list[Channel], now: datetime) -> None:
    """What the prompt job hands the outbox, without the job: one transaction, one wake."""
    body = checkin_jobs(bot).prompt_message()
    prompts = [
        Outgoing(
            kind=PROMPT_KIND,
            dedupe_key=prompt_dedupe_key(channel.guild.id, now.date()),
            guild_id=channel.guild.id,
            body=body,
            not_before=now,
            expires_at=now + timedelta(hours=3),
            channel_id=channel.id,
        )
        for channel in channels
        if channel.guild is not None
    ]
    async with bot.db.all_guilds_session() as session, session.begin():
        await enqueue(session, prompts)
    bot.outbox.wake()


@dataclass
class OutboxRun:
    servers: int
    seen: Delivery
    started: float  # loop time the prompt job (or the enqueue) began
    page: Page
    states: Counter[str]  # the outbox rows by state once settled
    moment: str | None  # the prompt job's key; None: queued directly
    database: str


async def through_outbox(
    servers: int, database_url: str, workdir: Path, help_after: float, via: str
) -> OutboxRun:
    async with emulated(servers) as world:
        community = world.community
        emu = community.emu
        runner = BotRunner(community, database_url, workdir / "data")
        try:
            bot = await runner.start()
            await runner.configure(bot)
            await rotation_of(bot).take(community.guild.id, community.sam.id, hours=8)
            channel_ids = {c.id for c in world.prompt_channels}
            bound = servers / GLOBAL_PER_SECOND
            within = max(60.0, 5 * bound)
            loop = asyncio.get_running_loop()
            now = bot.clock.now()
            moment = None
            if via == "job":
                moment = await schedule_every_server(bot, world.prompt_channels, now)
            since = len(emu.requests)

            started = loop.time()
            # Mid fan-out even when it is short (50 servers are out in about a second).
            crisis = asyncio.create_task(
                help_now_after(community, min(help_after, bound / 2), within)
            )
            if moment is not None:
                await checkin_jobs(bot).prompt_job(moment)
            else:
                await enqueue_prompts(bot, world.prompt_channels, now)
            await all_posted(emu, channel_ids, within)
            page = await crisis
            states = await settled_rows(bot, within=10)
            seen = delivery(emu, channel_ids, since)
            database = DATABASES[bot.db.engine.dialect.name]
            return OutboxRun(servers, seen, started, page, states, moment, database)
        finally:
            await runner.stop_all()


def print_outbox(run: OutboxRun) -> None:
    print(figures_line("outbox", run.servers, run.seen, run.started) + _page_figures(run.page))
    how = (
        f"from the real prompt job ({run.moment}: claimed in chunks, the outbox woken after each)"
        if run.moment is not None
        else f"queued directly ({PROMPT_KIND} rows in one transaction, then outbox.wake())"
    )
    print(
        f"        on {run.database}; prompts {how}; rows: "
        + ", ".join(f"{count} {state}" for state, count in sorted(run.states.items()))
    )


def _page_figures(page: Page) -> str:
    reply = "no reply" if page.replied is None else f"reply {page.replied:.2f} s"
    paged = "no page" if page.paged is None else f"page {page.paged:.2f} s"
    return f"; /help-now {paged} after the command ({reply})"


# --- The minimal bot -------------------------------------------------------------------


@contextmanager
def quiet_rate_limit_warnings() -> Iterator[None]:
    # discord.py warns once per 429 (thousands at 1,000 servers); they are counted instead.
    http = logging.getLogger("discord.http")
    level = http.level
    http.setLevel(logging.ERROR)
    try:
        yield
    finally:
        http.setLevel(level)


async def through_minimal_bot(servers: int) -> None:
    async with emulated(servers) as world:
        emu = world.community.emu
        bot = MinimalBot()
        text, view = prompt_parts()
        async with running(bot, world.community.app.token):
            targets: list[discord.TextChannel] = []
            for channel in world.prompt_channels:
                found = bot.get_channel(channel.id)
                if not isinstance(found, discord.TextChannel):
                    raise RuntimeError(f"the minimal bot does not see channel {channel.id}")
                targets.append(found)
            loop = asyncio.get_running_loop()
            since = len(emu.requests)
            started = loop.time()
            with quiet_rate_limit_warnings():
                results = await asyncio.gather(
                    *(t.send(text, view=view) for t in targets),
                    return_exceptions=True,
                )
            finished = loop.time() - started
            failures = Counter(_failure(r) for r in results if isinstance(r, BaseException))
            seen = delivery(emu, {c.id for c in world.prompt_channels}, since)
        failed = ", ".join(f"{n} {why}" for why, n in failures.most_common()) or "0"
        print(
            f"minimal {servers} servers: {servers - sum(failures.values())} posted, "
            f"failed: {failed}; {seen.duplicates} duplicates; all sends returned in "
            f"{finished:.1f} s (last post {_since(seen.last_post, started)}), "
            f"429s: {seen.rate_limited} ({seen.rate_limited_global} global) "
            f"of {seen.requests} requests"
        )


def _failure(error: BaseException) -> str:
    if isinstance(error, discord.HTTPException):
        return f"HTTP {error.status}"
    return type(error).__name__


def _since(moment: float | None, started: float) -> str:
    return "never" if moment is None else f"{moment - started:.1f} s"


# --- python -m bench -------------------------------------------------------------------


async def figures(quick: bool) -> list[Figure]:
    """The real bot's prompt job on SQLite: delivery, calls, time beside the bound."""
    servers = QUICK_SERVERS if quick else SERVERS
    async with support.fresh_database("sqlite") as (url, workdir):
        run = await through_outbox(servers, url, workdir, HELP_AFTER_SECONDS, via="job")
    seen, page = run.seen, run.page
    bound = servers / GLOBAL_PER_SECOND
    crowd = f"{servers} servers"
    took = None if seen.last_post is None else seen.last_post - run.started
    paged = "no page" if page.paged is None else milliseconds(page.paged)
    replied = "no reply" if page.replied is None else f"reply {milliseconds(page.replied)}"
    return [
        Figure(
            BENCH,
            f"prompts posted once, {crowd}",
            f"{seen.posted_once} ({seen.duplicates} duplicates, {seen.missing} never posted)",
            f"all {servers}, once each",
            seen.posted_once == servers and seen.duplicates == 0,
        ),
        Figure(
            BENCH,
            f"REST calls made, {crowd}",
            f"{seen.requests} ({seen.rate_limited} answered 429, "
            f"{seen.rate_limited_global} of them global)",
        ),
        Figure(
            BENCH,
            f"first to last prompt, {crowd}",
            "never" if took is None else f"{took:.1f} s ({took / bound:.2f}× the bound)",
            f"≤ {BOUND_RATIO_GOAL}× {bound:.1f} s ({servers} posts ÷ {GLOBAL_PER_SECOND}/s)",
            took is not None and took <= BOUND_RATIO_GOAL * bound,
        ),
        Figure(
            BENCH,
            f"/help-now page during it, {crowd}",
            f"{paged} ({replied})",
            f"< {PAGE_GOAL_SECONDS:g} s",
            page.paged is not None and page.paged < PAGE_GOAL_SECONDS,
        ),
    ]


# --- Running ---------------------------------------------------------------------------


async def main(
    servers: int, help_after: float, via: str, only: str | None, postgres: str | None
) -> None:
    if only in (None, "outbox"):
        with tempfile.TemporaryDirectory() as tmp:
            if postgres is None:
                sqlite = f"sqlite+aiosqlite:///{Path(tmp) / 'bench.db'}"
                print_outbox(await through_outbox(servers, sqlite, Path(tmp), help_after, via))
            else:
                async with support.postgres_database(postgres) as url:
                    print_outbox(await through_outbox(servers, url, Path(tmp), help_after, via))
    if only in (None, "minimal"):
        await through_minimal_bot(servers)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=1000)
    parser.add_argument(
        "--help-after",
        type=float,
        default=HELP_AFTER_SECONDS,
        metavar="SECONDS",
        help="when /help-now is run, after the prompts are queued (at most half the bound)",
    )
    parser.add_argument(
        "--via",
        choices=("job", "enqueue"),
        default="job",
        help="the real bot's prompts from its prompt job (schedules saved for this minute) "
        "or queued straight into the outbox",
    )
    parser.add_argument("--only", choices=("outbox", "minimal"), help="one bot only")
    parser.add_argument(
        "--postgres", metavar="SERVER_URL", help="the real bot on a throwaway PostgreSQL database"
    )
    arguments = parser.parse_args()
    asyncio.run(
        main(
            arguments.servers,
            arguments.help_after,
            arguments.via,
            arguments.only,
            arguments.postgres,
        )
    )
