"""Who is on call when no on-call feature is loaded: nobody, so /help-now pages the role."""

from __future__ import annotations

from datetime import UTC, datetime

from core.oncall import NOBODY, NOBODY_ON_CALL, OnCallChain


def test_without_the_on_call_feature_nobody_is_on_call() -> None:
    assert NOBODY_ON_CALL.chain(1, datetime(2026, 3, 2, tzinfo=UTC)) == NOBODY
    assert OnCallChain(primary=None, backups=()) == NOBODY
