"""Counts read as English does: one of a thing, and any other number of things."""

from __future__ import annotations

import pytest

from core.counting import counted


@pytest.mark.parametrize(
    ("number", "shown"),
    [(0, "0 days"), (1, "1 day"), (2, "2 days"), (1000, "1,000 days")],
)
def test_a_count_takes_the_singular_only_for_one(number: int, shown: str) -> None:
    assert counted(number, ("day", "days")) == shown
