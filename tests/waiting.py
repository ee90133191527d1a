"""Waiting for a condition outside the emulator (a database row), always with a deadline."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")
POLL_INTERVAL = 0.05


async def wait_for(check: Callable[[], Awaitable[T | None]], *, within: float, what: str) -> T:
    """The first non-None result of `check`, polled for up to `within` seconds."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + within
    while True:
        result = await check()
        if result is not None:
            return result
        if loop.time() >= deadline:
            raise TimeoutError(f"gave up after {within} s waiting for {what}")
        await asyncio.sleep(POLL_INTERVAL)
