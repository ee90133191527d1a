"""Application command registration: global and guild commands, bulk overwrite (tree.sync)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from fakediscord import errors, factories
from fakediscord.errors import FormErrors
from fakediscord.factories import Json
from fakediscord.models import Application
from fakediscord.rest.context import Reply, RequestContext, RouteTable

routes = RouteTable()


def _pool(ctx: RequestContext) -> tuple[Application, dict[int, Json], int | None]:
    """The app and the command store the route names (global, or one guild's)."""
    app = ctx.bot
    if ctx.snowflake("application_id", errors.unknown_command) != app.id:
        raise errors.missing_access()
    if "guild_id" not in ctx.params:
        return app, app.global_commands, None
    guild = ctx.world.guilds.get(ctx.snowflake("guild_id", errors.unknown_guild))
    if guild is None or app.bot_user.id not in guild.members:
        raise errors.missing_access()
    return app, app.guild_commands.setdefault(guild.id, {}), guild.id


def _check_definitions(definitions: Sequence[Any]) -> None:
    problems = FormErrors()
    seen: set[tuple[str, int]] = set()
    for index, definition in enumerate(definitions):
        if not isinstance(definition, Mapping) or "name" not in definition:
            continue
        key = (str(definition["name"]), int(definition.get("type", 1)))
        if key in seen:
            problems.add(
                (index, "name"),
                "APPLICATION_COMMANDS_DUPLICATE_NAME",
                f"Application command names must be unique: {key[0]}",
            )
        seen.add(key)
        _check_option_order(problems, (index, "options"), definition.get("options") or [])
    problems.raise_if_any()


def _check_option_order(problems: FormErrors, path: tuple[str | int, ...], options: Any) -> None:
    optional_seen = False
    for index, option in enumerate(options if isinstance(options, list) else []):
        if not isinstance(option, Mapping):
            continue
        if option.get("type") in (1, 2):
            _check_option_order(problems, (*path, index, "options"), option.get("options") or [])
            continue
        if option.get("required"):
            if optional_seen:
                problems.add(
                    (*path, index, "required"),
                    "APPLICATION_COMMAND_OPTIONS_REQUIRED_INVALID",
                    "Required options must be placed before non-required options",
                )
        else:
            optional_seen = True


def _key(definition: Mapping[str, Any]) -> tuple[str, int]:
    return str(definition["name"]), int(definition.get("type", 1))


def _save(
    app: Application,
    pool: dict[int, Json],
    definition: Mapping[str, Any],
    command_id: int,
    guild_id: int | None,
) -> Json:
    app.command_version += 1
    command = factories.application_command(
        command_id, app.id, definition, version=app.command_version, guild_id=guild_id
    )
    pool[command_id] = command
    return command


@routes("PUT", "/applications/{application_id}/commands")
@routes("PUT", "/applications/{application_id}/guilds/{guild_id}/commands")
async def bulk_overwrite(ctx: RequestContext) -> Reply:
    app, pool, guild_id = _pool(ctx)
    definitions = ctx.body if isinstance(ctx.body, list) else []
    _check_definitions(definitions)
    # Overwriting keeps the id of a command with the same name and type, as Discord does.
    previous = {_key(c): int(c["id"]) for c in pool.values()}
    pool.clear()
    stored = [
        _save(app, pool, d, previous.get(_key(d)) or ctx.world.new_id(), guild_id)
        for d in definitions
    ]
    ctx.world.notify()
    return Reply(stored)


@routes("GET", "/applications/{application_id}/commands")
@routes("GET", "/applications/{application_id}/guilds/{guild_id}/commands")
async def list_commands(ctx: RequestContext) -> Reply:
    _, pool, _ = _pool(ctx)
    return Reply(list(pool.values()))


@routes("POST", "/applications/{application_id}/commands")
@routes("POST", "/applications/{application_id}/guilds/{guild_id}/commands")
async def upsert_command(ctx: RequestContext) -> Reply:
    app, pool, guild_id = _pool(ctx)
    definition = ctx.json()
    _check_definitions([definition])
    existing = {_key(c): int(c["id"]) for c in pool.values()}.get(_key(definition))
    command = _save(app, pool, definition, existing or ctx.world.new_id(), guild_id)
    ctx.world.notify()
    return Reply(command, 200 if existing else 201)


def _command(ctx: RequestContext, pool: dict[int, Json]) -> Json:
    command = pool.get(ctx.snowflake("command_id", errors.unknown_command))
    if command is None:
        raise errors.unknown_command()
    return command


@routes("GET", "/applications/{application_id}/commands/{command_id}")
@routes("GET", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def get_command(ctx: RequestContext) -> Reply:
    _, pool, _ = _pool(ctx)
    return Reply(_command(ctx, pool))


@routes("PATCH", "/applications/{application_id}/commands/{command_id}")
@routes("PATCH", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def edit_command(ctx: RequestContext) -> Reply:
    app, pool, guild_id = _pool(ctx)
    command = _command(ctx, pool)
    definition = {**command, **ctx.json()}
    _check_definitions([definition])
    updated = _save(app, pool, definition, int(command["id"]), guild_id)
    ctx.world.notify()
    return Reply(updated)


@routes("DELETE", "/applications/{application_id}/commands/{command_id}")
@routes("DELETE", "/applications/{application_id}/guilds/{guild_id}/commands/{command_id}")
async def delete_command(ctx: RequestContext) -> Reply:
    _, pool, _ = _pool(ctx)
    command = _command(ctx, pool)
    del pool[int(command["id"])]
    ctx.world.notify()
    return Reply.empty()


@routes("GET", "/applications/{application_id}/guilds/{guild_id}/commands/permissions")
async def list_command_permissions(ctx: RequestContext) -> Reply:
    _pool(ctx)
    return Reply([])
