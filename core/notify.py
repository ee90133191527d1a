"""Telling a server's owner about a problem only a person can fix (a deleted channel, a
missing permission, a page nobody answered), for every feature through one notifier.

Retries can't fix such a problem, so the owner hears of it by DM; a problem that
persists must not become a DM per attempt, so each feature names its topic and how
often the owner may hear of it again. What the notifier remembers is per process and
forgotten at restart: an owner told once more after a restart is better than never.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable
from dataclasses import dataclass
from datetime import datetime, timedelta

import discord

from core.clock import Clock
from core.logging import describe_failure
from core.outbox import Refused

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class _Told:
    at: datetime
    occasion: Hashable


class OwnerNotifier:
    def __init__(self, client: discord.Client, clock: Clock) -> None:
        self._client = client
        self._clock = clock
        self._told: dict[tuple[int, str], _Told] = {}

    async def tell(self, guild_id: int, text: str) -> bool:
        """DM the owner of the server now; False when that could not be done (logged
        with ids only: the text can name a member)."""
        guild = self._client.get_guild(guild_id)
        if guild is None or guild.owner_id is None:
            log.error(
                "A notice for the owner of guild %s could not be sent: no owner known", guild_id
            )
            return False
        try:
            channel = await self._client.create_dm(discord.Object(guild.owner_id))
            await channel.send(text)
        except Exception as error:  # a notice that fails must never stop what reported it
            log.error(
                "Could not tell the owner of guild %s (%s)", guild_id, describe_failure(error)
            )
            return False
        return True

    async def tell_now_and_then(
        self,
        guild_id: int,
        topic: str,
        text: str,
        *,
        occasion: Hashable = None,
        quiet_for: timedelta | None = None,
    ) -> bool:
        """Tell the owner about `topic` unless they were already told about it for the
        same `occasion` (a day's prompt, say) and, with `quiet_for`, that recently.
        True when this call sent the notice."""
        now = self._clock.now()
        last = self._told.get((guild_id, topic))
        if (
            last is not None
            and last.occasion == occasion
            and (quiet_for is None or now - last.at < quiet_for)
        ):
            return False
        # Remembered before the DM is tried: a failing DM is not retried at every attempt.
        self._told[(guild_id, topic)] = _Told(now, occasion)
        return await self.tell(guild_id, text)

    async def tell_of_refused_post(
        self,
        refused: Refused,
        template: str,
        topic: str,
        *,
        occasion: Hashable = None,
        quiet_for: timedelta | None = None,
    ) -> None:
        """A post the outbox keeps trying in a channel that refuses the bot (deleted, or
        its permissions taken): `template` names the server as {guild} and the channel as
        {channel}, told as `tell_now_and_then` tells."""
        guild = self._client.get_guild(refused.guild_id)
        text = template.format(
            guild=guild.name if guild else refused.guild_id, channel=f"<#{refused.channel_id}>"
        )
        await self.tell_now_and_then(
            refused.guild_id, topic, text, occasion=occasion, quiet_for=quiet_for
        )
