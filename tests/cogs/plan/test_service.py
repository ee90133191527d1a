"""The plan's rules without Discord: what is accepted from a form or a menu, and that a
specialist's read is recorded only when the member shares their plan (both backends)."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from cogs.plan import service, texts
from cogs.plan.service import WRITTEN, Part
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core.errors import UserFacingError
from db.engine import Database
from db.models import AuditEntry, PlanLook

GUILD = 111_000_000_000_000_001
OTHER = 222_000_000_000_000_002
ALICE = 333_000_000_000_000_003
BOB = 444_000_000_000_000_004
SAM = 555_000_000_000_000_005
CONTENT = load_content(DEFAULT_CONTENT_DIR)
STRATEGIES = [strategy.id for strategy in CONTENT.coping.strategies]


def at(hour: int) -> datetime:
    return datetime(2024, 5, 1, hour, tzinfo=UTC)


def test_every_too_long_field_is_named_in_one_refusal() -> None:
    call, go, do = WRITTEN[Part.EMERGENCY]
    typed = {
        call.column: "x" * (call.max_length + 1),
        go.column: "fine",
        do.column: "y" * (do.max_length + 5),
    }
    with pytest.raises(UserFacingError) as refused:
        service.written_changes(Part.EMERGENCY, typed)
    message = str(refused.value)
    assert message.startswith(texts.NOT_SAVED)
    assert f"**{call.label}** is {call.max_length + 1:,} characters" in message
    assert f"**{do.label}** is {do.max_length + 5:,} characters" in message
    assert f"**{go.label}**" not in message


def test_a_value_exactly_at_the_limit_is_kept_whole_and_empty_fields_clear() -> None:
    call, go, do = WRITTEN[Part.EMERGENCY]
    typed = {call.column: "z" * call.max_length, go.column: "   ", do.column: "  Breathe  "}
    assert service.written_changes(Part.EMERGENCY, typed) == {
        call.column: "z" * call.max_length,
        go.column: None,
        do.column: "Breathe",
    }


def test_picks_are_kept_in_the_contents_order_whatever_order_they_came_in() -> None:
    last, first = STRATEGIES[-1], STRATEGIES[0]
    assert service.picked_changes("coping_picked", [last, first], STRATEGIES) == {
        "coping_picked": f"{first}\n{last}"
    }
    assert service.picked_changes("coping_picked", [], STRATEGIES) == {"coping_picked": None}


def test_a_pick_not_on_the_list_is_refused() -> None:
    with pytest.raises(UserFacingError, match="out of date"):
        service.picked_changes("coping_picked", [STRATEGIES[0], "gone-since"], STRATEGIES)


async def test_a_look_at_an_unshared_plan_shows_nothing_and_records_nothing(
    database: Database,
) -> None:
    await service.save(database, GUILD, ALICE, {"emergency_call": "Jo"})
    assert await service.look(database, GUILD, ALICE, SAM, at(9)) is None
    # Nor at a plan that does not exist.
    assert await service.look(database, GUILD, BOB, SAM, at(9)) is None
    async with database.all_guilds_session() as session:
        assert (await session.scalars(select(PlanLook))).all() == []
        assert [
            row.action
            for row in await session.scalars(select(AuditEntry))
            if row.action == service.LOOKED_ACTION
        ] == []


async def test_a_look_at_a_shared_plan_is_recorded_with_an_audit_line(
    database: Database,
) -> None:
    await service.save(database, GUILD, ALICE, {"emergency_call": "Jo"})
    await service.set_shared(database, GUILD, ALICE, True, at(8))

    read = await service.look(database, GUILD, ALICE, SAM, at(9))

    assert read is not None
    assert read.emergency_call == "Jo"
    async with database.guild_session(GUILD) as session:
        looks = (await session.scalars(select(PlanLook))).all()
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(look.user_id, look.viewer_id, look.looked_at) for look in looks] == [
        (ALICE, SAM, at(9))
    ]
    assert [(a.action, a.actor_user_id, a.subject_user_id) for a in audit] == [
        (service.SHARED_ACTION, ALICE, ALICE),
        (service.LOOKED_ACTION, SAM, ALICE),
    ]


async def test_looks_at_counts_every_look_at_that_plan_and_lists_the_latest_first(
    database: Database,
) -> None:
    for guild_id in (GUILD, OTHER):
        for who in (ALICE, BOB):
            await service.save(database, guild_id, who, {"routine": "walk"})
            await service.set_shared(database, guild_id, who, True, at(7))
    for hour in (9, 10, 11):
        await service.look(database, GUILD, ALICE, SAM, at(hour))
    # Looks at bob's plan, and at alice's in another server, are not hers here.
    await service.look(database, GUILD, BOB, SAM, at(12))
    await service.look(database, OTHER, ALICE, SAM, at(12))

    count, latest = await service.looks_at(database, GUILD, ALICE, limit=2)

    assert count == 3
    assert [(look.viewer_id, look.looked_at) for look in latest] == [(SAM, at(11)), (SAM, at(10))]
    assert await service.looks_at(database, GUILD, 1) == (0, [])


async def test_sharing_twice_changes_nothing_and_leaves_one_consent_line(
    database: Database,
) -> None:
    _, first = await service.set_shared(database, GUILD, ALICE, True, at(8))
    plan, second = await service.set_shared(database, GUILD, ALICE, True, at(9))
    _, withdrawn = await service.set_shared(database, GUILD, ALICE, False, at(10))

    assert (first, second, withdrawn) == (True, False, True)
    # The consent's time is when it was given, not when it was asked again.
    assert plan.shared_changed_at == at(8)
    async with database.guild_session(GUILD) as session:
        audit = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    assert [(a.action, a.actor_user_id, a.created_at) for a in audit] == [
        (service.SHARED_ACTION, ALICE, at(8)),
        (service.UNSHARED_ACTION, ALICE, at(10)),
    ]


async def test_a_save_writes_only_the_fields_it_names(database: Database) -> None:
    await service.save(database, GUILD, ALICE, {"routine": "walk", "supports": "Jo"})
    plan = await service.save(database, GUILD, ALICE, {"supports": None})

    assert (plan.routine, plan.supports) == ("walk", None)
    assert await service.plan_of(database, GUILD, ALICE) == plan
    with pytest.raises(TypeError):
        await service.save(database, GUILD, ALICE, {"shared": "yes"})
