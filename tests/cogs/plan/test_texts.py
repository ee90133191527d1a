"""The plan's forms fit Discord's limits. (The words every text avoids are checked in
tests/test_words.py.)"""

from __future__ import annotations

from cogs.plan import texts
from cogs.plan.service import WRITTEN

# Discord's forms: at most 5 fields, labels of 45 characters, placeholders of 100,
# values of 4,000.
FIELDS_PER_FORM = 5
LABEL_LIMIT = 45
PLACEHOLDER_LIMIT = 100
VALUE_LIMIT = 4000


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
