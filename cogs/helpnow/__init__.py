from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.helpnow.cog import HelpNowCog
    from cogs.helpnow.journal import Journal
    from cogs.helpnow.member_data import HelpNowMemberData
    from cogs.helpnow.service import HelpDesk
    from cogs.helpnow.setup_commands import build_group
    from cogs.setup.cog import add_setup_subcommand
    from core.data_dir import JOURNAL_FILE_NAME

    journal = Journal(bot.settings.data_dir / JOURNAL_FILE_NAME, bot.cipher, bot.db)
    desk = HelpDesk(bot.db, journal, bot.clock)
    cog = HelpNowCog(bot, desk)
    await bot.add_cog(cog)
    bot.member_data.register(HelpNowMemberData(desk, cog.escalation))
    add_setup_subcommand(bot.tree, build_group(bot))
