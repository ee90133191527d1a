"""What the plan says keeps to the domain's words, and its forms fit Discord's limits."""

from __future__ import annotations

import re

from cogs.plan import texts
from cogs.plan.service import WRITTEN

AVOIDED = ("addict", "clean", "dirty", "abuser", "relapsed", "failed", "failure")
# Discord's forms: at most 5 fields, labels of 45 characters, placeholders of 100,
# values of 4,000.
FIELDS_PER_FORM = 5
LABEL_LIMIT = 45
PLACEHOLDER_LIMIT = 100
VALUE_LIMIT = 4000


def member_texts() -> str:
    """Every text of the module, the part names (a mapping) included."""
    found: list[str] = []
    for name, value in vars(texts).items():
        if not name.isupper():
            continue
        if isinstance(value, str):
            found.append(value)
        elif isinstance(value, dict):
            found += [v for v in value.values() if isinstance(v, str)]
    assert texts.PART_NAMES["emergency"] in found
    return " ".join(found).lower()


def test_plan_texts_avoid_the_words_the_domain_avoids() -> None:
    words = member_texts()
    assert [word for word in AVOIDED if re.search(rf"\b{word}", words)] == []


def test_every_plan_form_fits_discords_limits() -> None:
    for fields in WRITTEN.values():
        assert 1 <= len(fields) <= FIELDS_PER_FORM
        for field in fields:
            assert len(field.label) <= LABEL_LIMIT, field.label
            assert len(field.placeholder) <= PLACEHOLDER_LIMIT, field.placeholder
            assert 1 <= field.max_length <= VALUE_LIMIT, field.column


def test_a_forms_title_fits_discords_limit() -> None:
    # A form's title is a part's name, at most 45 characters as well.
    assert [name for name in texts.PART_NAMES.values() if len(name) > LABEL_LIMIT] == []
