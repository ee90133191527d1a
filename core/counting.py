"""A number with its noun, as a person reads it: "1 day", "3 days", never "1 days".

The nouns are words members read, so each feature keeps them in its texts module as a
(singular, plural) pair.
"""

from __future__ import annotations

Noun = tuple[str, str]


def counted(number: int, noun: Noun) -> str:
    one, many = noun
    return f"{number:,} {one if number == 1 else many}"
