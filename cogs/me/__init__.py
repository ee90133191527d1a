from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.me.cog import MeCog

    # No member-data hooks: /me writes only the shared `members` row, which core's own
    # hooks export and erase.
    await bot.add_cog(MeCog(bot))
