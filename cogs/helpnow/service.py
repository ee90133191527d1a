"""The help desk: open requests, their escalation, and their records.

Every decision here is made from memory, so that a member in crisis is answered and
a specialist is paged even when the database is down. Each change is appended to
the journal (local disk) and copied into the database when it can be.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sqlalchemy import select, update

from cogs.helpnow.journal import REQUEST_FIELDS, Entry, EventRecord, Journal, progress
from cogs.helpnow.policy import (
    Policy,
    Target,
    TargetKind,
    due_after,
    first_step,
    next_step,
    target_for,
)
from core.clock import Clock
from core.errors import UserFacingError
from core.oncall import OnCallChain
from db.engine import Database
from db.models import HelpRequest
from db.models.helpnow import OPEN_STATUSES, WITHDRAWN

log = logging.getLogger(__name__)

_COPY_PAUSE_SECONDS = 0.2
# How long a step waits to hear from the database whether another process took it: a
# database slower than this must not hold a page back, so the step goes ahead (a claim is
# one UPDATE, milliseconds; at worst a step is this much late, or paged twice).
_CLAIM_WAIT_SECONDS = 1.0
# A step another process took is that process's to page. This one looks again this long
# after the other took it (a page's send deadline, cogs/helpnow/sender.py), and pages it
# itself, marked as perhaps a repeat, if the other never recorded it as paged: it died,
# or stopped with the page cut off. Twice is better than never.
_TAKEN_STEP_GRACE = timedelta(seconds=30)
# A due time this close counts as due: the scheduler may fire a hair early. (A job that
# fires earlier still finds nothing owed and is scheduled again for the due time.)
_DUE_TOLERANCE = timedelta(milliseconds=50)


class Status(StrEnum):
    OPEN = "open"
    ACKNOWLEDGED = "acknowledged"
    RESOLVED = "resolved"
    SAFE = "safe"
    WITHDRAWN = WITHDRAWN


@dataclass
class HelpCase:
    """An open request, as the desk holds it in memory."""

    public_id: str
    guild_id: int
    member_user_id: int
    origin_channel_id: int | None
    note: str | None
    created_at: datetime
    status: Status = Status.OPEN
    step: int = 0
    next_step_at: datetime | None = None
    page_channel_id: int | None = None
    page_message_id: int | None = None
    thread_id: int | None = None
    acknowledged_at: datetime | None = None
    acknowledged_by: int | None = None
    closed_at: datetime | None = None
    closed_by: int | None = None
    outcome: str | None = None
    paged_at: datetime | None = None
    owner_told_at: datetime | None = None
    # Every message a page of this request went out in, as (channel, message): all of them
    # lose their buttons at close. Kept in memory only; after a restart an earlier page's
    # buttons are taken away when pressed.
    posted_pages: list[tuple[int, int]] = field(default_factory=list)

    def __post_init__(self) -> None:
        # A request read back at start: its first page is the one recorded.
        channel, message = self.page_channel_id, self.page_message_id
        if channel is not None and message is not None and not self.posted_pages:
            self.posted_pages.append((channel, message))

    def snapshot(self) -> dict[str, Any]:
        values = {name: getattr(self, name) for name in REQUEST_FIELDS}
        values["status"] = str(self.status)
        return values


@dataclass(frozen=True)
class Opened:
    case: HelpCase
    target: Target
    is_new: bool


@dataclass(frozen=True)
class StepPage:
    """The page a request's escalation owes now: its current step's, not yet posted."""

    case: HelpCase
    step: int
    target: Target
    # The bot stopped after this page was due and before it was known to be posted:
    # it may already be in the channel once.
    resent: bool
    # The specialist who asked for a second person, when that is why the page is owed.
    backup_for: int | None = None


class AlreadyAcknowledged(UserFacingError):
    def __init__(self, message: str, specialist_id: int) -> None:
        super().__init__(message)
        self.specialist_id = specialist_id


class RequestClosed(UserFacingError):
    pass


def new_public_id() -> str:
    return uuid.uuid4().hex


class HelpDesk:
    def __init__(self, db: Database, journal: Journal, clock: Clock) -> None:
        self._db = db
        self._journal = journal
        self._clock = clock
        self._cases: dict[str, HelpCase] = {}
        self._by_member: dict[tuple[int, int], str] = {}
        self._flushes: set[asyncio.Task[bool]] = set()
        self._claims: set[asyncio.Task[Any]] = set()
        self._copy_scheduled = False
        # Requests whose current page was owed when the process started.
        self._owed_at_start: set[str] = set()
        # Requests whose current step another process took (`_adopt`), by that step: its
        # page is that process's, until `_TAKEN_STEP_GRACE` says it never went out.
        self._taken_elsewhere: dict[str, int] = {}
        self._backup_asked_by: dict[str, int] = {}
        # Requests of members whose data was erased: nothing more is recorded of them,
        # even by a task that still holds the case (a page being posted).
        self._erased: set[str] = set()

    # -- start and persistence ------------------------------------------------

    async def load(self) -> list[HelpCase]:
        """Fill memory with every open request: the database's, then the journal's newer ones."""
        await self._journal.flush()
        async with self._db.all_guilds_session() as session:
            rows = (
                await session.scalars(
                    select(HelpRequest).where(HelpRequest.status.in_(OPEN_STATUSES))
                )
            ).all()
        for row in rows:
            values = {name: getattr(row, name) for name in REQUEST_FIELDS}
            self._remember(HelpCase(guild_id=row.guild_id, **values))
        for entry in self._journal.pending_entries():
            self._remember(HelpCase(guild_id=entry.guild_id, **entry.request))
        self._owed_at_start = {
            case.public_id for case in self._cases.values() if case.paged_at is None
        }
        return list(self._cases.values())

    async def flush(self) -> bool:
        """Copy the journal to the database, after the copies and claims under way."""
        # Awaited, never left running: a task cancelled at shutdown in the middle of a
        # database call can leave its connection hanging.
        await asyncio.gather(*self._claims, return_exceptions=True)
        return await self._copy()

    async def _copy(self) -> bool:
        await asyncio.gather(*self._flushes, return_exceptions=True)
        return await self._journal.flush()

    def _remember(self, case: HelpCase) -> None:
        case.status = Status(case.status)
        key = (case.guild_id, case.member_user_id)
        if case.status in (Status.OPEN, Status.ACKNOWLEDGED):
            self._cases[case.public_id] = case
            self._by_member[key] = case.public_id
        else:
            self._cases.pop(case.public_id, None)
            self._taken_elsewhere.pop(case.public_id, None)
            if self._by_member.get(key) == case.public_id:
                del self._by_member[key]

    def _record(self, case: HelpCase, kind: str, **event: Any) -> None:
        if case.public_id in self._erased:
            return
        record = EventRecord(key=new_public_id(), kind=kind, at=self._clock.now(), **event)
        self._journal.append(Entry(case.guild_id, case.snapshot(), [record]))
        if not self._copy_scheduled:
            self._copy_scheduled = True
            task = asyncio.get_running_loop().create_task(self._copy_soon())
            self._flushes.add(task)
            task.add_done_callback(self._flushes.discard)

    async def _copy_soon(self) -> bool:
        # Records made together (fifty people asking at once) are copied in one go, after
        # the replies and pages they came with: they are safe on disk meanwhile.
        await asyncio.sleep(_COPY_PAUSE_SECONDS)
        self._copy_scheduled = False
        return await self._journal.flush()

    # -- erasure (the privacy hooks, cogs/helpnow/member_data.py) --------------

    async def forget_member(self, guild_id: int, member_user_id: int | None) -> Callable[[], None]:
        """Drop a member's requests (None: every member's in that server) from memory and
        from the journal; return the undo.

        Their open request stops: no further step is owed (a scheduled step finds no
        case and ends), and nothing more about it is recorded or replayed.
        """
        cases = [
            case
            for case in self._cases.values()
            if case.guild_id == guild_id and member_user_id in (None, case.member_user_id)
        ]
        held = [(case, case.next_step_at) for case in cases]
        owed = {case.public_id for case in cases} & self._owed_at_start
        backups = {
            case.public_id: self._backup_asked_by[case.public_id]
            for case in cases
            if case.public_id in self._backup_asked_by
        }
        for case in cases:
            self._erased.add(case.public_id)
            case.next_step_at = None
            self._cases.pop(case.public_id, None)
            self._owed_at_start.discard(case.public_id)
            self._backup_asked_by.pop(case.public_id, None)
        for case in cases:
            self._by_member.pop((guild_id, case.member_user_id), None)
        try:
            entries = await self._journal.forget_member(guild_id, member_user_id)
        except BaseException:
            self._put_back(held, owed, backups)
            raise
        self._erased.update(entry.request["public_id"] for entry in entries)

        def undo() -> None:
            self._erased.difference_update(entry.request["public_id"] for entry in entries)
            self._journal.restore(entries)
            self._put_back(held, owed, backups)

        return undo

    def _put_back(
        self,
        held: list[tuple[HelpCase, datetime | None]],
        owed: set[str],
        backups: dict[str, int],
    ) -> None:
        for case, next_step_at in held:
            self._erased.discard(case.public_id)
            case.next_step_at = next_step_at
            self._remember(case)
        self._owed_at_start |= owed
        self._backup_asked_by.update(backups)

    def pending_of(self, guild_id: int, member_user_id: int) -> list[Entry]:
        """A member's journal entries not yet copied to the database (for an export)."""
        return self._journal.pending_of(guild_id, member_user_id)

    # -- reading ---------------------------------------------------------------

    def get(self, public_id: str) -> HelpCase | None:
        return self._cases.get(public_id)

    def open_case_of(self, guild_id: int, member_user_id: int) -> HelpCase | None:
        public_id = self._by_member.get((guild_id, member_user_id))
        return self._cases.get(public_id) if public_id else None

    def open_cases(self) -> list[HelpCase]:
        return list(self._cases.values())

    # -- changes ---------------------------------------------------------------

    def open(
        self,
        *,
        public_id: str,
        guild_id: int,
        member_user_id: int,
        origin_channel_id: int | None,
        note: str | None,
        chain: OnCallChain,
        role_id: int | None,
        policy: Policy,
    ) -> Opened:
        """A new request, or, if the member has one open, a fresh page for its current step."""
        existing = self.open_case_of(guild_id, member_user_id)
        if existing is not None:
            if existing.status is Status.ACKNOWLEDGED and existing.acknowledged_by is not None:
                # Someone has it: page them, not the step the escalation had reached.
                target = Target(TargetKind.USER, existing.acknowledged_by)
            else:
                target = target_for(existing.step, chain, role_id)
            if note:
                # A second note is kept with the first, never dropped.
                existing.note = f"{existing.note}\n{note}" if existing.note else note
            self._record(existing, "repaged", actor_user_id=member_user_id, target=target.key())
            return Opened(existing, target, is_new=False)
        now = self._clock.now()
        step = first_step(chain)
        # Recorded before anything is sent, with its first page owed at once: a bot that
        # dies right after answering the member still pages after its restart.
        case = HelpCase(
            public_id=public_id,
            guild_id=guild_id,
            member_user_id=member_user_id,
            origin_channel_id=origin_channel_id,
            note=note,
            created_at=now,
            step=step,
            next_step_at=now,
        )
        target = target_for(step, chain, role_id)
        self._remember(case)
        self._record(case, "requested", actor_user_id=member_user_id, target=target.key())
        return Opened(case, target, is_new=True)

    def page_posted(self, case: HelpCase, channel_id: int, message_id: int | None) -> None:
        if case.page_message_id is None or channel_id != case.page_channel_id:
            case.page_channel_id = channel_id
            case.page_message_id = message_id
        if message_id is not None and (channel_id, message_id) not in case.posted_pages:
            case.posted_pages.append((channel_id, message_id))
        self._record(case, "paged", target=f"channel:{channel_id}")

    def page_owed(self, public_id: str, chain: OnCallChain, role_id: int | None) -> StepPage | None:
        """The page this request owes now, if any: its current step's, not yet posted, or,
        once that step's wait is over unacknowledged, the next step's.

        Moving to the next step is recorded before its page is sent, and the page counts as
        sent only through `step_paged`: a bot that dies in between sends the page again
        after its restart (marked as perhaps a repeat), never not at all.
        """
        case = self._cases.get(public_id)
        now = self._clock.now()
        if case is None or case.next_step_at is None or case.next_step_at > now + _DUE_TOLERANCE:
            return None
        if case.paged_at is not None:
            case.step = next_step(case.step, chain)
            case.paged_at = None
            case.next_step_at = now
            self._owed_at_start.discard(public_id)
            self._backup_asked_by.pop(public_id, None)
            self._record(case, "escalated", target=target_for(case.step, chain, role_id).key())
        return StepPage(
            case,
            case.step,
            target_for(case.step, chain, role_id),
            resent=public_id in self._owed_at_start,
            backup_for=self._backup_asked_by.get(public_id),
        )

    def step_paged(self, page: StepPage, policy: Policy) -> None:
        """The page of `page.step` went out (or no channel would take it: the chain goes
        on all the same); the next step is due one wait after now."""
        case = page.case
        if case.step != page.step or case.paged_at is not None:
            return  # the request moved on meanwhile (a backup asked for): its own page counts
        now = self._clock.now()
        case.paged_at = now
        case.next_step_at = (
            due_after(case.step, now, policy) if case.status is Status.OPEN else None
        )
        self._owed_at_start.discard(case.public_id)
        self._backup_asked_by.pop(case.public_id, None)
        self._taken_elsewhere.pop(case.public_id, None)
        self._record(case, "step_paged", target=page.target.key())

    def escalation_due(self, public_id: str) -> bool:
        """Whether `page_owed` would move the request on to its next step now, or owe the
        page of a step another process took and was given time to page."""
        case = self._cases.get(public_id)
        return (
            case is not None
            and (case.paged_at is not None or self._taken_elsewhere.get(public_id) == case.step)
            and case.next_step_at is not None
            and case.next_step_at <= self._clock.now() + _DUE_TOLERANCE
        )

    async def claim_escalation(self, public_id: str, chain: OnCallChain) -> bool:
        """Whether this process moves the request on to its next step (the page
        `page_owed` then owes), or another one already has.

        Another process can hold the request too: one holding its shard twice, in a
        deploy's overlap, loaded it at start and armed its steps at the same moments. The
        database's row moves on from the step once (a conditional UPDATE), so only one of
        them pages it; the other takes the row's state instead (acknowledged there, or a
        step on, paged from there) and looks again a step's wait later. A database that
        can't say, down or slow, lets the page go out: twice is better than never.
        """
        case = self._cases.get(public_id)
        if case is None:
            return False
        taken = self._taken_elsewhere.pop(public_id, None) == case.step and case.paged_at is None
        claiming = (
            self._claim_taken_step(case)
            if taken
            else self._claim_step(case, next_step(case.step, chain))
        )
        before = progress(case.snapshot())
        claim = asyncio.get_running_loop().create_task(claiming)
        # Never cancelled (see `flush`): one the wait gave up on finishes on its own.
        self._claims.add(claim)
        claim.add_done_callback(self._claims.discard)
        done, _ = await asyncio.wait({claim}, timeout=_CLAIM_WAIT_SECONDS)
        theirs = claim.result() if done else None
        if theirs is None:
            if taken:
                self._owed_at_start.add(public_id)  # the other process may have posted it
            return True
        if self._cases.get(public_id) is not case or progress(case.snapshot()) != before:
            # Closed, erased, acknowledged or moved on here meanwhile: this process's own
            # state stands (`page_owed` says what it owes now); the database's would bring
            # a closed request back, or undo an acknowledgement.
            return True
        self._adopt(case, theirs)
        return False

    async def claim_owner_notice(self, case: HelpCase) -> bool:
        """Whether this process tells the owner that the chain ended unanswered: once per
        request, whichever process finished it (as `claim_escalation`, a database that
        can't say lets the notice go)."""
        claim = asyncio.get_running_loop().create_task(self._claim_notice(case))
        self._claims.add(claim)
        claim.add_done_callback(self._claims.discard)
        done, _ = await asyncio.wait({claim}, timeout=_CLAIM_WAIT_SECONDS)
        told_at = claim.result() if done else None
        if told_at is None:
            return True
        case.owner_told_at = told_at
        return False

    async def _claim_step(self, case: HelpCase, following: int) -> dict[str, Any] | None:
        """None when this process takes the step; else the database's newer state."""
        # Not after this process's journal copy: that one can take long (every record of a
        # burst of pages at start), and the claim must not wait for it. A row behind this
        # process's records is one no other process moved on (`_claimed`).
        return await self._claimed(
            case,
            (),
            {"step": following, "paged_at": None, "next_step_at": self._clock.now()},
            failing="Could not claim a help-now step in guild %s (%s); paging all the same",
        )

    async def _claim_taken_step(self, case: HelpCase) -> dict[str, Any] | None:
        """None when this process pages the step another process took: that one never
        recorded it as paged within `_TAKEN_STEP_GRACE`. Else the database's state."""
        now = self._clock.now()
        return await self._claimed(
            case,
            (HelpRequest.paged_at.is_(None), HelpRequest.next_step_at <= now - _TAKEN_STEP_GRACE),
            {"next_step_at": now},
            failing="Could not check a help-now step another process took in guild %s (%s); "
            "paging it all the same",
        )

    async def _claimed(
        self, case: HelpCase, only_if: tuple[Any, ...], values: dict[str, Any], *, failing: str
    ) -> dict[str, Any] | None:
        """The request's row moved on with `values` if it is still open at this process's
        step (and `only_if`): None, this process goes on. Else the database's state, when
        another process is ahead; None too when no row or one behind this process's own
        records (erased meanwhile, never written, set aside as refused), or when the
        database can't say (`failing` is logged, with ids only)."""
        try:
            async with self._db.guild_session(case.guild_id) as session, session.begin():
                won = await session.scalar(
                    update(HelpRequest)
                    .where(
                        HelpRequest.public_id == case.public_id,
                        HelpRequest.status == str(Status.OPEN),
                        HelpRequest.step == case.step,
                        *only_if,
                    )
                    .values(**values)
                    .returning(HelpRequest.id)
                    .execution_options(synchronize_session=False)
                )
                if won is not None:
                    return None
                row = await session.scalar(
                    select(HelpRequest).where(HelpRequest.public_id == case.public_id)
                )
                if row is None or (row.status == str(Status.OPEN) and row.step < case.step):
                    return None
                return {name: getattr(row, name) for name in REQUEST_FIELDS}
        except Exception as error:
            log.warning(failing, case.guild_id, type(error).__name__)
            return None

    async def _claim_notice(self, case: HelpCase) -> datetime | None:
        """None when this process tells the owner; else when another one did."""
        try:
            async with self._db.guild_session(case.guild_id) as session, session.begin():
                won = await session.scalar(
                    update(HelpRequest)
                    .where(
                        HelpRequest.public_id == case.public_id,
                        HelpRequest.owner_told_at.is_(None),
                    )
                    .values(owner_told_at=self._clock.now())
                    .returning(HelpRequest.id)
                    .execution_options(synchronize_session=False)
                )
                if won is not None:
                    return None
                told: datetime | None = await session.scalar(
                    select(HelpRequest.owner_told_at).where(HelpRequest.public_id == case.public_id)
                )
                return told
        except Exception as error:
            log.warning(
                "Could not claim an owner's notice in guild %s (%s); telling them all the same",
                case.guild_id,
                type(error).__name__,
            )
            return None

    def _adopt(self, case: HelpCase, theirs: dict[str, Any]) -> None:
        """Take the state another process left in the database for this request."""
        for name in REQUEST_FIELDS:
            setattr(case, name, theirs[name])
        case.status = Status(case.status)
        self._owed_at_start.discard(case.public_id)
        self._backup_asked_by.pop(case.public_id, None)
        if case.status is Status.OPEN and case.paged_at is None:
            # The other process is posting this step's page now (it took the step at
            # `next_step_at`). Never counted as paged here: that process can die before
            # the page is out, and this one then pages it after the grace.
            case.next_step_at = (case.next_step_at or self._clock.now()) + _TAKEN_STEP_GRACE
            self._taken_elsewhere[case.public_id] = case.step
        self._remember(case)
        log.info(
            "Help-now request %s in guild %s is being paged by another process",
            case.public_id,
            case.guild_id,
        )

    def owner_told(self, case: HelpCase) -> None:
        case.owner_told_at = self._clock.now()
        self._record(case, "owner_told")

    def chain_finished(self, case: HelpCase) -> bool:
        """Every automatic page went out and nobody acknowledged."""
        return (
            case.status is Status.OPEN and case.paged_at is not None and case.next_step_at is None
        )

    def request_backup(
        self, public_id: str, specialist_id: int, chain: OnCallChain, role_id: int | None
    ) -> HelpCase:
        """Move to the next step at once; its page is owed now, as an escalation's is (on
        an acknowledged request too, without resuming its chain: see `step_paged`)."""
        case = self._open_case(public_id)
        case.step = next_step(case.step, chain)
        case.paged_at = None
        case.next_step_at = self._clock.now()
        self._owed_at_start.discard(public_id)
        self._backup_asked_by[public_id] = specialist_id
        target = target_for(case.step, chain, role_id)
        self._record(case, "backup_requested", actor_user_id=specialist_id, target=target.key())
        return case

    def acknowledge(self, public_id: str, specialist_id: int) -> HelpCase:
        case = self._open_case(public_id)
        if case.status is Status.ACKNOWLEDGED and case.acknowledged_by is not None:
            raise AlreadyAcknowledged("already acknowledged", case.acknowledged_by)
        case.status = Status.ACKNOWLEDGED
        case.acknowledged_at = self._clock.now()
        case.acknowledged_by = specialist_id
        case.next_step_at = None
        self._record(case, "acknowledged", actor_user_id=specialist_id)
        return case

    def set_thread(self, case: HelpCase, thread_id: int) -> None:
        case.thread_id = thread_id
        self._record(case, "thread_opened", target=f"channel:{thread_id}")

    def close(
        self, public_id: str, by_user_id: int, status: Status, outcome: str | None = None
    ) -> HelpCase:
        case = self._open_case(public_id)
        case.status = status
        case.closed_at = self._clock.now()
        case.closed_by = by_user_id
        case.next_step_at = None
        case.outcome = outcome or None
        self._record(
            case, "member_safe" if status is Status.SAFE else "resolved", actor_user_id=by_user_id
        )
        self._remember(case)
        return case

    def withdraw(self, public_id: str) -> None:
        """Another bot process answered this request's interaction first and pages it."""
        case = self._cases.get(public_id)
        if case is None:
            return
        case.status = Status.WITHDRAWN
        case.next_step_at = None
        case.closed_at = self._clock.now()
        self._record(case, "withdrawn")
        self._remember(case)

    def record_fallback(self, case: HelpCase, channel_id: int | None) -> None:
        self._record(case, "fallback_used", target=f"channel:{channel_id}" if channel_id else None)

    def _open_case(self, public_id: str) -> HelpCase:
        case = self._cases.get(public_id)
        if case is None:
            raise RequestClosed("closed")
        return case
