"""Two processes holding one request (a shard held twice, in a deploy's overlap): the
database's claim decides which pages a step, and no way through a claim loses a page, or
brings back a request this process closed meanwhile."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import MultiFernet

from cogs.helpnow import service
from cogs.helpnow.service import HelpCase, HelpDesk, Status
from db.engine import Database
from tests.cogs.helpnow.desk_helpers import (
    BACKUP,
    CHAIN,
    GUILD,
    MEMBER,
    ONCALL,
    POLICY,
    ROLE,
    paged_request_in_two_desks,
    stepping_clock,
)
from tests.fake_clock import FakeClock

DEADLINE_SECONDS = 10.0


@pytest.fixture(autouse=True)
def patient_claims(monkeypatch: pytest.MonkeyPatch) -> None:
    """These tests hold claims on purpose, or wait on a copy: a claim that gave up
    (the wait is for a database too slow to say) would page, and hide what they test."""
    monkeypatch.setattr(service, "_CLAIM_WAIT_SECONDS", 30.0)


async def two_desks_past_the_first_step(
    db: Database, tmp_path: Path, cipher: MultiFernet, clock: FakeClock
) -> tuple[HelpDesk, HelpDesk, str]:
    """The old process paged the on-call; the new one loaded the request at its start; the
    on-call's wait is over in both."""
    old, new, public_id = await paged_request_in_two_desks(db, tmp_path, cipher, clock)
    clock.advance(seconds=POLICY.ack_timeout.total_seconds())
    return old, new, public_id


async def test_a_step_the_other_process_took_and_never_paged_is_paged_here_after_a_grace(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    old, new, public_id = await two_desks_past_the_first_step(database, tmp_path, cipher, clock)
    assert await old.claim_escalation(public_id, CHAIN)
    assert old.page_owed(public_id, CHAIN, ROLE) is not None  # the backup's page is owed...
    assert await old.flush()  # ...and the old process stops before it is out
    assert not await new.claim_escalation(public_id, CHAIN)
    assert new.page_owed(public_id, CHAIN, ROLE) is None  # the old process's to page, for now

    clock.at += service._TAKEN_STEP_GRACE
    assert new.escalation_due(public_id)
    assert await new.claim_escalation(public_id, CHAIN)
    backup = new.page_owed(public_id, CHAIN, ROLE)
    assert backup is not None
    assert backup.target.id == BACKUP  # not skipped on to the role
    assert backup.resent  # the old process may have posted it after all


async def test_a_step_the_other_process_paged_is_not_paged_again_here(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    old, new, public_id = await two_desks_past_the_first_step(database, tmp_path, cipher, clock)
    assert await old.claim_escalation(public_id, CHAIN)
    backup = old.page_owed(public_id, CHAIN, ROLE)
    assert backup is not None
    assert not await new.claim_escalation(public_id, CHAIN)
    old.step_paged(backup, POLICY)
    assert await old.flush()

    clock.at += service._TAKEN_STEP_GRACE
    assert new.escalation_due(public_id)
    assert not await new.claim_escalation(public_id, CHAIN)
    case = new.get(public_id)
    assert case is not None
    assert new.page_owed(public_id, CHAIN, ROLE) is None
    # Its next step is claimed when the old process's is due, should that one be gone.
    old_case = old.get(public_id)
    assert old_case is not None
    assert (case.step, case.next_step_at) == (1, old_case.next_step_at)


def hold_claims(
    monkeypatch: pytest.MonkeyPatch, desk: HelpDesk
) -> tuple[asyncio.Event, asyncio.Event]:
    """Claims of `desk` hold their answer from the database until `release` is set."""
    answered, release = asyncio.Event(), asyncio.Event()
    real = desk._claim_step

    async def held(case: HelpCase, following: int) -> dict[str, Any] | None:
        theirs = await real(case, following)
        answered.set()
        await release.wait()
        return theirs

    monkeypatch.setattr(desk, "_claim_step", held)
    return answered, release


@pytest.mark.parametrize(
    "meanwhile",
    [
        pytest.param(lambda desk, public_id: desk.close(public_id, MEMBER, Status.SAFE), id="safe"),
        pytest.param(lambda desk, public_id: desk.forget_member(GUILD, MEMBER), id="erased"),
    ],
)
async def test_a_request_closed_here_while_its_claim_was_out_stays_closed(
    database: Database,
    tmp_path: Path,
    cipher: MultiFernet,
    monkeypatch: pytest.MonkeyPatch,
    meanwhile: Callable[[HelpDesk, str], object],
) -> None:
    clock = stepping_clock()
    old, new, public_id = await two_desks_past_the_first_step(database, tmp_path, cipher, clock)
    assert await old.claim_escalation(public_id, CHAIN)
    backup = old.page_owed(public_id, CHAIN, ROLE)
    assert backup is not None
    old.step_paged(backup, POLICY)
    assert await old.flush()

    answered, release = hold_claims(monkeypatch, new)
    claim = asyncio.create_task(new.claim_escalation(public_id, CHAIN))
    await asyncio.wait_for(answered.wait(), DEADLINE_SECONDS)
    done = meanwhile(new, public_id)
    if isinstance(done, Awaitable):
        await done
    release.set()
    await claim
    assert new.get(public_id) is None
    assert new.open_case_of(GUILD, MEMBER) is None
    assert new.page_owed(public_id, CHAIN, ROLE) is None


async def test_a_request_acknowledged_here_while_its_claim_was_out_stays_acknowledged(
    database: Database, tmp_path: Path, cipher: MultiFernet, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = stepping_clock()
    old, new, public_id = await two_desks_past_the_first_step(database, tmp_path, cipher, clock)
    assert await old.claim_escalation(public_id, CHAIN)
    assert await old.flush()

    answered, release = hold_claims(monkeypatch, new)
    claim = asyncio.create_task(new.claim_escalation(public_id, CHAIN))
    await asyncio.wait_for(answered.wait(), DEADLINE_SECONDS)
    new.acknowledge(public_id, ONCALL)
    release.set()
    await claim
    case = new.get(public_id)
    assert case is not None
    assert (case.status, case.acknowledged_by, case.next_step_at) == (
        Status.ACKNOWLEDGED,
        ONCALL,
        None,
    )
    assert new.page_owed(public_id, CHAIN, ROLE) is None


async def test_a_claim_does_not_wait_for_a_journal_copy_under_way(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    old, new, public_id = await two_desks_past_the_first_step(database, tmp_path, cipher, clock)
    assert await old.claim_escalation(public_id, CHAIN)
    # The new process's journal is busy copying (a burst of pages' records, at start):
    # its claim still hears the database's answer, not the wait's end.
    async with new._journal._lock:
        assert not await new.claim_escalation(public_id, CHAIN)
    assert await new.flush()


async def test_a_database_that_cannot_say_lets_the_taken_step_be_paged_here(
    database: Database, tmp_path: Path, cipher: MultiFernet, monkeypatch: pytest.MonkeyPatch
) -> None:
    clock = stepping_clock()
    old, new, public_id = await two_desks_past_the_first_step(database, tmp_path, cipher, clock)
    assert await old.claim_escalation(public_id, CHAIN)
    assert not await new.claim_escalation(public_id, CHAIN)

    def down(guild_id: int) -> object:
        raise ConnectionRefusedError("the database is down")

    monkeypatch.setattr(new._db, "guild_session", down)
    clock.at += service._TAKEN_STEP_GRACE - timedelta(seconds=1)
    assert not new.escalation_due(public_id)
    clock.advance(seconds=1)
    assert await new.claim_escalation(public_id, CHAIN)
    page = new.page_owed(public_id, CHAIN, ROLE)
    assert page is not None
    assert (page.target.id, page.resent) == (BACKUP, True)
