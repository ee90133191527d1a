from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.oncall.cog import OnCallCog
    from cogs.oncall.member_data import OnCallMemberData
    from cogs.oncall.service import Rotation

    rotation = Rotation(bot.db, bot.clock)
    await rotation.warm()
    # The cog offers the rotation to the bot (`bot.on_call`) for /help-now while loaded.
    await bot.add_cog(OnCallCog(bot, rotation))
    bot.member_data.register(OnCallMemberData())
