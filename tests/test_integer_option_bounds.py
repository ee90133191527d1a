"""Every integer option is bounded to what its use and its column allow (issue 10).

`/oncall schedule remove shift:2147483648` crashed on PostgreSQL ("value out of int32
range"). The options are read from the bot's own command tree, so a new one without
bounds fails here; one past each bound is refused as Discord refuses it, and the bounds
themselves are taken, on both backends.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from discord import AppCommandOptionType, app_commands
from sqlalchemy import func, select

from cogs.oncall import texts as oncall_texts
from core.bot import RecoveryBot
from core.error_handler import SOMETHING_WENT_WRONG
from db.models import OnCallShift
from fakediscord.models import Member
from fakediscord.options import CommandInputError
from sandbox.community import BotRunner, Community
from tests.cogs.helpnow.helpers import sam_on_call_riley_backup

NUMERIC = {AppCommandOptionType.integer, AppCommandOptionType.number}
# What an Integer column holds, on PostgreSQL as on SQLite.
INTEGER_COLUMN = (-(2**31), 2**31 - 1)

# The command's other required options, for the lower (0) or the upper (1) bound's call.
# A new command with required options needs its line here.
OTHER_OPTIONS: dict[str, Callable[[Community, int], dict[str, object]]] = {
    "checkin reminders": lambda _, __: {"state": "on"},
    "oncall schedule add": lambda community, bound: {
        "specialist": community.riley,
        "day": ("tuesday", "wednesday")[bound],  # new shifts, not duplicates of the rota's
        "start": "09:00",
        "end": "17:00",
    },
    "setup help-now policy": lambda _, __: {"ack_minutes": 5, "repeat_minutes": 10, "repeats": 3},
    "meeting schedule": lambda community, bound: {
        "title": f"Circle {bound}",
        "days": "mon",
        "time": "19:00",
        "zone": "UTC",
        "channel": community.checkins,
    },
    # No meeting of that name: the bound is taken and the reply says so.
    "meeting edit": lambda _, __: {"meeting": "No such circle"},
}


def no_other_options(_community: Community, _bound: int) -> dict[str, object]:
    return {}


def integer_options(bot: RecoveryBot) -> list[tuple[str, app_commands.Parameter]]:
    return [
        (command.qualified_name, parameter)
        for command in bot.tree.walk_commands()
        if isinstance(command, app_commands.Command)
        for parameter in command.parameters
        if parameter.type in NUMERIC
    ]


def caller(community: Community, command: str) -> Member:
    # /setup is for admins; the rest is open to a peer specialist.
    return community.organiser if command.startswith("setup ") else community.sam


async def running_bot(runner: BotRunner, community: Community) -> RecoveryBot:
    bot = await runner.start()
    await runner.configure(bot)
    # Announcements of takes and shifts all go to one channel; pacing is not tested here.
    community.emu.rate_limits_enabled = False
    return bot


async def test_every_integer_option_has_both_bounds_within_an_integer_column(
    bot: RecoveryBot,
) -> None:
    options = integer_options(bot)
    assert ("oncall schedule remove", "shift") in {(c, p.display_name) for c, p in options}
    low, high = INTEGER_COLUMN
    unbounded = [
        f"/{command} {parameter.display_name}: {parameter.min_value}..{parameter.max_value}"
        for command, parameter in options
        if parameter.min_value is None
        or parameter.max_value is None
        or not low <= parameter.min_value <= parameter.max_value <= high
    ]
    assert unbounded == []


async def test_one_past_each_bound_is_refused_and_each_bound_is_taken(
    community: Community, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR)
    runner = BotRunner(community, database_url, tmp_path / "data")
    emu = community.emu
    problems: list[str] = []
    try:
        bot = await running_bot(runner, community)
        await sam_on_call_riley_backup(bot, community)
        for command, parameter in integer_options(bot):
            low, high = parameter.min_value, parameter.max_value
            assert low is not None, f"/{command} {parameter.display_name}"
            assert high is not None, f"/{command} {parameter.display_name}"
            person = caller(community, command)
            others = OTHER_OPTIONS.get(command, no_other_options)
            where = f"/{command} {parameter.display_name}"

            for bound, value in enumerate((low - 1, high + 1)):
                options = {**others(community, bound), parameter.display_name: value}
                reached = len(emu.interactions)
                try:
                    await person.run_command(command, channel=community.checkins, options=options)
                    problems.append(f"{where}:{value} was not refused")
                except CommandInputError as refused:
                    if "out of" not in str(refused):
                        problems.append(f"{where}:{value} refused for another reason: {refused}")
                if len(emu.interactions) != reached:
                    problems.append(f"{where}:{value} reached the bot")

            for bound, value in enumerate((low, high)):
                options = {**others(community, bound), parameter.display_name: value}
                it = await person.run_command(command, channel=community.checkins, options=options)
                reply = await it.wait_for_reply(timeout=10)
                if reply.content == SOMETHING_WENT_WRONG:
                    problems.append(f"{where}:{value} failed")
    finally:
        await runner.stop_all()

    assert problems == []
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
    assert [(r.method, r.path, r.status) for r in emu.requests if r.status >= 500] == []


async def test_a_shift_number_no_column_holds_from_an_older_definition_finds_no_shift(
    community: Community, database_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # Commands synced by a release without the bound keep taking any number until
    # `sync-commands` runs again; so does a client that skips the check.
    caplog.set_level(logging.ERROR)
    runner = BotRunner(community, database_url, tmp_path / "data")
    try:
        bot = await running_bot(runner, community)
        await sam_on_call_riley_backup(bot, community)
        synced = community.app.find_command("oncall", None)
        assert synced is not None
        (schedule,) = [o for o in synced["options"] if o["name"] == "schedule"]
        (remove,) = [o for o in schedule["options"] if o["name"] == "remove"]
        (shift,) = remove["options"]
        del shift["min_value"], shift["max_value"]

        replies = []
        for value in (0, 2**31):
            it = await community.sam.run_command(
                "oncall schedule remove", channel=community.checkins, shift=value
            )
            replies.append((await it.wait_for_reply(timeout=10)).content)
        async with bot.db.guild_session(community.guild.id) as session:
            kept = await session.scalar(select(func.count()).select_from(OnCallShift))
    finally:
        await runner.stop_all()

    assert replies == [oncall_texts.NO_SUCH_SHIFT.format(shift_id=v) for v in (0, 2**31)]
    assert kept == 1
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []
