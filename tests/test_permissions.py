"""Who may run what: every command says whether it is for members, peer specialists or
admins, and the bot refuses it to anyone else before it runs, changing nothing, even
where a server's owner widened a command under Integrations."""

from __future__ import annotations

from typing import Any

import pytest
from discord import app_commands
from sqlalchemy import func, select

from core.bot import RecoveryBot
from core.permissions import NOT_A_SPECIALIST, NOT_AN_ADMIN, Audience, audience_of
from db.base import Base
from fakediscord.models import Member
from fakediscord.options import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from sandbox.community import Community


def _commands(bot: RecoveryBot) -> list[app_commands.Command[Any, ..., Any]]:
    return [c for c in bot.tree.walk_commands() if isinstance(c, app_commands.Command)]


def _for(bot: RecoveryBot, audience: Audience) -> list[str]:
    return sorted(c.qualified_name for c in _commands(bot) if audience_of(c) is audience)


def _leaf(community: Community, path: str) -> dict[str, Any]:
    words = path.split()
    command = community.app.find_command(words[0], community.guild)
    assert command is not None, path
    for word in words[1:]:
        command = next(o for o in command.get("options", []) if o["name"] == word)
    return command


def _required_options(community: Community, path: str) -> dict[str, Any]:
    """A value Discord would accept for each required option; the refusal comes first."""
    valid = {
        STRING: "x",
        INTEGER: 1,
        NUMBER: 1.0,
        BOOLEAN: True,
        USER: community.bob,
        CHANNEL: community.checkins,
        ROLE: community.role,
    }
    options: dict[str, Any] = {}
    for option in _leaf(community, path).get("options", []):
        if option["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP) or not option.get("required"):
            continue
        if option.get("choices"):
            options[option["name"]] = option["choices"][0]["value"]
        elif option["type"] in (INTEGER, NUMBER) and "min_value" in option:
            options[option["name"]] = option["min_value"]
        else:
            options[option["name"]] = valid[option["type"]]
    return options


async def _row_counts(bot: RecoveryBot) -> dict[str, int]:
    async with bot.db.all_guilds_session() as session:
        return {
            table.name: int(await session.scalar(select(func.count()).select_from(table)) or 0)
            for table in Base.metadata.sorted_tables
        }


async def _refusal(community: Community, who: Member, path: str) -> str:
    it = await who.run_command(
        path, channel=community.checkins, options=_required_options(community, path)
    )
    reply = await it.wait_for_response()
    assert reply.ephemeral, path
    return reply.content


async def test_every_command_says_who_it_is_for(bot: RecoveryBot) -> None:
    assert [c.qualified_name for c in _commands(bot) if audience_of(c) is None] == []
    assert _for(bot, Audience.MEMBERS)
    assert "help-now" in _for(bot, Audience.MEMBERS)


async def test_admin_commands_are_hidden_by_default_from_members_without_manage_server(
    bot: RecoveryBot,
) -> None:
    admin = [c for c in _commands(bot) if audience_of(c) is Audience.ADMINS]
    assert admin
    for command in admin:
        root: Any = command
        while root.parent is not None:
            root = root.parent
        assert root.default_permissions is not None, command.qualified_name
        assert root.default_permissions.manage_guild, command.qualified_name


async def test_a_member_running_any_specialist_command_is_refused_and_nothing_changes(
    bot: RecoveryBot, community: Community
) -> None:
    specialist_commands = _for(bot, Audience.SPECIALISTS)
    assert {"plan view", "checkin group", "oncall take"} <= set(specialist_commands)
    before = await _row_counts(bot)
    for path in specialist_commands:
        assert await _refusal(community, community.alice, path) == NOT_A_SPECIALIST, path
    assert await _row_counts(bot) == before


async def test_a_member_an_owner_let_run_setup_is_still_refused_and_nothing_changes(
    bot: RecoveryBot, community: Community
) -> None:
    # Discord would offer /setup to Alice now; the bot still asks for Manage Server.
    community.guild.allow_command("setup", community.alice)
    admin_commands = _for(bot, Audience.ADMINS)
    assert {"setup status", "setup channels", "setup help-now add-line"} <= set(admin_commands)
    before = await _row_counts(bot)
    settings = bot.guild_settings.cached(community.guild.id)
    for path in admin_commands:
        assert await _refusal(community, community.alice, path) == NOT_AN_ADMIN, path
    assert await _row_counts(bot) == before
    assert bot.guild_settings.cached(community.guild.id) == settings


@pytest.mark.parametrize("path", ["setup status", "oncall now"])
async def test_the_right_people_still_get_through(
    bot: RecoveryBot, community: Community, path: str
) -> None:
    who = community.organiser if path.startswith("setup") else community.alice
    it = await who.run_command(path, channel=community.checkins)
    reply = await it.wait_for_response()
    assert reply.content not in (NOT_AN_ADMIN, NOT_A_SPECIALIST)
