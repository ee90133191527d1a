"""Users, the application, the gateway URL and DM channels."""

from __future__ import annotations

from fakediscord import errors, factories
from fakediscord.rest.context import Reply, RequestContext, RouteTable

routes = RouteTable()


@routes("GET", "/users/@me")
async def get_current_user(ctx: RequestContext) -> Reply:
    return Reply(factories.current_user(ctx.bot.bot_user.payload()))


@routes("GET", "/users/{user_id}")
async def get_user(ctx: RequestContext) -> Reply:
    user = ctx.world.users.get(ctx.snowflake("user_id", errors.unknown_user))
    if user is None:
        raise errors.unknown_user()
    return Reply(user.payload())


@routes("GET", "/applications/@me")
async def get_application(ctx: RequestContext) -> Reply:
    return Reply(ctx.bot.payload())


@routes("GET", "/oauth2/applications/@me")
async def get_oauth2_application(ctx: RequestContext) -> Reply:
    return Reply(ctx.bot.payload())


@routes("GET", "/gateway", auth=False)
async def get_gateway(ctx: RequestContext) -> Reply:
    return Reply({"url": ctx.world.gateway_url})


@routes("GET", "/gateway/bot")
async def get_gateway_bot(ctx: RequestContext) -> Reply:
    return Reply(factories.gateway_bot(ctx.world.gateway_url, ctx.world.recommended_shards))


@routes("POST", "/users/@me/channels")
async def create_dm(ctx: RequestContext) -> Reply:
    recipient_id = ctx.json().get("recipient_id")
    recipient = ctx.world.users.get(int(recipient_id)) if recipient_id is not None else None
    if recipient is None:
        raise errors.unknown_user()
    channel = ctx.world.dm_channel(ctx.bot.bot_user, recipient)
    return Reply(channel.payload())


@routes("GET", "/users/@me/guilds")
async def list_my_guilds(ctx: RequestContext) -> Reply:
    bot_id = ctx.bot.bot_user.id
    guilds = [g for g in ctx.world.guilds.values() if bot_id in g.members]
    return Reply(
        [
            {
                "id": str(g.id),
                "name": g.name,
                "icon": None,
                "banner": None,
                "owner": False,
                "permissions": str(g.members[bot_id].permissions),
                "features": [],
            }
            for g in guilds
        ]
    )


@routes("DELETE", "/users/@me/guilds/{guild_id}")
async def leave_guild(ctx: RequestContext) -> Reply:
    guild = ctx.guild()
    ctx.world.kick_bot(guild, ctx.bot)
    return Reply.empty()
