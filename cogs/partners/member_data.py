"""Accountability partners' part of the privacy hooks (see core/member_data.py).

Per table:
- `partnerships`: a pairing (or an invitation) names two members, and is the record of
  both: erasing either one ends it (the other is told kindly, through the outbox, that
  it ended, without a reason), and every signal still queued between them is taken
  back. Exported as when, who invited ("me / not me") and the state; the partner is
  never named by id.
- `partner_preferences`: `user_id` is the member; what they share. Exported, erased.
- `partner_nudges`: `user_id` is the sender: the nudges the member sent are theirs
  (exported as when and which template; erased). A nudge they received is the sender's
  record and the DM they got is theirs in Discord: kept, so an erasure can't reset the
  sender's daily limit.
- `partner_nudge_blocks`: `user_id` is the member who stopped someone's nudges; theirs
  (exported as when, never whose; erased). A block naming the member as the one blocked is the
  blocker's protection: kept.
- `outbox_messages` (core's table): signals about the member still queued for their
  partners carry the member's id in their dedupe key, not in `user_id` (they go to the
  partner): exported (what and when) and erased here, sent or not, as the milestone
  posts are. Core's hook handles messages to the member.

Leaving the server ends the member's pairings at once (`member_left`), before any
erasure, so a partner never hears about someone who is gone.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cogs.partners import service
from core.member_data import (
    MemberTable,
    erase_rows,
    erase_tables,
    export_tables,
    exported,
    member_rows,
)
from db.base import Base
from db.models import (
    OutboxMessage,
    PartnerNudge,
    PartnerNudgeBlock,
    PartnerPreference,
    Partnership,
)
from db.models.partners import DECLINED, INVITED

_PREFERENCES = MemberTable(
    "sharing",
    PartnerPreference.user_id,
    "share_checkins share_milestones share_warning_signs share_help_now takes_nudges changed_at",
    one=True,
)
_NUDGES_SENT = MemberTable("nudges_sent", PartnerNudge.user_id, "template sent_at")


class PartnersMemberData:
    name = "partners"
    tables: tuple[type[Base], ...] = (
        Partnership,
        PartnerPreference,
        PartnerNudge,
        PartnerNudgeBlock,
    )
    # Whose record a row is: both sides of a pairing, the member's own choices, nudges
    # and blocks (not a nudge's recipient, not the member someone blocked).
    member_columns = (
        Partnership.inviter_user_id,
        Partnership.invitee_user_id,
        PartnerPreference.user_id,
        PartnerNudge.user_id,
        PartnerNudgeBlock.user_id,
    )

    def __init__(self, now: Any) -> None:
        self._now = now

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        pairings = await member_rows(session, Partnership, guild_id, service.involving(user_id))
        blocks = await member_rows(
            session, PartnerNudgeBlock, guild_id, PartnerNudgeBlock.user_id == user_id
        )
        signals = await member_rows(
            session, OutboxMessage, guild_id, *service.signal_rows_about(guild_id, user_id)
        )
        return {
            "partnerships": [
                exported(
                    row,
                    "state invited_at invited_by_me paired_at expires_at",
                    state=_state_seen_by(row, user_id),
                    invited_by_me=row.inviter_user_id == user_id,
                )
                for row in pairings
            ],
            **await export_tables(session, guild_id, user_id, _PREFERENCES, _NUDGES_SENT),
            # When the member stopped someone's nudges; never whose.
            "nudges_stopped": [exported(block, "blocked_at") for block in blocks],
            "signals_to_partners": [
                exported(message, "state created_at done_at") for message in signals
            ],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        await self.member_left(session, guild_id, user_id)
        await erase_rows(
            session, OutboxMessage, guild_id, *service.signal_rows_about(guild_id, user_id)
        )
        await erase_tables(
            session,
            guild_id,
            user_id,
            _PREFERENCES,
            _NUDGES_SENT,
            MemberTable("blocks", PartnerNudgeBlock.user_id, ""),
        )

    async def member_left(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        now: datetime = self._now()
        await service.end_all(session, guild_id, user_id, now)


def _state_seen_by(row: Partnership, user_id: int) -> str:
    """A decline is the invitee's to know: to the inviter it is still an invitation."""
    if row.state == DECLINED and row.inviter_user_id == user_id:
        return INVITED
    return row.state
