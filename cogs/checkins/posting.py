"""Posting in a channel and DMing a member, for the cog and its jobs: a send that fails
is told apart from one that went out, and logged with ids only, never the text.
"""

from __future__ import annotations

import logging

import discord

log = logging.getLogger(__name__)

# What a failed post or DM raises: Discord refused it, or the channel takes no messages.
SEND_FAILED = (discord.HTTPException, discord.ClientException)


async def dm(client: discord.Client, user_id: int, text: str, view: discord.ui.View | None) -> bool:
    try:
        user = client.get_user(user_id) or await client.fetch_user(user_id)
        if view is None:
            await user.send(text)
        else:
            await user.send(text, view=view)
    except SEND_FAILED as error:
        # Closed DMs are a choice; nothing to retry.
        log.info("Could not DM user %s (HTTP %s)", user_id, status(error))
        return False
    return True


async def messageable(client: discord.Client, channel_id: int) -> discord.abc.Messageable:
    """The channel to post in; a channel that takes no messages is refused like
    Discord refuses a post (every caller handles `SEND_FAILED`)."""
    channel = client.get_channel(channel_id) or await client.fetch_channel(channel_id)
    if not isinstance(channel, discord.abc.Messageable):
        raise discord.ClientException(f"channel {channel_id} takes no messages")
    return channel


def status(error: Exception) -> int | None:
    return error.status if isinstance(error, discord.HTTPException) else None
