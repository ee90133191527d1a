"""Discord's permission bits and its algorithm for a member's permissions in a channel."""

from __future__ import annotations

import enum
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from fakediscord.models import Channel, Guild, Member


class Permission(enum.IntFlag):
    """Permission bits as Discord numbers them."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_AUDIT_LOG = 1 << 7
    PRIORITY_SPEAKER = 1 << 8
    STREAM = 1 << 9
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    SEND_TTS_MESSAGES = 1 << 12
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    VIEW_GUILD_INSIGHTS = 1 << 19
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    MUTE_MEMBERS = 1 << 22
    DEAFEN_MEMBERS = 1 << 23
    MOVE_MEMBERS = 1 << 24
    USE_VAD = 1 << 25
    CHANGE_NICKNAME = 1 << 26
    MANAGE_NICKNAMES = 1 << 27
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    MANAGE_GUILD_EXPRESSIONS = 1 << 30
    USE_APPLICATION_COMMANDS = 1 << 31
    REQUEST_TO_SPEAK = 1 << 32
    MANAGE_EVENTS = 1 << 33
    MANAGE_THREADS = 1 << 34
    CREATE_PUBLIC_THREADS = 1 << 35
    CREATE_PRIVATE_THREADS = 1 << 36
    USE_EXTERNAL_STICKERS = 1 << 37
    SEND_MESSAGES_IN_THREADS = 1 << 38
    USE_EMBEDDED_ACTIVITIES = 1 << 39
    MODERATE_MEMBERS = 1 << 40
    VIEW_CREATOR_MONETIZATION_ANALYTICS = 1 << 41
    USE_SOUNDBOARD = 1 << 42
    CREATE_GUILD_EXPRESSIONS = 1 << 43
    CREATE_EVENTS = 1 << 44
    USE_EXTERNAL_SOUNDS = 1 << 45
    SEND_VOICE_MESSAGES = 1 << 46
    SEND_POLLS = 1 << 49
    USE_EXTERNAL_APPS = 1 << 50
    PIN_MESSAGES = 1 << 51
    BYPASS_SLOWMODE = 1 << 52


ALL_PERMISSIONS = 0
for _flag in Permission:
    ALL_PERMISSIONS |= _flag.value

# What a fresh guild gives @everyone.
DEFAULT_EVERYONE = (
    Permission.CREATE_INSTANT_INVITE
    | Permission.ADD_REACTIONS
    | Permission.STREAM
    | Permission.VIEW_CHANNEL
    | Permission.SEND_MESSAGES
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.READ_MESSAGE_HISTORY
    | Permission.MENTION_EVERYONE
    | Permission.USE_EXTERNAL_EMOJIS
    | Permission.CONNECT
    | Permission.SPEAK
    | Permission.USE_VAD
    | Permission.CHANGE_NICKNAME
    | Permission.USE_APPLICATION_COMMANDS
    | Permission.REQUEST_TO_SPEAK
    | Permission.CREATE_PUBLIC_THREADS
    | Permission.CREATE_PRIVATE_THREADS
    | Permission.USE_EXTERNAL_STICKERS
    | Permission.SEND_MESSAGES_IN_THREADS
    | Permission.USE_EMBEDDED_ACTIVITIES
    | Permission.USE_SOUNDBOARD
    | Permission.SEND_VOICE_MESSAGES
    | Permission.SEND_POLLS
    | Permission.USE_EXTERNAL_APPS
).value

# A timed-out member keeps only these, whatever their roles say.
_TIMEOUT_ALLOWED = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY

# Without SEND_MESSAGES these are meaningless, and Discord strips them.
_NEEDS_SEND = (
    Permission.SEND_TTS_MESSAGES
    | Permission.MENTION_EVERYONE
    | Permission.EMBED_LINKS
    | Permission.ATTACH_FILES
    | Permission.SEND_POLLS
)


def base_permissions(guild: Guild, member: Member) -> int:
    """Guild-wide permissions: @everyone plus every role, with owner and ADMINISTRATOR as all."""
    if member.id == guild.owner_id:
        return ALL_PERMISSIONS
    perms = guild.everyone.permissions
    for role in member.roles:
        perms |= role.permissions
    if perms & Permission.ADMINISTRATOR:
        return ALL_PERMISSIONS
    return _apply_timeout(member, perms)


def channel_permissions(channel: Channel, member: Member) -> int:
    """Permissions of a member in a channel, following Discord's overwrite order.

    Threads take their parent's overwrites; a private thread is visible only to its
    members and to those who may manage threads.
    """
    guild = channel.guild
    if guild is None:
        raise ValueError("channel permissions only exist in guild channels")
    base = base_permissions(guild, member)
    if base & Permission.ADMINISTRATOR or member.id == guild.owner_id:
        return ALL_PERMISSIONS
    source = channel.parent if channel.is_thread and channel.parent is not None else channel
    perms = base
    everyone = source.overwrite_for(guild.id)
    if everyone is not None:
        perms = (perms & ~everyone.deny) | everyone.allow
    allow = deny = 0
    role_ids = {role.id for role in member.roles}
    for ow in source.overwrites:
        if ow.type == 0 and ow.id in role_ids:
            allow |= ow.allow
            deny |= ow.deny
    perms = (perms & ~deny) | allow
    own = source.overwrite_for(member.id)
    if own is not None and own.type == 1:
        perms = (perms & ~own.deny) | own.allow
    perms = _apply_timeout(member, perms)
    if not perms & Permission.VIEW_CHANNEL:
        return 0
    if (
        channel.is_thread
        and channel.type == 12
        and not _can_see_private_thread(channel, member, perms)
    ):
        return 0
    if not perms & Permission.SEND_MESSAGES and channel.type not in (10, 11, 12):
        perms &= ~_NEEDS_SEND
    return perms


def _can_see_private_thread(thread: Channel, member: Member, perms: int) -> bool:
    return member.id in thread.thread_members or bool(perms & Permission.MANAGE_THREADS)


def _apply_timeout(member: Member, perms: int) -> int:
    if member.timed_out:
        return perms & _TIMEOUT_ALLOWED
    return perms


# Where Discord's settings screens call a permission something else than its API name.
_SHOWN_AS = {
    Permission.MANAGE_GUILD: "Manage Server",
    Permission.VIEW_CHANNEL: "View Channels",
    Permission.VIEW_AUDIT_LOG: "View Audit Log",
    Permission.USE_VAD: "Use Voice Activity",
    Permission.MODERATE_MEMBERS: "Timeout Members",
}


def shown_names(bits: int) -> str:
    """Permissions as Discord's own screens name them, for messages a person reads."""
    return ", ".join(
        _SHOWN_AS.get(flag) or (flag.name or "").replace("_", " ").title()
        for flag in Permission
        if bits & flag.value
    )


def has(perms: int, needed: int) -> bool:
    """Whether every bit of `needed` is present (ADMINISTRATOR implies all)."""
    if perms & Permission.ADMINISTRATOR:
        return True
    return perms & needed == needed
