from __future__ import annotations

from datetime import UTC, datetime

import pytest

from cogs.oncall.service import Rotation
from db.engine import Database
from tests.fake_clock import FakeClock


@pytest.fixture
def clock() -> FakeClock:
    # Monday 2 March 2026, 15:00 UTC (10:00 in New York, standard time).
    return FakeClock(datetime(2026, 3, 2, 15, 0, tzinfo=UTC))


@pytest.fixture
async def rotation(database: Database, clock: FakeClock) -> Rotation:
    rotation = Rotation(database, clock)
    await rotation.warm()
    return rotation
