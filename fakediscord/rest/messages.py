"""Channel messages: send (JSON or multipart), read, edit, delete, pin, typing."""

from __future__ import annotations

from fakediscord import errors
from fakediscord.messaging import create_message, delete_message, edit_message
from fakediscord.models import Channel, Message
from fakediscord.permissions import Permission, has
from fakediscord.rest.context import Reply, RequestContext, RouteTable

routes = RouteTable()

_READ = Permission.VIEW_CHANNEL | Permission.READ_MESSAGE_HISTORY


def _check_can_post(ctx: RequestContext, channel: Channel) -> None:
    if channel.is_dm:
        ctx.require_channel_permissions(channel)
        other = next((u for u in channel.recipients if u is not ctx.bot.bot_user), None)
        if other is None or not other.accepts_dms or other.bot:
            raise errors.cannot_dm()
        return
    needed = Permission.SEND_MESSAGES_IN_THREADS if channel.is_thread else Permission.SEND_MESSAGES
    if ctx.uploads:
        needed |= Permission.ATTACH_FILES
    if ctx.json().get("message_reference"):
        needed |= Permission.READ_MESSAGE_HISTORY
    perms = ctx.require_channel_permissions(channel, needed)
    if channel.is_thread and channel.locked and not has(perms, Permission.MANAGE_THREADS):
        raise errors.DiscordError(400, 50083, "Thread is archived")


@routes("POST", "/channels/{channel_id}/messages")
async def send_message(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    _check_can_post(ctx, channel)
    if channel.is_thread and channel.archived:
        channel.archived = False
    message = create_message(ctx.world, channel, ctx.bot.bot_user, ctx.json(), ctx.uploads)
    return Reply(message.payload())


def _readable(ctx: RequestContext) -> Channel:
    channel = ctx.channel()
    ctx.require_channel_permissions(channel, 0 if channel.is_dm else _READ)
    return channel


def _history(channel: Channel, ctx: RequestContext) -> list[Message]:
    return [
        m
        for m in ctx.world.messages.values()
        if m.channel is channel and not m.deleted and not m.ephemeral
    ]


@routes("GET", "/channels/{channel_id}/messages")
async def list_messages(ctx: RequestContext) -> Reply:
    channel = _readable(ctx)
    limit = min(max(int(ctx.query.get("limit", "50")), 1), 100)
    messages = _history(channel, ctx)
    if "before" in ctx.query:
        messages = [m for m in messages if m.id < int(ctx.query["before"])]
    if "after" in ctx.query:
        messages = [m for m in messages if m.id > int(ctx.query["after"])]
        messages = messages[:limit]
    if "around" in ctx.query:
        pivot = int(ctx.query["around"])
        older = [m for m in messages if m.id <= pivot][-(limit // 2 + limit % 2) :]
        newer = [m for m in messages if m.id > pivot][: limit // 2]
        messages = older + newer
    messages = sorted(messages, key=lambda m: m.id, reverse=True)[:limit]
    return Reply([m.payload() for m in messages])


@routes("GET", "/channels/{channel_id}/messages/{message_id}")
async def get_message(ctx: RequestContext) -> Reply:
    channel = _readable(ctx)
    message = ctx.world.message_or_404(channel, ctx.snowflake("message_id", errors.unknown_message))
    return Reply(message.payload())


@routes("PATCH", "/channels/{channel_id}/messages/{message_id}")
async def edit_channel_message(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    perms = ctx.require_channel_permissions(channel)
    message = ctx.world.message_or_404(channel, ctx.snowflake("message_id", errors.unknown_message))
    body = ctx.json()
    if message.author is not ctx.bot.bot_user:
        # Others' messages: only their embed suppression can change, with MANAGE_MESSAGES.
        if set(body) - {"flags"}:
            raise errors.cannot_edit_other_users_message()
        if not channel.is_dm and not has(perms, Permission.MANAGE_MESSAGES):
            raise errors.missing_permissions()
    edit_message(ctx.world, message, body, ctx.uploads)
    return Reply(message.payload())


@routes("DELETE", "/channels/{channel_id}/messages/{message_id}")
async def delete_channel_message(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    perms = ctx.require_channel_permissions(channel)
    message = ctx.world.message_or_404(channel, ctx.snowflake("message_id", errors.unknown_message))
    if message.author is not ctx.bot.bot_user and (
        channel.is_dm or not has(perms, Permission.MANAGE_MESSAGES)
    ):
        raise errors.missing_permissions()
    delete_message(ctx.world, message)
    return Reply.empty()


@routes("POST", "/channels/{channel_id}/messages/bulk-delete")
async def bulk_delete(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    ctx.require_channel_permissions(channel, Permission.MANAGE_MESSAGES)
    ids = [int(i) for i in ctx.json().get("messages") or []]
    if not 2 <= len(ids) <= 100:
        raise errors.DiscordError(
            400, 50016, "You must provide at least 2 and fewer than 100 messages to delete."
        )
    for message_id in ids:
        message = ctx.world.messages.get(message_id)
        if message is not None and message.channel is channel and not message.deleted:
            delete_message(ctx.world, message)
    return Reply.empty()


@routes("PUT", "/channels/{channel_id}/messages/pins/{message_id}")
@routes("DELETE", "/channels/{channel_id}/messages/pins/{message_id}")
async def pin(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    needed = 0 if channel.is_dm else Permission.PIN_MESSAGES
    perms = ctx.require_channel_permissions(channel)
    if needed and not (has(perms, needed) or has(perms, Permission.MANAGE_MESSAGES)):
        raise errors.missing_permissions()
    message = ctx.world.message_or_404(channel, ctx.snowflake("message_id", errors.unknown_message))
    message.pinned = ctx.method == "PUT"
    ctx.world.gateway.message_event("MESSAGE_UPDATE", message)
    ctx.world.notify()
    return Reply.empty()


@routes("POST", "/channels/{channel_id}/typing")
async def typing(ctx: RequestContext) -> Reply:
    channel = ctx.channel()
    ctx.require_channel_permissions(channel, 0 if channel.is_dm else Permission.SEND_MESSAGES)
    return Reply.empty()
