from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.setup.cog import SetupCog
    from cogs.setup.member_data import SetupMemberData

    await bot.add_cog(SetupCog(bot.guild_settings, bot.content.crisis))
    bot.member_data.register(SetupMemberData())
