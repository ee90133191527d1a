from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.plan.cog import PlanCog
    from cogs.plan.member_data import PlanMemberData
    from cogs.plan.memory import PlanMemory

    memory = PlanMemory()
    await bot.add_cog(PlanCog(bot, memory))
    bot.member_data.register(PlanMemberData(memory))
