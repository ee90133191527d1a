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
(cogs/helpnow/journal.py): `forget_member` drops them from both, and stops their
escalation, before the erasure's transaction opens; if it fails, they are put back and
escalate again.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy import ColumnElement, Select, select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.helpnow import texts
from cogs.helpnow.escalation import Escalation
from cogs.helpnow.journal import EventRecord
from cogs.helpnow.service import HelpDesk
from core.member_data import erase_rows, exported, member_rows
from db.base import Base
from db.models import HelpEvent, HelpRequest

_REQUEST = "status note outcome created_at acknowledged_at closed_at"
_EVENT_ORDER = (HelpEvent.at, HelpEvent.id)


class HelpNowMemberData:
    name = "helpnow"
    tables: tuple[type[Base], ...] = (HelpRequest, HelpEvent)

    def __init__(self, desk: HelpDesk, escalation: Escalation) -> None:
        self._desk = desk
        self._escalation = escalation

    def erasure_stops(self, guild_id: int, user_id: int) -> str | None:
        if self._desk.open_case_of(guild_id, user_id) is None:
            return None
        return texts.ERASURE_STOPS_REQUEST

    async def forget_member(self, guild_id: int, user_id: int) -> Callable[[], None]:
        return await self._forget(guild_id, user_id)

    async def forget_server(self, guild_id: int) -> Callable[[], None]:
        return await self._forget(guild_id, None)

    async def _forget(self, guild_id: int, user_id: int | None) -> Callable[[], None]:
        """One member's requests, or (None) every member's in the server, out of memory
        and the journal, their escalations stopped; the undo arms them again."""
        theirs = [
            case.public_id
            for case in self._desk.open_cases()
            if case.guild_id == guild_id and user_id in (None, case.member_user_id)
        ]
        undo_forget = await self._desk.forget_member(guild_id, user_id)
        for public_id in theirs:
            self._escalation.stop_steps(public_id)

        def undo() -> None:
            undo_forget()
            # The erasure failed: their open request escalates again from where it was.
            for public_id in theirs:
                if (case := self._desk.get(public_id)) is not None:
                    self._escalation.arm(case)

        return undo

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        rows = await member_rows(
            session,
            HelpRequest,
            guild_id,
            HelpRequest.member_user_id == user_id,
            order_by=HelpRequest.created_at,
        )
        requests = {row.public_id: exported(row, _REQUEST) for row in rows}
        events: dict[str, dict[str, dict[str, Any]]] = {public_id: {} for public_id in requests}
        ids = {row.id: row.public_id for row in rows}
        on_theirs = HelpEvent.request_id.in_(ids)
        for event in await member_rows(
            session, HelpEvent, guild_id, on_theirs, order_by=_EVENT_ORDER
        ):
            events[ids[event.request_id]][event.key] = _event(event, user_id)
        # What the journal holds and the database not yet: newer, so it wins.
        for entry in self._desk.pending_of(guild_id, user_id):
            public_id = entry.request["public_id"]
            requests[public_id] = exported(entry.request, _REQUEST)
            for record in entry.events:
                events.setdefault(public_id, {})[record.key] = _event(record, user_id)
        # Steps the member took on others' requests: what and when, never whose.
        on_others = HelpEvent.request_id.in_(
            _requests(guild_id, HelpRequest.member_user_id != user_id)
        )
        acted = await member_rows(
            session,
            HelpEvent,
            guild_id,
            HelpEvent.actor_user_id == user_id,
            on_others,
            order_by=_EVENT_ORDER,
        )
        return {
            "requests": [
                values | {"events": list(events.get(public_id, {}).values())}
                for public_id, values in requests.items()
            ],
            "as_specialist": [exported(event, "kind at") for event in acted],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        theirs = _requests(guild_id, HelpRequest.member_user_id == user_id)
        await erase_rows(session, HelpEvent, guild_id, HelpEvent.request_id.in_(theirs))
        await erase_rows(session, HelpRequest, guild_id, HelpRequest.member_user_id == user_id)


def _requests(guild_id: int, whose: ColumnElement[bool]) -> Select[int]:
    """The ids of the server's requests that meet `whose`."""
    return select(HelpRequest.id).where(HelpRequest.guild_id == guild_id, whose)


def _event(event: HelpEvent | EventRecord, user_id: int) -> dict[str, Any]:
    # Who else acted (the specialist) is named only as "not me": their id is theirs.
    return exported(event, "kind at by_me", by_me=event.actor_user_id == user_id)
