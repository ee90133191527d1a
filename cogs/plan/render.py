"""A plan as text: for the member (with how to write what is missing) or for a peer
specialist who was let read it. No Discord here."""

from __future__ import annotations

from cogs.plan import texts
from cogs.plan.service import Part, Plan, coping_names, emergency_lines
from config.content import Content


def plan_blocks(plan: Plan, content: Content, *, own: bool) -> list[str]:
    """The five parts, one block each, in domain.md's order."""
    own_header = texts.OWN_HEADER if own else texts.OWN_HEADER_OTHER
    blocks: list[str] = []
    for number, part in enumerate(Part, 1):
        lines = _part_lines(plan, part, content, own_header)
        heading = f"**{number}. {texts.PART_NAMES[part.value]}**"
        blocks.append("\n".join([heading, *(lines or [_missing(part, own)])]))
    return blocks


def _missing(part: Part, own: bool) -> str:
    if own:
        return texts.NOT_WRITTEN.format(part=texts.PART_NAMES[part.value])
    return texts.NOT_WRITTEN_OTHER


def _part_lines(plan: Plan, part: Part, content: Content, own_header: str) -> list[str]:
    if part is Part.ROUTINE:
        return [plan.routine] if plan.routine else []
    if part is Part.SUPPORTS:
        return [plan.supports] if plan.supports else []
    if part is Part.COPING:
        return [
            *_listed(texts.PICKED_HEADER, coping_names(plan, content)),
            *([own_header, plan.coping_own] if plan.coping_own else []),
        ]
    if part is Part.SIGNS:
        return [
            *_listed(texts.SIGNS_HEADER, plan.signs_picked),
            *_listed(texts.TRIGGERS_HEADER, plan.triggers_picked),
            *([own_header, plan.signs_own] if plan.signs_own else []),
        ]
    return emergency_lines(plan)


def _listed(header: str, items: tuple[str, ...]) -> list[str]:
    return [header, *(f"• {item}" for item in items)] if items else []
