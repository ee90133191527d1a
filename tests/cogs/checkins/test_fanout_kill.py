"""Prompts through SIGKILLs: the bot as a real process, killed twice in the middle of
a fan-out to many servers and started again; every server gets its prompt once.

The prompts are due a minute before the first start, so the start's catch-up claims
them all at once and the outbox sends them paced: a kill lands while some are posted,
one may be in flight, and the rest are queued. A restart gives back what the killed
process had claimed and sends it again under the same nonce, so a post that went out
just before the kill comes back as the same message, never a second one.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import func, select

from cogs.checkins import schedule
from core.bot import RecoveryBot
from db.engine import Database, create_engine
from db.models import OutboxMessage
from db.models.outbox import QUEUED
from fakediscord import FakeDiscord
from fakediscord.models import Channel
from sandbox.community import BotRunner, Community
from tests.bot_process import BotProcesses

SERVERS = 150
KILL_AFTER = (25, 80)  # prompts posted when each kill comes


def prompts_posted(emulator: FakeDiscord, channels: list[Channel]) -> dict[int, int]:
    return {
        channel.id: sum(1 for m in emulator.messages_in(channel) if m.author.bot)
        for channel in channels
    }


async def schedule_prompts_due_a_minute_ago(
    bot: RecoveryBot, community: Community, channels: list[Channel]
) -> None:
    due = datetime.now(UTC) - timedelta(minutes=1)
    for channel in channels:
        assert channel.guild is not None
        await schedule.save_schedule(
            bot.db,
            channel.guild.id,
            community.organiser.id,
            channel_id=channel.id,
            hour=due.hour,
            minute=due.minute,
            timezone="UTC",
            weekdays=range(7),
            enabled=True,
        )


async def test_killed_twice_mid_fan_out_every_server_gets_its_prompt_exactly_once(
    emulator: FakeDiscord, community: Community, bot_runner: BotRunner, tmp_path: Path
) -> None:
    channels = [community.checkins]
    for n in range(SERVERS - 1):
        guild = emulator.create_guild(f"Group {n}", owner_name=f"organiser-{n}")
        guild.add_bot(community.app)
        channels.append(guild.create_text_channel("check-ins"))
    # Set up in process (the commands synced, the key made), then stopped before the
    # schedules exist, so only the processes below ever claim the prompts.
    bot = await bot_runner.start()
    await bot_runner.stop(bot)
    bot = await bot_runner.start(sync=False)
    try:
        await schedule_prompts_due_a_minute_ago(bot, community, channels)
    finally:
        await bot_runner.stop(bot)

    processes = BotProcesses(
        emulator, community.app, bot_runner.database_url, bot_runner.data_dir, tmp_path / "logs"
    )
    try:
        for posted_at_kill in KILL_AFTER:
            running = await processes.start()
            await emulator.wait_until(
                _at_least(emulator, channels, posted_at_kill),
                within=60,
                what=f"{posted_at_kill} prompts posted",
                seen=running.tail,
            )
            await processes.kill(running)
        assert sum(prompts_posted(emulator, channels).values()) < SERVERS
        last = await processes.start()
        await emulator.wait_until(
            lambda: True if all(prompts_posted(emulator, channels).values()) else None,
            within=60,
            what="every server's prompt",
            seen=last.tail,
        )
        queued = await _queued(bot_runner.database_url)
    finally:
        await processes.kill_all()
    assert set(prompts_posted(emulator, channels).values()) == {1}
    assert queued == 0


def _at_least(
    emulator: FakeDiscord, channels: list[Channel], count: int
) -> Callable[[], bool | None]:
    def check() -> bool | None:
        return True if sum(prompts_posted(emulator, channels).values()) >= count else None

    return check


async def _queued(database_url: str) -> int:
    db = Database(create_engine(database_url))
    try:
        async with db.all_guilds_session() as session:
            found = await session.scalar(
                select(func.count()).select_from(OutboxMessage).where(OutboxMessage.state == QUEUED)
            )
    finally:
        await db.dispose()
    return int(found or 0)
