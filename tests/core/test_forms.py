"""Reading a form's submit: what was typed and what was picked, in rows and in labels."""

from __future__ import annotations

from typing import Any

from core.forms import submitted_choices, submitted_values

SUBMIT: dict[str, Any] = {
    "custom_id": "feature:form",
    "components": [
        {"type": 1, "components": [{"type": 4, "custom_id": "mood", "value": "3"}]},
        {"type": 18, "component": {"type": 4, "custom_id": "note", "value": "hi"}},
        {"type": 18, "component": {"type": 3, "custom_id": "menu", "values": ["a", "b"]}},
        {"type": 18, "component": {"type": 3, "custom_id": "empty", "values": []}},
        {"type": 10, "content": "a line of text, no answer"},
    ],
}


def test_typed_values_are_read_by_custom_id_and_picks_are_not_among_them() -> None:
    assert submitted_values(SUBMIT) == {"mood": "3", "note": "hi"}


def test_picks_are_read_by_custom_id_as_lists_and_typed_values_are_not_among_them() -> None:
    assert submitted_choices(SUBMIT) == {"menu": ["a", "b"], "empty": []}


def test_a_malformed_submit_gives_what_can_be_read() -> None:
    odd: dict[str, Any] = {
        "components": [
            "not a component",
            {"type": 18, "component": {"type": 3, "custom_id": "menu", "values": ["a", 7]}},
            {"type": 18, "component": {"type": 3, "values": ["no id"]}},
            {"type": 18, "component": {"type": 3, "custom_id": "bad", "values": "a"}},
        ]
    }
    assert submitted_choices(odd) == {"menu": ["a"]}
    assert submitted_choices({}) == {}
