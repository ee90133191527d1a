from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.privacy.cog import PrivacyCog
    from cogs.privacy.setup_commands import build_command as build_setup_privacy
    from cogs.setup.cog import add_setup_subcommand

    # No member-data hooks of its own: privacy stores nothing beyond the shared `members`
    # row and audit lines, which core's hooks export and erase.
    await bot.add_cog(PrivacyCog(bot))
    add_setup_subcommand(bot.tree, build_setup_privacy(bot))
