"""The one clock tests move by hand (the bot takes any `core.clock.Clock`)."""

from __future__ import annotations

from datetime import datetime, timedelta


class FakeClock:
    def __init__(self, at: datetime) -> None:
        self.at = at

    def now(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)
