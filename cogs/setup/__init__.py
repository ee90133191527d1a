from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.setup.cog import SetupCog

    await bot.add_cog(SetupCog(bot.guild_settings, bot.content.crisis))
