"""The escalation policy, like a pager's, as pure functions.

Step 0 pages the person on call; unacknowledged after the ack timeout, step 1 pages
the backup; then step 2 pages the whole specialist role, repeated every repeat
interval until `max_repeats` role pages have gone out. With nobody on call, the
first page goes to the role at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import Enum

from cogs.helpnow import texts
from core.oncall import OnCallChain

FIRST_ROLE_STEP = 2


class TargetKind(Enum):
    USER = "user"
    ROLE = "role"
    CHANNEL = "channel"  # no role configured: the page is posted without a mention


@dataclass(frozen=True)
class Target:
    kind: TargetKind
    id: int | None = None

    def key(self) -> str:
        return f"{self.kind.value}:{self.id}" if self.id is not None else self.kind.value

    def mention(self) -> str:
        if self.kind is TargetKind.USER:
            return f"<@{self.id}>"
        if self.kind is TargetKind.ROLE:
            return f"<@&{self.id}>"
        return texts.CHANNEL_TARGET


@dataclass(frozen=True)
class Policy:
    ack_timeout: timedelta
    repeat_interval: timedelta
    max_repeats: int


def first_step(chain: OnCallChain) -> int:
    return 0 if chain.primary is not None else FIRST_ROLE_STEP


def target_for(step: int, chain: OnCallChain, role_id: int | None) -> Target:
    role = Target(TargetKind.ROLE, role_id) if role_id else Target(TargetKind.CHANNEL)
    if step == 0 and chain.primary is not None:
        return Target(TargetKind.USER, chain.primary)
    if step == 1:
        backup = next((user for user in chain.backups if user != chain.primary), None)
        if backup is not None:
            return Target(TargetKind.USER, backup)
    return role


def next_step(step: int, chain: OnCallChain) -> int:
    """The step after `step`; a missing backup is skipped straight to the role."""
    following = step + 1
    if following == 1 and not any(user != chain.primary for user in chain.backups):
        return FIRST_ROLE_STEP
    return following


def repeat_of(step: int) -> int:
    """Which repeat of the role page `step` is: 0 for the first role page or before it."""
    return max(step - FIRST_ROLE_STEP, 0)


def due_after(step: int, paged_at: datetime, policy: Policy) -> datetime | None:
    """When the step after `step` is due, or None once the role repeats are used up."""
    if step < FIRST_ROLE_STEP:
        return paged_at + policy.ack_timeout
    repeats_sent = step - FIRST_ROLE_STEP
    if repeats_sent >= policy.max_repeats:
        return None
    return paged_at + policy.repeat_interval
