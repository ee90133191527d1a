from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.checkins.cog import CheckinCog
    from cogs.setup.cog import add_setup_subcommand

    cog = CheckinCog(bot)
    await bot.add_cog(cog)
    # /setup checkins lives with the other settings, not as a command of its own.
    bot.tree.remove_command(cog.setup_checkins.name)
    add_setup_subcommand(bot.tree, cog.setup_checkins)
