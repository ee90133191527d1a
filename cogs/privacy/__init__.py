from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.privacy.cog import PrivacyCog
    from cogs.privacy.consent import NoticesSeen
    from cogs.privacy.member_data import PrivacyMemberData
    from cogs.privacy.setup_commands import build_command as build_setup_privacy
    from cogs.setup.cog import add_setup_subcommand

    notices_seen = NoticesSeen()
    await bot.add_cog(PrivacyCog(bot, notices_seen))
    bot.member_data.register(PrivacyMemberData(notices_seen))
    add_setup_subcommand(bot.tree, build_setup_privacy(bot))
