from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.partners.cog import PartnersCog
    from cogs.partners.member_data import PartnersMemberData

    await bot.add_cog(PartnersCog(bot))
    bot.member_data.register(PartnersMemberData(bot.clock.now))
