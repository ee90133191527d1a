"""Pointing the real discord.py at the emulator, and running a client against it.

discord.py keeps its endpoints in class attributes:
- `discord.http.Route.BASE`: every REST call, including the interaction callbacks and
  followup webhooks (discord/webhook/async_.py builds its routes from the same `Route`);
- `discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY`: the first gateway connection of a
  plain `Client`, and again after an INVALID_SESSION that cannot be resumed. Resumes use
  READY's `resume_gateway_url`, and `AutoShardedClient` asks GET /gateway/bot; the
  emulator answers both with its own URL;
- `discord.asset.Asset.BASE`: the CDN, so that avatar downloads stay local too.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable

import discord
import discord.asset
import discord.gateway
import discord.http

from core.discord_api import point_discord_at


def point_discord_py_at(api_base_url: str, gateway_url: str) -> Callable[[], None]:
    """Send all of discord.py's traffic to the emulator; returns a function that undoes it.

    `api_base_url` is like "http://127.0.0.1:PORT/api/v10", `gateway_url` like
    "ws://127.0.0.1:PORT/gateway" (`emu.api_base_url`, `emu.gateway_url`).
    """
    previous = (
        discord.http.Route.BASE,
        discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
        discord.asset.Asset.BASE,
    )
    origin = api_base_url.split("/api/", 1)[0]
    point_discord_at(api_base_url, gateway_url)
    discord.asset.Asset.BASE = f"{origin}/cdn"

    def restore() -> None:
        (
            discord.http.Route.BASE,
            discord.gateway.DiscordWebSocket.DEFAULT_GATEWAY,
            discord.asset.Asset.BASE,
        ) = previous

    return restore


def running_client(
    client: discord.Client, token: str, *, timeout: float = 10.0
) -> contextlib.AbstractAsyncContextManager[discord.Client]:
    """Start `client` with `token`, wait until it is ready, and close it afterwards.

    If the client fails to start (bad token, refused intents), its exception is raised.
    Build clients with a small `guild_ready_timeout` (e.g. 0.1): discord.py otherwise
    waits 2 s after the last GUILD_CREATE before it calls itself ready.
    """
    return _RunningClient(client, token, timeout)


class _RunningClient(contextlib.AbstractAsyncContextManager[discord.Client]):
    def __init__(self, client: discord.Client, token: str, ready_within: float) -> None:
        self._client = client
        self._token = token
        self._ready_within = ready_within
        self._task: asyncio.Task[None] | None = None

    async def __aenter__(self) -> discord.Client:
        client = self._client
        self._task = task = asyncio.create_task(client.start(self._token))
        ready = asyncio.create_task(client.wait_until_ready())
        try:
            done, _ = await asyncio.wait(
                {task, ready}, timeout=self._ready_within, return_when=asyncio.FIRST_COMPLETED
            )
            if task in done:
                task.result()
                raise RuntimeError("the client stopped before it was ready")
            if ready not in done:
                raise TimeoutError(f"the client was not ready within {self._ready_within:g}s")
        except BaseException:
            await self._shutdown()
            raise
        finally:
            ready.cancel()
        return client

    async def __aexit__(self, *exc_info: object) -> None:
        await self._shutdown()

    async def _shutdown(self) -> None:
        await self._client.close()
        if self._task is not None:
            with contextlib.suppress(asyncio.CancelledError, discord.DiscordException):
                await self._task


class NoIdentifyDelay:
    """Mix into a discord.py client class (before it) to skip the 5 s pause discord.py
    takes before every IDENTIFY but the first (other shards, re-identify after an
    invalidated session). The emulator has no IDENTIFY rate limit to respect."""

    async def before_identify_hook(self, shard_id: int | None, *, initial: bool = False) -> None:
        return None
