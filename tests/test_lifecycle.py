"""Stopping and starting `python bot.py` as a service manager does: a real OS process, sent
SIGTERM (what systemd and Docker send), started while Discord cannot be reached yet.

Every wait has a deadline and waits on an event (the emulator's traffic, the process's
output or its exit), never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import socket
import sys
from pathlib import Path

import yarl
from sqlalchemy import select

from bot import EXIT_UNREACHABLE, RETRY_FIRST_SECONDS
from core.bot import STOP_WITHIN_SECONDS
from db.engine import Database, create_engine
from db.models import HelpEvent, HelpRequest
from fakediscord import FakeDiscord
from fakediscord.server import RecordedRequest
from sandbox.community import BotRunner, Community
from tests.bot_process import ROOT, START_TIMEOUT, BotProcess, BotProcesses
from tests.cogs.helpnow.helpers import mentioned, sam_on_call_riley_backup
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for

MESSAGES = "/channels/{channel_id}/messages"
# Long enough that SIGTERM surely lands while the page is with Discord, well inside the
# grace the bot gives work under way.
PAGE_DELAY = 2.0
RETRYING = re.compile(r"Can't reach Discord \((?P<reason>[^\n]+)\); retrying in (?P<wait>\d+) s\.$")
LOGGING_IN = "discord.client: logging in using static token"


def free_port() -> int:
    """A port nothing listens on (until a test opens it)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def unreachable_at(port: int) -> dict[str, str]:
    return {
        "DISCORD_API_BASE_URL": f"http://127.0.0.1:{port}/api/v10",
        "DISCORD_GATEWAY_URL": f"ws://127.0.0.1:{port}/",
    }


def lines_of(bot: BotProcess) -> list[str]:
    return bot.output.read_text(errors="replace").splitlines()


def retry_lines(bot: BotProcess) -> list[str]:
    return [line for line in lines_of(bot) if RETRYING.search(line)]


async def output_line(bot: BotProcess, wanted: str | re.Pattern[str], *, count: int = 1) -> None:
    """Until the process has written `count` lines containing `wanted`."""

    async def written() -> bool | None:
        found = [
            line
            for line in lines_of(bot)
            if (wanted.search(line) if isinstance(wanted, re.Pattern) else wanted in line)
        ]
        if len(found) >= count or bot.process.returncode is not None:
            return True
        return None

    await wait_for(written, within=START_TIMEOUT, what=f"{count}× {wanted!r} from the bot")
    assert bot.process.returncode is None, f"the bot exited early:\n{bot.tail()}"


async def exit_status(bot: BotProcess, within: float) -> int:
    try:
        return await asyncio.wait_for(bot.process.wait(), timeout=within)
    except TimeoutError:
        raise AssertionError(f"still running {within:g} s after SIGTERM:\n{bot.tail()}") from None


async def live_session(emu: FakeDiscord, processes: BotProcesses, bot: BotProcess) -> None:
    """Until the process has a gateway session (as BotProcesses.start waits)."""

    def connected() -> bool | None:
        if bot.process.returncode is not None:
            return True
        live = [s for s in emu.gateway.sessions_of(processes.app) if s.conn is not None]
        return True if live else None

    await emu.wait_until(
        connected,
        # The next attempt can be a whole (doubled) wait away.
        within=START_TIMEOUT + 4 * RETRY_FIRST_SECONDS,
        what="the bot to connect once Discord answers",
        seen=bot.tail,
    )
    processes.check_alive(bot)


async def test_sigterm_while_a_page_is_posted_exits_0_with_the_page_delivered_and_recorded(
    bot_runner: BotRunner, community: Community, tmp_path: Path
) -> None:
    emu = community.emu
    in_process = await bot_runner.start()  # syncs the commands, as sync-commands would
    await bot_runner.configure(in_process)
    await sam_on_call_riley_backup(in_process, community)
    await bot_runner.stop(in_process)
    processes = BotProcesses(
        emu, community.app, bot_runner.database_url, bot_runner.data_dir, tmp_path / "logs"
    )
    page_path = f"/channels/{community.specialists.id}/messages"

    async def page_with_discord() -> RecordedRequest | None:
        # Recorded as it arrives; its status is set once the emulator answers.
        for request in emu.requests_to("POST", MESSAGES):
            if request.path == page_path and not request.status:
                return request
        return None

    try:
        bot = await processes.start()
        emu.faults.slow("POST", MESSAGES, delay=PAGE_DELAY)
        asked = await community.alice.run_command("help-now", channel=community.checkins)
        await asked.wait_for_response(timeout=10)
        in_flight = await wait_for(page_with_discord, within=10, what="the page on its way")
        bot.process.send_signal(signal.SIGTERM)
        await output_line(bot, "SIGTERM: stopping")
        bot.process.send_signal(signal.SIGTERM)  # an impatient second one changes nothing
        status = await exit_status(bot, STOP_WITHIN_SECONDS)
    finally:
        await processes.kill_all()

    assert status == 0, bot.tail()
    output = bot.output.read_text()
    assert "SIGTERM again: still stopping" in output
    assert "Traceback" not in output
    assert in_flight.status == 200
    pages = [m for m in emu.messages_in(community.specialists) if m.author.bot]
    assert len(pages) == 1
    assert mentioned(pages[0]) == {"sam"}
    database = Database(create_engine(bot_runner.database_url))
    try:
        async with database.guild_session(community.guild.id) as session:
            paged = (
                await session.scalars(select(HelpEvent.target).where(HelpEvent.kind == "paged"))
            ).all()
            page_ids = (await session.scalars(select(HelpRequest.page_message_id))).all()
    finally:
        await database.dispose()
    assert paged == [f"channel:{community.specialists.id}"]
    assert page_ids == [pages[0].id]


async def test_with_discord_unreachable_at_start_it_says_so_once_per_try_and_connects_later(
    community: Community, tmp_path: Path
) -> None:
    emu = community.emu
    emulator_port = yarl.URL(emu.api_base_url).port
    assert emulator_port is not None
    # Nothing listens on the proxy's port until it starts: a host that refuses, as
    # Discord's address does before the network is up.
    proxy = TcpProxy("127.0.0.1", emulator_port)
    proxy.port = free_port()
    processes = BotProcesses(
        emu,
        community.app,
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        tmp_path / "data",
        tmp_path / "logs",
        extra_env=unreachable_at(proxy.port),
    )
    try:
        bot = await processes.spawn()
        await output_line(bot, RETRYING, count=2)
        await proxy.start()
        await live_session(emu, processes, bot)
        lines = lines_of(bot)
        bot.process.send_signal(signal.SIGTERM)
        status = await exit_status(bot, STOP_WITHIN_SECONDS)
    finally:
        await processes.kill_all()
        await proxy.stop()

    retries = [RETRYING.search(line) for line in lines if RETRYING.search(line)]
    assert [match["wait"] for match in retries if match] == ["2", "4"]
    assert all(f"127.0.0.1:{proxy.port}: Connection refused" in line for line in retry_lines(bot))
    # One line per failed try: every try but the last, which got through, said so.
    assert sum(LOGGING_IN in line for line in lines) == len(retries) + 1
    assert "Traceback" not in "\n".join(lines)
    assert [line for line in lines if " ERROR " in line] == []
    assert status == 0, bot.tail()


async def test_a_failed_gateway_lookup_is_retried_and_the_bot_sets_up_only_once(
    community: Community, tmp_path: Path
) -> None:
    emu = community.emu
    # Logging in works, then asking for the gateway's address does not: setup has run,
    # so only the connection is retried.
    emu.faults.fail("GET", "/gateway/bot", status=503, times=1)
    processes = BotProcesses(
        emu,
        community.app,
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        tmp_path / "data",
        tmp_path / "logs",
    )
    try:
        bot = await processes.start()
        lines = lines_of(bot)
        bot.process.send_signal(signal.SIGTERM)
        status = await exit_status(bot, STOP_WITHIN_SECONDS)
    finally:
        await processes.kill_all()
    assert [line.split(": ", 1)[1] for line in retry_lines(bot)] == [
        "Can't reach Discord (it answered 503); retrying in 2 s."
    ]
    assert sum("Loaded features" in line for line in lines) == 1
    assert sum(LOGGING_IN in line for line in lines) == 1
    assert "Traceback" not in bot.output.read_text()
    assert status == 0, bot.tail()


async def test_sigterm_while_waiting_for_discord_exits_0_at_once(
    community: Community, tmp_path: Path
) -> None:
    processes = BotProcesses(
        community.emu,
        community.app,
        f"sqlite+aiosqlite:///{tmp_path / 'bot.db'}",
        tmp_path / "data",
        tmp_path / "logs",
        extra_env=unreachable_at(free_port()),
    )
    try:
        bot = await processes.spawn()
        # The second wait is 4 s: an exit well inside it did not wait for it.
        await output_line(bot, RETRYING, count=2)
        bot.process.send_signal(signal.SIGTERM)
        status = await exit_status(bot, 2 * RETRY_FIRST_SECONDS - 1)
    finally:
        await processes.kill_all()
    assert status == 0, bot.tail()
    assert len(retry_lines(bot)) == 2
    assert "Traceback" not in bot.output.read_text()


async def test_sync_commands_with_discord_unreachable_exits_3_with_one_line(
    tmp_path: Path,
) -> None:
    environment = {
        k: v for k, v in os.environ.items() if k not in {"DISCORD_TOKEN", "DATABASE_URL"}
    }
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bot.py"),
        "sync-commands",
        cwd=tmp_path,
        env=environment
        | unreachable_at(free_port())
        | {"DATA_DIR": str(tmp_path / "data"), "DISCORD_TOKEN": "any", "LOG_LEVEL": "INFO"},
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    stdout, stderr = await asyncio.wait_for(process.communicate(), timeout=60)
    said = [line for line in stderr.decode().splitlines() if LOGGING_IN not in line]
    assert process.returncode == EXIT_UNREACHABLE
    assert len(said) == 1, stderr.decode()
    assert said[0].startswith("Can't reach Discord (")
    assert "run the command again" in said[0]
    assert stdout == b""
