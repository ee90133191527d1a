"""How fast a member in crisis gets their /help-now reply, with 50 members asking at once.

Runs the real bot against the emulator (Discord's rate limits on), first with the
database up, then with it unreachable (PostgreSQL behind a proxy that is cut). Prints
the reply latency (from the member's command to the bot's initial response) and how
long the pages took to reach the specialists channel (Discord allows five messages per
channel every five seconds; pages that queue share messages).

Beside each of those runs, in a fresh emulator with the same server and settings, the
same members ask a minimal bot (`bench/minimal_bot.py`: bare discord.py, no database)
whose /help-now answers with a fixed ephemeral text about as long as the real reply,
then posts one message per request to the specialists channel mentioning the role. Its
lines are the floor; the real bot's reply is also given as a ratio of it. Its pages are
not batched, so under the same five-per-five-seconds limit they queue one by one: a floor
for the work per page, not for the delivery time.

The emulator runs in this process; its OpenAPI checks cost about 5 ms of CPU per
interaction that real Discord would not add, so they are off unless --validate.

    .venv/bin/python -m bench.helpnow_latency [--members 50] [--validate] [--only sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import discord
from sqlalchemy.engine import make_url

from bench.minimal_bot import MinimalBot, running
from cogs.oncall.cog import rotation_of
from fakediscord import FakeDiscord
from fakediscord.discordpy import point_discord_py_at
from sandbox.community import BotRunner, Community, build_community
from tests.databases import POSTGRES_URL, fresh_postgres_url
from tests.tcp_proxy import TcpProxy

# About as long as the real bot's first reply message (996 characters for region US).
MINIMAL_REPLY = ("A peer specialist has been asked to reach out to you here. " * 17)[:1000]


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(fraction * (len(ordered) - 1)))]


def summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{label:<40} p50 {statistics.median(ms):8.1f} ms   p99 {percentile(ms, 0.99):8.1f} ms"
        f"   max {max(ms):8.1f} ms   (n={len(ms)})"
    )


def ratio(label: str, real: list[float], floor: list[float]) -> str:
    p50 = statistics.median(real) / statistics.median(floor)
    p99 = percentile(real, 0.99) / percentile(floor, 0.99)
    return f"{label:<40} p50 {p50:8.2f} ×    p99 {p99:8.2f} ×"


@dataclass
class Measured:
    replies: list[float]
    pages: list[float]
    reply_chars: int  # of the first member's reply, as the emulator holds it


async def ask_at_once(community: Community, members: int) -> Measured:
    emu = community.emu
    people = [community.guild.add_member(f"member{i}") for i in range(members)]
    loop = asyncio.get_running_loop()

    refused = 0
    chars: list[int] = []

    async def one(person_index: int) -> tuple[float, float]:
        nonlocal refused
        person = people[person_index]
        started = loop.time()
        interaction = await person.run_command("help-now", channel=community.checkins)
        response = await interaction.wait_for_response(timeout=10)
        replied = loop.time() - started
        refused += bool(interaction.rejections)
        chars.append(len(response.content))

        def paged() -> bool | None:
            # Not wait_for_message: one page message may carry several people's requests.
            messages = emu.messages_in(community.specialists)
            return True if any(person.mention in m.content for m in messages) else None

        # The minimal bot's pages go one a second (5 per 5 s): give a long queue time.
        within = max(120.0, 1.5 * members)
        await emu.wait_until(paged, within=within, what="the page", seen=lambda: "no page yet")
        return replied, loop.time() - started

    results = await asyncio.gather(*(one(i) for i in range(members)))
    if refused:
        print(f"  {refused} replies were refused by the emulator (late or invalid)")
    return Measured([r for r, _ in results], [p for _, p in results], chars[0])


@asynccontextmanager
async def emulated(validate: bool) -> AsyncIterator[Community]:
    emu = FakeDiscord(validate=validate)
    await emu.start()
    restore = point_discord_py_at(emu.api_base_url, emu.gateway_url)
    try:
        yield build_community(emu)
    finally:
        restore()
        await emu.stop()


async def real_bot(
    database_url: str, workdir: Path, members: int, proxy: TcpProxy | None, validate: bool
) -> Measured:
    async with emulated(validate) as community:
        runner = BotRunner(community, database_url, workdir / "data")
        try:
            bot = await runner.start()
            await runner.configure(bot)
            await rotation_of(bot).take(community.guild.id, community.sam.id, hours=8)
            if proxy is not None:
                await proxy.cut()
            return await ask_at_once(community, members)
        finally:
            if proxy is not None:
                await proxy.restore()
            await runner.stop_all()


async def minimal_bot(members: int, validate: bool) -> Measured:
    async with emulated(validate) as community:
        bot = MinimalBot()
        specialists_id, role = community.specialists.id, discord.Object(community.role.id)

        @bot.tree.command(name="help-now", description="Page the peer specialists")
        async def help_now(interaction: discord.Interaction[MinimalBot]) -> None:
            await interaction.response.send_message(MINIMAL_REPLY, ephemeral=True)
            channel = interaction.client.get_channel(specialists_id)
            assert isinstance(channel, discord.TextChannel)
            await channel.send(
                f"<@&{role.id}> {interaction.user.mention} asked for help now.",
                allowed_mentions=discord.AllowedMentions(roles=[role]),
            )

        async with running(bot, community.app.token):
            return await ask_at_once(community, members)


async def scenario(
    database_url: str, workdir: Path, members: int, proxy: TcpProxy | None, validate: bool
) -> None:
    state = "database up" if proxy is None else "database unreachable"
    real = await real_bot(database_url, workdir, members, proxy, validate)
    floor = await minimal_bot(members, validate)
    print(summary(f"reply, {members} at once, {state}", real.replies))
    print(summary(f"  minimal bot, {floor.reply_chars}-char fixed text", floor.replies))
    print(ratio(f"  real ({real.reply_chars} chars) ÷ minimal", real.replies, floor.replies))
    print(summary(f"page delivered, {state}", real.pages))
    print(summary("  minimal bot, 1 message per request", floor.pages))


async def main(members: int, validate: bool, only: str | None) -> None:
    if only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            print(f"SQLite, {members} members asking at once")
            url = f"sqlite+aiosqlite:///{Path(tmp) / 'up.db'}"
            await scenario(url, Path(tmp) / "up", members, None, validate)
    if only == "sqlite":
        return
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
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="one database only")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.validate, arguments.only))
