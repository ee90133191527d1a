"""A member's settings that every feature shares. No Discord here."""

from __future__ import annotations

from cogs.checkins.preferences import set_member_timezone
from cogs.sober import service as sober
from db.engine import Database


async def set_timezone(db: Database, guild_id: int, user_id: int, zone: str) -> None:
    """The zone every feature counts the member's days in. A counter's next milestone
    begins at the member's local midnight, so it moves with the zone: both in one
    transaction, so a failure part way saves neither (and the error handler tells the
    member). `/me timezone` and `/checkin timezone` both come here."""
    async with db.guild_session(guild_id) as session, session.begin():
        await set_member_timezone(session, guild_id, user_id, zone)
        await sober.rezone(session, guild_id, user_id)
