"""Long texts as Discord messages: as few as fit, each whole block kept together where it
can be, split at the coarsest place needed (between lines, then between words), and
nothing ever cut off."""

from __future__ import annotations

from collections.abc import Sequence

DISCORD_MESSAGE_LIMIT = 2000


def fits(text: str) -> bool:
    return len(text) <= DISCORD_MESSAGE_LIMIT


def pack(blocks: Sequence[str]) -> list[str]:
    """Blocks joined into as few messages as fit, each block whole where it can be."""
    messages: list[str] = []
    current = ""
    for block in blocks:
        for piece in _pieces(block, ("\n", " ")):
            candidate = f"{current}\n\n{piece}" if current else piece
            if current and not fits(candidate):
                messages.append(current)
                current = piece
            else:
                current = candidate
    if current:
        messages.append(current)
    return messages


def _pieces(text: str, separators: tuple[str, ...]) -> list[str]:
    """`text` in pieces that each fit one message, split at the coarsest separator needed."""
    if fits(text):
        return [text]
    if not separators:
        # A single word longer than a message: nothing else can be done with it.
        return [
            text[i : i + DISCORD_MESSAGE_LIMIT] for i in range(0, len(text), DISCORD_MESSAGE_LIMIT)
        ]
    separator, finer = separators[0], separators[1:]
    pieces: list[str] = []
    current: str | None = None
    for unit in text.split(separator):
        for part in _pieces(unit, finer):
            candidate = part if current is None else f"{current}{separator}{part}"
            if current is not None and not fits(candidate):
                pieces.append(current)
                current = part
            else:
                current = candidate
    if current:
        pieces.append(current)
    return pieces
