"""What the /help-now end-to-end tests share: the rota, reading pages, reaching the cog."""

from __future__ import annotations

from typing import cast

from cogs.helpnow.cog import HelpNowCog
from cogs.oncall.cog import rotation_of
from core.bot import RecoveryBot
from fakediscord.models import Message
from sandbox.community import Community

NOTE = "I'm outside the liquor store"


async def sam_on_call_riley_backup(bot: RecoveryBot, community: Community) -> None:
    guild, sam, riley = community.guild.id, community.sam.id, community.riley.id
    await rotation_of(bot).take(guild, sam, hours=8)
    await rotation_of(bot).add_shift(guild, sam, riley, "Monday", "09:00", "17:00", "UTC")


def mentioned(message: Message) -> set[str]:
    return {u.username for u in message.mentions} | {r.name for r in message.mention_roles}


def button(message: Message, action: str) -> str:
    return next(c for c in message.custom_ids if c.startswith(f"helpnow:{action}:"))


def public_id_of(message: Message, action: str) -> str:
    return button(message, action).rsplit(":", 1)[1]


def cog_of(bot: RecoveryBot) -> HelpNowCog:
    # Not isinstance: discord.py re-imports a feature's modules each time a bot loads it.
    cog = bot.get_cog("HelpNowCog")
    assert cog is not None
    return cast(HelpNowCog, cog)
