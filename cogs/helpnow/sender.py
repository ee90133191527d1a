"""Posting pages within Discord's rate limits.

Discord lets a bot post five messages per channel every five seconds. When several
people ask for help at once, pages that queue behind that limit go out together, up to
five requests in one message, instead of one by one: the tenth page then arrives in
seconds rather than a minute. A page that finds the channel free goes out at once, alone.

The sender is transport only: the buttons a page carries come from the view factory it is
given (`PageView`), built by the UI.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import discord

from cogs.helpnow.policy import Target, TargetKind
from core.messages import DISCORD_MESSAGE_LIMIT

_SEPARATOR = "\n\n"
# A send Discord holds longer than this (a hung connection: aiohttp's own limit is five
# minutes) is given up, so the page can go to the fallback channel instead.
SEND_DEADLINE_SECONDS = 30.0
# Discord allows five rows of buttons on a message: one row per request.
MAX_REQUESTS_PER_PAGE = 5

# The buttons of a page carrying these requests (their public ids, in page order).
PageView = Callable[[Sequence[str]], discord.ui.View]


class PageNotNeeded(Exception):
    """The request was closed or acknowledged while its page waited in the queue."""


@dataclass
class _Queued:
    public_id: str
    text: str
    target: Target
    wanted: Callable[[], bool]
    posted: asyncio.Future[discord.Message] = field(
        default_factory=lambda: asyncio.get_running_loop().create_future()
    )


def allowed_mentions_for(targets: list[Target]) -> discord.AllowedMentions:
    """Ping exactly the people and roles paged, nobody else."""
    # Discord refuses a list that names someone twice.
    user_ids = dict.fromkeys(t.id for t in targets if t.kind is TargetKind.USER and t.id)
    role_ids = dict.fromkeys(t.id for t in targets if t.kind is TargetKind.ROLE and t.id)
    users = [discord.Object(i) for i in user_ids if i is not None]
    roles = [discord.Object(i) for i in role_ids if i is not None]
    return discord.AllowedMentions(users=users or False, roles=roles or False, everyone=False)


def _drop_unwanted(queue: list[_Queued]) -> None:
    for item in [item for item in queue if not item.wanted()]:
        queue.remove(item)
        if not item.posted.done():
            item.posted.set_exception(PageNotNeeded())


def _next_batch(queue: list[_Queued]) -> list[_Queued]:
    batch = [queue.pop(0)]
    length = len(batch[0].text)
    while queue and len(batch) < MAX_REQUESTS_PER_PAGE:
        grown = length + len(_SEPARATOR) + len(queue[0].text)
        if grown > DISCORD_MESSAGE_LIMIT:
            break
        length = grown
        batch.append(queue.pop(0))
    return batch


class PageSender:
    def __init__(self, page_view: PageView) -> None:
        self._page_view = page_view
        self._queues: dict[int, list[_Queued]] = {}
        self._workers: dict[int, asyncio.Task[None]] = {}

    async def send(
        self,
        channel: discord.TextChannel,
        public_id: str,
        text: str,
        target: Target,
        wanted: Callable[[], bool],
    ) -> discord.Message:
        """Post the page (perhaps together with others) unless `wanted()` turns false while
        it waits (PageNotNeeded); raises what Discord refused, or TimeoutError."""
        queued = _Queued(public_id, text, target, wanted)
        self._queues.setdefault(channel.id, []).append(queued)
        worker = self._workers.get(channel.id)
        if worker is None or worker.done():
            self._workers[channel.id] = asyncio.create_task(self._drain(channel))
        return await queued.posted

    async def _drain(self, channel: discord.TextChannel) -> None:
        queue = self._queues[channel.id]
        while queue:
            _drop_unwanted(queue)
            if not queue:
                break
            batch = _next_batch(queue)
            try:
                message = await asyncio.wait_for(
                    channel.send(
                        _SEPARATOR.join(item.text for item in batch),
                        view=self._page_view([item.public_id for item in batch]),
                        allowed_mentions=allowed_mentions_for([item.target for item in batch]),
                    ),
                    SEND_DEADLINE_SECONDS,
                )
            except Exception as error:
                # Each page's caller falls back on its own (another channel, a log line).
                for item in batch:
                    if not item.posted.done():
                        item.posted.set_exception(error)
            else:
                for item in batch:
                    if not item.posted.done():
                        item.posted.set_result(message)

    async def close(self, grace_seconds: float) -> None:
        """Let queued pages go out before the bot stops, within `grace_seconds`."""
        workers = [w for w in self._workers.values() if not w.done()]
        if workers:
            _, late = await asyncio.wait(workers, timeout=grace_seconds)
            for worker in late:
                worker.cancel()
