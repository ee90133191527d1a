"""The world the emulator keeps: registries of everything, id generation and change waiting."""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Callable, Mapping, Sequence
from datetime import datetime
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from fakediscord import errors, messaging
from fakediscord.gateway import GatewayFrame, GatewayHub
from fakediscord.models import (
    DM,
    Application,
    Attachment,
    Channel,
    Guild,
    Member,
    Message,
    User,
    real_now,
)
from fakediscord.snowflake import SnowflakeGenerator
from fakediscord.uploads import Upload

if TYPE_CHECKING:
    from fakediscord.driver import UserInteraction

T = TypeVar("T")


class WaitTimeoutError(TimeoutError):
    """A wait ran out; the message says what was awaited and what was seen instead."""


class World:
    """All state of one emulator, shared by the REST handlers, the gateway and the driver.

    Settings (plain attributes, change them any time):
    `interaction_deadline` seconds to send the initial interaction response (3.0);
    `followup_window` seconds an interaction token stays usable (900.0);
    `heartbeat_interval` seconds between client heartbeats, sent in HELLO;
    `recommended_shards` the shard count GET /gateway/bot suggests (1);
    `nonce_window` seconds a message's nonce is remembered for `enforce_nonce` (300.0);
    `nonce_clock` the time source of that window (`time.monotonic`; tests may swap it);
    `clock` the world's present, an aware UTC datetime (`real_now`), for what depends on
    it: a scheduled event can't start in the past, a timeout runs out, an edit's stamp.
    A test that moves the bot's clock sets it to the same clock (`emu.clock = clock.now`).
    """

    def __init__(
        self,
        *,
        interaction_deadline: float = 3.0,
        followup_window: float = 15 * 60.0,
        heartbeat_interval: float = 41.25,
        nonce_window: float = 300.0,
    ) -> None:
        self.interaction_deadline = interaction_deadline
        self.followup_window = followup_window
        self.heartbeat_interval = heartbeat_interval
        self.recommended_shards = 1
        self.nonce_window = nonce_window
        self.nonce_clock: Callable[[], float] = time.monotonic
        self.clock: Callable[[], datetime] = real_now
        self.snowflakes = SnowflakeGenerator()
        self.users: dict[int, User] = {}
        self.applications: dict[int, Application] = {}
        self.guilds: dict[int, Guild] = {}
        self.channels: dict[int, Channel] = {}
        self.messages: dict[int, Message] = {}
        self.interactions: dict[int, UserInteraction] = {}
        self.attachments: dict[int, Attachment] = {}
        self.gateway = GatewayHub(self)
        self.gateway_frames: list[GatewayFrame] = []
        self.resumes = 0
        self.origin = "http://127.0.0.1:0"
        self._waiters: set[_Waiter[Any]] = set()
        self._recheck_due = False
        self._names = itertools.count(1)
        # Oldest first, so expired entries can be dropped from the front.
        self._nonces: dict[tuple[int, int, str], tuple[int, float]] = {}

    @property
    def api_base_url(self) -> str:
        """What discord.py's `Route.BASE` should be."""
        return f"{self.origin}/api/v10"

    @property
    def gateway_url(self) -> str:
        """The websocket URL (also sent as `resume_gateway_url` and from GET /gateway/bot)."""
        return self.origin.replace("http://", "ws://", 1) + "/gateway"

    def new_id(self) -> int:
        return self.snowflakes.next()

    # -- waiting

    def notify(self) -> None:
        """Have every waiter re-check its condition, once the code that changed the world
        has run on (a change is often several steps, each calling this)."""
        if not self._waiters or self._recheck_due:
            return
        self._recheck_due = True
        asyncio.get_running_loop().call_soon(self._recheck)

    def _recheck(self) -> None:
        # The checks run here rather than in each waiting task: a crowd of waiters (a
        # benchmark's 200 members) costs one call each per change, not a task wake-up.
        self._recheck_due = False
        for waiter in list(self._waiters):
            waiter.recheck()

    async def wait_until(
        self,
        check: Callable[[], T | None],
        *,
        within: float,
        what: str,
        seen: Callable[[], str],
    ) -> T:
        """Return check()'s first non-None result, re-checking on every change, or time out."""
        result = check()
        if result is not None:
            return result
        found: asyncio.Future[T] = asyncio.get_running_loop().create_future()
        waiter = _Waiter(check, found)
        self._waiters.add(waiter)
        try:
            async with asyncio.timeout(within):
                return await found
        except TimeoutError:
            if found.done() and not found.cancelled():
                return found.result()  # found as the deadline passed
            raise WaitTimeoutError(
                f"timed out after {within:g}s waiting for {what}; seen: {seen()}"
            ) from None
        finally:
            self._waiters.discard(waiter)

    # -- users and applications

    def create_user(self, name: str, *, global_name: str | None = None, bot: bool = False) -> User:
        user = User(self.new_id(), name, global_name=global_name, bot=bot)
        self.users[user.id] = user
        return user

    def application_by_token(self, token: str) -> Application | None:
        token = token.removeprefix("Bot ").strip()
        for app in self.applications.values():
            if app.token == token:
                return app
        return None

    def application_for_bot(self, user: User) -> Application | None:
        for app in self.applications.values():
            if app.bot_user is user:
                return app
        return None

    def kick_bot(self, guild: Guild, app: Application) -> None:
        """Remove a bot from a guild: its managed role goes and it gets GUILD_DELETE."""
        bot = guild.members.pop(app.bot_user.id, None)
        if bot is None:
            return
        guild.voice_states.pop(bot.id, None)
        for role in [r for r in guild.roles.values() if r.bot_id == app.bot_user.id]:
            del guild.roles[role.id]
        self.gateway.guild_left(guild, app)
        self.notify()

    # -- lookups that answer like Discord when something is missing

    def guild_or_404(self, guild_id: int) -> Guild:
        guild = self.guilds.get(guild_id)
        if guild is None:
            raise errors.unknown_guild()
        return guild

    def channel_or_404(self, channel_id: int) -> Channel:
        channel = self.channels.get(channel_id)
        if channel is None or channel.deleted:
            raise errors.unknown_channel()
        return channel

    def message_or_404(self, channel: Channel, message_id: int) -> Message:
        message = self.messages.get(message_id)
        if (
            message is None
            or message.deleted
            or message.channel is not channel
            or message.ephemeral
        ):
            raise errors.unknown_message()
        return message

    def member_or_404(self, guild: Guild, user_id: int) -> Member:
        member = guild.members.get(user_id)
        if member is None:
            raise errors.unknown_member()
        return member

    # -- DMs and messages

    def dm_channel(self, first: User, second: User) -> Channel:
        """The DM channel between two users, created on first use."""
        for channel in self.channels.values():
            if channel.is_dm and {u.id for u in channel.recipients} == {first.id, second.id}:
                return channel
        channel = Channel(self.new_id(), DM, "", None, recipients=[first, second])
        self.channels[channel.id] = channel
        return channel

    def new_attachment(
        self,
        channel: Channel,
        upload: Upload,
        *,
        filename: str | None = None,
        description: str | None = None,
        ephemeral: bool = False,
    ) -> Attachment:
        """Store uploaded bytes where discord.py can download them again."""
        attachment_id = self.new_id()
        name = filename or upload.filename
        attachment = Attachment(
            attachment_id,
            name,
            upload.data,
            url=f"{self.origin}/attachments/{channel.id}/{attachment_id}/{name}",
            content_type=upload.content_type,
            description=description,
            ephemeral=ephemeral,
        )
        self.attachments[attachment_id] = attachment
        return attachment

    def add_message(self, message: Message) -> None:
        self.messages[message.id] = message
        if not message.ephemeral:
            message.channel.last_message_id = message.id
            if message.channel.is_thread:
                message.channel.message_count += 1

    def message_with_nonce(
        self, channel: Channel, author: User, nonce: str | int
    ) -> Message | None:
        """The author's message in `channel` created with this nonce within `nonce_window`."""
        self._forget_old_nonces()
        entry = self._nonces.get(_nonce_key(channel, author, nonce))
        if entry is None or entry[1] <= self.nonce_clock() - self.nonce_window:
            return None
        message = self.messages.get(entry[0])
        # A deleted message cannot be handed back; the retry becomes a new message.
        return None if message is None or message.deleted else message

    def remember_nonce(self, message: Message) -> None:
        """Note a new message's nonce so that an `enforce_nonce` retry finds it."""
        if message.nonce is None:
            return
        if self.message_with_nonce(message.channel, message.author, message.nonce) is not None:
            # The first message keeps the nonce: it is the one a retry must get back.
            return
        key = _nonce_key(message.channel, message.author, message.nonce)
        self._nonces.pop(key, None)  # re-inserted at the end to keep the oldest-first order
        self._nonces[key] = (message.id, self.nonce_clock())

    def _forget_old_nonces(self) -> None:
        # Memory stays bounded by the window even though discord.py sends a nonce every time.
        cutoff = self.nonce_clock() - self.nonce_window
        while self._nonces:
            key, (_, seen_at) = next(iter(self._nonces.items()))
            if seen_at > cutoff:
                return
            del self._nonces[key]

    def post_message(
        self,
        channel: Channel,
        author: User,
        body: Mapping[str, Any],
        uploads: Sequence[Upload] = (),
    ) -> Message:
        """Post a message as anyone, checked against Discord's limits (MESSAGE_CREATE)."""
        return messaging.create_message(self, channel, author, body, uploads)


def _nonce_key(channel: Channel, author: User, nonce: str | int) -> tuple[int, int, str]:
    # discord.py sends nonces as strings; an integer nonce names the same one.
    return (channel.id, author.id, str(nonce))


class _Waiter(Generic[T]):
    """One `wait_until`: its condition, and the future that gets the first result."""

    __slots__ = ("check", "found")

    def __init__(self, check: Callable[[], T | None], found: asyncio.Future[T]) -> None:
        self.check = check
        self.found = found

    def recheck(self) -> None:
        if self.found.done():
            return
        try:
            result = self.check()
        except Exception as error:  # the waiting test sees it, as it would have before
            self.found.set_exception(error)
            return
        if result is not None:
            self.found.set_result(result)
