"""Driving /cope through the emulator, and the clock its guided exercises pace by.

No test waits for real seconds: the cog's `Pacing` is swapped for a `FakeTime`, whose
seconds pass at once or only when the test allows them, and the tests wait on the
emulator's recorded traffic (with a deadline) for the edits that follow.
"""

from __future__ import annotations

import asyncio
from typing import cast

from cogs.cope.cog import CopeCog
from cogs.cope.exercises import Pacing
from core.bot import RecoveryBot
from fakediscord.driver import InteractionResponse, UserInteraction
from fakediscord.models import Member, Message
from fakediscord.server import RecordedRequest
from sandbox.community import Community

EDIT_ORIGINAL = ("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original")
WAIT_SECONDS = 5.0


class FakeTime:
    """Seconds for the exercises: each sleep passes at once, or, when `held`, only once
    the test `allow`s it, so a test can stop an exercise part way through."""

    def __init__(self, *, held: bool = False) -> None:
        self.at = 0.0
        self.slept: list[float] = []
        self.started_sleeps = 0
        self._permits = asyncio.Semaphore(0) if held else None

    def now(self) -> float:
        return self.at

    async def sleep(self, seconds: float) -> None:
        self.started_sleeps += 1
        if self._permits is not None:
            await self._permits.acquire()
        else:
            await asyncio.sleep(0)  # a yield, as a real sleep would, never a wait
        self.at += seconds
        self.slept.append(seconds)

    def allow(self, sleeps: int) -> None:
        assert self._permits is not None, "only held time is allowed step by step"
        for _ in range(sleeps):
            self._permits.release()


def cope_cog(bot: RecoveryBot) -> CopeCog:
    # A cast, not isinstance: each bot's extension load imports the feature afresh
    # (discord.py drops its modules at unload), so the class is another object.
    cog = bot.get_cog("CopeCog")
    assert cog is not None, "the /cope feature is not loaded"
    return cast(CopeCog, cog)


def pace_with(bot: RecoveryBot, time: FakeTime, **limits: float) -> CopeCog:
    cog = cope_cog(bot)
    cog.pacing = Pacing(sleep=time.sleep, now=time.now, **limits)
    return cog


async def cope(community: Community, who: Member, **options: object) -> InteractionResponse:
    """/cope as `who`, with options by their Discord names (`for` included)."""
    it = await run_cope(community, who, **options)
    return await it.wait_for_response()


async def run_cope(community: Community, who: Member, **options: object) -> UserInteraction:
    return await who.run_command("cope", channel=community.checkins, options=options)


async def press(who: Member, message: Message | None, custom_id: str) -> InteractionResponse:
    assert message is not None
    return await (await who.click(message, custom_id)).wait_for_response()


def edits_of(community: Community, it: UserInteraction) -> list[RecordedRequest]:
    """The answered edits of the reply to `it`, through its token, oldest first."""
    return [
        record
        for record in community.emu.requests_to(*EDIT_ORIGINAL)
        if it.token in record.path and record.status
    ]


async def wait_for_edits(community: Community, it: UserInteraction, count: int) -> None:
    def enough() -> bool | None:
        return True if len(edits_of(community, it)) >= count else None

    await community.emu.wait_until(
        enough,
        within=WAIT_SECONDS,
        what=f"{count} edits of the reply",
        seen=lambda: f"{len(edits_of(community, it))} edits",
    )


async def wait_for_edit_saying(community: Community, it: UserInteraction, text: str) -> None:
    def said() -> bool | None:
        found = any(record.body.get("content") == text for record in edits_of(community, it))
        return True if found else None

    await community.emu.wait_until(
        said,
        within=WAIT_SECONDS,
        what=f"an edit saying {text[:40]!r}",
        seen=lambda: repr([r.body.get("content", "")[:40] for r in edits_of(community, it)]),
    )


def copied_where_anyone_can_press(community: Community, message: Message | None) -> Message:
    """The message's buttons on a public message: a client that replays a custom_id."""
    assert message is not None
    return community.emu.post_message(
        community.checkins,
        community.app.bot_user,
        {"content": "copied", "components": message.components},
    )


def running_tasks(bot: RecoveryBot) -> list[asyncio.Task[None]]:
    return [entry.task for entry in cope_cog(bot).running.values()]
