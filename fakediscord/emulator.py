"""`FakeDiscord`: start the emulator, set up a world, read what happened, wait, inject faults."""

from __future__ import annotations

import secrets
import socket
from collections.abc import Callable, Coroutine
from pathlib import Path
from types import TracebackType
from typing import Any

from aiohttp import web

from fakediscord.factories import Json
from fakediscord.faults import Faults
from fakediscord.models import Application, Channel, Guild, Member, Message, User
from fakediscord.openapi import OpenAPISpec, ValidationIssue, load_spec
from fakediscord.permissions import Permission
from fakediscord.ratelimit import RateLimiter
from fakediscord.server import RecordedRequest, UnhandledRequest, build_app
from fakediscord.state import World

Person = Member | User


def _user(person: Person) -> User:
    return person.user if isinstance(person, Member) else person


class FakeDiscord(World):
    """A local Discord (API v10 over HTTP and the gateway websocket) for the real discord.py.

    Rate limits and OpenAPI validation are on by default; `rate_limits_enabled` and
    `validate` switch them per test. See `World` for the timing settings.
    """

    def __init__(
        self,
        *,
        rate_limits: bool = True,
        validate: bool = True,
        interaction_deadline: float = 3.0,
        followup_window: float = 15 * 60.0,
        heartbeat_interval: float = 41.25,
        nonce_window: float = 300.0,
        spec_path: Path | None = None,
    ) -> None:
        super().__init__(
            interaction_deadline=interaction_deadline,
            followup_window=followup_window,
            heartbeat_interval=heartbeat_interval,
            nonce_window=nonce_window,
        )
        self.rate_limits_enabled = rate_limits
        self.validate = validate
        self._spec_path = spec_path
        self._spec: OpenAPISpec | None = load_spec(spec_path) if validate else None
        self.faults = Faults()
        self.limiter = RateLimiter()
        self.requests: list[RecordedRequest] = []
        self.unhandled_requests: list[UnhandledRequest] = []
        self.validation_errors: list[ValidationIssue] = []
        self._runner: web.AppRunner | None = None
        self._claimed: set[int] = set()

    @property
    def spec(self) -> OpenAPISpec:
        """The OpenAPI description (loaded on first use when validation started off)."""
        if self._spec is None:
            self._spec = load_spec(self._spec_path)
        return self._spec

    # -- lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Serve on host:port (0 picks a free port); `api_base_url` and `gateway_url` follow."""
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        runner = web.AppRunner(
            build_app(self), handle_signals=False, access_log=None, shutdown_timeout=1.0
        )
        await runner.setup()
        await web.SockSite(runner, sock).start()
        self._runner = runner
        self.origin = f"http://{host}:{sock.getsockname()[1]}"

    async def stop(self) -> None:
        """Close every gateway connection and the server."""
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeDiscord:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.stop()

    # -- setting up a world

    def create_application(
        self,
        name: str = "Test bot",
        *,
        token: str | None = None,
        privileged_intents: int = 0,
        owner_name: str = "developer",
    ) -> Application:
        """A bot application and its bot user; `privileged_intents` are those the portal allows."""
        bot_user = self.create_user(name.lower().replace(" ", "-"), global_name=name, bot=True)
        owner = self.create_user(owner_name)
        app = Application(
            self.new_id(),
            name,
            token or secrets.token_urlsafe(32),
            bot_user,
            owner,
            privileged_intents=privileged_intents,
        )
        self.applications[app.id] = app
        return app

    def create_guild(
        self, name: str, *, owner_name: str = "owner", guild_id: int | None = None
    ) -> Guild:
        """A guild whose owner (a member with every permission) is a new user.

        Pass `guild_id` to choose the snowflake, e.g. to place a guild on a given shard.
        """
        owner = self.create_user(owner_name)
        guild = Guild(self, guild_id or self.new_id(), name, owner)
        self.guilds[guild.id] = guild
        return guild

    def kick_bot(self, guild: Guild, app: Application | None = None) -> None:
        """Remove a bot (the only one, unless `app` says which) from a guild (GUILD_DELETE)."""
        if app is None:
            bots = [a for a in self.applications.values() if a.bot_user.id in guild.members]
            if len(bots) != 1:
                raise ValueError("pass app= to say which bot to kick")
            app = bots[0]
        super().kick_bot(guild, app)

    # -- reading what happened

    def messages_in(self, channel: Channel, *, include_deleted: bool = False) -> list[Message]:
        """The channel's history, oldest first (ephemeral messages are not part of it)."""
        return [
            m
            for m in self.messages.values()
            if m.channel is channel and not m.ephemeral and (include_deleted or not m.deleted)
        ]

    def visible_to(self, person: Person) -> list[Message]:
        """Every message a person can see: channels they may view, their DMs, and the
        ephemeral replies to their own interactions."""
        user = _user(person)
        return [m for m in self.messages.values() if not m.deleted and self._sees(user, m)]

    def _sees(self, user: User, message: Message) -> bool:
        if message.ephemeral:
            return message.interaction is not None and message.interaction.user is user
        channel = message.channel
        if channel.is_dm:
            return user in channel.recipients
        guild = channel.guild
        member = guild.members.get(user.id) if guild else None
        if member is None:
            return False
        needed = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY
        return member.permissions_in(channel) & needed == needed

    def dms_of(self, person: Person) -> list[Message]:
        """Every DM message sent to or by a person."""
        user = _user(person)
        return [
            m for m in self.messages.values() if m.channel.is_dm and user in m.channel.recipients
        ]

    def requests_to(self, method: str, route: str) -> list[RecordedRequest]:
        """Recorded requests of one route, e.g. ("POST", "/channels/{channel_id}/messages")."""
        return [r for r in self.requests if r.method == method and r.route == route]

    def clear_records(self) -> None:
        """Forget recorded requests and gateway frames (not problems), e.g. between benchmark
        rounds: records are kept in full, so long runs grow without this."""
        self.requests.clear()
        self.gateway_frames.clear()
        for session in self.gateway.sessions.values():
            session.frames.clear()

    def problems(self, *, unhandled: bool = True, invalid: bool = True) -> list[str]:
        """Unhandled requests and OpenAPI mismatches as text; empty when all is well."""
        found = [f"unhandled request {r}" for r in self.unhandled_requests] if unhandled else []
        if invalid:
            found += [f"OpenAPI mismatch: {issue}" for issue in self.validation_errors]
        return found

    # -- waiting (always with a deadline)

    def wait_for_message(
        self,
        *,
        channel: Channel | None = None,
        where: Callable[[Message], bool] | None = None,
        author: Person | Application | None = None,
        include_ephemeral: bool = False,
        timeout: float = 5.0,
    ) -> Coroutine[Any, Any, Message]:
        """The oldest message not yet returned by a wait, posted by a bot unless `author` says
        whom, in `channel` if given, for which `where` holds."""

        def matches(message: Message) -> bool:
            if message.id in self._claimed or message.deleted:
                return False
            if channel is not None and message.channel is not channel:
                return False
            if message.ephemeral and not include_ephemeral:
                return False
            if author is None:
                if not message.author.bot:
                    return False
            elif message.author is not _author(author):
                return False
            return where is None or where(message)

        place = f" in #{channel.name}" if channel is not None and channel.name else ""
        return self._claim(
            matches, f"a message{place}", lambda m: channel is None or m.channel is channel, timeout
        )

    def wait_for_dm(
        self,
        person: Person,
        *,
        where: Callable[[Message], bool] | None = None,
        timeout: float = 5.0,
    ) -> Coroutine[Any, Any, Message]:
        """The oldest DM to a person from someone else, not yet returned by a wait."""
        user = _user(person)

        def matches(message: Message) -> bool:
            return (
                message.id not in self._claimed
                and not message.deleted
                and message.channel.is_dm
                and user in message.channel.recipients
                and message.author is not user
                and (where is None or where(message))
            )

        def related(message: Message) -> bool:
            return message.channel.is_dm and user in message.channel.recipients

        return self._claim(matches, f"a DM to {user.username}", related, timeout)

    def _claim(
        self,
        matches: Callable[[Message], bool],
        what: str,
        related: Callable[[Message], bool],
        within: float,
    ) -> Coroutine[Any, Any, Message]:
        def check() -> Message | None:
            found = next((m for m in self.messages.values() if matches(m)), None)
            if found is not None:
                self._claimed.add(found.id)
            return found

        def seen() -> str:
            recent = [m for m in self.messages.values() if related(m)][-8:]
            if not recent:
                return "no messages there" + self._recent_failures()
            shown = [f"{m.author.username}: {m.content[:80]!r}" for m in recent]
            return "; ".join(shown) + self._recent_failures()

        return self.wait_until(check, within=within, what=what, seen=seen)

    def wait_for_thread(
        self,
        *,
        parent: Channel | None = None,
        where: Callable[[Channel], bool] | None = None,
        timeout: float = 5.0,
    ) -> Coroutine[Any, Any, Channel]:
        """The oldest thread (in `parent`) not yet returned by a wait."""

        def check() -> Channel | None:
            for channel in self.channels.values():
                if not channel.is_thread or channel.id in self._claimed:
                    continue
                if parent is not None and channel.parent_id != parent.id:
                    continue
                if where is None or where(channel):
                    self._claimed.add(channel.id)
                    return channel
            return None

        def seen() -> str:
            names = [c.name for c in self.channels.values() if c.is_thread]
            return f"threads {names}" + self._recent_failures()

        return self.wait_until(check, within=timeout, what="a thread", seen=seen)

    def wait_for_request(
        self,
        method: str,
        route: str,
        *,
        where: Callable[[RecordedRequest], bool] | None = None,
        timeout: float = 5.0,
    ) -> Coroutine[Any, Any, RecordedRequest]:
        """The first answered request of a route (e.g. "/channels/{channel_id}/messages")."""

        def check() -> RecordedRequest | None:
            for record in self.requests_to(method, route):
                if record.status and (where is None or where(record)):
                    return record
            return None

        def seen() -> str:
            return "; ".join(str(r) for r in self.requests[-8:]) or "no requests"

        return self.wait_until(check, within=timeout, what=f"{method} {route}", seen=seen)

    def wait_for_commands(
        self,
        app: Application,
        names: list[str],
        *,
        guild: Guild | None = None,
        timeout: float = 5.0,
    ) -> Coroutine[Any, Any, list[Json]]:
        """Wait until the app has synced commands with these names (globally or in `guild`)."""

        def check() -> list[Json] | None:
            synced = app.commands(guild)
            have = {c["name"] for c in synced}
            return synced if set(names) <= have else None

        return self.wait_until(
            check,
            within=timeout,
            what=f"commands {names}",
            seen=lambda: f"synced {app.command_names(guild)}",
        )

    def wait_until_connected(
        self, app: Application, *, shards: int = 1, timeout: float = 5.0
    ) -> Coroutine[Any, Any, None]:
        """Wait until `shards` gateway sessions of the app have live connections."""

        def check() -> bool | None:
            live = [s for s in self.gateway.sessions_of(app) if s.conn is not None]
            return True if len(live) >= shards else None

        def seen() -> str:
            sessions = self.gateway.sessions_of(app)
            live = sum(1 for s in sessions if s.conn is not None)
            return f"{len(sessions)} sessions, {live} connected"

        async def connected() -> None:
            await self.wait_until(
                check, within=timeout, what=f"{shards} gateway session(s)", seen=seen
            )

        return connected()

    def _recent_failures(self) -> str:
        failed = [r for r in self.requests[-20:] if r.status >= 400]
        if not failed:
            return ""
        detail = "; ".join(f"{r} {r.response}" for r in failed[-3:])
        return f" (recent failed requests: {detail})"

    # -- gateway faults

    async def drop_gateway(self, app: Application | None = None) -> int:
        """Cut the websocket(s) without a close frame; clients should RESUME. Returns the count."""
        dropped = self.gateway.drop(app)
        self.notify()
        return dropped

    def send_reconnect(self, app: Application | None = None) -> None:
        """Send opcode 7 RECONNECT; clients reconnect and RESUME."""
        self.gateway.send_reconnect(app)

    def invalidate_session(
        self, app: Application | None = None, *, resumable: bool = False
    ) -> None:
        """Send opcode 9 INVALID_SESSION; unless resumable, clients must IDENTIFY anew."""
        self.gateway.invalidate(app, resumable=resumable)


def _author(author: Person | Application) -> User:
    if isinstance(author, Application):
        return author.bot_user
    return _user(author)
