"""Relapse-prevention plans: reading, writing and sharing a member's plan, the record of
specialists' looks, and the highlights other features show. No Discord here.

A plan has the five parts of domain.md. Each part is one or more fields a member writes
in a form, or picks from the lists in config/content/coping.toml; an empty field clears
what was there. Too long is refused whole with the field's name and its limit: a plan is
never cut. Every field is encrypted at rest (`db.models.plans`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, fields
from datetime import datetime
from enum import Enum
from typing import Any

from sqlalchemy import func, or_, select

from cogs.plan import texts
from config.content import Content
from core.errors import UserFacingError
from core.outbox import shard_filter
from core.plans import PlanHighlights
from db.engine import Database
from db.models import AuditEntry, PlanLook, RecoveryPlan

SHARED_ACTION = "plan.shared"
UNSHARED_ACTION = "plan.unshared"
LOOKED_ACTION = "plan.viewed"
# What /plan show lists of the specialists' looks; the privacy work shows them all.
RECENT_LOOKS = 5


class Part(Enum):
    ROUTINE = "routine"
    SUPPORTS = "supports"
    COPING = "coping"
    SIGNS = "signs"
    EMERGENCY = "emergency"


@dataclass(frozen=True)
class Field:
    """One thing a member writes: its column, its label in the form, its longest length."""

    column: str
    label: str
    placeholder: str
    max_length: int


# Discord's forms: at most 5 fields, labels of 45 characters, values of 4,000.
WRITTEN: dict[Part, tuple[Field, ...]] = {
    Part.ROUTINE: (Field("routine", texts.ROUTINE_LABEL, texts.ROUTINE_PLACEHOLDER, 2000),),
    Part.SUPPORTS: (Field("supports", texts.SUPPORTS_LABEL, texts.SUPPORTS_PLACEHOLDER, 2000),),
    Part.COPING: (Field("coping_own", texts.COPING_OWN_LABEL, texts.COPING_OWN_PLACEHOLDER, 2000),),
    Part.SIGNS: (Field("signs_own", texts.SIGNS_OWN_LABEL, texts.SIGNS_OWN_PLACEHOLDER, 2000),),
    Part.EMERGENCY: (
        Field("emergency_call", texts.CALL_LABEL, texts.CALL_PLACEHOLDER, 1000),
        Field("emergency_go", texts.GO_LABEL, texts.GO_PLACEHOLDER, 1000),
        Field("emergency_do", texts.DO_LABEL, texts.DO_PLACEHOLDER, 1000),
    ),
}
# What a member picks from the content's lists, one per line.
PICKED = ("coping_picked", "signs_picked", "triggers_picked")


@dataclass(frozen=True)
class Plan:
    """A member's plan as they wrote it (decrypted), every part None when not written."""

    routine: str | None = None
    supports: str | None = None
    coping_picked: tuple[str, ...] = ()
    coping_own: str | None = None
    signs_picked: tuple[str, ...] = ()
    triggers_picked: tuple[str, ...] = ()
    signs_own: str | None = None
    emergency_call: str | None = None
    emergency_go: str | None = None
    emergency_do: str | None = None
    shared: bool = False
    shared_changed_at: datetime | None = None
    updated_at: datetime | None = None

    @property
    def is_empty(self) -> bool:
        return not any(getattr(self, f.name) for f in fields(self) if f.name not in _NOT_WRITTEN)

    def value(self, column: str) -> str | None:
        found = getattr(self, column)
        return "\n".join(found) if isinstance(found, tuple) else found


_NOT_WRITTEN = {"shared", "shared_changed_at", "updated_at"}


@dataclass(frozen=True)
class Look:
    viewer_id: int
    looked_at: datetime


def _lines(stored: str | None) -> tuple[str, ...]:
    return tuple(line for line in (stored or "").split("\n") if line)


def _plan_of(row: RecoveryPlan | None) -> Plan | None:
    if row is None:
        return None
    return Plan(
        routine=row.routine,
        supports=row.supports,
        coping_picked=_lines(row.coping_picked),
        coping_own=row.coping_own,
        signs_picked=_lines(row.signs_picked),
        triggers_picked=_lines(row.triggers_picked),
        signs_own=row.signs_own,
        emergency_call=row.emergency_call,
        emergency_go=row.emergency_go,
        emergency_do=row.emergency_do,
        shared=row.shared,
        shared_changed_at=row.shared_changed_at,
        updated_at=row.updated_at,
    )


def _new_row(guild_id: int, user_id: int) -> RecoveryPlan:
    return RecoveryPlan(guild_id=guild_id, user_id=user_id, shared=False)


# --- Checking what was written ------------------------------------------------------------


def written_changes(part: Part, typed: Mapping[str, str]) -> dict[str, str | None]:
    """The part's fields as the member typed them, each stripped (empty clears it).

    Every field too long is named in one refusal, and nothing is kept.
    """
    changes: dict[str, str | None] = {}
    problems: list[str] = []
    for field in WRITTEN[part]:
        value = typed.get(field.column, "").strip()
        if len(value) > field.max_length:
            problems.append(
                texts.TOO_LONG.format(label=field.label, length=len(value), limit=field.max_length)
            )
        changes[field.column] = value or None
    if problems:
        raise UserFacingError("\n".join([texts.NOT_SAVED, *problems]))
    return changes


def picked_changes(
    column: str, picked: Sequence[str], allowed: Iterable[str]
) -> dict[str, str | None]:
    """What a member picked from a list, kept in the list's order; anything not on the
    list (a menu from before the content changed) is refused."""
    known = list(allowed)
    unknown = [value for value in picked if value not in known]
    if unknown:
        raise UserFacingError(texts.PICK_UNKNOWN)
    kept = [value for value in known if value in picked]
    return {column: "\n".join(kept) or None}


# --- Reading and writing ------------------------------------------------------------------


async def plan_of(db: Database, guild_id: int, user_id: int) -> Plan | None:
    async with db.guild_session(guild_id) as session:
        return _plan_of(await session.get(RecoveryPlan, (guild_id, user_id)))


async def save(
    db: Database, guild_id: int, user_id: int, changes: Mapping[str, str | None]
) -> Plan:
    """Write the changed fields of the member's plan (creating it), in one transaction."""
    writable = {f.column for part in WRITTEN.values() for f in part} | set(PICKED)
    unknown = set(changes) - writable
    if unknown:
        raise TypeError(f"not plan fields: {', '.join(sorted(unknown))}")
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(RecoveryPlan, (guild_id, user_id)) or _new_row(guild_id, user_id)
        for column, value in changes.items():
            setattr(row, column, value)
        session.add(row)
        await session.flush()
        plan = _plan_of(row)
    assert plan is not None
    return plan


async def set_shared(
    db: Database, guild_id: int, user_id: int, shared: bool, now: datetime
) -> tuple[Plan, bool]:
    """Give or withdraw the member's consent; also whether it changed. Each change is an
    audit line (who, what, when), so the consent's history outlives the flag."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(RecoveryPlan, (guild_id, user_id)) or _new_row(guild_id, user_id)
        changed = bool(row.shared) != shared
        if changed:
            row.shared = shared
            row.shared_changed_at = now
            session.add(
                AuditEntry(
                    guild_id=guild_id,
                    actor_user_id=user_id,
                    subject_user_id=user_id,
                    action=SHARED_ACTION if shared else UNSHARED_ACTION,
                    details={},
                    created_at=now,
                )
            )
        session.add(row)
        await session.flush()
        plan = _plan_of(row)
    assert plan is not None
    return plan, changed


async def look(
    db: Database, guild_id: int, member_id: int, viewer_id: int, now: datetime
) -> Plan | None:
    """A specialist's read of a member's plan: the plan only if the member shares it,
    and then the look is recorded in the same transaction (no read goes unrecorded)."""
    async with db.guild_session(guild_id) as session, session.begin():
        plan = _plan_of(await session.get(RecoveryPlan, (guild_id, member_id)))
        if plan is None or not plan.shared:
            return None
        session.add(
            PlanLook(guild_id=guild_id, user_id=member_id, viewer_id=viewer_id, looked_at=now)
        )
        session.add(
            AuditEntry(
                guild_id=guild_id,
                actor_user_id=viewer_id,
                subject_user_id=member_id,
                action=LOOKED_ACTION,
                details={},
                created_at=now,
            )
        )
    return plan


async def looks_at(
    db: Database, guild_id: int, user_id: int, limit: int = RECENT_LOOKS
) -> tuple[int, list[Look]]:
    """How many times specialists looked at the member's plan, and the latest looks."""
    async with db.guild_session(guild_id) as session:
        where = (PlanLook.guild_id == guild_id, PlanLook.user_id == user_id)
        total = await session.scalar(select(func.count()).select_from(PlanLook).where(*where))
        rows = await session.scalars(
            select(PlanLook).where(*where).order_by(PlanLook.looked_at.desc()).limit(limit)
        )
        return int(total or 0), [Look(row.viewer_id, row.looked_at) for row in rows]


# --- What other features show --------------------------------------------------------------


def highlights(plan: Plan, content: Content) -> PlanHighlights | None:
    """The parts that help in a hard moment; None when the plan has none of them."""
    emergency = "\n".join(emergency_lines(plan))
    coping = (*coping_names(plan, content), *_lines(plan.coping_own))
    if not (emergency or plan.supports or coping):
        return None
    return PlanHighlights(emergency=emergency or None, supports=plan.supports, coping=coping)


def emergency_lines(plan: Plan) -> list[str]:
    """The emergency part's lines, those written."""
    return [
        template.format(text=value)
        for template, value in (
            (texts.CALL_LINE, plan.emergency_call),
            (texts.GO_LINE, plan.emergency_go),
            (texts.DO_LINE, plan.emergency_do),
        )
        if value
    ]


def coping_names(plan: Plan, content: Content) -> tuple[str, ...]:
    """The names of the strategies picked, as the content names them now (a strategy a
    group removed since is left out)."""
    return tuple(
        strategy.name
        for strategy_id in plan.coping_picked
        if (strategy := content.coping.strategy(strategy_id)) is not None
    )


async def all_highlights(
    db: Database, content: Content, shards: tuple[Sequence[int], int] | None
) -> dict[tuple[int, int], PlanHighlights]:
    """Every plan's highlights in the servers of these shards, read once at start."""
    async with db.all_guilds_session() as session:
        query = select(RecoveryPlan)
        conditions: list[Any] = shard_filter(RecoveryPlan.guild_id, shards)
        if conditions:
            query = query.where(or_(*conditions))
        found: dict[tuple[int, int], PlanHighlights] = {}
        for row in await session.scalars(query):
            plan = _plan_of(row)
            assert plan is not None
            if (shown := highlights(plan, content)) is not None:
                found[(row.guild_id, row.user_id)] = shown
        return found
