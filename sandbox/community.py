"""A recovery group's server in the emulator, and a runner that starts and stops the
real bot against it like a process would (same database and data folder across
restarts). The sandbox and the end-to-end tests share both."""

from __future__ import annotations

import asyncio
import functools
from dataclasses import dataclass, field
from pathlib import Path

from config.content import Content, load_content
from config.settings import DEFAULT_CONTENT_DIR, Settings
from core.bot import RecoveryBot
from core.clock import Clock
from fakediscord import FakeDiscord
from fakediscord.models import Application, Channel, Guild, Member, Role, overwrite
from fakediscord.permissions import Permission

SEE_AND_TALK = Permission.VIEW_CHANNEL | Permission.SEND_MESSAGES | Permission.READ_MESSAGE_HISTORY


@dataclass
class Community:
    """A recovery group's server: members, two peer specialists, the usual channels."""

    emu: FakeDiscord
    app: Application
    guild: Guild
    role: Role
    checkins: Channel
    specialists: Channel
    milestones: Channel
    organiser: Member
    bot_member: Member
    alice: Member
    bob: Member
    sam: Member
    riley: Member


def build_community(
    emu: FakeDiscord,
    *,
    app: Application | None = None,
    name: str = "Recovery Circle",
    people_suffix: str = "",
    guild_id: int | None = None,
) -> Community:
    """The sandbox's server. Pass the `app` of an earlier one for another server of the
    same bot (`people_suffix` then keeps its people's names apart; `guild_id` chooses its
    snowflake, to place it on a shard)."""
    app = app or emu.create_application("Recovery bot")
    guild = emu.create_guild(name, owner_name=f"organiser{people_suffix}", guild_id=guild_id)
    role = guild.create_role("Peer specialist")
    bot_member = guild.add_bot(app)
    checkins = guild.create_text_channel("check-ins")
    specialists = guild.create_text_channel(
        "specialists",
        overwrites=[
            overwrite(guild.everyone, deny=Permission.VIEW_CHANNEL),
            overwrite(role, allow=SEE_AND_TALK),
            overwrite(bot_member, allow=SEE_AND_TALK | Permission.EMBED_LINKS),
        ],
    )
    milestones = guild.create_text_channel("milestones")
    return Community(
        emu=emu,
        app=app,
        guild=guild,
        role=role,
        checkins=checkins,
        specialists=specialists,
        milestones=milestones,
        organiser=guild.owner,
        bot_member=bot_member,
        alice=guild.add_member(f"alice{people_suffix}"),
        bob=guild.add_member(f"bob{people_suffix}"),
        sam=guild.add_member(f"sam{people_suffix}", roles=[role]),
        riley=guild.add_member(f"riley{people_suffix}", roles=[role]),
    )


@functools.cache
def default_content() -> Content:
    """The content the project ships (config/content/), for runners not handed any."""
    return load_content(DEFAULT_CONTENT_DIR)


@dataclass
class BotRunner:
    """Starts the real bot against the emulator; `restart()` is a stop and a fresh process.

    `content` is what the bot tells people: the sandbox passes what `bot.py` loaded from
    CONTENT_DIR; the tests keep the shipped content. `clock` is the bot's time source (the
    sandbox's, which `advance` moves); None is the system clock.
    """

    community: Community
    database_url: str
    data_dir: Path
    shard_count: int | None = None
    shard_ids: list[int] | None = None
    running: list[tuple[RecoveryBot, asyncio.Task[None]]] = field(default_factory=list)
    content: Content = field(default_factory=default_content, kw_only=True)
    # Handed to the bot when it is built: its features keep the clock they were given.
    clock: Clock | None = field(default=None, kw_only=True)

    def settings(self) -> Settings:
        return Settings(
            _env_file=None,
            discord_token=self.community.app.token,
            database_url=self.database_url,
            data_dir=self.data_dir,
            encryption_key=None,
            shard_count=self.shard_count,
            shard_ids=self.shard_ids,
        )

    async def start(self, *, sync: bool = True) -> RecoveryBot:
        bot = RecoveryBot(self.settings(), self.content, self.clock, guild_ready_timeout=0.05)
        task = asyncio.create_task(bot.start(self.community.app.token))
        ready = asyncio.create_task(bot.wait_until_ready())
        done, _ = await asyncio.wait({task, ready}, timeout=15, return_when=asyncio.FIRST_COMPLETED)
        if task in done:
            ready.cancel()
            await bot.close()
            task.result()
            raise RuntimeError("the bot stopped before it was ready")
        if ready not in done:
            ready.cancel()
            await bot.close()
            raise TimeoutError("the bot was not ready within 15 s")
        self.running.append((bot, task))
        if sync:
            await bot.tree.sync()
        return bot

    async def stop(self, bot: RecoveryBot) -> None:
        for entry in [e for e in self.running if e[0] is bot]:
            self.running.remove(entry)
            await bot.close()
            await entry[1]

    async def stop_all(self) -> None:
        for bot, _ in list(self.running):
            await self.stop(bot)

    async def configure(self, bot: RecoveryBot, **changes: object) -> None:
        """Settings as an admin would leave them after /setup; `changes` override them."""
        community = self.community
        values: dict[str, object] = {
            "checkin_channel_id": community.checkins.id,
            "specialists_channel_id": community.specialists.id,
            "milestones_channel_id": community.milestones.id,
            "specialist_role_id": community.role.id,
            "region": "US",
        }
        values.update(changes)
        await bot.guild_settings.update(community.guild.id, community.organiser.id, **values)
