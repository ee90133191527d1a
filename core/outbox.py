"""One paced outbox for bulk messages: prompts, reminders, announcements, and the
milestones, meeting reminders and partner signals still to come.

A feature writes its messages as rows (`enqueue`), in the same transaction as whatever
decided they are due, so a message is never decided and then lost. One worker per
process sends them:

- at the pace of `core.pacing`, as bulk, so crisis pages and replies to members go first;
- never twice: each row is claimed under a lease, and posted with Discord's nonce
  (`enforce_nonce`), so a send that went out just before a crash, and is sent again
  after it, comes back as the same message instead of a second one;
- never given up on while it is still useful: Discord's refusals and outages are
  retried until the row's `expires_at` (yesterday's prompt is not posted today);
- a channel that refuses the bot (deleted, permissions taken away) is tried again
  later, and its feature hears of it (`on_refused`) to tell someone who can fix it.

With shards over several processes, each process sends the rows of its own servers.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import secrets
from collections import defaultdict
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
import discord
from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from core.logging import describe_failure
from core.pacing import bulk_requests
from db.engine import Database
from db.inserts import insert_missing
from db.models.outbox import EXPIRED, FAILED, QUEUED, SENT, OutboxMessage

log = logging.getLogger(__name__)

# A claimed row is this worker's for this long; a worker that died lets go by then.
# Kept inside Discord's nonce window ("the past few minutes"), so a row sent again
# after its lease ran out is still recognised as the same message.
LEASE = timedelta(minutes=2)
CLAIM_BATCH = 200
# Sends in flight at once: enough to fill the pace while a few wait on the network.
CONCURRENCY = 8
# With nothing due, the worker looks again this often (or at once when woken).
IDLE_POLL_SECONDS = 2.0
FAILING_POLL_CAP_SECONDS = 30.0
RETRY_CAP = timedelta(seconds=60)
# A channel closed to the bot waits for someone to mend it, not for a backoff.
REFUSED_RETRY = timedelta(minutes=10)
KEEP_DONE_FOR = timedelta(days=3)
PURGE_EVERY = timedelta(hours=1)
IDENTITY_FILE = "outbox-identity"
# Discord's codes for a member who takes no DMs from the bot.
DM_CLOSED_CODES = frozenset({50007, 50278})

Now = Callable[[], datetime]


@dataclass(frozen=True)
class Outgoing:
    """A message a feature wants sent: to a channel, or to a member's DMs."""

    kind: str
    dedupe_key: str
    guild_id: int
    body: dict[str, Any]
    not_before: datetime
    expires_at: datetime
    channel_id: int | None = None
    user_id: int | None = None

    def __post_init__(self) -> None:
        if (self.channel_id is None) == (self.user_id is None):
            raise ValueError("An outgoing message goes to a channel or to a member, not both")


@dataclass(frozen=True)
class Refused:
    """A channel post Discord refused (404 or 403): what a feature's handler is told."""

    kind: str
    dedupe_key: str
    guild_id: int
    channel_id: int
    status: int


RefusalHandler = Callable[[Refused], Awaitable[object]]


def message_body(
    content: str,
    *,
    embed: discord.Embed | None = None,
    view: discord.ui.View | None = None,
    mentions: discord.AllowedMentions | None = None,
) -> dict[str, Any]:
    """The JSON of Discord's "create message" for a text, an embed and a view."""
    body: dict[str, Any] = {
        "content": content,
        # Nobody is pinged unless the message asks for it (a shift announcement does).
        "allowed_mentions": (mentions or discord.AllowedMentions.none()).to_dict(),
    }
    if embed is not None:
        body["embeds"] = [embed.to_dict()]
    if view is not None:
        body["components"] = view.to_components()
    return body


async def enqueue(session: AsyncSession, messages: Sequence[Outgoing]) -> None:
    """Queue `messages` in the caller's transaction; a message whose dedupe key is
    already queued (or was sent) is dropped."""
    if not messages:
        return
    rows = [
        {
            "kind": m.kind,
            "dedupe_key": m.dedupe_key,
            "guild_id": m.guild_id,
            "channel_id": m.channel_id,
            "user_id": m.user_id,
            "body": json.dumps(m.body, separators=(",", ":")),
            "state": QUEUED,
            "not_before": m.not_before,
            "expires_at": m.expires_at,
            "attempts": 0,
        }
        for m in messages
    ]
    await insert_missing(session, OutboxMessage, rows, on=["dedupe_key"])


async def withdraw(
    session: AsyncSession, guild_id: int, key_prefixes: Sequence[str], now: datetime
) -> int:
    """Take back, in the caller's transaction, the messages of server `guild_id` still
    queued whose dedupe key starts with one of `key_prefixes`: they are never sent.

    A row a worker holds at `now` (its lease still runs) is being sent right now and is
    left to it; sent, failed and expired rows are history and stay. A withdrawn row is
    gone, so its dedupe key may be queued again later. Returns how many were withdrawn."""
    if not key_prefixes:
        return 0
    result = await session.execute(
        delete(OutboxMessage)
        .where(
            OutboxMessage.guild_id == guild_id,
            OutboxMessage.state == QUEUED,
            or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now),
            or_(
                *(
                    OutboxMessage.dedupe_key.startswith(prefix, autoescape=True)
                    for prefix in key_prefixes
                )
            ),
        )
        .execution_options(synchronize_session=False)
    )
    return int(getattr(result, "rowcount", 0) or 0)


def shard_filter(guild_id: Any, shards: tuple[Sequence[int], int] | None) -> list[Any]:
    """Conditions on a `guild_id` column keeping the servers of these shards (any one
    of them holds: `or_(*conditions)`); none when the process holds every server."""
    if shards is None:
        return []
    shard_ids, count = shards
    # The shard of a server, as Discord computes it: (guild_id >> 22) % shard_count.
    return [(guild_id // 4194304) % count == shard for shard in shard_ids]


def process_identity(data_dir: Path) -> str:
    """This deployment's name for its leases, the same across restarts, so a restarted
    process takes back at once what it held when it stopped."""
    path = data_dir / IDENTITY_FILE
    try:
        known = path.read_text(encoding="ascii").strip()
    except FileNotFoundError:
        known = ""
    if known:
        return known
    made = secrets.token_hex(8)
    data_dir.mkdir(parents=True, exist_ok=True)
    path.write_text(made + "\n", encoding="ascii")
    return made


@dataclass(frozen=True)
class _Claimed:
    id: int
    kind: str
    dedupe_key: str
    guild_id: int
    channel_id: int | None
    user_id: int | None
    body: dict[str, Any]
    attempts: int
    expires_at: datetime
    lease: str

    @property
    def destination(self) -> tuple[str, int]:
        if self.channel_id is not None:
            return ("channel", self.channel_id)
        assert self.user_id is not None
        return ("user", self.user_id)


@dataclass(frozen=True)
class _Outcome:
    state: str  # QUEUED again (retry), SENT or FAILED
    status: int | None
    message_id: int | None = None
    retry_in: timedelta | None = None


class Outbox:
    """The process's worker: claims due rows in batches, sends them paced, records
    each outcome. `wake()` after enqueueing to send at once."""

    def __init__(
        self,
        db: Database,
        client: discord.Client,
        now: Now,
        *,
        identity: str,
        shards: tuple[Sequence[int], int] | None = None,
    ) -> None:
        self.db = db
        self.client = client
        self.now = now
        self.identity = identity
        self.shards = shards
        self._handlers: dict[str, RefusalHandler] = {}
        self._dm_channels: dict[int, int] = {}
        self._woken = asyncio.Event()
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self._claim_number = 0
        # Tells this run's claims from those of the same deployment before a restart.
        self._life = secrets.token_hex(4)
        self._last_purge: datetime | None = None

    # --- For features ---------------------------------------------------------------

    def on_refused(self, kind: str, handler: RefusalHandler) -> None:
        """Call `handler` when a channel refuses a message of `kind` (the feature tells
        the owner); the message itself is tried again later."""
        self._handlers[kind] = handler

    def wake(self) -> None:
        self._woken.set()

    def forget_refused(self, kind: str) -> None:
        """The feature is unloading: its handler is no longer called."""
        self._handlers.pop(kind, None)

    async def waiting(self) -> int:
        """How many messages of this process's servers are queued and due now."""
        now = self.now()
        due = (
            select(func.count())
            .select_from(OutboxMessage)
            .where(OutboxMessage.state == QUEUED, OutboxMessage.not_before <= now)
        )
        if served := self._served():
            due = due.where(or_(*served))
        async with self.db.all_guilds_session() as session:
            found = await session.scalar(due)
        return int(found or 0)

    # --- Start and stop -------------------------------------------------------------

    async def start(self) -> None:
        await self._let_go(f"{self.identity}/%")
        self._task = asyncio.create_task(self._run(), name="outbox")

    async def stop(self, grace_seconds: float) -> None:
        """Claim nothing more; let sends under way finish within the grace; give back
        the rest of what this process claimed."""
        self._stopping = True
        self._woken.set()
        if self._task is not None:
            done, _ = await asyncio.wait({self._task}, timeout=grace_seconds)
            if not done:
                self._task.cancel()
                await asyncio.gather(self._task, return_exceptions=True)
            self._task = None
        try:
            await self._let_go(f"{self.identity}/%")
        except Exception as error:  # the lease runs out by itself; stopping goes on
            log.warning("Could not give back the outbox's claims: %s", describe_failure(error))

    # --- The worker -----------------------------------------------------------------

    async def _run(self) -> None:
        failures = 0
        with bulk_requests():
            while not self._stopping:
                try:
                    claimed = await self._claim()
                    while claimed and not self._stopping:
                        claimed = await self._send_and_claim_more(claimed)
                    if not claimed:
                        await self._purge_now_and_then()
                    failures = 0
                except Exception as error:
                    failures = min(failures + 1, 4)
                    log.error("The outbox worker failed: %s", describe_failure(error))
                # A database that is down is looked at less and less often, not every
                # poll with an error line each time; a wake still looks at once.
                await self._idle(min(IDLE_POLL_SECONDS * 2**failures, FAILING_POLL_CAP_SECONDS))

    async def _send_and_claim_more(self, claimed: list[_Claimed]) -> list[_Claimed]:
        """Send a batch while claiming the next, so the pace never waits on a claim."""
        sending = asyncio.create_task(self._send_all(claimed))
        try:
            more = await self._claim() if not self._stopping else []
        finally:
            busy = {message.destination for message in claimed}
            if not sending.done() and (
                self._stopping or any(m.destination in busy for m in more or [])
            ):
                # A destination's messages go out in order: the second waits for the first.
                await sending
        await sending
        return more

    async def _idle(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._woken.wait(), seconds)
        self._woken.clear()

    def _served(self) -> list[Any]:
        return shard_filter(OutboxMessage.guild_id, self.shards)

    async def _claim(self) -> list[_Claimed]:
        now = self.now()
        self._claim_number += 1
        lease = f"{self.identity}/{self._life}/{self._claim_number}"
        served = self._served()
        free = or_(OutboxMessage.lease_until.is_(None), OutboxMessage.lease_until < now)
        async with self.db.all_guilds_session() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == QUEUED, OutboxMessage.expires_at <= now, free)
                .values(state=EXPIRED, done_at=now)
                .execution_options(synchronize_session=False)
            )
            due = (
                select(OutboxMessage.id)
                .where(OutboxMessage.state == QUEUED, OutboxMessage.not_before <= now, free)
                # After an outage the backlog is longer than some messages' lives: the
                # ones whose moment passes soonest go first.
                .order_by(OutboxMessage.expires_at, OutboxMessage.id)
                .limit(CLAIM_BATCH)
                .with_for_update(skip_locked=True)
            )
            if served:
                due = due.where(or_(*served))
            await session.execute(
                update(OutboxMessage)
                # Checked again on the row itself: another process that claimed the
                # row first has moved its lease on, and this claim skips it.
                .where(
                    OutboxMessage.id.in_(due.scalar_subquery()), OutboxMessage.state == QUEUED, free
                )
                .values(
                    lease_owner=lease,
                    lease_until=now + LEASE,
                    attempts=OutboxMessage.attempts + 1,
                )
                .execution_options(synchronize_session=False)
            )
            rows = (
                await session.scalars(
                    select(OutboxMessage)
                    .where(OutboxMessage.lease_owner == lease, OutboxMessage.state == QUEUED)
                    .order_by(OutboxMessage.expires_at, OutboxMessage.id)
                )
            ).all()
            return [
                _Claimed(
                    id=row.id,
                    kind=row.kind,
                    dedupe_key=row.dedupe_key,
                    guild_id=row.guild_id,
                    channel_id=row.channel_id,
                    user_id=row.user_id,
                    body=json.loads(row.body),
                    attempts=row.attempts,
                    expires_at=row.expires_at,
                    lease=lease,
                )
                for row in rows
            ]

    async def _send_all(self, claimed: list[_Claimed]) -> None:
        # One destination's messages go out in order, one at a time; destinations
        # side by side, as many as keep the pace full.
        by_destination: dict[tuple[str, int], list[_Claimed]] = defaultdict(list)
        for message in claimed:
            by_destination[message.destination].append(message)
        gate = asyncio.Semaphore(CONCURRENCY)

        async def send_in_turn(messages: list[_Claimed]) -> None:
            async with gate:
                for message in messages:
                    outcome = await self._send(message)
                    if outcome is not None:
                        await self._record(message, outcome)

        await asyncio.gather(*(send_in_turn(group) for group in by_destination.values()))

    async def _send(self, message: _Claimed) -> _Outcome | None:
        """What became of the message; None when it was taken back before it went out."""
        body = dict(message.body, nonce=f"outbox-{message.id}", enforce_nonce=True)
        try:
            channel_id = message.channel_id or await self._dm_channel(message.user_id or 0)
            if not await self._still_to_send(message):
                return None
            route = discord.http.Route(
                "POST", "/channels/{channel_id}/messages", channel_id=channel_id
            )
            sent = await self.client.http.request(route, json=body)
        except discord.HTTPException as error:
            return await self._refused(message, error)
        except (OSError, TimeoutError, aiohttp.ClientError) as error:
            log.info("Outbox message %s not sent yet: %s", message.id, describe_failure(error))
            return _Outcome(QUEUED, None, retry_in=self._backoff(message))
        return _Outcome(SENT, 200, message_id=int(sent["id"]))

    async def _still_to_send(self, message: _Claimed) -> bool:
        """Whether the row is still this claim's, as it was claimed. A batch takes
        minutes to send at Discord's pace: a member erased meanwhile has their rows
        deleted (their DM, a post naming them), and nothing of theirs may go out after.
        A database that can't say lets the message go: it was claimed as due."""
        try:
            async with self.db.all_guilds_session() as session:
                held = await session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.id == message.id,
                        OutboxMessage.lease_owner == message.lease,
                        OutboxMessage.state == QUEUED,
                    )
                )
        except Exception as error:
            log.warning(
                "Could not check outbox message %s: %s", message.id, describe_failure(error)
            )
            return True
        if held is None:
            log.info("Outbox message %s was taken back before it was sent", message.id)
        return held is not None

    async def _dm_channel(self, user_id: int) -> int:
        known = self._dm_channels.get(user_id)
        if known is None:
            channel = await self.client.http.start_private_message(user_id)
            known = self._dm_channels[user_id] = int(channel["id"])
        return known

    async def _refused(self, message: _Claimed, error: discord.HTTPException) -> _Outcome:
        status = error.status
        if message.user_id is not None and (
            error.code in DM_CLOSED_CODES or status in (400, 403, 404)
        ):
            # A member's closed DMs are their choice; nothing to retry.
            log.info("Outbox DM %s not delivered: %s", message.id, describe_failure(error))
            return _Outcome(FAILED, status)
        if status in (403, 404):
            log.warning(
                "Channel %s of guild %s refused outbox message %s: %s",
                message.channel_id,
                message.guild_id,
                message.id,
                describe_failure(error),
            )
            await self._tell_feature(message, status)
            return _Outcome(QUEUED, status, retry_in=REFUSED_RETRY)
        if 400 <= status < 500 and status != 429:
            log.error("Discord refused outbox message %s: %s", message.id, describe_failure(error))
            return _Outcome(FAILED, status)
        log.info("Outbox message %s not sent yet: %s", message.id, describe_failure(error))
        return _Outcome(QUEUED, status, retry_in=self._backoff(message))

    async def _tell_feature(self, message: _Claimed, status: int) -> None:
        handler = self._handlers.get(message.kind)
        if handler is None or message.channel_id is None:
            return
        refused = Refused(
            message.kind, message.dedupe_key, message.guild_id, message.channel_id, status
        )
        try:
            await handler(refused)
        except Exception as error:  # telling someone failed; the message is still retried
            log.error("The %s refusal handler failed: %s", message.kind, describe_failure(error))

    @staticmethod
    def _backoff(message: _Claimed) -> timedelta:
        return min(timedelta(seconds=2 ** min(message.attempts, 10)), RETRY_CAP)

    async def _record(self, message: _Claimed, outcome: _Outcome) -> None:
        now = self.now()
        values: dict[str, Any] = {
            "state": outcome.state,
            "last_status": outcome.status,
            "lease_owner": None,
            "lease_until": None,
        }
        if outcome.state == QUEUED:
            retry_at = now + (outcome.retry_in or RETRY_CAP)
            if retry_at >= message.expires_at:
                values |= {"state": EXPIRED, "done_at": now}
                log.warning("Outbox message %s (%s) expired unsent", message.id, message.kind)
            else:
                values["not_before"] = retry_at
        else:
            values |= {"done_at": now, "message_id": outcome.message_id}
        try:
            async with self.db.all_guilds_session() as session, session.begin():
                await session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id == message.id)
                    .values(**values)
                    .execution_options(synchronize_session=False)
                )
        except Exception as error:
            # The lease runs out and the row is sent again: the nonce makes that the
            # same message, so a lost record costs a request, not a duplicate.
            log.error("Could not record outbox message %s: %s", message.id, describe_failure(error))

    async def _let_go(self, lease_pattern: str) -> None:
        async with self.db.all_guilds_session() as session, session.begin():
            await session.execute(
                update(OutboxMessage)
                .where(OutboxMessage.state == QUEUED, OutboxMessage.lease_owner.like(lease_pattern))
                .values(lease_owner=None, lease_until=None)
                .execution_options(synchronize_session=False)
            )

    async def _purge_now_and_then(self) -> None:
        now = self.now()
        if self._last_purge is not None and now - self._last_purge < PURGE_EVERY:
            return
        self._last_purge = now
        async with self.db.all_guilds_session() as session, session.begin():
            await session.execute(
                delete(OutboxMessage)
                .where(
                    OutboxMessage.state.in_((SENT, FAILED, EXPIRED)),
                    OutboxMessage.done_at < now - KEEP_DONE_FOR,
                )
                .execution_options(synchronize_session=False)
            )
