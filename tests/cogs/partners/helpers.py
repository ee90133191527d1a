"""What the /partner end-to-end tests share: the real bot on SQLite and PostgreSQL with a
clock the test moves, running a /partner command as a member, the invitation DM and its
buttons, pressing them, and the partner rows read back.

The fixtures (the bot on both databases, on the test's clock) are in conftest.py.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from core.bot import RecoveryBot
from db.base import Base
from db.models import PartnerNudge, Partnership
from fakediscord.driver import InteractionResponse, UserInteraction
from fakediscord.models import Member, Message
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import outbox_settled

# Tuesday 10 November 2026, 18:00 UTC.
START = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
ACCEPT = "partners:accept:"
DECLINE = "partners:decline:"
PARTNER_TABLES = (
    "partnerships",
    "partner_preferences",
    "partner_nudges",
    "partner_nudge_blocks",
)


# --- Driving the bot ------------------------------------------------------------------------


async def run_partner(
    community: Community, who: Member, command: str, **options: object
) -> UserInteraction:
    """/partner <command> as `who`, in the check-in channel."""
    return await who.run_command(f"partner {command}", channel=community.checkins, options=options)


async def partner(community: Community, who: Member, command: str, **options: object) -> Message:
    """/partner <command> as `who`; the bot's first finished reply (after any "thinking…")."""
    return await (await run_partner(community, who, command, **options)).wait_for_reply()


def button(message: Message, prefix: str) -> str:
    """The custom_id of the one button on `message` starting with `prefix` (ACCEPT, DECLINE)."""
    [found] = [custom_id for custom_id in message.custom_ids if custom_id.startswith(prefix)]
    return found


def is_invitation(message: Message) -> bool:
    return any(custom_id.startswith(ACCEPT) for custom_id in message.custom_ids)


async def invitation_dm(community: Community, invitee: Member) -> Message:
    """The next invitation (a DM with Accept and Decline) sent to `invitee`."""
    return await community.emu.wait_for_dm(invitee, where=is_invitation)


async def invite(community: Community, inviter: Member, invitee: Member) -> Message:
    """/partner invite as `inviter`; the invitation DM `invitee` got."""
    reply = await partner(community, inviter, "invite", member=invitee)
    assert reply.ephemeral, reply.content
    return await invitation_dm(community, invitee)


async def press(who: Member, message: Message, prefix: str) -> InteractionResponse:
    """`who` presses the button starting with `prefix` on `message`; the bot's answer."""
    return await (await who.click(message, button(message, prefix))).wait_for_response()


async def pair(bot: RecoveryBot, community: Community, inviter: Member, invitee: Member) -> None:
    """Make the two partners: an invitation, accepted; the outbox settled (the inviter's
    "accepted" DM sent)."""
    invitation = await invite(community, inviter, invitee)
    answered = await press(invitee, invitation, ACCEPT)
    assert answered.message is not None
    assert answered.message.custom_ids == []
    await outbox_settled(bot)


# --- Reading what happened ------------------------------------------------------------------


async def partnerships(bot: RecoveryBot, community: Community) -> list[Partnership]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list(await session.scalars(select(Partnership).order_by(Partnership.id)))


async def pairs(bot: RecoveryBot, community: Community) -> list[tuple[int, int, str]]:
    """(inviter, invitee, state) of each partnership row."""
    return [
        (row.inviter_user_id, row.invitee_user_id, row.state)
        for row in await partnerships(bot, community)
    ]


async def nudges_sent(bot: RecoveryBot, community: Community) -> list[tuple[int, int]]:
    """(sender, recipient) of each nudge counted."""
    async with bot.db.guild_session(community.guild.id) as session:
        rows = await session.scalars(select(PartnerNudge).order_by(PartnerNudge.id))
        return [(row.user_id, row.recipient_user_id) for row in rows]


async def partner_rows(bot: RecoveryBot) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of the partner tables and the outbox, in every server, for before/after."""
    found: dict[str, list[tuple[Any, ...]]] = {}
    async with bot.db.engine.connect() as connection:
        for name in (*PARTNER_TABLES, "outbox_messages"):
            rows = (await connection.execute(select(Base.metadata.tables[name]))).all()
            found[name] = sorted((tuple(row) for row in rows), key=repr)
    return found


def dms_from_bot(community: Community, person: Member) -> list[Message]:
    """The DMs the bot sent `person`, oldest first (not the private replies to their
    presses there)."""
    return [
        m
        for m in community.emu.dms_of(person)
        if m.author.bot and not m.deleted and not m.ephemeral
    ]
