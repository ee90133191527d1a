"""Relapse-prevention plans' part of the privacy hooks (see core/member_data.py).

Per table:
- `recovery_plans`: `user_id` is the member; their row is their plan (every part
  decrypted in the export) with their consent to share it and when they last changed it.
  Erased.
- `plan_looks`: `user_id` is the member whose plan was read; those rows are theirs
  (exported as when, and that a peer specialist read it, never who by id) and erased.
  Rows where the member is `viewer_id` record their looks at *other* members' plans as a
  specialist: those belong to the members read, and are kept.
- `audit_log` (core's table): the consent lines (`plan.shared`, `plan.unshared`) and the
  looks (`plan.viewed`) name the member as subject, and go with core's hook.

The highlights in memory (`PlanMemory`) are dropped before the transaction and put back
if it fails.

Each `plan_looks` row is also a `Look` for the member's access log (`RecordsLooks`):
there the member sees who read their plan, which the export leaves out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from cogs.plan.memory import PlanMemory
from core.member_data import (
    Look,
    MemberTable,
    erase_tables,
    export_tables,
    exported,
    member_rows,
)
from db.base import Base
from db.models import PlanLook, RecoveryPlan

_PLAN = MemberTable(
    "plan",
    RecoveryPlan.user_id,
    "routine supports coping_picked coping_own signs_picked triggers_picked signs_own"
    " emergency_call emergency_go emergency_do shared shared_changed_at created_at updated_at",
    one=True,
)
_LOOKS = MemberTable("looks", PlanLook.user_id, "looked_at", order_by=PlanLook.looked_at)
# What a look read, as the member's access log names it.
LOOKED_AT_PLAN = "your relapse-prevention plan"


class PlanMemberData:
    name = "plan"
    tables: tuple[type[Base], ...] = (RecoveryPlan, PlanLook)

    def __init__(self, memory: PlanMemory) -> None:
        self._memory = memory

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        [plan] = (await export_tables(session, guild_id, user_id, _PLAN)).values()
        looks = await member_rows(
            session, PlanLook, guild_id, PlanLook.user_id == user_id, order_by=PlanLook.looked_at
        )
        return {
            "plan": plan,
            "looks_by_peer_specialists": [exported(look, "looked_at") for look in looks],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        await erase_tables(session, guild_id, user_id, _PLAN, _LOOKS)

    async def forget_member(self, guild_id: int, user_id: int) -> Callable[[], None]:
        return self._memory.forget(guild_id, user_id)

    async def looks_at_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> list[Look]:
        looks = await member_rows(
            session, PlanLook, guild_id, PlanLook.user_id == user_id, order_by=PlanLook.looked_at
        )
        return [Look(look.viewer_id, LOOKED_AT_PLAN, look.looked_at) for look in looks]
