from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.checkins.cog import CheckinCog
    from cogs.checkins.member_data import CheckinMemberData
    from cogs.checkins.setup_commands import build_command
    from cogs.setup.cog import add_setup_subcommand

    cog = CheckinCog(bot)
    await bot.add_cog(cog)
    bot.member_data.register(CheckinMemberData())
    # /setup checkins lives with the other settings, not as a command of its own.
    add_setup_subcommand(bot.tree, build_command(bot, cog.jobs))
