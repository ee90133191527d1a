from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.oncall.cog import OnCallCog
    from cogs.oncall.member_data import OnCallMemberData

    await bot.add_cog(OnCallCog(bot))
    bot.member_data.register(OnCallMemberData())
