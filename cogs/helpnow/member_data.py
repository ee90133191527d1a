"""/help-now's part of the privacy hooks (see core/member_data.py).

Per table:
- `help_requests` where `member_user_id` is the member: their requests, with the note
  and the outcome (decrypted in an export). Erased, with their events.
- `help_events` of those requests: erased with them (whoever the actor was).
- Another member's request that names the member only as the specialist who answered
  it (`acknowledged_by`, `closed_by`, an event's `actor_user_id` or `target`
  "user:<id>"): kept, ids included. It is the other member's record of how their
  crisis was answered, and the desk's accountability (the on-call report's response
  times, who to ask later what happened); it holds nothing about the specialist's own
  recovery. Nulling the id would make that record say nobody answered. Export lists
  those actions as what and when only, never whose request.

Outside the database the desk holds open requests in memory and in the on-disk journal
(cogs/helpnow/journal.py): `forget_member` drops them from both before the erasure's
transaction opens, and puts them back if it fails.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.helpnow.service import HelpDesk
from core.member_data import iso, rows_where
from db.base import Base
from db.models import HelpEvent, HelpRequest

_REQUEST_EXPORTED = (
    "status",
    "note",
    "outcome",
    "created_at",
    "acknowledged_at",
    "closed_at",
)


class HelpNowMemberData:
    name = "helpnow"
    tables: tuple[type[Base], ...] = (HelpRequest, HelpEvent)

    def __init__(self, desk: HelpDesk) -> None:
        self._desk = desk

    async def forget_member(self, guild_id: int, user_id: int) -> Callable[[], None]:
        return await self._desk.forget_member(guild_id, user_id)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        rows = await rows_where(
            session,
            HelpRequest,
            HelpRequest.guild_id == guild_id,
            HelpRequest.member_user_id == user_id,
            order_by=HelpRequest.created_at,
        )
        requests: dict[str, dict[str, Any]] = {}
        events: dict[str, dict[str, dict[str, Any]]] = {}
        ids = {row.id: row.public_id for row in rows}
        for row in rows:
            requests[row.public_id] = {name: iso(getattr(row, name)) for name in _REQUEST_EXPORTED}
            events[row.public_id] = {}
        if ids:
            for event in (
                await session.scalars(
                    select(HelpEvent)
                    .where(HelpEvent.guild_id == guild_id, HelpEvent.request_id.in_(ids))
                    .order_by(HelpEvent.at, HelpEvent.id)
                )
            ).all():
                events[ids[event.request_id]][event.key] = _event(
                    event.kind, event.at, event.actor_user_id, user_id
                )
        # What the journal holds and the database not yet: newer, so it wins.
        for entry in self._desk.pending_of(guild_id, user_id):
            public_id = entry.request["public_id"]
            requests[public_id] = {name: iso(entry.request.get(name)) for name in _REQUEST_EXPORTED}
            for record in entry.events:
                events.setdefault(public_id, {})[record.key] = _event(
                    record.kind, record.at, record.actor_user_id, user_id
                )
        as_specialist = (
            await session.execute(
                select(HelpEvent.kind, HelpEvent.at)
                .join(HelpRequest, HelpRequest.id == HelpEvent.request_id)
                .where(
                    HelpEvent.guild_id == guild_id,
                    HelpEvent.actor_user_id == user_id,
                    HelpRequest.member_user_id != user_id,
                )
                .order_by(HelpEvent.at)
            )
        ).all()
        return {
            "requests": [
                values | {"events": list(events.get(public_id, {}).values())}
                for public_id, values in requests.items()
            ],
            "as_specialist": [{"kind": kind, "at": iso(at)} for kind, at in as_specialist],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        theirs = select(HelpRequest.id).where(
            HelpRequest.guild_id == guild_id, HelpRequest.member_user_id == user_id
        )
        await session.execute(
            delete(HelpEvent)
            .where(HelpEvent.guild_id == guild_id, HelpEvent.request_id.in_(theirs))
            .execution_options(synchronize_session=False)
        )
        await session.execute(
            delete(HelpRequest)
            .where(HelpRequest.guild_id == guild_id, HelpRequest.member_user_id == user_id)
            .execution_options(synchronize_session=False)
        )


def _event(kind: str, at: Any, actor_user_id: int | None, user_id: int) -> dict[str, Any]:
    # Who else acted (the specialist) is named only as "not me": their id is theirs.
    return {"kind": kind, "at": iso(at), "by_me": actor_user_id == user_id}
