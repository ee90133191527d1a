from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.cope.cog import CopeCog
    from cogs.cope.member_data import CopeMemberData

    await bot.add_cog(CopeCog(bot))
    bot.member_data.register(CopeMemberData())
