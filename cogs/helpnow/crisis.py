"""The member's crisis reply, built from memory only (content files + cached settings).

No database, no network: this text must go out even when everything else is down.

The reply is one message when it fits Discord's limit, more when it doesn't. The first
message always holds what a person in crisis needs at once: the emergency number, the
region's first two independent lines, the honest words about what the bot did, and the
hint for the buttons attached to it. Everything else goes in whole if it fits, and
otherwise into the messages after it: nothing is ever cut or dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

import discord

from cogs.helpnow import texts
from config.content import CrisisResources
from core.guild_settings import LocalResource
from core.messages import fits, pack

log = logging.getLogger(__name__)

# Independent lines of the region every first message shows (domain.md: any line can be down).
REQUIRED_REGION_LINES = 2


class PageState(Enum):
    PAGED_ONCALL = "paged_oncall"
    PAGED_ROLE = "paged_role"
    REPAGED = "repaged"
    NOT_SET_UP = "not_set_up"


_HONESTY = {
    PageState.PAGED_ONCALL: texts.PAGED,
    PageState.PAGED_ROLE: texts.PAGED_ROLE_NO_ONCALL,
    PageState.REPAGED: texts.REPAGED,
    PageState.NOT_SET_UP: texts.NOT_SET_UP,
}


def shown(text: str) -> str:
    """An admin's text as members see it: one line, no markdown, no mentions."""
    flat = " ".join(text.split())
    return discord.utils.escape_mentions(discord.utils.escape_markdown(flat))


def line_text(name: str, how: str, *, always_open: bool) -> str:
    return (texts.LINE_ALWAYS_OPEN if always_open else texts.LINE).format(name=name, how=how)


def local_line(resource: LocalResource) -> str:
    return line_text(shown(resource.name), shown(resource.how), always_open=resource.always_open)


@dataclass(frozen=True)
class _Parts:
    """The reply's pieces, rendered; `compose` decides which go in the first message."""

    emergency: str
    local: tuple[str, ...]
    required: tuple[str, ...]
    extra: tuple[str, ...]
    overdose: str
    honesty: str
    plan: str | None
    closing: str | None

    def compose(
        self, *, local: bool, extra: int = 0, overdose: bool = False, plan: bool = False
    ) -> str:
        lines = [*(self.local if local else ()), *self.required, *self.extra[:extra]]
        parts = [self.emergency, "\n".join([texts.LINES_HEADER, *lines])]
        if overdose:
            parts.append(self.overdose)
        parts.append(self.honesty)
        if plan and self.plan is not None:
            parts.append(self.plan)
        if self.closing is not None:
            parts.append(self.closing)
        return "\n\n".join(parts)


def _parts(
    crisis: CrisisResources,
    region_code: str | None,
    local_resources: Sequence[LocalResource],
    state: PageState,
    emergency_plan: str | None,
) -> _Parts:
    region = crisis.region(region_code)
    region_lines = [line_text(r.name, r.how, always_open=r.always_open) for r in region.lines]
    return _Parts(
        emergency=texts.EMERGENCY_FIRST.format(emergency=region.emergency),
        local=tuple(local_line(r) for r in local_resources),
        required=tuple(region_lines[:REQUIRED_REGION_LINES]),
        extra=tuple(region_lines[REQUIRED_REGION_LINES:]),
        overdose=f"{texts.OVERDOSE_HEADER} {' '.join(crisis.overdose_steps)}",
        honesty=_HONESTY[state],
        plan=texts.YOUR_PLAN.format(plan=emergency_plan) if emergency_plan else None,
        closing=texts.CLOSING_HINT if state is not PageState.NOT_SET_UP else None,
    )


def local_lines_fit_first_message(
    crisis: CrisisResources,
    region_code: str | None,
    local_resources: Sequence[LocalResource],
    state: PageState,
) -> bool:
    """Whether the first message holds the essentials and all of the server's lines."""
    parts = _parts(crisis, region_code, local_resources, state, None)
    return fits(parts.compose(local=True))


def crisis_messages(
    crisis: CrisisResources,
    region_code: str | None,
    local_resources: Sequence[LocalResource],
    state: PageState,
    emergency_plan: str | None = None,
) -> list[str]:
    """The member's reply: the first message, then any that hold what didn't fit.

    Every message is at most DISCORD_MESSAGE_LIMIT characters. Send them in order, the
    first as the reply (it carries the buttons), the others right after it.
    """
    parts = _parts(crisis, region_code, local_resources, state, emergency_plan)
    local = bool(parts.local) and fits(parts.compose(local=True))
    extra = 0
    while extra < len(parts.extra) and fits(parts.compose(local=local, extra=extra + 1)):
        extra += 1
    overdose = fits(parts.compose(local=local, extra=extra, overdose=True))
    plan = parts.plan is not None and fits(
        parts.compose(local=local, extra=extra, overdose=overdose, plan=True)
    )
    first = parts.compose(local=local, extra=extra, overdose=overdose, plan=plan)
    if not fits(first):
        # Only a content file with very long lines gets here: keep the order, lose nothing.
        log.error(
            "The essentials of the crisis reply for region %r exceed one message", region_code
        )
        everything = [
            parts.emergency,
            "\n".join([texts.LINES_HEADER, *parts.local, *parts.required, *parts.extra]),
            parts.overdose,
            parts.honesty,
            *([parts.plan] if parts.plan is not None else []),
            *([parts.closing] if parts.closing is not None else []),
        ]
        return pack(everything)
    later: list[str] = []
    moved = [*(() if local else parts.local), *parts.extra[extra:]]
    if moved:
        later.append("\n".join([texts.MORE_LINES_HEADER, *moved]))
    if not overdose:
        later.append(parts.overdose)
    if parts.plan is not None and not plan:
        later.append(parts.plan)
    return [first, *pack(later)]
