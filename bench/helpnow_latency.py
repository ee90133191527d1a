"""How fast a member in crisis gets their /help-now reply, with 50 members asking at once.

Runs the real bot against the emulator (Discord's rate limits on), first with the
database up, then with it unreachable (PostgreSQL behind a proxy that is cut). Prints
the reply latency (from the member's command to the bot's initial response) and how
long the pages took to reach the specialists channel (Discord allows five messages per
channel every five seconds; pages that queue share messages).

The emulator runs in this process; its OpenAPI checks cost about 5 ms of CPU per
interaction that real Discord would not add, so they are off unless --validate.

    .venv/bin/python -m bench.helpnow_latency [--members 50] [--validate]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

from fakediscord import FakeDiscord
from fakediscord.discordpy import point_discord_py_at
from sandbox.community import BotRunner, Community, build_community
from tests.databases import POSTGRES_URL, fresh_postgres_url
from tests.tcp_proxy import TcpProxy


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{label:<38} p50 {statistics.median(ms):8.1f} ms   p99 {percentile(ms, 0.99):8.1f} ms"
        f"   max {max(ms):8.1f} ms   (n={len(ms)})"
    )


async def ask_at_once(community: Community, members: int) -> tuple[list[float], list[float]]:
    emu = community.emu
    people = [community.guild.add_member(f"member{i}") for i in range(members)]
    loop = asyncio.get_running_loop()

    refused = 0

    async def one(person_index: int) -> tuple[float, float]:
        nonlocal refused
        person = people[person_index]
        started = loop.time()
        interaction = await person.run_command("help-now", channel=community.checkins)
        await interaction.wait_for_response(timeout=10)
        replied = loop.time() - started
        refused += bool(interaction.rejections)

        def paged() -> bool | None:
            # Not wait_for_message: one page message may carry several people's requests.
            messages = emu.messages_in(community.specialists)
            return True if any(person.mention in m.content for m in messages) else None

        await emu.wait_until(paged, within=120, what="the page", seen=lambda: "no page yet")
        return replied, loop.time() - started

    results = await asyncio.gather(*(one(i) for i in range(members)))
    if refused:
        print(f"  {refused} replies were refused by the emulator (late or invalid)")
    return [r for r, _ in results], [p for _, p in results]


async def scenario(
    database_url: str, workdir: Path, members: int, proxy: TcpProxy | None, validate: bool
) -> None:
    emu = FakeDiscord(validate=validate)
    await emu.start()
    restore = point_discord_py_at(emu.api_base_url, emu.gateway_url)
    community = build_community(emu)
    runner = BotRunner(community, database_url, workdir / "data")
    try:
        bot = await runner.start()
        await runner.configure(bot)
        await bot.rotation.take(community.guild.id, community.sam.id, hours=8)
        state = "database up"
        if proxy is not None:
            await proxy.cut()
            state = "database unreachable"
        replies, pages = await ask_at_once(community, members)
        print(summary(f"reply, {members} at once, {state}", replies))
        print(summary(f"page delivered, {state}", pages))
        if proxy is not None:
            await proxy.restore()
    finally:
        await runner.stop_all()
        restore()
        await emu.stop()


async def main(members: int, validate: bool) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        print(f"SQLite, {members} members asking at once")
        await scenario(
            f"sqlite+aiosqlite:///{Path(tmp) / 'up.db'}", Path(tmp) / "up", members, None, validate
        )
    try:
        async for url in fresh_postgres_url():
            upstream = make_url(url)
            proxy = TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
            await proxy.start()
            through = upstream.set(port=proxy.port).render_as_string(hide_password=False)
            with tempfile.TemporaryDirectory() as tmp:
                # One data folder for both runs: the second reuses the first's database key.
                print(f"PostgreSQL, {members} members asking at once")
                await scenario(through, Path(tmp), members, None, validate)
                await scenario(through, Path(tmp), members, proxy, validate)
            await proxy.stop()
    except BaseException as error:  # pytest.skip raises a BaseException subclass
        if type(error).__name__ != "Skipped":
            raise
        print(f"PostgreSQL at {POSTGRES_URL} not reachable: the database-down run was skipped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--validate", action="store_true", help="keep the OpenAPI checks on")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.validate))
