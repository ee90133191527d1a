"""What the plan says keeps to the domain's words, and its forms fit Discord's limits."""

from __future__ import annotations

import re

from cogs.plan import texts
from cogs.plan.service import WRITTEN

AVOIDED = ("addict", "clean", "dirty", "abuser", "relapsed", "failed", "failure")
# Discord's forms: at most 5 fields, labels of 45 characters, placeholders of 100.
FIELDS_PER_FORM = 5
LABEL_LIMIT = 45
PLACEHOLDER_LIMIT = 100


def test_plan_texts_avoid_the_words_the_domain_avoids() -> None:
    words = " ".join(
        value for name, value in vars(texts).items() if name.isupper() and isinstance(value, str)
    ).lower()
    assert words
    assert [word for word in AVOIDED if re.search(rf"\b{word}", words)] == []


def test_every_plan_form_fits_discords_limits() -> None:
    for fields in WRITTEN.values():
        assert 1 <= len(fields) <= FIELDS_PER_FORM
        for field in fields:
            assert len(field.label) <= LABEL_LIMIT, field.label
            assert len(field.placeholder) <= PLACEHOLDER_LIMIT, field.placeholder
            assert field.max_length <= 4000
