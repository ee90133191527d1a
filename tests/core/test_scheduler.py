"""core.scheduler: a feature's keyed jobs on the real scheduler, and the drain at shutdown.

Every job here is due at once (a moment already past, within the misfire grace), so the
real scheduler runs it on the test's loop; the tests wait for events with a deadline.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.date import DateTrigger

from core.scheduler import (
    MISFIRE_GRACE_SECONDS,
    FeatureJobs,
    JobSpec,
    Scheduler,
    create_scheduler,
    pause_and_drain,
)

WITHIN = 5.0  # seconds: long enough never to fail by itself, short enough not to hang


@pytest.fixture
async def scheduler() -> AsyncIterator[Scheduler]:
    running = create_scheduler()
    running.start()
    yield running
    if running.running:
        running.shutdown(wait=False)
        await asyncio.sleep(0)  # AsyncIOScheduler shuts down on the loop's next turn


def past() -> datetime:
    return datetime.now(UTC) - timedelta(seconds=1)


def later() -> datetime:
    return datetime.now(UTC) + timedelta(days=1)


async def within(awaitable: asyncio.Future[object] | asyncio.Event) -> None:
    if isinstance(awaitable, asyncio.Event):
        await asyncio.wait_for(awaitable.wait(), WITHIN)
    else:
        await asyncio.wait_for(awaitable, WITHIN)


async def never(*_: object) -> None:
    raise AssertionError("this job should not have run")


async def test_a_key_scheduled_again_replaces_its_job(scheduler: Scheduler) -> None:
    jobs = FeatureJobs(scheduler, "checkins")
    ran: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    async def second(value: str) -> None:
        ran.set_result(value)

    jobs.at("prompt:1", later(), never)
    jobs.at("prompt:1", past(), second, args=["replaced"])

    await within(ran)
    assert ran.result() == "replaced"
    assert scheduler.get_job("checkins:prompt:1") is None  # a one-shot job is gone once run


async def test_ids_are_prefixed_with_the_owner_so_features_do_not_collide(
    scheduler: Scheduler,
) -> None:
    checkins = FeatureJobs(scheduler, "checkins")
    oncall = FeatureJobs(scheduler, "oncall")
    checkins.at("1", later(), never)
    oncall.at("1", later(), never)

    assert sorted(job.id for job in scheduler.get_jobs()) == ["checkins:1", "oncall:1"]
    assert checkins.keys() == ["1"] == oncall.keys()
    assert checkins.job_id("1") == "checkins:1"
    oncall.cancel_all()
    assert checkins.keys() == ["1"]
    with pytest.raises(ValueError, match="job owner"):
        FeatureJobs(scheduler, "on:call")


async def test_cancelling_by_key_by_prefix_and_all(scheduler: Scheduler) -> None:
    jobs = FeatureJobs(scheduler, "helpnow")
    other = FeatureJobs(scheduler, "other")
    for key in ("step:a", "step:b", "journal"):
        jobs.at(key, later(), never)
    other.at("step:a", later(), never)

    assert jobs.cancel("step:a")
    assert not jobs.cancel("step:a")  # absent: no error
    assert jobs.keys() == ["journal", "step:b"]
    jobs.at("step:c", later(), never)
    assert jobs.cancel_prefix("step:") == 2
    assert jobs.keys() == ["journal"]
    assert jobs.cancel_all() == 1
    assert jobs.keys() == []
    assert other.keys() == ["step:a"]


async def test_next_run_of_a_key(scheduler: Scheduler) -> None:
    jobs = FeatureJobs(scheduler, "oncall")
    when = later().replace(microsecond=0)
    jobs.at("change:1", when, never)
    jobs.cron("daily", never, hour=9, minute=30, days="mon-fri", zone="America/New_York")
    jobs.every("flush", 60, never)

    assert jobs.next_run("change:1") == when
    daily = jobs.next_run("daily")
    assert daily is not None
    local = daily.astimezone(scheduler.get_job("oncall:daily").trigger.timezone)
    assert (local.hour, local.minute, local.weekday() < 5) == (9, 30, True)
    flush = jobs.next_run("flush")
    assert flush is not None
    assert timedelta(0) < flush - datetime.now(UTC) <= timedelta(seconds=60)
    assert jobs.next_run("absent") is None


async def test_jobs_keep_the_scheduler_defaults_and_their_misfire_grace(
    scheduler: Scheduler,
) -> None:
    jobs = FeatureJobs(scheduler, "checkins")
    jobs.at("default", later(), never)
    jobs.at("forever", later(), never, misfire_grace_seconds=None)

    default = scheduler.get_job("checkins:default")
    assert (default.coalesce, default.max_instances) == (True, 1)
    assert default.misfire_grace_time == MISFIRE_GRACE_SECONDS
    assert scheduler.get_job("checkins:forever").misfire_grace_time is None
    with pytest.raises(TypeError, match="either a trigger"):
        jobs.cron("both", never, trigger=default.trigger, hour=9)


async def test_replace_all_rebuilds_the_keys_under_a_prefix(scheduler: Scheduler) -> None:
    jobs = FeatureJobs(scheduler, "helpnow")
    for key in ("step:kept", "step:gone", "journal"):
        jobs.at(key, later(), never)
    moved = later() + timedelta(hours=1)

    jobs.replace_all(
        {
            "step:kept": JobSpec(DateTrigger(run_date=moved), never),
            "step:new": JobSpec(DateTrigger(run_date=moved), never, ("x",), None),
        },
        prefix="step:",
    )

    assert jobs.keys() == ["journal", "step:kept", "step:new"]
    assert jobs.next_run("step:kept") == moved
    assert scheduler.get_job("helpnow:step:new").misfire_grace_time is None
    with pytest.raises(ValueError, match="outside the prefix"):
        jobs.replace_all({"journal": JobSpec(DateTrigger(run_date=moved), never)}, prefix="step:")


async def test_drain_waits_for_a_running_job(scheduler: Scheduler) -> None:
    jobs = FeatureJobs(scheduler, "checkins")
    started, release = asyncio.Event(), asyncio.Event()
    finished: list[bool] = []

    async def slow() -> None:
        started.set()
        await release.wait()
        finished.append(True)

    jobs.at("slow", past(), slow)
    await within(started)
    assert scheduler.running_jobs() == 1

    drain = asyncio.create_task(pause_and_drain(scheduler, grace_seconds=WITHIN))
    await asyncio.sleep(0)
    await asyncio.sleep(0)
    assert not drain.done()  # still waiting for the job
    release.set()
    assert await asyncio.wait_for(drain, WITHIN) is True
    assert finished == [True]
    assert scheduler.running_jobs() == 0


async def test_drain_waits_for_a_job_submitted_but_not_yet_begun(scheduler: Scheduler) -> None:
    jobs = FeatureJobs(scheduler, "checkins")
    finished = asyncio.Event()

    async def quick() -> None:
        await asyncio.sleep(0)
        finished.set()

    # Due now: on the loop's next turn the scheduler creates the job's task, and then the
    # drain begins, before that task has.
    async def drain_then_look() -> tuple[bool, bool]:
        drained = await pause_and_drain(scheduler, grace_seconds=WITHIN)
        return drained, finished.is_set()

    jobs.at("quick", past(), quick)
    drain = asyncio.create_task(drain_then_look())
    assert await asyncio.wait_for(drain, WITHIN) == (True, True)


async def test_drain_stops_waiting_at_the_grace_limit(scheduler: Scheduler) -> None:
    jobs = FeatureJobs(scheduler, "oncall")
    started, release, done = asyncio.Event(), asyncio.Event(), asyncio.Event()

    async def stuck() -> None:
        started.set()
        await release.wait()
        done.set()

    jobs.at("stuck", past(), stuck)
    await within(started)

    loop = asyncio.get_running_loop()
    began = loop.time()
    assert await asyncio.wait_for(pause_and_drain(scheduler, grace_seconds=0.05), WITHIN) is False
    assert loop.time() - began < WITHIN
    assert scheduler.running_jobs() == 1  # left to the scheduler's shutdown
    release.set()
    await within(done)


async def test_a_tracked_job_that_stops_the_bot_does_not_wait_for_itself(
    scheduler: Scheduler,
) -> None:
    jobs = FeatureJobs(scheduler, "checkins")
    drained: asyncio.Future[object] = asyncio.get_running_loop().create_future()

    async def stopping() -> None:
        drained.set_result(await pause_and_drain(scheduler, grace_seconds=WITHIN))

    jobs.at("stop", past(), stopping)
    await within(drained)
    assert drained.result() is True
