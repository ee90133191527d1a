"""The gateway websocket: sessions, sequence numbers, resume, shards, intents and dispatches.

A `Session` outlives its websocket: dispatches made while the client is disconnected are
kept with their sequence numbers and replayed when it RESUMEs, as Discord does.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from aiohttp import WSMsgType, web

from fakediscord import factories
from fakediscord.factories import Json
from fakediscord.models import (
    INTENT_DIRECT_MESSAGES,
    INTENT_GUILD_MEMBERS,
    INTENT_GUILD_MESSAGES,
    INTENT_GUILD_SCHEDULED_EVENTS,
    INTENT_GUILDS,
    INTENT_MESSAGE_CONTENT,
    PRIVILEGED_INTENTS,
    Application,
    Channel,
    Guild,
    Member,
    Message,
    Role,
    ScheduledEvent,
)

if TYPE_CHECKING:
    from fakediscord.driver import UserInteraction
    from fakediscord.state import World

log = logging.getLogger(__name__)

OP_DISPATCH, OP_HEARTBEAT, OP_IDENTIFY, OP_PRESENCE, OP_VOICE_STATE = 0, 1, 2, 3, 4
OP_RESUME, OP_RECONNECT, OP_REQUEST_MEMBERS, OP_INVALID_SESSION = 6, 7, 8, 9
OP_HELLO, OP_HEARTBEAT_ACK = 10, 11

HISTORY_LIMIT = 5000
# discord.py's keep-alive thread notes when it sent a heartbeat only after the event loop
# has sent it, and measures latency from that note when the ACK arrives. An emulator in
# the same process can answer before the thread gets the GIL back (up to one 5 ms switch
# interval), so the ACK is measured against the previous heartbeat and discord.py warns
# "Can't keep up, websocket is 41.3s behind". Discord's answer always takes a round trip.
HEARTBEAT_ACK_DELAY = 0.01


class NotConnectedError(RuntimeError):
    """No gateway session of the application could receive the event."""


@dataclass(eq=False)
class GatewayFrame:
    """One frame the emulator sent or received, kept for tests and debugging."""

    direction: str
    op: int
    event: str | None
    seq: int | None
    data: Any
    session_id: str | None


class Connection:
    """One websocket; frames go out in order through a queue drained by a writer task."""

    def __init__(self, ws: web.WebSocketResponse, request: web.Request) -> None:
        self.ws = ws
        self.request = request
        self.session: Session | None = None
        self._outbox: asyncio.Queue[str | None] = asyncio.Queue()
        self._writer = asyncio.create_task(self._write_loop())

    def push(self, frame: Json) -> None:
        self._outbox.put_nowait(json.dumps(frame))

    async def _write_loop(self) -> None:
        while True:
            frame = await self._outbox.get()
            if frame is None or self.ws.closed:
                return
            try:
                await self.ws.send_str(frame)
            except (ConnectionError, RuntimeError):
                return

    async def close(self, code: int, reason: str) -> None:
        """Flush what is queued, then close with a gateway close code."""
        self._outbox.put_nowait(None)
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer
        await self.ws.close(code=code, message=reason.encode())

    def abort(self) -> None:
        """Cut the TCP connection without a close frame, as a network failure would."""
        self._writer.cancel()
        transport = self.request.transport
        if transport is not None:
            transport.abort()

    async def finish(self) -> None:
        self._writer.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await self._writer


@dataclass(eq=False)
class Session:
    """An identified gateway session of one application's shard."""

    session_id: str
    app: Application
    shard_id: int
    shard_count: int
    intents: int
    seq: int = 0
    history: deque[tuple[int, Json]] = field(default_factory=lambda: deque(maxlen=HISTORY_LIMIT))
    conn: Connection | None = None
    frames: list[GatewayFrame] = field(default_factory=list)

    def handles(self, guild_id: int | None) -> bool:
        """Whether this shard receives the guild's events (DMs go to shard 0)."""
        if guild_id is None:
            return self.shard_id == 0
        return (guild_id >> 22) % self.shard_count == self.shard_id

    def dispatch(self, event: str, data: Json) -> int:
        self.seq += 1
        frame: Json = {"op": OP_DISPATCH, "t": event, "s": self.seq, "d": data}
        self.history.append((self.seq, frame))
        self.frames.append(GatewayFrame("out", OP_DISPATCH, event, self.seq, data, self.session_id))
        if self.conn is not None:
            self.conn.push(frame)
        return self.seq


class GatewayHub:
    """Accepts gateway connections and routes dispatches to the sessions that should get them."""

    def __init__(self, world: World) -> None:
        self.world = world
        self.sessions: dict[str, Session] = {}
        self.connections: set[Connection] = set()

    # -- websocket handling

    async def handle(self, request: web.Request) -> web.WebSocketResponse:
        ws = web.WebSocketResponse(max_msg_size=0)
        await ws.prepare(request)
        conn = Connection(ws, request)
        # `compress` is ignored: frames always go out as plain JSON text, which
        # discord.py reads whatever it asked for.
        if request.query.get("v", "10") != "10":
            await conn.close(4012, "Invalid API version.")
            return ws
        if request.query.get("encoding", "json") != "json":
            await conn.close(4002, "Only JSON encoding is emulated.")
            return ws
        self.connections.add(conn)
        self._send_op(conn, factories.gateway_hello(int(self.world.heartbeat_interval * 1000)))
        try:
            async for msg in ws:
                if msg.type != WSMsgType.TEXT:
                    if msg.type == WSMsgType.BINARY:
                        await conn.close(4002, "Decode error.")
                    break
                try:
                    payload = json.loads(msg.data)
                except ValueError:
                    await conn.close(4002, "Decode error.")
                    break
                if not await self._receive(conn, payload):
                    break
        finally:
            self.connections.discard(conn)
            if conn.session is not None and conn.session.conn is conn:
                conn.session.conn = None
            await conn.finish()
            self.world.notify()
        return ws

    async def _receive(self, conn: Connection, payload: Any) -> bool:
        if not isinstance(payload, dict) or not isinstance(payload.get("op"), int):
            await conn.close(4002, "Decode error.")
            return False
        op, data = payload["op"], payload.get("d")
        session_id = conn.session.session_id if conn.session else None
        frame = GatewayFrame("in", op, None, None, data, session_id)
        self.world.gateway_frames.append(frame)
        if conn.session is not None:
            conn.session.frames.append(frame)
        self.world.notify()
        if op == OP_HEARTBEAT:
            asyncio.get_running_loop().call_later(HEARTBEAT_ACK_DELAY, self._acknowledge, conn)
            return True
        if op == OP_IDENTIFY:
            return await self._identify(conn, data)
        if op == OP_RESUME:
            return await self._resume(conn, data)
        if conn.session is None:
            await conn.close(4003, "Not authenticated.")
            return False
        if op == OP_VOICE_STATE:
            self._bot_voice_state(conn.session, data)
        elif op == OP_REQUEST_MEMBERS:
            self._member_chunks(conn.session, data)
        elif op != OP_PRESENCE:
            await conn.close(4001, "Unknown opcode.")
            return False
        return True

    async def _identify(self, conn: Connection, data: Any) -> bool:
        if conn.session is not None:
            await conn.close(4005, "Already authenticated.")
            return False
        if not isinstance(data, dict):
            await conn.close(4002, "Decode error.")
            return False
        app = self.world.application_by_token(str(data.get("token", "")))
        if app is None:
            await conn.close(4004, "Authentication failed.")
            return False
        shard_id, shard_count = data.get("shard") or (0, 1)
        if not 0 <= shard_id < shard_count:
            await conn.close(4010, "Invalid shard.")
            return False
        intents = data.get("intents")
        if not isinstance(intents, int):
            await conn.close(4013, "Invalid intent(s).")
            return False
        if intents & PRIVILEGED_INTENTS & ~app.privileged_intents:
            await conn.close(4014, "Disallowed intent(s).")
            return False
        session = Session(secrets.token_hex(16), app, shard_id, shard_count, intents)
        self.sessions[session.session_id] = session
        session.conn = conn
        conn.session = session
        guilds = [g for g in self.world.guilds.values() if self._bot_in(g, app)]
        guilds = [g for g in guilds if session.handles(g.id)]
        session.dispatch(
            "READY",
            factories.ready(
                user_payload=app.bot_user.payload(),
                application_id=app.id,
                application_flags=app.flags,
                guild_ids=[g.id for g in guilds],
                session_id=session.session_id,
                resume_gateway_url=self.world.gateway_url,
                shard=(shard_id, shard_count),
            ),
        )
        for guild in guilds:
            session.dispatch("GUILD_CREATE", guild.create_payload(app, session.intents))
        self.world.notify()
        return True

    async def _resume(self, conn: Connection, data: Any) -> bool:
        if not isinstance(data, dict):
            await conn.close(4002, "Decode error.")
            return False
        session = self.sessions.get(str(data.get("session_id")))
        last_seq = data.get("seq") or 0
        oldest = session.history[0][0] if session and session.history else 1
        if (
            session is None
            or session.app.token != data.get("token")
            or (last_seq + 1 < oldest and session.history)
        ):
            self._send_op(conn, {"op": OP_INVALID_SESSION, "d": False, "s": None, "t": None})
            return True
        if session.conn is not None and session.conn is not conn:
            session.conn.abort()
        session.conn = conn
        conn.session = session
        for seq, frame in session.history:
            if seq > last_seq:
                conn.push(frame)
        session.dispatch("RESUMED", {"_trace": ["fakediscord"]})
        self.world.resumes += 1
        self.world.notify()
        return True

    def _acknowledge(self, conn: Connection) -> None:
        if conn in self.connections:
            self._send_op(conn, {"op": OP_HEARTBEAT_ACK, "d": None, "s": None, "t": None})
            self.world.notify()

    def _send_op(self, conn: Connection, frame: Json) -> None:
        """Send a non-dispatch opcode (HELLO, ACK, RECONNECT, INVALID_SESSION), recorded."""
        session_id = conn.session.session_id if conn.session else None
        self.world.gateway_frames.append(
            GatewayFrame("out", frame["op"], None, None, frame["d"], session_id)
        )
        conn.push(frame)

    def _bot_voice_state(self, session: Session, data: Any) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        member = guild.members.get(session.app.bot_user.id)
        if member is None:
            return
        channel_id = data.get("channel_id")
        channel = guild.channels.get(int(channel_id)) if channel_id else None
        guild.set_voice_state(member, channel, self_mute=bool(data.get("self_mute")))

    def _member_chunks(self, session: Session, data: Any) -> None:
        guild = self.world.guilds.get(int(data.get("guild_id", 0)))
        if guild is None:
            return
        query = str(data.get("query") or "").lower()
        wanted = {int(u) for u in data.get("user_ids") or []}
        members = [
            m
            for m in guild.members.values()
            if (not wanted or m.id in wanted) and m.name.lower().startswith(query)
        ]
        limit = data.get("limit") or len(members)
        chunk: Json = {
            "guild_id": str(guild.id),
            "members": [m.payload() for m in members[:limit]],
            "chunk_index": 0,
            "chunk_count": 1,
        }
        if data.get("nonce"):
            chunk["nonce"] = data["nonce"]
        session.dispatch("GUILD_MEMBERS_CHUNK", chunk)

    # -- fault controls

    def sessions_of(self, app: Application | None = None) -> list[Session]:
        return [s for s in self.sessions.values() if app is None or s.app is app]

    def drop(self, app: Application | None = None) -> int:
        """Cut every live websocket (of one app); the sessions stay resumable."""
        dropped = 0
        for session in self.sessions_of(app):
            if session.conn is not None:
                session.conn.abort()
                session.conn = None
                dropped += 1
        return dropped

    def send_reconnect(self, app: Application | None = None) -> None:
        """Ask clients to reconnect and resume (opcode 7)."""
        for session in self.sessions_of(app):
            if session.conn is not None:
                self._send_op(session.conn, {"op": OP_RECONNECT, "d": None, "s": None, "t": None})

    def invalidate(self, app: Application | None = None, *, resumable: bool = False) -> None:
        """Send opcode 9; unless resumable, the session is forgotten and must IDENTIFY again."""
        for session in self.sessions_of(app):
            if session.conn is not None:
                frame = {"op": OP_INVALID_SESSION, "d": resumable, "s": None, "t": None}
                self._send_op(session.conn, frame)
            if not resumable:
                del self.sessions[session.session_id]

    async def close_all(self) -> None:
        for conn in list(self.connections):
            with contextlib.suppress(ConnectionError, RuntimeError):
                await conn.close(1001, "Emulator stopping.")

    # -- routing

    @staticmethod
    def _bot_in(guild: Guild, app: Application) -> bool:
        return app.bot_user.id in guild.members

    def _guild_sessions(self, guild: Guild) -> Iterable[Session]:
        for session in list(self.sessions.values()):
            if self._bot_in(guild, session.app) and session.handles(guild.id):
                yield session

    def guild_event(
        self,
        guild: Guild,
        event: str,
        data: Json,
        *,
        intent: int,
        only: Callable[[Session], bool] | None = None,
    ) -> None:
        """Send a guild event to every session of a bot in the guild that subscribed to it."""
        for session in self._guild_sessions(guild):
            if intent and not session.intents & intent:
                continue
            if only is not None and not only(session):
                continue
            session.dispatch(event, data)

    def role_event(self, guild: Guild, event: str, role: Role) -> None:
        data = {"guild_id": str(guild.id), "role": role.payload()}
        self.guild_event(guild, event, data, intent=INTENT_GUILDS)

    def channel_event(self, guild: Guild, event: str, channel: Channel) -> None:
        if channel.is_thread:
            self.guild_event(
                guild,
                event,
                channel.payload(),
                intent=INTENT_GUILDS,
                only=lambda s: self._bot_sees(guild, s.app, channel),
            )
        else:
            self.guild_event(guild, event, channel.payload(), intent=INTENT_GUILDS)

    def thread_created(self, thread: Channel) -> None:
        guild = thread.guild
        assert guild is not None
        for session in self._guild_sessions(guild):
            if session.intents & INTENT_GUILDS and self._bot_sees(guild, session.app, thread):
                payload = thread.payload(for_user_id=session.app.bot_user.id)
                payload["newly_created"] = True
                session.dispatch("THREAD_CREATE", payload)

    def thread_members_update(
        self, thread: Channel, *, added: list[int], removed: list[int]
    ) -> None:
        guild = thread.guild
        assert guild is not None
        for session in self._guild_sessions(guild):
            bot_id = session.app.bot_user.id
            concerns_bot = bot_id in added or bot_id in removed
            if not session.intents & INTENT_GUILDS:
                continue
            if not (session.intents & INTENT_GUILD_MEMBERS or concerns_bot):
                continue
            if bot_id in added and thread.type == 12:
                session.dispatch("THREAD_CREATE", thread.payload(for_user_id=bot_id))
            data: Json = {
                "id": str(thread.id),
                "guild_id": str(guild.id),
                "member_count": min(len(thread.thread_members), 50),
            }
            if added:
                data["added_members"] = [
                    {**thread.thread_member_payload(u, with_member=True), "presence": None}
                    for u in added
                    if u in thread.thread_members
                ]
            if removed:
                data["removed_member_ids"] = [str(u) for u in removed]
            session.dispatch("THREAD_MEMBERS_UPDATE", data)

    def _bot_sees(self, guild: Guild, app: Application, channel: Channel) -> bool:
        bot = guild.members.get(app.bot_user.id)
        return bot is not None and bot.can_see(channel)

    def member_update(self, guild: Guild, member: Member) -> None:
        """GUILD_MEMBER_UPDATE: always to the bot about itself, otherwise needs GUILD_MEMBERS."""
        data = {**member.payload(), "guild_id": str(guild.id)}
        for session in self._guild_sessions(guild):
            if session.intents & INTENT_GUILD_MEMBERS or member.id == session.app.bot_user.id:
                session.dispatch("GUILD_MEMBER_UPDATE", data)

    def guild_joined(self, guild: Guild, app: Application) -> None:
        for session in self.sessions_of(app):
            if session.handles(guild.id) and session.intents & INTENT_GUILDS:
                session.dispatch("GUILD_CREATE", guild.create_payload(app, session.intents))

    def guild_left(self, guild: Guild, app: Application) -> None:
        for session in self.sessions_of(app):
            if session.handles(guild.id) and session.intents & INTENT_GUILDS:
                session.dispatch("GUILD_DELETE", {"id": str(guild.id)})

    def event_changed(self, guild: Guild, event: str, scheduled: ScheduledEvent) -> None:
        self.guild_event(guild, event, scheduled.payload(), intent=INTENT_GUILD_SCHEDULED_EVENTS)

    def event_user(self, guild: Guild, event: str, scheduled: ScheduledEvent, user_id: int) -> None:
        data = factories.scheduled_event_user_change(scheduled.id, user_id, guild.id)
        self.guild_event(guild, event, data, intent=INTENT_GUILD_SCHEDULED_EVENTS)

    def message_event(self, event: str, message: Message) -> None:
        """MESSAGE_CREATE / MESSAGE_UPDATE to whoever may see it, honouring MESSAGE_CONTENT."""
        if message.ephemeral:
            return
        payload = message.payload()
        for session in self._message_sessions(message):
            data = payload
            if not self._gets_content(session, message):
                data = {
                    **payload,
                    "content": "",
                    "embeds": [],
                    "attachments": [],
                    "components": [],
                }
            session.dispatch(event, data)

    def message_deleted(self, message: Message) -> None:
        if message.ephemeral:
            return
        guild = message.guild
        data = factories.message_delete(message.id, message.channel.id, guild.id if guild else None)
        for session in self._message_sessions(message):
            session.dispatch("MESSAGE_DELETE", data)

    def _message_sessions(self, message: Message) -> Iterable[Session]:
        guild = message.guild
        if guild is None:
            recipients = {u.id for u in message.channel.recipients}
            for session in list(self.sessions.values()):
                if (
                    session.app.bot_user.id in recipients
                    and session.handles(None)
                    and session.intents & INTENT_DIRECT_MESSAGES
                ):
                    yield session
            return
        for session in self._guild_sessions(guild):
            if session.intents & INTENT_GUILD_MESSAGES and self._bot_sees(
                guild, session.app, message.channel
            ):
                yield session

    @staticmethod
    def _gets_content(session: Session, message: Message) -> bool:
        bot_id = session.app.bot_user.id
        return (
            bool(session.intents & INTENT_MESSAGE_CONTENT)
            or message.guild is None
            or message.author.id == bot_id
            or any(u.id == bot_id for u in message.mentions)
        )

    def interaction_create(self, interaction: UserInteraction) -> None:
        """INTERACTION_CREATE to every session of the app's shard for the guild.

        Like Discord, two processes running the same bot both get the interaction, and
        the slower one's answer is refused with 40060.
        """
        guild_id = interaction.guild.id if interaction.guild else None
        candidates = [s for s in self.sessions_of(interaction.app) if s.handles(guild_id)]
        if not candidates:
            raise NotConnectedError(
                f"{interaction.app.name!r} has no gateway session for the shard of guild "
                f"{guild_id}; start the client (and wait until it is ready) before acting"
            )
        live = [s for s in candidates if s.conn is not None]
        # With no live connection the event waits in the newest session for its RESUME.
        for session in live or candidates[-1:]:
            session.dispatch("INTERACTION_CREATE", interaction.payload)
