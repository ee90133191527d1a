"""Guild channels, permission overwrites and threads."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from fakediscord import errors
from fakediscord.messaging import create_message
from fakediscord.models import (
    ANNOUNCEMENT,
    FORUM,
    PRIVATE_THREAD,
    TEXT,
    Channel,
    Guild,
    Member,
    Overwrite,
)
from fakediscord.permissions import Permission, has
from fakediscord.rest.context import Reply, RequestContext, RouteTable

routes = RouteTable()

_CHANNEL_FIELDS = (
    "name",
    "topic",
    "position",
    "nsfw",
    "rate_limit_per_user",
    "user_limit",
    "bitrate",
)
_THREAD_FIELDS = (
    "name",
    "archived",
    "locked",
    "invitable",
    "auto_archive_duration",
    "rate_limit_per_user",
)


def _overwrites(ctx: RequestContext, guild: Guild, raw: Any, perms: int) -> list[Overwrite]:
    """Parse overwrites; the bot may only allow or deny permissions it has itself."""
    parsed = []
    for entry in raw or []:
        target_id, kind = int(entry["id"]), int(entry.get("type", 0))
        if kind == 0 and target_id not in guild.roles:
            raise errors.unknown_role()
        if kind == 1 and target_id not in guild.members:
            raise errors.unknown_member()
        allow, deny = int(entry.get("allow") or 0), int(entry.get("deny") or 0)
        if (allow | deny) & ~perms and not has(perms, Permission.ADMINISTRATOR):
            raise errors.missing_permissions()
        parsed.append(Overwrite(target_id, kind, allow, deny))
    return parsed


@routes("GET", "/channels/{channel_id}")
async def get_channel(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    ctx.require_channel_permissions(channel)
    return Reply(channel.payload(for_user_id=ctx.bot.bot_user.id))


@routes("PATCH", "/channels/{channel_id}")
async def edit_channel(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    guild = channel.guild
    if guild is None:
        raise errors.missing_access()
    body = ctx.json()
    perms = ctx.require_channel_permissions(channel)
    changes: dict[str, Any] = {}
    if channel.is_thread:
        owner_may = channel.owner_id == ctx.bot.bot_user.id and set(body) <= {
            "name",
            "archived",
            "auto_archive_duration",
        }
        if not owner_may and not has(perms, Permission.MANAGE_THREADS):
            raise errors.missing_permissions()
        changes = {k: body[k] for k in _THREAD_FIELDS if k in body}
    else:
        if not has(perms, Permission.MANAGE_CHANNELS):
            raise errors.missing_permissions()
        changes = {k: body[k] for k in _CHANNEL_FIELDS if k in body}
        if "parent_id" in body:
            changes["parent_id"] = int(body["parent_id"]) if body["parent_id"] else None
        if body.get("permission_overwrites") is not None:
            if not has(perms, Permission.MANAGE_ROLES):
                raise errors.missing_permissions()
            changes["overwrites"] = _overwrites(ctx, guild, body["permission_overwrites"], perms)
    guild.edit_channel(channel, **changes)
    return Reply(channel.payload(for_user_id=ctx.bot.bot_user.id))


@routes("DELETE", "/channels/{channel_id}")
async def delete_channel(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    payload = channel.payload()
    if channel.guild is None:
        ctx.require_channel_permissions(channel)
        return Reply(payload)
    needed = Permission.MANAGE_THREADS if channel.is_thread else Permission.MANAGE_CHANNELS
    ctx.require_channel_permissions(channel, needed)
    channel.guild.delete_channel(channel)
    return Reply(payload)


@routes("PUT", "/channels/{channel_id}/permissions/{overwrite_id}")
async def set_permission_overwrite(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    guild = channel.guild
    if guild is None or channel.is_thread:
        raise errors.missing_access()
    perms = ctx.require_channel_permissions(channel, Permission.MANAGE_ROLES)
    body = ctx.json()
    entry = {**body, "id": ctx.params["overwrite_id"]}
    new = _overwrites(ctx, guild, [entry], perms)[0]
    channel.overwrites = [ow for ow in channel.overwrites if ow.id != new.id] + [new]
    guild.edit_channel(channel)
    return Reply.empty()


@routes("DELETE", "/channels/{channel_id}/permissions/{overwrite_id}")
async def delete_permission_overwrite(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    guild = channel.guild
    if guild is None or channel.is_thread:
        raise errors.missing_access()
    ctx.require_channel_permissions(channel, Permission.MANAGE_ROLES)
    target = ctx.snowflake(
        "overwrite_id", lambda: errors.not_found("Overwrite", errors.UNKNOWN_OVERWRITE)
    )
    channel.overwrites = [ow for ow in channel.overwrites if ow.id != target]
    guild.edit_channel(channel)
    return Reply.empty()


@routes("GET", "/guilds/{guild_id}/channels")
async def list_guild_channels(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    return Reply([c.payload() for c in guild.channels.values() if not c.is_thread])


@routes("POST", "/guilds/{guild_id}/channels")
async def create_guild_channel(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.require_guild_permissions(guild, Permission.MANAGE_CHANNELS)
    body = ctx.json()
    overwrites = body.get("permission_overwrites")
    if overwrites and not has(bot.permissions, Permission.MANAGE_ROLES):
        raise errors.missing_permissions()
    parent = None
    if body.get("parent_id"):
        parent = guild.channels.get(int(body["parent_id"]))
        if parent is None:
            raise errors.unknown_channel()
    channel = guild.create_channel(
        str(body["name"]),
        int(body.get("type") or TEXT),
        overwrites=_overwrites(ctx, guild, overwrites, bot.permissions),
        category=parent,
        topic=body.get("topic"),
        position=body.get("position"),
    )
    return Reply(channel.payload(), 201)


@routes("PATCH", "/guilds/{guild_id}/channels")
async def reorder_guild_channels(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    ctx.require_guild_permissions(guild, Permission.MANAGE_CHANNELS)
    for entry in ctx.body if isinstance(ctx.body, list) else []:
        channel = guild.channels.get(int(entry["id"]))
        if channel is None:
            raise errors.unknown_channel()
        changes: dict[str, int | None] = {}
        if entry.get("position") is not None:
            changes["position"] = int(entry["position"])
        if "parent_id" in entry:
            changes["parent_id"] = int(entry["parent_id"]) if entry["parent_id"] else None
        guild.edit_channel(channel, **changes)
    return Reply.empty()


# -- threads


def _thread(ctx: RequestContext) -> Channel:
    channel = ctx.channel()
    if not channel.is_thread:
        raise errors.DiscordError(400, 50024, "Cannot execute action on this channel type")
    return channel


def _bot(ctx: RequestContext, guild: Guild | None) -> Member:
    if guild is None:
        raise errors.missing_access()
    return ctx.bot_member(guild)


@routes("POST", "/channels/{channel_id}/threads")
async def start_thread(ctx: RequestContext) -> Reply:
    parent = ctx.channel()
    guild = parent.guild
    bot = _bot(ctx, guild)
    assert guild is not None
    if parent.type not in (TEXT, ANNOUNCEMENT, FORUM):
        raise errors.DiscordError(400, 50024, "Cannot execute action on this channel type")
    body = ctx.json()
    private = parent.type != FORUM and int(body.get("type") or PRIVATE_THREAD) == PRIVATE_THREAD
    needed = Permission.CREATE_PRIVATE_THREADS if private else Permission.CREATE_PUBLIC_THREADS
    ctx.require_channel_permissions(parent, needed)
    thread = guild.create_thread(
        parent,
        str(body["name"]),
        owner=bot,
        private=private,
        invitable=bool(body.get("invitable", True)),
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
    )
    payload = thread.payload(for_user_id=bot.id)
    starter = body.get("message")
    if parent.type == FORUM and isinstance(starter, Mapping):
        message = create_message(ctx.world, thread, bot.user, starter, ctx.uploads)
        payload["message"] = message.payload()
    return Reply(payload, 201)


@routes("POST", "/channels/{channel_id}/messages/{message_id}/threads")
async def start_thread_from_message(ctx: RequestContext) -> Reply:
    parent = ctx.channel()
    guild = parent.guild
    bot = _bot(ctx, guild)
    assert guild is not None
    ctx.require_channel_permissions(parent, Permission.CREATE_PUBLIC_THREADS)
    message = ctx.world.message_or_404(parent, ctx.snowflake("message_id", errors.unknown_message))
    if message.thread is not None:
        raise errors.DiscordError(400, 160004, "A thread has already been created for this message")
    body = ctx.json()
    thread = guild.create_thread(
        parent,
        str(body["name"]),
        owner=bot,
        from_message=message,
        auto_archive_duration=int(body.get("auto_archive_duration") or 1440),
    )
    return Reply(thread.payload(for_user_id=bot.id), 201)


def _thread_member_target(ctx: RequestContext, guild: Guild) -> Member:
    raw = ctx.params.get("user_id", "@me")
    user_id = (
        ctx.bot.bot_user.id if raw == "@me" else ctx.snowflake("user_id", errors.unknown_member)
    )
    return ctx.world.member_or_404(guild, user_id)


@routes("PUT", "/channels/{channel_id}/thread-members/@me")
@routes("PUT", "/channels/{channel_id}/thread-members/{user_id}")
async def add_thread_member(ctx: RequestContext) -> Reply:
    thread = _thread(ctx)
    guild = thread.guild
    assert guild is not None
    bot = ctx.bot_member(guild)
    target = _thread_member_target(ctx, guild)
    if thread.archived and thread.locked:
        raise errors.DiscordError(400, 50083, "Thread is archived")
    if target is bot:
        ctx.require_channel_permissions(thread)
    else:
        perms = ctx.require_channel_permissions(thread, Permission.SEND_MESSAGES_IN_THREADS)
        if (
            thread.type == PRIVATE_THREAD
            and not thread.invitable
            and not has(perms, Permission.MANAGE_THREADS)
        ):
            raise errors.missing_permissions()
    guild.add_thread_member(thread, target)
    return Reply.empty()


@routes("DELETE", "/channels/{channel_id}/thread-members/@me")
@routes("DELETE", "/channels/{channel_id}/thread-members/{user_id}")
async def remove_thread_member(ctx: RequestContext) -> Reply:
    thread = _thread(ctx)
    guild = thread.guild
    assert guild is not None
    bot = ctx.bot_member(guild)
    target = _thread_member_target(ctx, guild)
    if target is not bot:
        perms = ctx.require_channel_permissions(thread)
        owns_private = thread.type == PRIVATE_THREAD and thread.owner_id == bot.id
        if not (owns_private or has(perms, Permission.MANAGE_THREADS)):
            raise errors.missing_permissions()
    guild.remove_thread_member(thread, target)
    return Reply.empty()


@routes("GET", "/channels/{channel_id}/thread-members")
async def list_thread_members(ctx: RequestContext) -> Reply:
    thread = _thread(ctx)
    ctx.require_channel_permissions(thread)
    with_member = ctx.flag("with_member")
    return Reply(
        [thread.thread_member_payload(u, with_member=with_member) for u in thread.thread_members]
    )


@routes("GET", "/channels/{channel_id}/thread-members/{user_id}")
async def get_thread_member(ctx: RequestContext) -> Reply:
    thread = _thread(ctx)
    ctx.require_channel_permissions(thread)
    user_id = ctx.snowflake("user_id", errors.unknown_member)
    if user_id not in thread.thread_members:
        raise errors.unknown_member()
    return Reply(thread.thread_member_payload(user_id, with_member=ctx.flag("with_member")))


@routes("GET", "/guilds/{guild_id}/threads/active")
async def list_active_threads(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.bot_member(guild)
    threads = [t for t in guild.threads if not t.archived and bot.can_see(t)]
    members = [t.thread_member_payload(bot.id) for t in threads if bot.id in t.thread_members]
    return Reply({"threads": [t.payload() for t in threads], "members": members})
