"""Scheduled work at many servers: start-up, the 15-minute reminder tick, one prompt moment.

Fills a SQLite database (migrated to head) with N servers' rows in bulk: settings, a
check-in schedule spread over 19:00, 20:00 and 21:00 in four zones (12 moments), three
members per server with reminders on whose window is open now, and one evening on-call
shift per server. The emulator holds the same N servers (ids are its snowflakes), and
the real bot is started against it as a process would be.

- start-up: what the bot does at start for scheduled work, measured inside its own
  setup_hook: loading the check-in feature (its schedules read once, one job per
  moment) and the on-call feature (the rota warmed, one job per change instant), beside
  N bare APScheduler jobs (one CronTrigger per server, as the bot once scheduled them)
  timed first in the same process; goal ≤ 1.5×. Memory is traced (tracemalloc: what
  stays allocated, and the peak) in a start of its own, since tracing slows allocation
  about twofold; the timed start and the timed baseline run untraced.
- reminder tick: the one reminders job run once as the scheduler would, with N × 3
  reminders due; the time to claim and queue them, the DMs queued in the outbox, and
  the failures (exceptions, ERROR records such as pool timeouts). Then once more at
  once, with nothing left due, as most ticks of the day are. The outbox is stopped first, so the
  DMs stay queued: sending them is the outbox's paced work, many minutes long. `--send`
  lets it deliver them through the emulator and times that too.
- prompt moment: the bot's clock moved to one moment's next occurrence and that moment's
  prompt job run once (N ÷ 12 servers): the time to claim and queue.

The scheduler is paused once the bot is up, so the jobs run only when the bench runs them.
The emulator shares the process: its world is frozen out of the garbage collector's
reach before each start (`gc.freeze`), as it is no part of a bot's own process; the time
the collector still took is shown beside each figure.

    .venv/bin/python -m bench.scheduled_scale [--servers 10000] [--send]

Benchmarks print figures; nothing is asserted.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import logging
import pkgutil
import tempfile
import time
import tracemalloc
from collections import Counter
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from cryptography.fernet import Fernet
from sqlalchemy import func, insert, select

import cogs
from cogs.checkins.cog import CheckinCog
from cogs.checkins.jobs import REMINDERS_KEY, CheckinJobs, prompt_key
from cogs.checkins.preferences import REMINDER_KIND
from cogs.checkins.schedule import PROMPT_KIND, ScheduleState, next_prompt_after, occurrence_on
from config.settings import Settings
from core.bot import RecoveryBot
from core.pacing import PER_SECOND
from core.scheduler import SEPARATOR, SHUTDOWN_GRACE_SECONDS
from db.engine import create_engine
from db.migrate import upgrade_to_head
from db.models import CheckinPreference, CheckinSchedule, GuildSettings, Member, OnCallShift
from db.models.checkins import EVERY_DAY
from db.models.outbox import QUEUED, SENT, OutboxMessage
from fakediscord import FakeDiscord
from fakediscord.discordpy import point_discord_py_at
from fakediscord.models import Application
from sandbox.community import default_content

PROMPT_TIMES = ((19, 0), (20, 0), (21, 0))
ZONES = {
    "America/New_York": "US",
    "Europe/London": "GB",
    "Europe/Berlin": "DE",
    "Australia/Sydney": "AU",
}
MOMENTS = [(at, zone) for zone in ZONES for at in PROMPT_TIMES]
MEMBERS_PER_SERVER = 3
# An evening shift, on one weekday per server: a few dozen change instants in all.
SHIFT_START_MINUTE = 18 * 60
SHIFT_END_MINUTE = 22 * 60
SCHEDULED_FEATURES = ("cogs.checkins", "cogs.oncall")
MB = 1024 * 1024


class Collector:
    """Time the cyclic garbage collector has spent, all told (its own callbacks)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self._since = 0.0
        gc.callbacks.append(self._phase)

    def _phase(self, phase: str, _info: dict[str, int]) -> None:
        if phase == "start":
            self._since = time.perf_counter()
        else:
            self.seconds += time.perf_counter() - self._since


COLLECTOR = Collector()


@dataclass
class Span:
    """A measured stretch: its time (and the collector's part of it), and with tracing
    on, the memory it kept and its peak."""

    seconds: float = 0.0
    collecting: float = 0.0
    kept: int = 0
    peak: int = 0

    def __add__(self, other: Span) -> Span:
        return Span(
            self.seconds + other.seconds,
            self.collecting + other.collecting,
            self.kept + other.kept,
            self.peak + other.peak,
        )

    def time(self) -> str:
        return f"{self.seconds:.2f} s (GC {self.collecting:.2f} s)"

    def memory(self) -> str:
        return f"{self.kept / MB:+.1f} MB kept (peak {self.peak / MB:+.1f} MB)"


@contextmanager
def measured(into: dict[str, Span], name: str) -> Iterator[None]:
    tracing = tracemalloc.is_tracing()
    if tracing:
        tracemalloc.reset_peak()
    traced = tracemalloc.get_traced_memory()[0] if tracing else 0
    collecting = COLLECTOR.seconds
    started = time.perf_counter()
    try:
        yield
    finally:
        took = time.perf_counter() - started
        now, peak = tracemalloc.get_traced_memory() if tracing else (0, 0)
        into[name] = Span(took, COLLECTOR.seconds - collecting, now - traced, max(0, peak - traced))


@contextmanager
def traced() -> Iterator[None]:
    tracemalloc.start()
    try:
        yield
    finally:
        tracemalloc.stop()


# --- The servers ------------------------------------------------------------------------


@dataclass(frozen=True)
class Server:
    guild_id: int
    owner_id: int
    checkins_id: int
    specialists_id: int
    role_id: int
    specialist_id: int
    member_ids: tuple[int, ...]
    hour: int
    minute: int
    zone: str


def build_world(emu: FakeDiscord, app: Application, count: int) -> list[Server]:
    """N servers in the emulator, made before the bot connects (no events to dispatch)."""
    servers = []
    for n in range(count):
        (hour, minute), zone = MOMENTS[n % len(MOMENTS)]
        guild = emu.create_guild(f"Recovery group {n}", owner_name=f"organiser{n}")
        guild.add_bot(app)
        role = guild.create_role("Peer specialist")
        checkins = guild.create_text_channel("check-ins")
        specialists = guild.create_text_channel("specialists")
        specialist = guild.add_member(f"specialist{n}", roles=[role])
        members = [guild.add_member(f"member{n}-{k}") for k in range(MEMBERS_PER_SERVER)]
        servers.append(
            Server(
                guild_id=guild.id,
                owner_id=guild.owner.id,
                checkins_id=checkins.id,
                specialists_id=specialists.id,
                role_id=role.id,
                specialist_id=specialist.id,
                member_ids=tuple(m.id for m in members),
                hour=hour,
                minute=minute,
                zone=zone,
            )
        )
    return servers


def state_of(server: Server) -> ScheduleState:
    return ScheduleState(
        guild_id=server.guild_id,
        channel_id=server.checkins_id,
        hour=server.hour,
        minute=server.minute,
        timezone=server.zone,
        weekdays=frozenset(EVERY_DAY),
        enabled=True,
    )


def last_prompted(state: ScheduleState, now: datetime) -> date:
    """The local day of the latest prompt time at or before `now`: as if the bot had been
    running, so the start-up catch-up finds nothing due and start-up is only start-up."""
    today = now.astimezone(state.zone).date()
    return today if occurrence_on(state, today) <= now else today - timedelta(days=1)


def rows(servers: Sequence[Server], now: datetime) -> dict[type[Any], list[dict[str, Any]]]:
    settings, schedules, members, preferences, shifts = [], [], [], [], []
    for n, server in enumerate(servers):
        local = now.astimezone(ZoneInfo(server.zone))
        settings.append(
            {
                "guild_id": server.guild_id,
                "timezone": server.zone,
                "region": ZONES[server.zone],
                "checkin_channel_id": server.checkins_id,
                "specialists_channel_id": server.specialists_id,
                "specialist_role_id": server.role_id,
                "local_resources": [],
            }
        )
        schedules.append(
            {
                "guild_id": server.guild_id,
                "channel_id": server.checkins_id,
                "prompt_hour": server.hour,
                "prompt_minute": server.minute,
                "timezone": server.zone,
                "weekdays": list(EVERY_DAY),
                "enabled": True,
                "last_prompt_date": last_prompted(state_of(server), now),
            }
        )
        for k, user_id in enumerate(server.member_ids):
            members.append({"guild_id": server.guild_id, "user_id": user_id, "timezone": None})
            preferences.append(
                {
                    "guild_id": server.guild_id,
                    "user_id": user_id,
                    "reminders_enabled": True,
                    # A window (from the hour, three hours long) open now in the group's
                    # zone, no check-in today and yesterday's reminder sent: due now.
                    "reminder_hour": max(0, local.hour - k),
                    "share_enabled": False,
                    "last_reminder_date": local.date() - timedelta(days=1),
                }
            )
        shifts.append(
            {
                "guild_id": server.guild_id,
                "specialist_user_id": server.specialist_id,
                "weekday": n % 7,
                "start_minute": SHIFT_START_MINUTE,
                "end_minute": SHIFT_END_MINUTE,
                "timezone": server.zone,
                "position": 0,
                "created_by": server.owner_id,
            }
        )
    return {
        GuildSettings: settings,
        CheckinSchedule: schedules,
        Member: members,
        CheckinPreference: preferences,
        OnCallShift: shifts,
    }


async def fill(database_url: str, servers: Sequence[Server], now: datetime) -> float:
    started = time.perf_counter()
    engine = create_engine(database_url)
    try:
        await upgrade_to_head(engine)
        async with engine.begin() as connection:
            for model, values in rows(servers, now).items():
                await connection.execute(insert(model), values)
    finally:
        await engine.dispose()
    return time.perf_counter() - started


# --- The baseline -----------------------------------------------------------------------


async def _nothing() -> None:
    return None


async def bare_apscheduler(count: int) -> Span:
    """One CronTrigger job per server on a bare AsyncIOScheduler, the servers' times and
    zones as the bot's (the way it once scheduled every server's prompt)."""
    zones = {name: ZoneInfo(name) for name in ZONES}
    scheduler = AsyncIOScheduler(timezone=UTC)
    scheduler.start()
    spans: dict[str, Span] = {}
    try:
        with measured(spans, "bare"):
            for n in range(count):
                (hour, minute), zone = MOMENTS[n % len(MOMENTS)]
                trigger = CronTrigger(
                    day_of_week="mon,tue,wed,thu,fri,sat,sun",
                    hour=hour,
                    minute=minute,
                    timezone=zones[zone],
                )
                scheduler.add_job(_nothing, trigger, id=f"checkins:prompt:{n}")
            # Each add wakes the scheduler; its look at the jobs is part of the cost.
            await asyncio.sleep(0)
    finally:
        scheduler.shutdown(wait=False)
    return spans["bare"]


# --- The bot ----------------------------------------------------------------------------


class ShiftedClock:
    """The real time, moved on by `offset` (to reach a prompt moment without waiting)."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


class TimedBot(RecoveryBot):
    """The real bot, measuring its setup_hook and each feature it loads; with `trace`,
    memory is traced through its setup_hook only (the gateway's 10,000 GUILD_CREATEs
    after it would only be slowed)."""

    def __init__(self, settings: Settings, clock: ShiftedClock, *, trace: bool = False) -> None:
        super().__init__(settings, default_content(), clock, guild_ready_timeout=0.05)
        self.trace = trace
        self.spans: dict[str, Span] = {}

    async def setup_hook(self) -> None:
        if self.trace:
            tracemalloc.start()
        try:
            with measured(self.spans, "setup_hook"):
                await super().setup_hook()
        finally:
            if self.trace:
                tracemalloc.stop()

    async def load_extension(self, name: str, *, package: str | None = None) -> None:
        with measured(self.spans, name):
            await super().load_extension(name, package=package)

    def scheduled_start(self) -> Span:
        return sum((self.spans[name] for name in SCHEDULED_FEATURES), Span())


def checkin_jobs(bot: RecoveryBot) -> CheckinJobs:
    # By name: a bot that loads the feature after another one unloaded it imports its
    # modules afresh, so its cog is not an instance of the class imported here.
    cog = bot.get_cog(CheckinCog.__cog_name__)
    if cog is None:
        raise RuntimeError("the check-in feature is not loaded")
    return cast(CheckinCog, cog).jobs


@dataclass
class Running:
    bot: TimedBot
    task: asyncio.Task[None]
    ready: float  # seconds from bot.start() to on_ready

    async def stop(self) -> None:
        await self.bot.close()
        await self.task


def import_features() -> None:
    """Every feature's modules imported, as before a first start: a bot that stopped
    unloaded them, and the next would import them again inside its feature loads. An
    import is a fixed cost of any start, not a cost of the servers (nor is the
    baseline's import of APScheduler timed)."""
    for found in pkgutil.walk_packages(cogs.__path__, "cogs."):
        importlib.import_module(found.name)


async def start_bot(bot: TimedBot, token: str, within: float) -> Running:
    import_features()
    # As in a process of its own, the collector finds nothing old to walk (an earlier
    # bot's leftovers, the emulator's world) while this one starts.
    gc.collect()
    gc.freeze()
    loop = asyncio.get_running_loop()
    started = loop.time()
    task = asyncio.create_task(bot.start(token))
    ready = asyncio.create_task(bot.wait_until_ready())
    done, _ = await asyncio.wait({task, ready}, timeout=within, return_when=asyncio.FIRST_COMPLETED)
    if ready not in done:
        ready.cancel()
        await bot.close()
        if task in done:
            task.result()
        raise TimeoutError(f"the bot was not ready within {within:.0f} s")
    running = Running(bot, task, loop.time() - started)
    try:
        # Paused, the scheduler runs nothing by itself (a quarter past, the reminders job
        # would): each job below runs once, when the bench runs it.
        bot.scheduler.pause()
        startup = checkin_jobs(bot)._startup
        if startup is not None:
            # The catch-up of missed prompts runs beside the start: done before measuring.
            await startup
    except BaseException:
        await running.stop()
        raise
    return running


class Failures(logging.Handler):
    """ERROR records anywhere in the process (a pool timeout is logged, not raised)."""

    def __init__(self) -> None:
        super().__init__(logging.ERROR)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)

    def summary(self) -> str:
        if not self.records:
            return "0"
        first = self.records[0]
        cause = f": {first.exc_info[1]!r}" if first.exc_info and first.exc_info[1] else ""
        return f"{len(self.records)} (first: {first.name}: {first.getMessage()}{cause})"[:300]


@contextmanager
def failures_logged() -> Iterator[Failures]:
    handler = Failures()
    root = logging.getLogger()
    root.addHandler(handler)
    try:
        yield handler
    finally:
        root.removeHandler(handler)


async def outbox_rows(bot: RecoveryBot, kind: str) -> Counter[str]:
    async with bot.db.all_guilds_session() as session:
        found = await session.execute(
            select(OutboxMessage.state, func.count())
            .where(OutboxMessage.kind == kind)
            .group_by(OutboxMessage.state)
        )
        return Counter({state: count for state, count in found.all()})


@dataclass
class Run:
    span: Span
    rows: Counter[str]
    failures: str

    @property
    def queued(self) -> int:
        return sum(self.rows.values())


async def run_job(bot: RecoveryBot, key: str, kind: str) -> Run:
    """The job run once as the scheduler runs it: its own (tracked) function and arguments."""
    job = bot.scheduler.get_job(checkin_jobs(bot).scheduled.job_id(key))
    if job is None:
        raise RuntimeError(f"no check-in job {key!r}")
    spans: dict[str, Span] = {}
    with failures_logged() as failures, measured(spans, key):
        try:
            await job.func(*job.args)
        except Exception as error:  # a failure to count, like the logged ones
            failures.records.append(
                logging.makeLogRecord({"name": key, "msg": f"raised {error!r}"})
            )
    return Run(spans[key], await outbox_rows(bot, kind), failures.summary())


async def delivered(
    bot: RecoveryBot, emu: FakeDiscord, kind: str, since: int, within: float
) -> str:
    """Let the outbox send what was queued; its figures once nothing is left queued, from
    the emulator's requests after `since` (its record's length before the job)."""
    loop = asyncio.get_running_loop()
    started = loop.time()
    states = await outbox_rows(bot, kind)
    while states[QUEUED] and loop.time() - started < within:
        await asyncio.sleep(1.0)
        states = await outbox_rows(bot, kind)
    done = ", ".join(f"{count} {state}" for state, count in sorted(states.items()))
    requests = emu.requests[since:]
    if not requests:
        return f"; the outbox sent nothing ({done})"
    # From the first request to the last answer: the figures do not wait on the polling.
    took = max(max(r.finished for r in requests) - min(r.started for r in requests), 1e-3)
    refused = sum(1 for r in requests if r.status == 429)
    return (
        f"; the outbox sent them in {took:.1f} s ({states[SENT] / took:.1f} messages/s, "
        f"{len(requests) / took:.1f} requests/s, {len(requests)} requests, {refused} "
        f"answered 429; rows: {done})"
    )


def dm_channels_per_second(emu: FakeDiscord) -> float:
    # One bucket for the whole bot (the route has no major parameter), like Discord's.
    limit, period = emu.limiter.route_limits.get(
        ("POST", "/users/@me/channels"), emu.limiter.default_limit
    )
    return limit / period


def jobs_by_owner(bot: RecoveryBot) -> Counter[str]:
    return Counter(str(job.id).split(SEPARATOR, 1)[0] for job in bot.scheduler.get_jobs())


# --- Running ----------------------------------------------------------------------------


async def main(count: int, send: bool) -> None:
    # The collector then walks only what each measurement makes, not the imports (nor,
    # frozen again before each start, the emulator's world: a bot's process never holds
    # one).
    gc.collect()
    gc.freeze()
    # First, in a heap that holds nothing else yet: the baseline at its cheapest.
    bare = await bare_apscheduler(count)
    with traced():
        traced_bare = await bare_apscheduler(count)
    bare.kept, bare.peak = traced_bare.kept, traced_bare.peak
    emu = FakeDiscord(validate=False)
    await emu.start()
    restore = point_discord_py_at(emu.api_base_url, emu.gateway_url)
    try:
        with tempfile.TemporaryDirectory() as tmp:
            await through_bot(emu, count, send, bare, Path(tmp))
    finally:
        restore()
        await emu.stop()


async def through_bot(emu: FakeDiscord, count: int, send: bool, bare: Span, tmp: Path) -> None:
    started = time.perf_counter()
    app = emu.create_application("Recovery bot")
    servers = build_world(emu, app, count)
    built = time.perf_counter() - started
    clock = ShiftedClock()
    database_url = f"sqlite+aiosqlite:///{tmp / 'bench.db'}"
    filled = await fill(database_url, servers, clock.now())
    moments = {prompt_key(state_of(server)) for server in servers}
    print(
        f"set-up {count} servers: emulator built in {built:.1f} s, SQLite filled in "
        f"{filled:.1f} s ({count} schedules in {len(moments)} moments, "
        f"{count * MEMBERS_PER_SERVER} members with reminders due, {count} on-call shifts)"
    )
    settings = Settings(
        _env_file=None,
        discord_token=app.token,
        database_url=database_url,
        data_dir=tmp / "data",
        # Given, as a deployment would: no key file to generate (and announce).
        encryption_key=Fernet.generate_key().decode(),
    )
    within = 60 + count / 50

    tracing = await start_bot(TimedBot(settings, clock, trace=True), app.token, within)
    await tracing.stop()

    running = await start_bot(TimedBot(settings, clock), app.token, within)
    try:
        bot = running.bot
        if not send:
            await bot.outbox.stop(SHUTDOWN_GRACE_SECONDS)
        print(startup_figures(running, tracing.bot, count, bare))

        due = count * MEMBERS_PER_SERVER
        since = len(emu.requests)
        tick = await run_job(bot, REMINDERS_KEY, REMINDER_KIND)
        sent = (
            await delivered(bot, emu, REMINDER_KIND, since, within=3 * 3600)
            if send
            else f" (not sent: that is the outbox's paced work, a DM channel and a post "
            f"per DM, {2 * due / PER_SECOND / 60:.0f} min or more at {PER_SECOND:.0f} "
            f"requests/s, {due / dm_channels_per_second(emu) / 60:.0f} min through the "
            "emulator's limit on opening DM channels; --send to deliver them)"
        )
        print(
            f"reminder tick {count} servers × {MEMBERS_PER_SERVER} members: {tick.queued} "
            f"DMs queued of {due} due, failures: {tick.failures}; "
            f"{tick.span.time()} to claim and queue{sent}"
        )
        again = await run_job(bot, REMINDERS_KEY, REMINDER_KIND)
        print(
            f"reminder tick again at once: "
            f"{again.queued - tick.queued} more queued ({again.queued} in all), "
            f"failures: {again.failures}; {again.span.time()}"
        )

        state = state_of(servers[0])
        key = prompt_key(state)
        moment = next_prompt_after(state, clock.now())
        if moment is None:
            raise RuntimeError(f"{key} has no next occurrence")
        # Just past the moment, as its cron job fires.
        clock.offset = moment + timedelta(seconds=1) - datetime.now(UTC)
        holding = len(checkin_jobs(bot).prompts.servers(key))
        since = len(emu.requests)
        prompt = await run_job(bot, key, PROMPT_KIND)
        sent = await delivered(bot, emu, PROMPT_KIND, since, within=3600) if send else " (not sent)"
        print(
            f"prompt moment {key} ({holding} of {count} servers): {prompt.queued} prompts "
            f"queued, failures: {prompt.failures}; {prompt.span.time()} to claim and "
            f"queue{sent}"
        )
    finally:
        await running.stop()


def startup_figures(running: Running, traced: TimedBot, count: int, bare: Span) -> str:
    bot = running.bot
    timed, memory = bot.scheduled_start(), traced.scheduled_start()
    owners = jobs_by_owner(bot)
    jobs = ", ".join(f"{n} {owner}" for owner, n in sorted(owners.items()))
    parts = "; ".join(
        f"{name.removeprefix('cogs.')} {bot.spans[name].seconds:.2f} s, "
        f"{traced.spans[name].kept / MB:+.1f} MB"
        for name in SCHEDULED_FEATURES
    )
    return (
        f"start-up {count} servers: {sum(owners.values())} jobs ({jobs}), "
        f"{timed.time()}, {memory.memory()}; "
        f"bare APScheduler {count} jobs: {bare.time()}, {bare.memory()}; "
        f"ratio {timed.seconds / bare.seconds:.2f}×\n"
        f"        the real bot against the emulator, its feature loads measured inside its "
        f"setup_hook ({parts}; the whole setup_hook {bot.spans['setup_hook'].seconds:.2f} s); "
        f"ready after {running.ready:.1f} s ({count} GUILD_CREATEs); memory traced in a start "
        "of its own"
    )


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--servers", type=int, default=10_000)
    parser.add_argument(
        "--send",
        action="store_true",
        help="let the outbox deliver the queued reminders and prompts through the emulator "
        "(two paced requests per DM: 25 minutes or more for 10,000 servers' reminders)",
    )
    arguments = parser.parse_args()
    asyncio.run(main(arguments.servers, arguments.send))
