"""The scheduler the bot owns: APScheduler 3 on the bot's event loop, in memory.

Our own tables are the source of truth for what is due; features rebuild their jobs
from them at start and whenever a setting changes, so nothing is lost on restart and
APScheduler never needs a job store of its own.
"""

from __future__ import annotations

import asyncio
from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

# A job that fires late (the loop was busy, the machine slept) still runs within
# this window instead of being silently skipped; features handle longer outages
# themselves from their tables.
MISFIRE_GRACE_SECONDS = 15 * 60
# When the bot stops, work already under way (a page, a prompt, a journal copy) gets
# this long to finish before it is cut off.
SHUTDOWN_GRACE_SECONDS = 5.0


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )


async def pause_and_drain(scheduler: AsyncIOScheduler, grace_seconds: float) -> None:
    """Start no new job and give the running ones time to finish.

    APScheduler's own shutdown cancels running coroutine jobs, which can cut a database
    call in half and leave its connection hanging at exit; jobs still running after
    `grace_seconds` are left to that shutdown.
    """
    scheduler.pause()
    running = [
        future
        for executor in scheduler._executors.values()
        for future in getattr(executor, "_pending_futures", ())
        if not future.done()
    ]
    if running:
        await asyncio.wait(running, timeout=grace_seconds)
