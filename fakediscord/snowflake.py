"""Snowflake ids shaped like Discord's: milliseconds since the Discord epoch in the high bits."""

from __future__ import annotations

import time
from datetime import UTC, datetime

DISCORD_EPOCH_MS = 1420070400000


class SnowflakeGenerator:
    """Hands out unique, increasing snowflakes whose timestamp part is the current time."""

    def __init__(self, worker_id: int = 1, process_id: int = 0) -> None:
        self._worker = worker_id & 0x1F
        self._process = process_id & 0x1F
        self._last_ms = 0
        self._increment = 0

    def next(self) -> int:
        """Return a new snowflake, never smaller than the previous one."""
        now_ms = int(time.time() * 1000) - DISCORD_EPOCH_MS
        if now_ms <= self._last_ms:
            # Keep ids unique and ordered even when many are made within one millisecond:
            # borrow the next millisecond once the 12-bit increment runs out.
            self._increment += 1
            if self._increment > 0xFFF:
                self._last_ms += 1
                self._increment = 0
            now_ms = self._last_ms
        else:
            self._last_ms = now_ms
            self._increment = 0
        return (now_ms << 22) | (self._worker << 17) | (self._process << 12) | self._increment


def snowflake_time(snowflake: int) -> datetime:
    """The creation time encoded in a snowflake."""
    return datetime.fromtimestamp(((snowflake >> 22) + DISCORD_EPOCH_MS) / 1000, tz=UTC)
