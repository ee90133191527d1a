"""Guild scheduled events."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from fakediscord import errors, factories
from fakediscord.models import Guild, Member, ScheduledEvent
from fakediscord.permissions import Permission, has
from fakediscord.rest.context import Reply, RequestContext, RouteTable

routes = RouteTable()

_MAY_CREATE = Permission.CREATE_EVENTS
# Scheduled may become active or canceled; active may become completed. Nothing else.
_STATUS_CHANGES = {1: {2, 4}, 2: {3}, 3: set(), 4: set()}


def _invalid(field: str, message: str) -> errors.DiscordError:
    return errors.DiscordError(
        400,
        50035,
        "Invalid Form Body",
        {field: {"_errors": [{"code": "GUILD_SCHEDULED_EVENT_INVALID", "message": message}]}},
    )


def _time(value: Any, field: str) -> datetime:
    try:
        moment = datetime.fromisoformat(str(value))
    except ValueError:
        raise _invalid(field, "Invalid timestamp") from None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def _event(ctx: RequestContext, guild: Guild) -> ScheduledEvent:
    event = guild.scheduled_events.get(
        ctx.snowflake("guild_scheduled_event_id", errors.unknown_event)
    )
    if event is None:
        raise errors.unknown_event()
    return event


def _check_may_manage(bot: Member, event: ScheduledEvent | None) -> None:
    perms = bot.permissions
    own = event is None or event.creator is bot.user
    if has(perms, Permission.MANAGE_EVENTS) or (own and has(perms, _MAY_CREATE)):
        return
    raise errors.missing_permissions()


def _apply(
    ctx: RequestContext, guild: Guild, bot: Member, event: ScheduledEvent, body: dict[str, Any]
) -> None:
    if body.get("name") is not None:
        event.name = str(body["name"])
    if "description" in body:
        event.description = body["description"]
    if body.get("scheduled_start_time") is not None:
        event.start = _time(body["scheduled_start_time"], "scheduled_start_time")
    if "scheduled_end_time" in body:
        end = body["scheduled_end_time"]
        event.end = _time(end, "scheduled_end_time") if end else None
    if body.get("entity_type") is not None:
        event.entity_type = int(body["entity_type"])
    if "channel_id" in body:
        event.channel_id = int(body["channel_id"]) if body["channel_id"] else None
    metadata = body.get("entity_metadata")
    if isinstance(metadata, dict) and "location" in metadata:
        event.location = metadata["location"]
    if event.entity_type == 3:
        if not event.location:
            raise _invalid("entity_metadata", "An external event needs a location")
        if event.end is None:
            raise _invalid("scheduled_end_time", "An external event needs an end time")
        event.channel_id = None
    else:
        channel = guild.channels.get(event.channel_id or 0)
        if channel is None:
            raise _invalid("channel_id", "A voice or stage event needs a channel")
        ctx.require_channel_permissions(channel, Permission.VIEW_CHANNEL | Permission.CONNECT)
    if event.end is not None and event.end <= event.start:
        raise _invalid("scheduled_end_time", "The end must come after the start")


@routes("GET", "/guilds/{guild_id}/scheduled-events")
async def list_events(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    return Reply([e.payload() for e in guild.scheduled_events.values()])


@routes("POST", "/guilds/{guild_id}/scheduled-events")
async def create_event(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.bot_member(guild)
    _check_may_manage(bot, None)
    body = ctx.json()
    start = _time(body.get("scheduled_start_time"), "scheduled_start_time")
    if start < ctx.world.clock():
        raise _invalid("scheduled_start_time", "Cannot schedule event in the past.")
    event = ScheduledEvent(
        ctx.world.new_id(),
        guild,
        str(body.get("name")),
        bot.user,
        int(body.get("entity_type") or 3),
        start,
    )
    _apply(ctx, guild, bot, event, body)
    guild.scheduled_events[event.id] = event
    ctx.world.gateway.event_changed(guild, "GUILD_SCHEDULED_EVENT_CREATE", event)
    ctx.world.notify()
    return Reply(event.payload())


@routes("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
async def get_event(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    return Reply(_event(ctx, guild).payload())


@routes("PATCH", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
async def edit_event(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.bot_member(guild)
    event = _event(ctx, guild)
    _check_may_manage(bot, event)
    body = ctx.json()
    if body.get("status") is not None:
        status = int(body["status"])
        if status not in _STATUS_CHANGES[event.status]:
            raise _invalid("status", f"Cannot change status from {event.status} to {status}")
        event.status = status
    _apply(ctx, guild, bot, event, body)
    ctx.world.gateway.event_changed(guild, "GUILD_SCHEDULED_EVENT_UPDATE", event)
    ctx.world.notify()
    return Reply(event.payload())


@routes("DELETE", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}")
async def delete_event(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.bot_member(guild)
    event = _event(ctx, guild)
    _check_may_manage(bot, event)
    guild.delete_scheduled_event(event)
    return Reply.empty()


@routes("GET", "/guilds/{guild_id}/scheduled-events/{guild_scheduled_event_id}/users")
async def list_event_users(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    event = _event(ctx, guild)
    limit = min(max(int(ctx.query.get("limit", "100")), 1), 100)
    with_member = ctx.flag("with_member")
    users = sorted(event.subscribers.values(), key=lambda u: u.id)
    if "after" in ctx.query:
        users = [u for u in users if u.id > int(ctx.query["after"])]
    if "before" in ctx.query:
        users = [u for u in users if u.id < int(ctx.query["before"])]
    entries = []
    for user in users[:limit]:
        member = guild.members.get(user.id) if with_member else None
        entries.append(
            factories.scheduled_event_user(
                event.id, user.payload(), member.payload() if member else None
            )
        )
    return Reply(entries)
