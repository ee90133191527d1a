from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from core.bot import RecoveryBot


async def setup(bot: RecoveryBot) -> None:
    from cogs.meetings.cog import MeetingCog
    from cogs.meetings.member_data import MeetingMemberData
    from cogs.meetings.setup_commands import build_command as build_setup_meetings
    from cogs.setup.cog import add_setup_subcommand

    await bot.add_cog(MeetingCog(bot))
    add_setup_subcommand(bot.tree, build_setup_meetings(bot))
    bot.member_data.register(MeetingMemberData())
