"""The emulator's state: users, applications, guilds, roles, channels, members and messages.

Guild methods change state the way a person using Discord's client would (or an admin
setting up a server), and announce the change over the gateway like Discord does.
"""

from __future__ import annotations

import secrets
import struct
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from fakediscord import factories
from fakediscord.driver import Person
from fakediscord.factories import Json
from fakediscord.permissions import (
    ALL_PERMISSIONS,
    DEFAULT_EVERYONE,
    Permission,
    base_permissions,
    channel_permissions,
)

if TYPE_CHECKING:
    from fakediscord.driver import UserInteraction
    from fakediscord.state import World

# Gateway intents that decide who hears what.
INTENT_GUILDS = 1 << 0
INTENT_GUILD_MEMBERS = 1 << 1
INTENT_GUILD_VOICE_STATES = 1 << 7
INTENT_GUILD_MESSAGES = 1 << 9
INTENT_DIRECT_MESSAGES = 1 << 12
INTENT_MESSAGE_CONTENT = 1 << 15
INTENT_GUILD_SCHEDULED_EVENTS = 1 << 16
INTENT_GUILD_PRESENCES = 1 << 8
PRIVILEGED_INTENTS = INTENT_GUILD_MEMBERS | INTENT_GUILD_PRESENCES | INTENT_MESSAGE_CONTENT

EPHEMERAL = 1 << 6
LOADING = 1 << 7

TEXT, DM, VOICE, CATEGORY, ANNOUNCEMENT = 0, 1, 2, 4, 5
PUBLIC_THREAD, PRIVATE_THREAD, STAGE, FORUM = 11, 12, 13, 15
THREAD_TYPES = (10, PUBLIC_THREAD, PRIVATE_THREAD)


def real_now() -> datetime:
    """The real time: the world's default clock, and when things are created and joined
    (snowflake ids, which discord.py reads creation times from, keep the real time too)."""
    return datetime.now(UTC)


@dataclass(eq=False)
class User:
    """A Discord account: a person or a bot. `accepts_dms=False` makes DMs to it fail (50007)."""

    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    accepts_dms: bool = True

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def payload(self) -> Json:
        return factories.user(self.id, self.username, global_name=self.global_name, bot=self.bot)


@dataclass(eq=False)
class Application:
    """A bot application: its token, its bot user, and the commands it has synced."""

    id: int
    name: str
    token: str
    bot_user: User
    owner: User
    privileged_intents: int = 0
    flags: int = 0
    global_commands: dict[int, Json] = field(default_factory=dict)
    guild_commands: dict[int, dict[int, Json]] = field(default_factory=dict)
    command_version: int = 0

    def payload(self) -> Json:
        return factories.application(
            self.id, self.name, self.bot_user.payload(), self.owner.payload(), flags=self.flags
        )

    def commands(self, guild: Guild | None = None) -> list[Json]:
        """The synced commands: global ones, or those of one guild."""
        if guild is None:
            return list(self.global_commands.values())
        return list(self.guild_commands.get(guild.id, {}).values())

    def command_names(self, guild: Guild | None = None) -> list[str]:
        """Names of the synced commands (global, or of one guild)."""
        return [c["name"] for c in self.commands(guild)]

    def find_command(self, name: str, guild: Guild | None, command_type: int = 1) -> Json | None:
        """The command a user in `guild` would see under `name` (guild commands win)."""
        pools = [self.guild_commands.get(guild.id, {})] if guild is not None else []
        pools.append(self.global_commands)
        for pool in pools:
            for command in pool.values():
                if command["name"] == name and command["type"] == command_type:
                    return command
        return None


@dataclass(eq=False)
class Role:
    """A guild role. The @everyone role has the guild's id."""

    id: int
    guild: Guild
    name: str
    permissions: int
    position: int
    color: int = 0
    hoist: bool = False
    mentionable: bool = False
    managed: bool = False
    bot_id: int | None = None

    @property
    def mention(self) -> str:
        return "@everyone" if self.id == self.guild.id else f"<@&{self.id}>"

    def payload(self) -> Json:
        return factories.role(
            self.id,
            self.name,
            permissions=self.permissions,
            position=self.position,
            color=self.color,
            hoist=self.hoist,
            managed=self.managed,
            mentionable=self.mentionable,
            bot_id=self.bot_id,
        )


@dataclass
class Overwrite:
    """A channel permission overwrite for a role (type 0) or a member (type 1)."""

    id: int
    type: int
    allow: int = 0
    deny: int = 0

    def payload(self) -> Json:
        return factories.overwrite(self.id, self.type, self.allow, self.deny)


def overwrite(target: Role | Member | User, *, allow: int = 0, deny: int = 0) -> Overwrite:
    """An overwrite for a role or a member: `overwrite(guild.everyone, deny=VIEW_CHANNEL)`."""
    target_type = 0 if isinstance(target, Role) else 1
    return Overwrite(target.id, target_type, int(allow), int(deny))


@dataclass(eq=False)
class Channel:
    """A guild channel, thread or DM channel."""

    id: int
    type: int
    name: str
    guild: Guild | None
    position: int = 0
    parent_id: int | None = None
    topic: str | None = None
    nsfw: bool = False
    overwrites: list[Overwrite] = field(default_factory=list)
    bitrate: int = 64000
    user_limit: int = 0
    rate_limit_per_user: int = 0
    last_message_id: int | None = None
    message_count: int = 0
    created_at: datetime = field(default_factory=real_now)
    owner_id: int | None = None
    archived: bool = False
    locked: bool = False
    invitable: bool = True
    auto_archive_duration: int = 1440
    thread_members: dict[int, datetime] = field(default_factory=dict)
    recipients: list[User] = field(default_factory=list)
    deleted: bool = False

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    @property
    def is_thread(self) -> bool:
        return self.type in THREAD_TYPES

    @property
    def is_dm(self) -> bool:
        return self.type == DM

    @property
    def parent(self) -> Channel | None:
        if self.guild is None or self.parent_id is None:
            return None
        return self.guild.channels.get(self.parent_id)

    def overwrite_for(self, target_id: int) -> Overwrite | None:
        """The overwrite for a role or member id, if any."""
        for ow in self.overwrites:
            if ow.id == target_id:
                return ow
        return None

    def payload(self, *, for_user_id: int | None = None) -> Json:
        """The channel as Discord shows it; a thread includes `for_user_id`'s membership."""
        if self.is_dm:
            return factories.dm_channel(
                self.id, [u.payload() for u in self.recipients], self.last_message_id
            )
        assert self.guild is not None
        if self.is_thread:
            assert self.parent_id is not None
            assert self.owner_id is not None
            own = None
            if for_user_id is not None and for_user_id in self.thread_members:
                own = self.thread_member_payload(for_user_id)
            return factories.thread(
                self.id,
                self.type,
                guild_id=self.guild.id,
                parent_id=self.parent_id,
                owner_id=self.owner_id,
                name=self.name,
                created_at=self.created_at,
                archived=self.archived,
                locked=self.locked,
                invitable=self.invitable,
                auto_archive_duration=self.auto_archive_duration,
                message_count=self.message_count,
                member_count=min(len(self.thread_members), 50),
                last_message_id=self.last_message_id,
                rate_limit_per_user=self.rate_limit_per_user,
                own_member=own,
            )
        return factories.guild_channel(
            self.id,
            self.type,
            guild_id=self.guild.id,
            name=self.name,
            position=self.position,
            overwrites=[ow.payload() for ow in self.overwrites],
            parent_id=self.parent_id,
            topic=self.topic,
            nsfw=self.nsfw,
            last_message_id=self.last_message_id,
            rate_limit_per_user=self.rate_limit_per_user,
            bitrate=self.bitrate,
            user_limit=self.user_limit,
        )

    def thread_member_payload(self, user_id: int, *, with_member: bool = False) -> Json:
        member_payload = None
        if with_member and self.guild is not None and user_id in self.guild.members:
            member_payload = self.guild.members[user_id].payload()
        return factories.thread_member(
            self.id, user_id, joined_at=self.thread_members[user_id], member_payload=member_payload
        )


@dataclass(eq=False)
class Attachment:
    """A file on a message; `data` holds the uploaded bytes."""

    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None
    ephemeral: bool = False

    @property
    def size(self) -> int:
        return len(self.data)

    def image_size(self) -> tuple[int, int] | None:
        """Width and height when the bytes are a PNG."""
        if self.data[:8] == b"\x89PNG\r\n\x1a\n" and len(self.data) >= 24:
            width, height = struct.unpack(">II", self.data[16:24])
            return int(width), int(height)
        return None

    def payload(self) -> Json:
        dims = self.image_size()
        return factories.attachment(
            self.id,
            self.filename,
            size=self.size,
            url=self.url,
            content_type=self.content_type,
            description=self.description,
            width=dims[0] if dims else None,
            height=dims[1] if dims else None,
            ephemeral=self.ephemeral,
        )


@dataclass(eq=False)
class Message:
    """A message in a channel, DM or thread, including ephemeral interaction replies."""

    id: int
    channel: Channel
    author: User
    content: str = ""
    embeds: list[Json] = field(default_factory=list)
    components: list[Json] = field(default_factory=list)
    attachments: list[Attachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    edited_at: datetime | None = None
    mentions: list[User] = field(default_factory=list)
    mention_roles: list[Role] = field(default_factory=list)
    mention_everyone: bool = False
    tts: bool = False
    nonce: str | int | None = None
    webhook_id: int | None = None
    application_id: int | None = None
    interaction: UserInteraction | None = None
    reference: Message | None = None
    thread: Channel | None = None
    pinned: bool = False
    deleted: bool = False

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is the 'thinking…' placeholder of a deferred interaction."""
        return bool(self.flags & LOADING)

    @property
    def custom_ids(self) -> list[str]:
        """custom_ids of every interactive component on the message."""
        return [c["custom_id"] for c in _walk(self.components) if "custom_id" in c]

    def component(self, custom_id: str) -> Json | None:
        """The component with this custom_id, searched through rows, sections and containers."""
        for component in _walk(self.components):
            if component.get("custom_id") == custom_id:
                return component
        return None

    def payload(self) -> Json:
        guild = self.guild
        member_payload = None
        if guild is not None and self.webhook_id is None and self.author.id in guild.members:
            member_payload = guild.members[self.author.id].payload()
        interaction = self.interaction
        metadata = legacy = None
        if interaction is not None:
            metadata = interaction.metadata_payload()
            if interaction.type == 2:
                legacy = factories.message_interaction(
                    interaction.id, interaction.command_name, interaction.user.payload()
                )
        reference = referenced = None
        if self.reference is not None:
            ref = self.reference
            reference = factories.message_reference(
                ref.id, ref.channel.id, ref.guild.id if ref.guild else None
            )
            referenced = None if ref.deleted else ref._payload_without_reference()
        return factories.message(
            self.id,
            self.channel.id,
            self.author.payload(),
            content=self.content,
            guild_id=guild.id if guild else None,
            member_payload=member_payload,
            message_type=self.type,
            embeds=[factories.embed(e) for e in self.embeds],
            component_list=factories.components(self.components),
            attachments=[a.payload() for a in self.attachments],
            mentions=[self._mention_payload(u) for u in self.mentions],
            mention_roles=[r.id for r in self.mention_roles],
            mention_everyone=self.mention_everyone,
            flags=self.flags,
            edited_at=self.edited_at,
            tts=self.tts,
            pinned=self.pinned,
            nonce=self.nonce,
            webhook_id=self.webhook_id,
            application_id=self.application_id,
            interaction_metadata=metadata,
            interaction=legacy,
            message_reference=reference,
            referenced_message=referenced,
            thread_payload=self.thread.payload() if self.thread is not None else None,
        )

    def _payload_without_reference(self) -> Json:
        payload = self.payload()
        payload.pop("referenced_message", None)
        return payload

    def _mention_payload(self, user: User) -> Json:
        payload = user.payload()
        guild = self.guild
        if guild is not None and user.id in guild.members:
            payload["member"] = {
                k: v for k, v in guild.members[user.id].payload().items() if k != "user"
            }
        return payload


def _walk(components: Iterable[Json]) -> Iterable[Json]:
    for component in components:
        yield component
        yield from _walk(component.get("components", []))
        for key in ("accessory", "component"):
            child = component.get(key)
            if isinstance(child, dict):
                yield from _walk([child])


@dataclass(eq=False)
class VoiceState:
    """Who is in which voice channel."""

    guild: Guild
    user_id: int
    channel_id: int | None
    session_id: str = field(default_factory=lambda: secrets.token_hex(16))
    self_mute: bool = False
    self_deaf: bool = False

    def payload(self) -> Json:
        member = self.guild.members.get(self.user_id)
        return factories.voice_state(
            self.guild.id,
            self.channel_id,
            self.user_id,
            self.session_id,
            member_payload=member.payload() if member else None,
            self_mute=self.self_mute,
            self_deaf=self.self_deaf,
        )


@dataclass(eq=False)
class ScheduledEvent:
    """A guild scheduled event and who is interested in it."""

    id: int
    guild: Guild
    name: str
    creator: User
    entity_type: int
    start: datetime
    end: datetime | None = None
    channel_id: int | None = None
    location: str | None = None
    description: str | None = None
    status: int = 1
    subscribers: dict[int, User] = field(default_factory=dict)

    def payload(self) -> Json:
        return factories.scheduled_event(
            self.id,
            self.guild.id,
            name=self.name,
            creator=self.creator.payload(),
            entity_type=self.entity_type,
            start=self.start,
            end=self.end,
            channel_id=self.channel_id,
            location=self.location,
            description=self.description,
            status=self.status,
            user_count=len(self.subscribers),
        )


class Member(Person):
    """A person (or bot) in a guild; also the handle tests use to act as that person."""

    def __init__(
        self,
        world: World,
        user: User,
        guild: Guild,
        *,
        roles: Iterable[Role] = (),
        nick: str | None = None,
    ) -> None:
        self._world = world
        self.user = user
        self.guild = guild
        self.roles: list[Role] = list(roles)
        self.nick = nick
        self.joined_at = real_now()
        self.communication_disabled_until: datetime | None = None
        self.mute = False
        self.deaf = False

    def __repr__(self) -> str:
        return f"<Member {self.name} id={self.id} guild={self.guild.name!r}>"

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def name(self) -> str:
        return self.user.username

    @property
    def mention(self) -> str:
        return self.user.mention

    @property
    def permissions(self) -> int:
        """Guild-wide permissions."""
        return base_permissions(self.guild, self)

    @property
    def timed_out(self) -> bool:
        """Whether a timeout is still running, by the world's clock."""
        until = self.communication_disabled_until
        return until is not None and until > self._world.clock()

    def permissions_in(self, channel: Channel) -> int:
        """Permissions in one channel, overwrites applied."""
        return channel_permissions(channel, self)

    def can_see(self, channel: Channel) -> bool:
        return bool(self.permissions_in(channel) & Permission.VIEW_CHANNEL)

    @property
    def top_position(self) -> int:
        """Position of the highest role; the owner outranks everyone."""
        if self.id == self.guild.owner_id:
            return 1 << 30
        return max((r.position for r in self.roles), default=0)

    def payload(self, *, permissions_in: Channel | None = None) -> Json:
        perms = None if permissions_in is None else self.permissions_in(permissions_in)
        return factories.member(
            self.user.payload(),
            roles=[r.id for r in self.roles],
            joined_at=self.joined_at,
            nick=self.nick,
            communication_disabled_until=self.communication_disabled_until,
            mute=self.mute,
            deaf=self.deaf,
            permissions=perms,
        )


class Guild:
    """A guild with its roles, channels and members. Changes are announced over the gateway."""

    def __init__(self, world: World, guild_id: int, name: str, owner: User) -> None:
        self._world = world
        self.id = guild_id
        self.name = name
        self.owner_id = owner.id
        self.roles: dict[int, Role] = {
            guild_id: Role(guild_id, self, "@everyone", DEFAULT_EVERYONE, 0)
        }
        self.channels: dict[int, Channel] = {}
        self.members: dict[int, Member] = {}
        self.voice_states: dict[int, VoiceState] = {}
        self.scheduled_events: dict[int, ScheduledEvent] = {}
        self.bot_joined_at: dict[int, datetime] = {}
        # What an owner sets under Server Settings > Integrations: top-level command
        # name -> members allowed it whatever its default member permissions say.
        self.command_allowed: dict[str, set[int]] = {}
        self.members[owner.id] = Member(world, owner, self)

    def __repr__(self) -> str:
        return f"<Guild {self.name!r} id={self.id}>"

    @property
    def everyone(self) -> Role:
        return self.roles[self.id]

    def allow_command(self, name: str, member: Member) -> None:
        """As an owner does under Integrations: `member` may use /name (and its
        subcommands) even without the permissions it asks for by default."""
        self.command_allowed.setdefault(name, set()).add(member.id)

    @property
    def owner(self) -> Member:
        return self.members[self.owner_id]

    @property
    def text_channels(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.type == TEXT]

    @property
    def threads(self) -> list[Channel]:
        return [c for c in self.channels.values() if c.is_thread]

    def member(self, user: User | Member | int) -> Member | None:
        """The member for a user or id, if they are in this guild."""
        user_id = user if isinstance(user, int) else user.id
        return self.members.get(user_id)

    def channel_named(self, name: str) -> Channel:
        """The channel (or thread) with this name; raises KeyError if there is none."""
        for channel in self.channels.values():
            if channel.name == name:
                return channel
        raise KeyError(f"no channel named {name!r} in {self.name!r}")

    def role_named(self, name: str) -> Role:
        """The role with this name; raises KeyError if there is none."""
        for role in self.roles.values():
            if role.name == name:
                return role
        raise KeyError(f"no role named {name!r} in {self.name!r}")

    # -- payloads

    def payload(self) -> Json:
        roles = sorted(self.roles.values(), key=lambda r: r.position)
        return factories.guild(
            self.id, self.name, owner_id=self.owner_id, roles=[r.payload() for r in roles]
        )

    def create_payload(self, app: Application, intents: int) -> Json:
        """GUILD_CREATE as `app`'s bot sees it. Like Discord, the member list is complete only
        with the GUILD_PRESENCES intent; otherwise it holds the bot and people in voice."""
        bot = self.members[app.bot_user.id]
        if intents & INTENT_GUILD_PRESENCES:
            listed = list(self.members.values())
        else:
            in_voice = {v.user_id for v in self.voice_states.values() if v.channel_id}
            listed = [m for m in self.members.values() if m is bot or m.id in in_voice]
        members = [m.payload() for m in listed]
        visible_threads = [
            t.payload(for_user_id=bot.id) for t in self.threads if bot.can_see(t) and not t.archived
        ]
        return factories.guild_create(
            self.payload(),
            joined_at=self.bot_joined_at.get(app.id, bot.joined_at),
            member_count=len(self.members),
            members=members,
            channels=[c.payload() for c in self.channels.values() if not c.is_thread],
            threads=visible_threads,
            voice_states=[v.payload() for v in self.voice_states.values() if v.channel_id],
            scheduled_events=[e.payload() for e in self.scheduled_events.values()],
        )

    # -- roles

    def create_role(
        self,
        name: str,
        permissions: int = 0,
        *,
        color: int = 0,
        hoist: bool = False,
        mentionable: bool = False,
    ) -> Role:
        """Create a role at the bottom, just above @everyone, as Discord does (GUILD_ROLE_CREATE).

        Move it with `edit_role(role, position=...)`.
        """
        for existing in self.roles.values():
            if existing.position >= 1:
                existing.position += 1
        role = Role(
            self._world.new_id(),
            self,
            name,
            int(permissions),
            1,
            color=color,
            hoist=hoist,
            mentionable=mentionable,
        )
        self.roles[role.id] = role
        self._world.gateway.role_event(self, "GUILD_ROLE_CREATE", role)
        return role

    def edit_role(self, role: Role, **changes: Any) -> Role:
        """Change a role's name, permissions, color, hoist or mentionable (GUILD_ROLE_UPDATE)."""
        for key, value in changes.items():
            if key not in {"name", "permissions", "color", "hoist", "mentionable", "position"}:
                raise TypeError(f"cannot edit role field {key!r}")
            setattr(role, key, int(value) if key == "permissions" else value)
        self._world.gateway.role_event(self, "GUILD_ROLE_UPDATE", role)
        self._world.notify()
        return role

    def delete_role(self, role: Role) -> None:
        """Delete a role; members lose it and overwrites for it vanish (GUILD_ROLE_DELETE)."""
        if role.id == self.id:
            raise ValueError("the @everyone role cannot be deleted")
        del self.roles[role.id]
        for member in self.members.values():
            if role in member.roles:
                member.roles.remove(role)
        for channel in self.channels.values():
            channel.overwrites = [ow for ow in channel.overwrites if ow.id != role.id]
        self._world.gateway.guild_event(
            self,
            "GUILD_ROLE_DELETE",
            {"guild_id": str(self.id), "role_id": str(role.id)},
            intent=INTENT_GUILDS,
        )
        self._world.notify()

    def give_role(self, member: Member, role: Role) -> None:
        """Add a role to a member (GUILD_MEMBER_UPDATE)."""
        if role not in member.roles:
            member.roles.append(role)
            self._world.gateway.member_update(self, member)
            self._world.notify()

    def take_role(self, member: Member, role: Role) -> None:
        """Remove a role from a member (GUILD_MEMBER_UPDATE)."""
        if role in member.roles:
            member.roles.remove(role)
            self._world.gateway.member_update(self, member)
            self._world.notify()

    # -- channels

    def create_text_channel(
        self,
        name: str,
        *,
        overwrites: Sequence[Overwrite] = (),
        category: Channel | None = None,
        topic: str | None = None,
    ) -> Channel:
        """Create a text channel (CHANNEL_CREATE)."""
        return self.create_channel(
            name, TEXT, overwrites=overwrites, category=category, topic=topic
        )

    def create_voice_channel(
        self,
        name: str,
        *,
        overwrites: Sequence[Overwrite] = (),
        category: Channel | None = None,
    ) -> Channel:
        """Create a voice channel (CHANNEL_CREATE)."""
        return self.create_channel(name, VOICE, overwrites=overwrites, category=category)

    def create_category(self, name: str, *, overwrites: Sequence[Overwrite] = ()) -> Channel:
        """Create a category (CHANNEL_CREATE)."""
        return self.create_channel(name, CATEGORY, overwrites=overwrites)

    def create_channel(
        self,
        name: str,
        channel_type: int,
        *,
        overwrites: Sequence[Overwrite] = (),
        category: Channel | None = None,
        topic: str | None = None,
        position: int | None = None,
    ) -> Channel:
        """Create a guild channel of any non-thread type (CHANNEL_CREATE)."""
        if position is None:
            position = sum(1 for c in self.channels.values() if not c.is_thread)
        channel = Channel(
            self._world.new_id(),
            channel_type,
            name,
            self,
            position=position,
            parent_id=category.id if category else None,
            topic=topic,
            overwrites=list(overwrites),
        )
        self.channels[channel.id] = channel
        self._world.channels[channel.id] = channel
        self._world.gateway.channel_event(self, "CHANNEL_CREATE", channel)
        self._world.notify()
        return channel

    def edit_channel(self, channel: Channel, **changes: Any) -> Channel:
        """Change a channel's name, topic, position, category or overwrites (CHANNEL_UPDATE)."""
        allowed = {"name", "topic", "position", "parent_id", "overwrites", "nsfw", "user_limit"}
        allowed |= {"archived", "locked", "invitable", "rate_limit_per_user"}
        for key, value in changes.items():
            if key not in allowed:
                raise TypeError(f"cannot edit channel field {key!r}")
            setattr(channel, key, value)
        event = "THREAD_UPDATE" if channel.is_thread else "CHANNEL_UPDATE"
        self._world.gateway.channel_event(self, event, channel)
        self._world.notify()
        return channel

    def set_overwrite(
        self, channel: Channel, target: Role | Member, *, allow: int = 0, deny: int = 0
    ) -> None:
        """Set (or replace) the overwrite for a role or member on a channel (CHANNEL_UPDATE)."""
        channel.overwrites = [ow for ow in channel.overwrites if ow.id != target.id]
        channel.overwrites.append(overwrite(target, allow=allow, deny=deny))
        self._world.gateway.channel_event(self, "CHANNEL_UPDATE", channel)
        self._world.notify()

    def delete_channel(self, channel: Channel) -> None:
        """Delete a channel and its threads (CHANNEL_DELETE / THREAD_DELETE).

        The scheduled events of a voice or stage channel go with it, silently: Discord
        sends no GUILD_SCHEDULED_EVENT_DELETE for them (discord/discord-api-docs#4581),
        and discord.py drops them from its cache on CHANNEL_DELETE and dispatches
        `scheduled_event_delete` itself.
        """
        for thread in [t for t in self.threads if t.parent_id == channel.id]:
            self._remove_channel(thread)
        self._remove_channel(channel)
        if channel.type in (VOICE, STAGE):
            for event in [e for e in self.scheduled_events.values() if e.channel_id == channel.id]:
                del self.scheduled_events[event.id]
        self._world.notify()

    def _remove_channel(self, channel: Channel) -> None:
        channel.deleted = True
        self.channels.pop(channel.id, None)
        self._world.channels.pop(channel.id, None)
        if channel.is_thread:
            assert channel.parent_id is not None
            data = {
                "id": str(channel.id),
                "guild_id": str(self.id),
                "parent_id": str(channel.parent_id),
                "type": channel.type,
            }
            self._world.gateway.guild_event(self, "THREAD_DELETE", data, intent=INTENT_GUILDS)
        else:
            self._world.gateway.channel_event(self, "CHANNEL_DELETE", channel)

    # -- threads

    def create_thread(
        self,
        parent: Channel,
        name: str,
        *,
        owner: Member,
        private: bool = False,
        from_message: Message | None = None,
        invitable: bool = True,
        auto_archive_duration: int = 1440,
    ) -> Channel:
        """Start a thread in a channel; one started from a message shares its id (THREAD_CREATE)."""
        if from_message is not None and from_message.thread is not None:
            raise ValueError("that message already has a thread")
        thread = Channel(
            from_message.id if from_message is not None else self._world.new_id(),
            PRIVATE_THREAD if private else PUBLIC_THREAD,
            name,
            self,
            parent_id=parent.id,
            owner_id=owner.id,
            invitable=invitable,
            auto_archive_duration=auto_archive_duration,
        )
        thread.thread_members[owner.id] = real_now()
        self.channels[thread.id] = thread
        self._world.channels[thread.id] = thread
        if from_message is not None:
            from_message.thread = thread
        self._world.gateway.thread_created(thread)
        self._world.notify()
        return thread

    def add_thread_member(self, thread: Channel, user: User | Member) -> None:
        """Add someone to a thread (THREAD_MEMBERS_UPDATE)."""
        if user.id not in thread.thread_members:
            thread.thread_members[user.id] = real_now()
            self._world.gateway.thread_members_update(thread, added=[user.id], removed=[])
            self._world.notify()

    def remove_thread_member(self, thread: Channel, user: User | Member) -> None:
        """Remove someone from a thread (THREAD_MEMBERS_UPDATE)."""
        if thread.thread_members.pop(user.id, None) is not None:
            self._world.gateway.thread_members_update(thread, added=[], removed=[user.id])
            self._world.notify()

    # -- members

    def add_member(
        self,
        name: str,
        *,
        roles: Sequence[Role] = (),
        nick: str | None = None,
        global_name: str | None = None,
        user: User | None = None,
    ) -> Member:
        """A person joins (GUILD_MEMBER_ADD). Pass `user` to add someone who exists already."""
        if user is None:
            user = self._world.create_user(name, global_name=global_name)
        member = Member(self._world, user, self, roles=roles, nick=nick)
        self.members[user.id] = member
        payload = {**member.payload(), "guild_id": str(self.id)}
        self._world.gateway.guild_event(
            self, "GUILD_MEMBER_ADD", payload, intent=INTENT_GUILD_MEMBERS
        )
        self._world.notify()
        return member

    def remove_member(self, member: Member) -> None:
        """A person leaves or is kicked (GUILD_MEMBER_REMOVE); their voice state ends."""
        if member.id == self.owner_id:
            raise ValueError("the owner cannot leave their guild")
        if member.user.bot:
            app = self._world.application_for_bot(member.user)
            if app is not None:
                self._world.kick_bot(self, app)
                return
        if member.id in self.voice_states:
            self.set_voice_state(member, None)
        for thread in self.threads:
            thread.thread_members.pop(member.id, None)
        del self.members[member.id]
        payload = {"guild_id": str(self.id), "user": member.user.payload()}
        self._world.gateway.guild_event(
            self, "GUILD_MEMBER_REMOVE", payload, intent=INTENT_GUILD_MEMBERS
        )
        self._world.notify()

    def add_bot(
        self, app: Application, permissions: int = ALL_PERMISSIONS & ~Permission.ADMINISTRATOR
    ) -> Member:
        """Invite an application's bot with a managed role holding `permissions` (GUILD_CREATE)."""
        position = max(r.position for r in self.roles.values()) + 1
        role = Role(
            self._world.new_id(),
            self,
            app.name,
            int(permissions),
            position,
            managed=True,
            bot_id=app.bot_user.id,
        )
        self.roles[role.id] = role
        self._world.gateway.role_event(self, "GUILD_ROLE_CREATE", role)
        member = Member(self._world, app.bot_user, self, roles=[role])
        self.members[app.bot_user.id] = member
        self.bot_joined_at[app.id] = member.joined_at
        self._world.gateway.guild_event(
            self,
            "GUILD_MEMBER_ADD",
            {**member.payload(), "guild_id": str(self.id)},
            intent=INTENT_GUILD_MEMBERS,
        )
        self._world.gateway.guild_joined(self, app)
        self._world.notify()
        return member

    def set_voice_state(
        self, member: Member, channel: Channel | None, *, self_mute: bool = False
    ) -> VoiceState:
        """Put a member in a voice channel, or out of voice with None (VOICE_STATE_UPDATE)."""
        state = self.voice_states.get(member.id)
        if state is None:
            state = VoiceState(self, member.id, None)
        state.channel_id = channel.id if channel is not None else None
        state.self_mute = self_mute
        if channel is None:
            self.voice_states.pop(member.id, None)
        else:
            self.voice_states[member.id] = state
        self._world.gateway.guild_event(
            self, "VOICE_STATE_UPDATE", state.payload(), intent=INTENT_GUILD_VOICE_STATES
        )
        self._world.notify()
        return state

    # -- scheduled events

    def create_scheduled_event(
        self,
        name: str,
        *,
        start: datetime,
        end: datetime | None = None,
        channel: Channel | None = None,
        location: str | None = None,
        description: str | None = None,
        creator: Member | None = None,
    ) -> ScheduledEvent:
        """Create a voice (with `channel`) or external (with `location`) event."""
        if channel is None and location is None:
            raise ValueError("a scheduled event needs a voice channel or a location")
        entity_type = 3 if channel is None else (1 if channel.type == STAGE else 2)
        event = ScheduledEvent(
            self._world.new_id(),
            self,
            name,
            (creator or self.owner).user,
            entity_type,
            start,
            end=end,
            channel_id=channel.id if channel else None,
            location=location,
            description=description,
        )
        self.scheduled_events[event.id] = event
        self._world.gateway.event_changed(self, "GUILD_SCHEDULED_EVENT_CREATE", event)
        self._world.notify()
        return event

    def delete_scheduled_event(self, event: ScheduledEvent) -> None:
        """Delete a scheduled event (GUILD_SCHEDULED_EVENT_DELETE)."""
        del self.scheduled_events[event.id]
        self._world.gateway.event_changed(self, "GUILD_SCHEDULED_EVENT_DELETE", event)
        self._world.notify()
