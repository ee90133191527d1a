"""The bot as `python bot.py` runs it: a real OS process against the emulator.

An in-process bot (`sandbox.community.BotRunner`) can only be stopped politely; a process
can be killed with SIGKILL between any two instructions, as a crash, the OOM killer or a
pulled plug would. Each process writes its log to a file of its own, so a failing test
can show what a process said before it died.

Typical use: set the server up with an in-process bot (`BotRunner.start`, `configure`,
which also syncs the slash commands), stop it, then run processes on the same database
and data folder:

    processes = BotProcesses(emu, community.app, runner.database_url, runner.data_dir, logs)
    try:
        bot = await processes.start()  # returns once its gateway session is live
        ...
        await processes.kill(bot)
    finally:
        await processes.kill_all()

Processes of several deployments can run side by side, as shards spread over processes
are: one `BotProcesses` each, with its own data folder and `extra_env` (SHARD_COUNT,
SHARD_IDS, and the one ENCRYPTION_KEY they share), and `start` waits for a session on
its own shards. `clock_offset` runs their wall clock ahead (see SHIFTED_CLOCK_LAUNCHER).
"""

from __future__ import annotations

import asyncio
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

from fakediscord import FakeDiscord
from fakediscord.models import Application

ROOT = Path(__file__).resolve().parent.parent
# A start takes about 1 s here (imports, migrations check, login); a loaded CI machine
# running several at once can take a few times that.
START_TIMEOUT = 30.0
SIGKILLED = -9  # asyncio's returncode for a process ended by signal 9
CLOCK_OFFSET_VARIABLE = "TEST_CLOCK_OFFSET_SECONDS"
# `python -c` this to run bot.py with its wall clock moved on by TEST_CLOCK_OFFSET_SECONDS:
# the bot's clock (core.clock) and APScheduler's, which must agree for a cron job to find
# its work due. Everything else (discord.py, the database's own defaults) keeps real time.
# A process can't be handed a FakeClock, and jobs at a quarter past the hour can't wait
# for the real one.
SHIFTED_CLOCK_LAUNCHER = f"""
import datetime, os, runpy, sys
sys.path.insert(0, {str(ROOT)!r})
offset = datetime.timedelta(seconds=float(os.environ[{CLOCK_OFFSET_VARIABLE!r}]))

class _AnyDatetime(type):
    # isinstance(x, datetime) must still hold for the real datetimes the modules make.
    def __instancecheck__(cls, instance):
        return isinstance(instance, datetime.datetime)

class ShiftedDatetime(datetime.datetime, metaclass=_AnyDatetime):
    @classmethod
    def now(cls, tz=None):
        return datetime.datetime.now(tz) + offset

import apscheduler.schedulers.base, apscheduler.triggers.date, apscheduler.triggers.interval
import core.clock
for module in (
    core.clock,
    apscheduler.schedulers.base,
    apscheduler.triggers.date,
    apscheduler.triggers.interval,
):
    module.datetime = ShiftedDatetime
sys.argv = [{str(ROOT / "bot.py")!r}]
runpy.run_path(sys.argv[0], run_name="__main__")
"""


@dataclass
class BotProcess:
    number: int
    process: asyncio.subprocess.Process
    output: Path
    spawned_at: float  # time.time(), comparable with the emulator's snowflake times
    connected_at: float | None = None
    ended_at: float | None = None

    @property
    def pid(self) -> int:
        return self.process.pid

    @property
    def start_seconds(self) -> float | None:
        """From spawning to a live gateway session."""
        return None if self.connected_at is None else self.connected_at - self.spawned_at

    def alive_at(self, moment: float) -> bool:
        return self.spawned_at <= moment and (self.ended_at is None or moment <= self.ended_at)

    def tail(self, lines: int = 20) -> str:
        try:
            text = self.output.read_text(errors="replace")
        except FileNotFoundError:
            return "(no output)"
        return "\n".join(text.splitlines()[-lines:]) or "(no output)"


class BotExitedError(AssertionError):
    """A bot process ended by itself (a crash, or a refusal to start) instead of by us."""


@dataclass
class BotProcesses:
    """The processes of one deployment (one token, database and data folder), run one
    after another as a supervisor restarting a crashed bot would; reaps all it starts."""

    emu: FakeDiscord
    app: Application
    database_url: str
    data_dir: Path
    log_dir: Path
    extra_env: dict[str, str] = field(default_factory=dict)
    started: list[BotProcess] = field(default_factory=list)
    # Seconds the processes' wall clock runs ahead of the real one (None: the real one).
    clock_offset: float | None = None

    def environment(self) -> dict[str, str]:
        inherited = {
            k: v
            for k, v in os.environ.items()
            if k not in {"DISCORD_TOKEN", "DATABASE_URL", "ENCRYPTION_KEY", "DATA_DIR"}
        }
        return (
            inherited
            | {
                "DISCORD_TOKEN": self.app.token,
                "DISCORD_API_BASE_URL": self.emu.api_base_url,
                "DISCORD_GATEWAY_URL": self.emu.gateway_url,
                "DATABASE_URL": self.database_url,
                # No ENCRYPTION_KEY: the key generated into the data folder by the first
                # start is read from there by every later one, as in a real deployment.
                "DATA_DIR": str(self.data_dir),
                "LOG_LEVEL": "INFO",
            }
            | self.extra_env
            | ({} if self.clock_offset is None else {CLOCK_OFFSET_VARIABLE: str(self.clock_offset)})
        )

    def command(self) -> list[str]:
        if self.clock_offset is None:
            return [sys.executable, str(ROOT / "bot.py")]
        return [sys.executable, "-c", SHIFTED_CLOCK_LAUNCHER]

    def shards(self) -> set[int] | None:
        """The shards these processes identify for (SHARD_IDS), None when all of them."""
        ids = self.extra_env.get("SHARD_IDS")
        return None if ids is None else {int(part) for part in ids.split(",") if part.strip()}

    async def spawn(self) -> BotProcess:
        """Start a process without waiting for it to connect."""
        self.log_dir.mkdir(parents=True, exist_ok=True)
        number = len(self.started) + 1
        output = self.log_dir / f"bot-{number}.log"
        with output.open("wb") as sink:
            creating = asyncio.ensure_future(
                asyncio.create_subprocess_exec(
                    *self.command(),
                    cwd=self.log_dir,
                    env=self.environment(),
                    stdin=asyncio.subprocess.DEVNULL,
                    stdout=sink,
                    stderr=sink,
                )
            )
            try:
                process = await asyncio.shield(creating)
            except asyncio.CancelledError:
                # Cancelled while the process was being created: it must not outlive us.
                orphan = await creating
                orphan.kill()
                await orphan.wait()
                raise
        started = BotProcess(number, process, output, time.time())
        self.started.append(started)
        return started

    async def start(self) -> BotProcess:
        """Start a process and return once its gateway session is live (READY sent; the
        bot's own on_ready comes after discord.py's wait for the servers)."""
        before = {s.session_id for s in self.emu.gateway.sessions_of(self.app)}
        # Another deployment of the same app may connect meanwhile, on its own shards.
        shards = self.shards()
        started = await self.spawn()

        def connected() -> bool | None:
            if started.process.returncode is not None:
                return True  # reported below, with its output
            live = (
                s
                for s in self.emu.gateway.sessions_of(self.app)
                if s.session_id not in before
                and s.conn is not None
                and (shards is None or s.shard_id in shards)
            )
            return True if next(live, None) else None

        await self.emu.wait_until(
            connected,
            within=START_TIMEOUT,
            what=f"bot process {started.number} (pid {started.pid}) to connect",
            seen=started.tail,
        )
        self.check_alive(started)
        started.connected_at = time.time()
        return started

    def check_alive(self, bot: BotProcess) -> None:
        if bot.process.returncode is not None:
            raise BotExitedError(
                f"bot process {bot.number} (pid {bot.pid}) exited by itself with "
                f"{bot.process.returncode}; its last lines:\n{bot.tail()}"
            )

    async def kill(self, bot: BotProcess) -> None:
        """SIGKILL: no shutdown code runs; only what is already on disk or sent survives.

        Raises BotExitedError if the process had already ended by itself."""
        if bot.process.returncode is None:
            bot.process.kill()
        await bot.process.wait()
        bot.ended_at = time.time()
        if bot.process.returncode != SIGKILLED:
            self.check_alive(bot)

    async def kill_all(self) -> None:
        for bot in self.started:
            if bot.process.returncode is None:
                bot.process.kill()
        for bot in self.started:
            await bot.process.wait()
            if bot.ended_at is None:
                bot.ended_at = time.time()
