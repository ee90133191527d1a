"""Heartbeats: discord.py measures each ACK against the heartbeat it answers."""

from __future__ import annotations

import asyncio
import logging
import sys
from typing import Any

import discord
import pytest
from discord.gateway import DiscordWebSocket, KeepAliveHandler

from fakediscord import FakeDiscord, running_client
from fakediscord.gateway import OP_HEARTBEAT, OP_HELLO
from fakediscord.testing import SmallWorld

INTERVAL = 0.05
ACKS = 10


async def test_heartbeat_latency_is_small_and_positive_when_the_keep_alive_thread_wakes_late(
    emulator: FakeDiscord,
    world: SmallWorld,
    client: discord.Client,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="discord.gateway")
    emulator.heartbeat_interval = INTERVAL
    latencies: list[float] = []
    original_ack = KeepAliveHandler.ack
    original_send = DiscordWebSocket.send_heartbeat

    def recording_ack(handler: KeepAliveHandler) -> None:
        original_ack(handler)
        latencies.append(handler.latency)

    async def send_then_wake_late(ws: DiscordWebSocket, data: Any) -> None:
        # discord.py's keep-alive thread notes its send time once it has the GIL back
        # after the loop sent the beat: on a busy loop up to one switch interval later.
        # This makes that worst case happen on every beat instead of now and then.
        await original_send(ws, data)
        await asyncio.sleep(sys.getswitchinterval())

    monkeypatch.setattr(KeepAliveHandler, "ack", recording_ack)
    monkeypatch.setattr(DiscordWebSocket, "send_heartbeat", send_then_wake_late)

    async with running_client(client, world.app.token):
        await emulator.wait_until(
            lambda: True if len(latencies) >= ACKS else None,
            within=ACKS * INTERVAL * 10,
            what=f"{ACKS} heartbeat ACKs",
            seen=lambda: f"{len(latencies)} ACKs",
        )

    # An ACK read before the thread noted its send time is measured against the previous
    # beat and reads a whole interval late: at Discord's 41.25 s interval, discord.py's
    # "Can't keep up, websocket is 41.3s behind".
    late = [round(latency, 3) for latency in latencies if not 0 < latency < INTERVAL / 2]
    assert late == []
    assert "Can't keep up" not in caplog.text


async def test_the_heartbeat_right_after_hello_is_acknowledged(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        await emulator.wait_until(
            lambda: True if client.latency != float("inf") else None,
            within=5,
            what="the first heartbeat ACK",
            seen=lambda: str([(f.direction, f.op) for f in emulator.gateway_frames]),
        )
        ops = [(f.direction, f.op) for f in emulator.gateway_frames]
        assert ops[:2] == [("out", OP_HELLO), ("in", OP_HEARTBEAT)]
        assert 0 < client.latency < 1.0
