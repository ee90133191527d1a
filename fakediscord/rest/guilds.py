"""Guilds, roles and members, with Discord's role-hierarchy rules."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from fakediscord import errors
from fakediscord.models import INTENT_GUILD_MEMBERS, VOICE, Guild, Member, Role
from fakediscord.permissions import Permission, has
from fakediscord.rest.context import Reply, RequestContext, RouteTable

routes = RouteTable()


def _role(ctx: RequestContext, guild: Guild) -> Role:
    role = guild.roles.get(ctx.snowflake("role_id", errors.unknown_role))
    if role is None:
        raise errors.unknown_role()
    return role


def _check_grantable(bot: Member, permissions: int) -> None:
    """A bot cannot hand out permissions it does not have itself."""
    mine = bot.permissions
    if permissions & ~mine and not has(mine, Permission.ADMINISTRATOR):
        raise errors.missing_permissions()


def _check_below(bot: Member, role: Role) -> None:
    if role.position >= bot.top_position:
        raise errors.missing_permissions()


def _check_outranks(bot: Member, member: Member) -> None:
    if member.id == member.guild.owner_id or member.top_position >= bot.top_position:
        raise errors.missing_permissions()


@routes("GET", "/guilds/{guild_id}")
async def get_guild(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    payload = guild.payload()
    if ctx.flag("with_counts"):
        payload["approximate_member_count"] = len(guild.members)
        payload["approximate_presence_count"] = 0
    return Reply(payload)


@routes("GET", "/guilds/{guild_id}/roles")
async def list_roles(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    return Reply([r.payload() for r in sorted(guild.roles.values(), key=lambda r: r.position)])


@routes("GET", "/guilds/{guild_id}/roles/{role_id}")
async def get_role(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    return Reply(_role(ctx, guild).payload())


def _role_changes(body: dict[str, Any]) -> dict[str, Any]:
    changes: dict[str, Any] = {}
    for key in ("name", "hoist", "mentionable"):
        if body.get(key) is not None:
            changes[key] = body[key]
    if body.get("permissions") is not None:
        changes["permissions"] = int(body["permissions"])
    colors = body.get("colors")
    if body.get("color") is not None:
        changes["color"] = int(body["color"])
    elif isinstance(colors, dict) and colors.get("primary_color") is not None:
        changes["color"] = int(colors["primary_color"])
    return changes


@routes("POST", "/guilds/{guild_id}/roles")
async def create_role(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.require_guild_permissions(guild, Permission.MANAGE_ROLES)
    changes = _role_changes(ctx.json())
    _check_grantable(bot, changes.get("permissions", 0))
    role = guild.create_role(
        changes.get("name", "new role"),
        changes.get("permissions", 0),
        color=changes.get("color", 0),
        hoist=changes.get("hoist", False),
        mentionable=changes.get("mentionable", False),
    )
    return Reply(role.payload())


@routes("PATCH", "/guilds/{guild_id}/roles/{role_id}")
async def edit_role(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.require_guild_permissions(guild, Permission.MANAGE_ROLES)
    role = _role(ctx, guild)
    _check_below(bot, role)
    changes = _role_changes(ctx.json())
    if "permissions" in changes:
        _check_grantable(bot, changes["permissions"])
    guild.edit_role(role, **changes)
    return Reply(role.payload())


@routes("DELETE", "/guilds/{guild_id}/roles/{role_id}")
async def delete_role(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.require_guild_permissions(guild, Permission.MANAGE_ROLES)
    role = _role(ctx, guild)
    if role.managed or role.id == guild.id:
        raise errors.DiscordError(400, 50028, "Invalid Role")
    _check_below(bot, role)
    guild.delete_role(role)
    return Reply.empty()


@routes("PATCH", "/guilds/{guild_id}/roles")
async def reorder_roles(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.require_guild_permissions(guild, Permission.MANAGE_ROLES)
    for entry in ctx.body if isinstance(ctx.body, list) else []:
        role = guild.roles.get(int(entry["id"]))
        if role is None:
            raise errors.unknown_role()
        _check_below(bot, role)
        if entry.get("position") is not None:
            if int(entry["position"]) >= bot.top_position:
                raise errors.missing_permissions()
            guild.edit_role(role, position=int(entry["position"]))
    return Reply([r.payload() for r in sorted(guild.roles.values(), key=lambda r: r.position)])


# -- members


def _member(ctx: RequestContext, guild: Guild) -> Member:
    if ctx.params.get("user_id", "@me") == "@me":
        return ctx.bot_member(guild)
    return ctx.world.member_or_404(guild, ctx.snowflake("user_id", errors.unknown_member))


@routes("GET", "/guilds/{guild_id}/members/{user_id}")
async def get_member(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    return Reply(_member(ctx, guild).payload())


@routes("GET", "/guilds/{guild_id}/members")
async def list_members(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    if not ctx.bot.privileged_intents & INTENT_GUILD_MEMBERS:
        raise errors.missing_access()
    after = int(ctx.query.get("after", "0"))
    limit = min(max(int(ctx.query.get("limit", "1")), 1), 1000)
    members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
    return Reply([m.payload() for m in members[:limit]])


@routes("GET", "/guilds/{guild_id}/members/search")
async def search_members(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    query = ctx.query.get("query", "").lower()
    limit = min(max(int(ctx.query.get("limit", "1")), 1), 1000)
    found = [
        m
        for m in guild.members.values()
        if m.name.lower().startswith(query) or (m.nick or "").lower().startswith(query)
    ]
    return Reply([m.payload() for m in found[:limit]])


@routes("PATCH", "/guilds/{guild_id}/members/@me")
@routes("PATCH", "/guilds/{guild_id}/members/{user_id}")
async def edit_member(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.bot_member(guild)
    member = _member(ctx, guild)
    body = ctx.json()
    perms = bot.permissions
    if "nick" in body:
        if member is bot:
            if not has(perms, Permission.CHANGE_NICKNAME):
                raise errors.missing_permissions()
        else:
            if not has(perms, Permission.MANAGE_NICKNAMES):
                raise errors.missing_permissions()
            _check_outranks(bot, member)
        member.nick = body["nick"] or None
    if body.get("roles") is not None:
        _set_roles(bot, member, {int(r) for r in body["roles"]})
    for key, needed in (("mute", Permission.MUTE_MEMBERS), ("deaf", Permission.DEAFEN_MEMBERS)):
        if body.get(key) is not None:
            if not has(perms, needed):
                raise errors.missing_permissions()
            setattr(member, key, bool(body[key]))
    if "communication_disabled_until" in body:
        if not has(perms, Permission.MODERATE_MEMBERS) or has(
            member.permissions, Permission.ADMINISTRATOR
        ):
            raise errors.missing_permissions()
        _check_outranks(bot, member)
        until = body["communication_disabled_until"]
        member.communication_disabled_until = datetime.fromisoformat(until) if until else None
    if "channel_id" in body:
        _move(bot, member, body["channel_id"])
    ctx.world.gateway.member_update(guild, member)
    ctx.world.notify()
    return Reply(member.payload())


def _set_roles(bot: Member, member: Member, wanted: set[int]) -> None:
    guild = member.guild
    if not has(bot.permissions, Permission.MANAGE_ROLES):
        raise errors.missing_permissions()
    current = {r.id for r in member.roles}
    for role_id in wanted ^ current:
        role = guild.roles.get(role_id)
        if role is None:
            raise errors.unknown_role()
        if role.managed:
            raise errors.missing_permissions()
        _check_below(bot, role)
    member.roles = [guild.roles[r] for r in wanted if r != guild.id]


def _move(bot: Member, member: Member, channel_id: Any) -> None:
    guild = member.guild
    if not has(bot.permissions, Permission.MOVE_MEMBERS):
        raise errors.missing_permissions()
    if channel_id is None:
        if member.id in guild.voice_states:
            guild.set_voice_state(member, None)
        return
    channel = guild.channels.get(int(channel_id))
    if channel is None or channel.type != VOICE:
        raise errors.unknown_channel()
    if member.id not in guild.voice_states:
        raise errors.DiscordError(400, 40032, "Target user is not connected to voice.")
    guild.set_voice_state(member, channel)


@routes("PUT", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
@routes("DELETE", "/guilds/{guild_id}/members/{user_id}/roles/{role_id}")
async def change_member_role(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.require_guild_permissions(guild, Permission.MANAGE_ROLES)
    member = _member(ctx, guild)
    role = _role(ctx, guild)
    if role.managed:
        raise errors.missing_permissions()
    _check_below(bot, role)
    if ctx.method == "PUT":
        guild.give_role(member, role)
    else:
        guild.take_role(member, role)
    return Reply.empty()


@routes("DELETE", "/guilds/{guild_id}/members/{user_id}")
async def kick_member(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    bot = ctx.require_guild_permissions(guild, Permission.KICK_MEMBERS)
    member = _member(ctx, guild)
    _check_outranks(bot, member)
    guild.remove_member(member)
    return Reply.empty()
