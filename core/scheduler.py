"""The scheduler the bot owns: APScheduler 3 on the bot's event loop, in memory.

Our own tables are the source of truth for what is due; features rebuild their jobs
from them at start and whenever a setting changes, so nothing is lost on restart and
APScheduler never needs a job store of its own.

A feature schedules through its own `FeatureJobs` handle, made by its cog: jobs by key
(`"prompt:<guild id>"`), each id prefixed with the feature's name so no two features
collide, replaced when scheduled again, and all removed when the cog unloads. Jobs are
one per moment (a local time, an instant) holding every server due then, or one per
open request; never one per server of a daily routine, never one per member.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, tzinfo
from typing import Any

from apscheduler.jobstores.base import JobLookupError
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger

# A job that fires late (the loop was busy, the machine slept) still runs within
# this window instead of being silently skipped; features handle longer outages
# themselves from their tables.
MISFIRE_GRACE_SECONDS = 15 * 60
# When the bot stops, work already under way (a page, a prompt, a journal copy) gets
# this long to finish before it is cut off.
SHUTDOWN_GRACE_SECONDS = 5.0
# Between the owner and the key in a job id: "checkins:prompt:1234".
SEPARATOR = ":"

JobFunction = Callable[..., Awaitable[object]]


class Scheduler(AsyncIOScheduler):  # type: ignore[misc]  # APScheduler 3 has no type hints
    """APScheduler's asyncio scheduler, which also knows which of the jobs scheduled
    through `FeatureJobs` are running now, so that shutdown can wait for them."""

    def __init__(self, **options: Any) -> None:
        self._job_tasks: set[asyncio.Task[Any]] = set()
        super().__init__(**options)

    def tracked(self, function: JobFunction) -> Callable[..., Awaitable[object]]:
        """`function`, counted as running (by its task) from its start to its end."""

        @functools.wraps(function)
        async def run(*args: object, **kwargs: object) -> object:
            task = asyncio.current_task()
            # Awaited by another tracked function in the same task: the outer one counts.
            if task is None or task in self._job_tasks:
                return await function(*args, **kwargs)
            self._job_tasks.add(task)
            try:
                return await function(*args, **kwargs)
            finally:
                self._job_tasks.discard(task)

        return run

    def running_jobs(self) -> int:
        """How many tracked jobs are running now."""
        return sum(not task.done() for task in self._job_tasks)

    async def drain(self, grace_seconds: float) -> bool:
        """Wait up to `grace_seconds` for the tracked jobs running now; True if they all
        finished. Pause the scheduler first, or new runs may start meanwhile."""
        # A job submitted just before this call has its task but has not begun yet: one
        # turn of the loop lets it begin, so it is counted.
        await asyncio.sleep(0)
        me = asyncio.current_task()  # a job that stops the bot does not wait for itself
        running = {task for task in self._job_tasks if not task.done() and task is not me}
        if not running:
            return True
        _, late = await asyncio.wait(running, timeout=grace_seconds)
        return not late


def create_scheduler() -> Scheduler:
    return Scheduler(
        timezone=UTC,
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )


async def pause_and_drain(scheduler: Scheduler, grace_seconds: float) -> bool:
    """Start no new job and give the running ones time to finish; True if they did.

    APScheduler's own shutdown cancels running coroutine jobs, which can cut a database
    call in half and leave its connection hanging at exit; jobs still running after
    `grace_seconds` are left to that shutdown. Only jobs scheduled through `FeatureJobs`
    are waited for.
    """
    scheduler.pause()
    return await scheduler.drain(grace_seconds)


def job_id(owner: str, key: str) -> str:
    """The APScheduler id of an owner's keyed job: "checkins" and "prompt:1" give
    "checkins:prompt:1"."""
    return f"{owner}{SEPARATOR}{key}"


@dataclass(frozen=True)
class JobSpec:
    """One keyed job: when it runs (any APScheduler trigger), what it runs, with what.

    `misfire_grace_seconds`: how late a run may still start (None: however late).
    """

    trigger: BaseTrigger
    function: JobFunction
    args: tuple[object, ...] = ()
    misfire_grace_seconds: int | None = MISFIRE_GRACE_SECONDS


class FeatureJobs:
    """One feature's keyed jobs on the bot's scheduler.

    Scheduling a key again replaces its job. Every job also keeps the scheduler's
    defaults: runs that fell due together coalesce into one, and a job never runs
    beside itself.
    """

    def __init__(self, scheduler: Scheduler, owner: str) -> None:
        if not owner or SEPARATOR in owner:
            raise ValueError(f"A job owner is a name without {SEPARATOR!r}: {owner!r}")
        self.scheduler = scheduler
        self.owner = owner
        self._prefix = job_id(owner, "")

    def job_id(self, key: str) -> str:
        """The APScheduler id of `key` (for `scheduler.get_job` in tests and logs)."""
        return job_id(self.owner, key)

    # --- Scheduling ---------------------------------------------------------------------

    def add(self, key: str, spec: JobSpec) -> None:
        """Schedule `spec` under `key`, replacing any job of that key."""
        self.scheduler.add_job(
            self.scheduler.tracked(spec.function),
            spec.trigger,
            args=spec.args,
            id=self.job_id(key),
            replace_existing=True,
            misfire_grace_time=spec.misfire_grace_seconds,
        )

    def at(
        self,
        key: str,
        when: datetime,
        function: JobFunction,
        *,
        args: Sequence[object] = (),
        misfire_grace_seconds: int | None = MISFIRE_GRACE_SECONDS,
    ) -> None:
        """Run once at `when` (a moment already past runs at once, within the grace)."""
        trigger = DateTrigger(run_date=when, timezone=self.scheduler.timezone)
        self.add(key, JobSpec(trigger, function, tuple(args), misfire_grace_seconds))

    def cron(
        self,
        key: str,
        function: JobFunction,
        *,
        trigger: CronTrigger | None = None,
        hour: int | str | None = None,
        minute: int | str | None = None,
        days: str | None = None,
        zone: tzinfo | str | None = None,
        args: Sequence[object] = (),
        misfire_grace_seconds: int | None = MISFIRE_GRACE_SECONDS,
    ) -> None:
        """Run on a calendar: `trigger`, or the wall-clock `hour`:`minute` on `days`
        ("mon-fri", "sat,sun"; None: every day) in `zone` (None: UTC)."""
        if trigger is None:
            trigger = CronTrigger(
                day_of_week=days,
                hour=hour,
                minute=minute,
                timezone=zone if zone is not None else self.scheduler.timezone,
            )
        elif (hour, minute, days, zone) != (None, None, None, None):
            raise TypeError("Give either a trigger or hour, minute, days and zone")
        self.add(key, JobSpec(trigger, function, tuple(args), misfire_grace_seconds))

    def every(
        self,
        key: str,
        seconds: float,
        function: JobFunction,
        *,
        args: Sequence[object] = (),
        misfire_grace_seconds: int | None = MISFIRE_GRACE_SECONDS,
    ) -> None:
        """Run every `seconds`, the first time `seconds` from now."""
        trigger = IntervalTrigger(seconds=seconds, timezone=self.scheduler.timezone)
        self.add(key, JobSpec(trigger, function, tuple(args), misfire_grace_seconds))

    def replace_all(self, wanted: Mapping[str, JobSpec], *, prefix: str = "") -> None:
        """Make the keys starting with `prefix` exactly `wanted` (a rebuild from rows):
        each wanted key is scheduled (replaced), every other key with the prefix removed."""
        stray = [key for key in wanted if not key.startswith(prefix)]
        if stray:
            raise ValueError(f"Keys outside the prefix {prefix!r}: {stray}")
        for key in self.keys(prefix):
            if key not in wanted:
                self.cancel(key)
        for key, spec in wanted.items():
            self.add(key, spec)

    # --- Cancelling ---------------------------------------------------------------------

    def cancel(self, key: str) -> bool:
        """Remove the job of `key`; False if there was none."""
        try:
            self.scheduler.remove_job(self.job_id(key))
        except JobLookupError:
            return False
        return True

    def cancel_prefix(self, prefix: str) -> int:
        """Remove every job whose key starts with `prefix`; how many there were."""
        keys = self.keys(prefix)
        return sum(self.cancel(key) for key in keys)

    def cancel_all(self) -> int:
        """Remove every job of this owner (from the cog's `cog_unload`)."""
        return self.cancel_prefix("")

    # --- Looking ------------------------------------------------------------------------

    def next_run(self, key: str) -> datetime | None:
        """When the job of `key` runs next; None if there is no such job (or it is paused)."""
        job = self.scheduler.get_job(self.job_id(key))
        if job is None:
            return None
        when: datetime | None = getattr(job, "next_run_time", None)
        return when

    def keys(self, prefix: str = "") -> list[str]:
        """This owner's keys starting with `prefix`, sorted."""
        start = self._prefix + prefix
        return sorted(
            str(job.id)[len(self._prefix) :]
            for job in self.scheduler.get_jobs()
            if str(job.id).startswith(start)
        )
