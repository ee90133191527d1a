from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.oncall.cog import OnCallCog

    await bot.add_cog(OnCallCog(bot))
