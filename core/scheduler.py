"""The scheduler the bot owns: APScheduler 3 on the bot's event loop, in memory.

Our own tables are the source of truth for what is due; features rebuild their jobs
from them at start and whenever a setting changes, so nothing is lost on restart and
APScheduler never needs a job store of its own.
"""

from __future__ import annotations

from datetime import UTC

from apscheduler.schedulers.asyncio import AsyncIOScheduler

# A job that fires late (the loop was busy, the machine slept) still runs within
# this window instead of being silently skipped; features handle longer outages
# themselves from their tables.
MISFIRE_GRACE_SECONDS = 15 * 60


def create_scheduler() -> AsyncIOScheduler:
    return AsyncIOScheduler(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
