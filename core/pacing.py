"""Keeping the whole process under Discord's global rate limit, crisis work first.

Discord allows a bot 50 requests a second over all routes (interaction callbacks and
their webhooks aside). discord.py only reacts once it is refused (a global 429), and
then every request in the process waits, a /help-now page included. The pacer spaces
the process's requests instead: each takes the next free slot, at most `per_second`
a second, and bulk work (the outbox, the warning-sign detector) takes a slot only
when no other request is waiting for one. So a stampede of prompts never gets
refused, and a page posted in the middle of it waits at most a slot or two.

Bulk work marks itself with `with bulk_requests():`; everything else is urgent.
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import time
from collections.abc import Awaitable, Callable, Iterator
from typing import Any

import discord

# Under Discord's 50 a second, so a slot spent a little late never makes 50 in a second.
PER_SECOND = 48.0
# Routes Discord does not count against the global limit.
UNCOUNTED_PREFIXES = ("/interactions/", "/webhooks/")

_bulk: contextvars.ContextVar[bool] = contextvars.ContextVar("bulk_requests", default=False)


@contextlib.contextmanager
def bulk_requests() -> Iterator[None]:
    """Requests made inside (and in tasks started inside) yield to every other request."""
    token = _bulk.set(True)
    try:
        yield
    finally:
        _bulk.reset(token)


def is_bulk() -> bool:
    return _bulk.get()


def per_process(shard_ids: list[int] | None, shard_count: int | None) -> float:
    """This process's share of the bot's global limit: processes holding shards of one
    bot share one limit, in proportion to the shards each holds."""
    if shard_ids is None or not shard_count:
        return PER_SECOND
    return PER_SECOND * len(shard_ids) / shard_count


class GlobalPacer:
    """Hands out request slots `1 / per_second` apart, urgent requests first."""

    def __init__(
        self, per_second: float = PER_SECOND, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self.interval = 1.0 / per_second
        self._clock = clock
        self._next_free = 0.0
        self._urgent_waiting = 0
        # Bulk requests queue here one at a time, so that only one of them ever holds
        # a slot in reserve and an urgent request can always take the next one.
        self._bulk_turn = asyncio.Lock()

    def reserve(self) -> float:
        """Reserve the next slot; how long until it comes."""
        now = self._clock()
        # Busy, slots follow each other exactly, so a waiter woken a millisecond late
        # does not push every later slot back (that alone cost 7% of the pace). A slot
        # left unused while idle is gone: no burst to make up for it.
        busy = now < self._next_free + self.interval
        at = self._next_free if busy else now
        self._next_free = at + self.interval
        return max(at - now, 0.0)

    async def urgent(self) -> None:
        wait = self.reserve()
        if wait <= 0:
            return
        self._urgent_waiting += 1
        try:
            await asyncio.sleep(wait)
        finally:
            self._urgent_waiting -= 1

    async def bulk(self) -> None:
        async with self._bulk_turn:
            while True:
                wait = self._next_free - self._clock()
                if wait <= 0 and self._urgent_waiting == 0:
                    self.reserve()
                    return
                await asyncio.sleep(max(wait, self.interval / 4))

    async def slot(self) -> None:
        await (self.bulk() if is_bulk() else self.urgent())


def install(http: discord.http.HTTPClient, pacer: GlobalPacer) -> None:
    """Make every REST call of `http` that counts against the global limit take a slot."""
    send: Callable[..., Awaitable[Any]] = http.request

    async def paced(route: discord.http.Route, **kwargs: Any) -> Any:
        if not route.path.startswith(UNCOUNTED_PREFIXES):
            await pacer.slot()
        return await send(route, **kwargs)

    http.request = paced  # type: ignore[method-assign]
