"""The pacer: the process stays under Discord's global limit, and bulk work goes last."""

from __future__ import annotations

import asyncio
import time
from typing import Any

import discord

from core.pacing import GlobalPacer, bulk_requests, install, per_process


async def test_no_second_ever_holds_more_slots_than_the_rate() -> None:
    pacer = GlobalPacer(per_second=100)
    granted: list[float] = []

    async def one(bulk: bool) -> None:
        if bulk:
            with bulk_requests():
                await pacer.slot()
        else:
            await pacer.slot()
        granted.append(time.monotonic())

    await asyncio.gather(*(one(bulk=n % 3 == 0) for n in range(150)))
    granted.sort()
    busiest = max(sum(1 for t in granted if start <= t < start + 1.0) for start in granted)
    assert len(granted) == 150
    assert busiest <= 101


async def test_an_urgent_request_goes_before_the_bulk_ones_already_waiting() -> None:
    pacer = GlobalPacer(per_second=50)
    order: list[str] = []
    two_went = asyncio.Event()

    async def bulk(n: int) -> None:
        with bulk_requests():
            await pacer.slot()
        order.append(f"bulk {n}")
        if len(order) == 2:
            two_went.set()

    waiting = [asyncio.create_task(bulk(n)) for n in range(20)]
    await asyncio.wait_for(two_went.wait(), timeout=5)
    await pacer.slot()
    order.append("urgent")
    await asyncio.gather(*waiting)
    assert len(order) == 21
    assert order.index("urgent") <= 4


def test_a_slot_left_unused_while_idle_is_not_saved_up_for_a_burst() -> None:
    now = [100.0]
    pacer = GlobalPacer(per_second=10, clock=lambda: now[0])
    assert pacer.reserve() == 0
    now[0] += 60.0  # a quiet minute
    waits = [round(pacer.reserve(), 6) for _ in range(3)]
    assert waits == [0, 0.1, 0.2]


def test_processes_holding_shards_share_the_limit_in_proportion() -> None:
    assert per_process(None, None) == 48.0
    assert per_process([0, 1], 4) == 24.0
    assert per_process([3], 4) == 12.0


class _RecordingHTTP:
    def __init__(self) -> None:
        self.sent: list[str] = []

    async def request(self, route: discord.http.Route, **_: Any) -> str:
        self.sent.append(route.path)
        return route.path


class _CountingPacer(GlobalPacer):
    def __init__(self) -> None:
        super().__init__()
        self.slots = 0

    async def slot(self) -> None:
        self.slots += 1


async def test_interaction_callbacks_and_webhooks_are_not_paced_and_everything_else_is() -> None:
    http = _RecordingHTTP()
    pacer = _CountingPacer()
    install(http, pacer)  # type: ignore[arg-type]
    await http.request(discord.http.Route("GET", "/gateway"))
    await http.request(discord.http.Route("POST", "/interactions/{i}/{t}/callback", i=1, t="x"))
    await http.request(discord.http.Route("POST", "/webhooks/{a}/{t}", a=1, t="x"))
    await http.request(discord.http.Route("POST", "/channels/{c}/messages", c=2))
    assert pacer.slots == 2
    assert len(http.sent) == 4
