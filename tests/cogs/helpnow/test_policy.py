from __future__ import annotations

from datetime import UTC, datetime, timedelta

from cogs.helpnow.policy import (
    Policy,
    Target,
    TargetKind,
    due_after,
    first_step,
    next_step,
    target_for,
)
from core.oncall import OnCallChain

ROLE = 900
POLICY = Policy(timedelta(minutes=5), timedelta(minutes=10), max_repeats=2)
T0 = datetime(2026, 11, 25, 12, 0, tzinfo=UTC)


def walk(chain: OnCallChain, role_id: int | None = ROLE) -> list[tuple[Target, timedelta | None]]:
    """The pages a never-acknowledged request goes through, with the wait after each."""
    pages = []
    step = first_step(chain)
    while True:
        due = due_after(step, T0, POLICY)
        pages.append((target_for(step, chain, role_id), due - T0 if due else None))
        if due is None:
            return pages
        step = next_step(step, chain)


def test_on_call_then_backup_then_the_role_repeated_up_to_the_limit() -> None:
    pages = walk(OnCallChain(primary=1, backups=(2, 3)))
    assert pages == [
        (Target(TargetKind.USER, 1), timedelta(minutes=5)),
        (Target(TargetKind.USER, 2), timedelta(minutes=5)),
        (Target(TargetKind.ROLE, ROLE), timedelta(minutes=10)),
        (Target(TargetKind.ROLE, ROLE), timedelta(minutes=10)),
        (Target(TargetKind.ROLE, ROLE), None),
    ]


def test_nobody_on_call_pages_the_role_at_once() -> None:
    pages = walk(OnCallChain(primary=None, backups=()))
    assert [target for target, _ in pages] == [Target(TargetKind.ROLE, ROLE)] * 3


def test_no_backup_goes_straight_from_on_call_to_the_role() -> None:
    pages = walk(OnCallChain(primary=1, backups=(1,)))
    assert [target.kind for target, _ in pages][:2] == [TargetKind.USER, TargetKind.ROLE]


def test_without_a_role_the_page_is_posted_without_a_mention() -> None:
    target = target_for(2, OnCallChain(None, ()), None)
    assert target.kind is TargetKind.CHANNEL
    assert "@" not in target.mention()
