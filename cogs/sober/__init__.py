from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.sober.cog import SoberCog
    from cogs.sober.member_data import SoberMemberData

    await bot.add_cog(SoberCog(bot))
    bot.member_data.register(SoberMemberData())
