"""Pointing discord.py at a Discord-compatible server instead of discord.com."""

from __future__ import annotations

import discord
import yarl
from discord.gateway import DiscordWebSocket


def point_discord_at(api_base_url: str | None, gateway_url: str | None) -> None:
    """Send every REST call and the gateway to the given addresses (such as the emulator).

    discord.py keeps both as class attributes, so this affects every client in the
    process; webhooks and interaction followups go through the same `Route.BASE`.
    """
    if api_base_url:
        discord.http.Route.BASE = api_base_url.rstrip("/")
    if gateway_url:
        DiscordWebSocket.DEFAULT_GATEWAY = yarl.URL(gateway_url)
