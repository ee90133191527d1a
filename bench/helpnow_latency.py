"""How fast a member in crisis gets their /help-now reply, with many members asking at once.

Runs the real bot against the emulator (Discord's rate limits on) on a fresh database,
and beside it, in a fresh emulator with the same server and settings, the same members
ask a minimal bot (`bench/minimal_bot.py`: bare discord.py, no database) whose /help-now
answers with a fixed ephemeral text about as long as the real reply, then posts one
message per request to the specialists channel mentioning the role. The reply latency is
measured at the emulator (see `bench/support.py`), from the command's dispatch to the
answer the member sees; the minimal bot's is the floor (goal: the real p99 at most twice
the minimal bot's, and no reply past Discord's 3 s).

On PostgreSQL the command line also runs the database unreachable (behind a proxy that is
cut), and prints how long the pages took to reach the specialists channel (Discord allows
five messages per channel every five seconds; pages that queue share messages). The
minimal bot's pages are not batched, so under that limit they queue one by one: a floor
for the work per page, not for the delivery time. `python -m bench` leaves the pages
out (waiting for the minimal bot's queue takes a second per member).

    .venv/bin/python -m bench.helpnow_latency [--members 50] [--validate] [--only sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
from dataclasses import dataclass, field
from pathlib import Path

import discord
from sqlalchemy.engine import make_url

from bench import support
from bench.minimal_bot import MinimalBot, running
from bench.support import Answer, PostgresUnreachable
from bench.table import Figure, percentile
from cogs.oncall.cog import rotation_of
from fakediscord.driver import UserInteraction
from sandbox.community import BotRunner, Community
from tests.tcp_proxy import TcpProxy

BENCH = "/help-now"
SIZES = (50, 200)
QUICK_SIZES = (5,)
# About as long as the real bot's first reply message (996 characters for region US).
MINIMAL_REPLY = ("A peer specialist has been asked to reach out to you here. " * 17)[:1000]


@dataclass
class Measured:
    replies: list[Answer]
    reply_chars: int  # of the first member's reply, as the emulator holds it
    pages: list[float] = field(default_factory=list)  # empty unless waited for


async def ask_at_once(community: Community, members: int, *, pages: bool) -> Measured:
    emu = community.emu
    people = [community.guild.add_member(f"member{i}") for i in range(members)]
    loop = asyncio.get_running_loop()

    async def one(person_index: int) -> tuple[UserInteraction, float]:
        person = people[person_index]
        interaction = await person.run_command("help-now", channel=community.checkins)
        await interaction.wait_for_response(timeout=10)
        if not pages:
            return interaction, 0.0

        def paged() -> bool | None:
            # Not wait_for_message: one page message may carry several people's requests.
            messages = emu.messages_in(community.specialists)
            return True if any(person.mention in m.content for m in messages) else None

        # The minimal bot's pages go one a second (5 per 5 s): give a long queue time.
        within = max(120.0, 1.5 * members)
        await emu.wait_until(paged, within=within, what="the page", seen=lambda: "no page yet")
        return interaction, loop.time() - interaction.dispatched_at

    results = await asyncio.gather(*(one(i) for i in range(members)))
    asked = [it for it, _ in results]
    first = asked[0].response
    return Measured(
        support.answers(emu, asked),
        len(first.content) if first is not None else 0,
        [paged for _, paged in results] if pages else [],
    )


async def real_bot(
    database_url: str,
    workdir: Path,
    members: int,
    proxy: TcpProxy | None,
    *,
    validate: bool = False,
    pages: bool = False,
) -> Measured:
    async with support.community(validate=validate) as community:
        runner = BotRunner(community, database_url, workdir / "data")
        try:
            bot = await runner.start()
            await runner.configure(bot)
            await rotation_of(bot).take(community.guild.id, community.sam.id, hours=8)
            if proxy is not None:
                await proxy.cut()
            with support.started_as_a_process_is():
                return await ask_at_once(community, members, pages=pages)
        finally:
            if proxy is not None:
                await proxy.restore()
            await runner.stop_all()


async def minimal_bot(members: int, *, validate: bool = False, pages: bool = False) -> Measured:
    async with support.community(validate=validate) as community:
        bot = MinimalBot()
        specialists_id, role = community.specialists.id, discord.Object(community.role.id)
        # Pages still waiting at the end (when they are not measured) are cancelled before
        # the emulator stops, not failed against a closed server.
        paging: set[asyncio.Task[discord.Message]] = set()

        @bot.tree.command(name="help-now", description="Page the peer specialists")
        async def help_now(interaction: discord.Interaction[MinimalBot]) -> None:
            await interaction.response.send_message(MINIMAL_REPLY, ephemeral=True)
            channel = interaction.client.get_channel(specialists_id)
            assert isinstance(channel, discord.TextChannel)
            page = asyncio.create_task(
                channel.send(
                    f"<@&{role.id}> {interaction.user.mention} asked for help now.",
                    allowed_mentions=discord.AllowedMentions(roles=[role]),
                )
            )
            paging.add(page)
            page.add_done_callback(paging.discard)

        async with running(bot, community.app.token):
            try:
                with support.started_as_a_process_is():
                    return await ask_at_once(community, members, pages=pages)
            finally:
                for page in list(paging):
                    page.cancel()
                await asyncio.gather(*paging, return_exceptions=True)


# --- python -m bench -------------------------------------------------------------------


async def figures(quick: bool) -> list[Figure]:
    found: list[Figure] = []
    for dialect, name in support.DATABASES.items():
        for members in QUICK_SIZES if quick else SIZES:
            crowd = f"{members} members, {name}"
            try:
                async with support.fresh_database(dialect) as (url, workdir):
                    real = await real_bot(url, workdir, members, None)
            except PostgresUnreachable as error:
                found.append(Figure(BENCH, f"reply, {name}", f"not measured: {error}"))
                break
            floor = await minimal_bot(members)
            found += support.latency_figures(
                BENCH, "reply", crowd, real.replies, floor.replies, plural="replies", detail=False
            )
    return found


# --- Its own command line --------------------------------------------------------------


def ratio(label: str, real: list[Answer], floor: list[Answer]) -> str:
    mine, base = [a.seconds for a in real], [a.seconds for a in floor]
    p50 = statistics.median(mine) / statistics.median(base)
    p99 = percentile(mine, 0.99) / percentile(base, 0.99)
    return f"{label:<44} p50 {p50:8.2f} ×   p99 {p99:8.2f} ×"


def pages_summary(label: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (
        f"{label:<44} p50 {statistics.median(ms):6.0f} ms   p99 {percentile(ms, 0.99):6.0f} ms"
        f"   max {max(ms):6.0f} ms"
    )


async def scenario(
    database_url: str, workdir: Path, members: int, proxy: TcpProxy | None, validate: bool
) -> None:
    state = "database up" if proxy is None else "database unreachable"
    real = await real_bot(database_url, workdir, members, proxy, validate=validate, pages=True)
    floor = await minimal_bot(members, validate=validate, pages=True)
    print(support.summary(f"reply, {members} at once, {state}", real.replies))
    print(support.summary(f"  minimal bot, {floor.reply_chars}-char fixed text", floor.replies))
    print(ratio(f"  real ({real.reply_chars} chars) ÷ minimal", real.replies, floor.replies))
    print(pages_summary(f"page delivered, {state}", real.pages))
    print(pages_summary("  minimal bot, 1 message per request", floor.pages))


async def main(members: int, validate: bool, only: str | None) -> None:
    if only in (None, "sqlite"):
        async with support.fresh_database("sqlite") as (url, workdir):
            print(f"SQLite, {members} members asking at once")
            await scenario(url, workdir, members, None, validate)
    if only == "sqlite":
        return
    try:
        async with support.fresh_database("postgresql") as (url, workdir):
            upstream = make_url(url)
            proxy = TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
            await proxy.start()
            through = upstream.set(port=proxy.port).render_as_string(hide_password=False)
            # One data folder for both runs: the second reuses the first's database key.
            print(f"PostgreSQL, {members} members asking at once")
            await scenario(through, workdir, members, None, validate)
            await scenario(through, workdir, members, proxy, validate)
            await proxy.stop()
    except PostgresUnreachable as error:
        print(f"{error}: the PostgreSQL runs were skipped")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--members", type=int, default=50)
    parser.add_argument("--validate", action="store_true", help="keep the OpenAPI checks on")
    parser.add_argument("--only", choices=("sqlite", "postgres"), help="one database only")
    arguments = parser.parse_args()
    asyncio.run(main(arguments.members, arguments.validate, arguments.only))
