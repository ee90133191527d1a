"""The journal's copy to the database: what it sets aside, what it waits for, how it batches."""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from cryptography.fernet import MultiFernet
from sqlalchemy import event, select
from sqlalchemy.engine import make_url

from cogs.helpnow.journal import REQUEST_FIELDS, Entry, EventRecord, Journal, _encode
from cogs.helpnow.policy import Policy
from cogs.helpnow.service import HelpDesk, Status, new_public_id
from core.oncall import OnCallChain
from db.engine import Database, create_engine
from db.migrate import upgrade_to_head
from db.models import HelpEvent, HelpRequest
from tests.cogs.helpnow.desk_helpers import GUILD, MEMBER, open_request
from tests.databases import POSTGRES_URL
from tests.fake_clock import FakeClock

OTHER_MEMBER = 20_000_000_000_000_007
ONCALL = 30_000_000_000_000_003
NOTE = "relapsed last night, scared to tell anyone"
AT = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)
POLICY = Policy(timedelta(minutes=5), timedelta(minutes=10), max_repeats=1)
CHAIN = OnCallChain(primary=ONCALL, backups=())


def snapshot(public_id: str, member: int = MEMBER, **changes: Any) -> dict[str, Any]:
    values: dict[str, Any] = dict.fromkeys(REQUEST_FIELDS)
    values |= {
        "public_id": public_id,
        "member_user_id": member,
        "origin_channel_id": 1,
        "status": "open",
        "note": NOTE,
        "created_at": AT,
        "step": 0,
        "next_step_at": AT,
    }
    return values | changes


def entry(public_id: str, kind: str, member: int = MEMBER, **changes: Any) -> Entry:
    record = EventRecord(key=new_public_id(), kind=kind, at=AT)
    return Entry(GUILD, snapshot(public_id, member, **changes), [record])


async def rows(database: Database) -> dict[str, tuple[str, list[str]]]:
    """Each request's status and its events' kinds, in the order they were written."""
    async with database.guild_session(GUILD) as session:
        requests = (await session.scalars(select(HelpRequest))).all()
        events = (await session.scalars(select(HelpEvent).order_by(HelpEvent.id))).all()
    return {
        r.public_id: (r.status, [e.kind for e in events if e.request_id == r.id]) for r in requests
    }


def set_aside(tmp_path: Path, cipher: MultiFernet) -> list[dict[str, Any]]:
    aside = tmp_path / "journal.unwritable"
    if not aside.exists():
        return []
    return [json.loads(cipher.decrypt(line)) for line in aside.read_bytes().splitlines()]


@pytest.fixture
def commits(database: Database) -> Iterator[list[None]]:
    """One item per transaction committed: the round trips a flush makes."""
    made: list[None] = []

    def count(_connection: Any) -> None:
        made.append(None)

    event.listen(database.engine.sync_engine, "commit", count)
    yield made
    event.remove(database.engine.sync_engine, "commit", count)


async def test_a_request_another_process_opened_first_is_set_aside_and_the_rest_still_land(
    database: Database, tmp_path: Path, cipher: MultiFernet, caplog: pytest.LogCaptureFixture
) -> None:
    # Two bot processes (a deploy's overlap) both took the member's /help-now: the one
    # that writes second breaks the member's single open request, however often it tries.
    first = HelpDesk(database, Journal(tmp_path / "first-journal", cipher, database), FakeClock(AT))
    second = HelpDesk(database, Journal(tmp_path / "journal", cipher, database), FakeClock(AT))
    kept = open_request(first, NOTE)
    # Landed before the second process records anything: its own copy, a moment after
    # each record, must not race this one.
    assert await first.flush()
    refused = open_request(second, NOTE)
    other = open_request(second, NOTE, member=OTHER_MEMBER)

    caplog.set_level(logging.WARNING, logger="cogs.helpnow.journal")
    assert await second.flush()  # nothing left waiting behind the refused record

    assert await rows(database) == {
        kept: ("open", ["requested"]),
        other: ("open", ["requested"]),
    }
    [aside] = set_aside(tmp_path, cipher)
    assert aside["request"]["public_id"] == refused
    assert aside["events"][0]["kind"] == "requested"
    assert NOTE.encode() not in (tmp_path / "journal.unwritable").read_bytes()
    assert Journal(tmp_path / "journal", cipher, database).pending_entries() == []
    [logged] = caplog.records
    assert logged.levelno == logging.ERROR
    assert refused in logged.getMessage()
    assert "IntegrityError" in logged.getMessage()
    assert NOTE not in logged.getMessage()
    assert str(MEMBER) not in logged.getMessage()
    assert logged.exc_info is None

    # A later record of the same request carries all of it, and this one can land.
    second.close(refused, MEMBER, Status.SAFE)
    assert await second.flush()
    assert (await rows(database))[refused] == ("safe", ["member_safe"])
    assert len(set_aside(tmp_path, cipher)) == 1


@pytest.mark.parametrize(
    "bad_event",
    [
        # A column type refuses it before it is sent.
        {"at": datetime(2026, 11, 25, 20, 0)},
        # Past BIGINT: sqlite3 refuses to bind it, PostgreSQL answers a data exception.
        {"actor_user_id": 2**70},
    ],
    ids=["naive-datetime", "integer-out-of-range"],
)
async def test_a_refused_record_among_a_requests_records_is_the_only_one_set_aside(
    database: Database, tmp_path: Path, cipher: MultiFernet, bad_event: dict[str, Any]
) -> None:
    public_id = new_public_id()
    journal = Journal(tmp_path / "journal", cipher, database)
    requested = entry(public_id, "requested")
    broken = entry(public_id, "paged", page_channel_id=5)
    broken.events = [EventRecord(key=new_public_id(), kind="paged", **{"at": AT} | bad_event)]
    acknowledged = entry(public_id, "acknowledged", status="acknowledged", page_channel_id=5)
    for each in (requested, broken, acknowledged):
        journal.append(each)

    assert await journal.flush()
    assert await rows(database) == {public_id: ("acknowledged", ["requested", "acknowledged"])}
    [aside] = set_aside(tmp_path, cipher)
    assert aside == json.loads(json.dumps(_encode(broken)))
    assert Journal(tmp_path / "journal", cipher, database).pending_entries() == []


async def test_a_requests_records_are_written_in_one_transaction(
    database: Database, tmp_path: Path, cipher: MultiFernet, commits: list[None]
) -> None:
    journal = Journal(tmp_path / "journal", cipher, database)
    members = [MEMBER + n for n in range(3)]
    public_ids = [new_public_id() for _ in members]
    # Many members asking at once: their records interleave.
    changes: dict[str, Any] = {}
    steps: list[tuple[str, dict[str, Any]]] = [
        ("requested", {}),
        ("step_paged", {"paged_at": AT, "next_step_at": AT + timedelta(minutes=5)}),
        ("acknowledged", {"status": "acknowledged", "acknowledged_by": ONCALL}),
    ]
    for kind, change in steps:
        changes |= change
        for public_id, member in zip(public_ids, members, strict=True):
            journal.append(entry(public_id, kind, member, **changes))

    assert await journal.flush()
    assert len(commits) == 3
    assert await rows(database) == dict.fromkeys(
        public_ids, ("acknowledged", ["requested", "step_paged", "acknowledged"])
    )
    async with database.guild_session(GUILD) as session:
        written = (await session.scalars(select(HelpRequest).order_by(HelpRequest.id))).all()
    assert [r.public_id for r in written] == public_ids  # requests in the order they came
    assert all(r.acknowledged_by == ONCALL and r.paged_at == AT for r in written)


async def test_a_request_opened_after_another_of_its_member_closed_is_written_after_that(
    database: Database, tmp_path: Path, cipher: MultiFernet, commits: list[None]
) -> None:
    # Had the reopening been written with its request's first record, ahead of the
    # other request's close, the member would have had two open requests: refused.
    earlier, later = new_public_id(), new_public_id()
    journal = Journal(tmp_path / "journal", cipher, database)
    journal.append(entry(later, "requested"))
    assert await journal.flush()
    journal.append(entry(earlier, "thread_opened", status="resolved", thread_id=9))
    journal.append(entry(later, "member_safe", status="safe"))
    journal.append(entry(earlier, "reopened"))

    assert await journal.flush()
    assert await rows(database) == {
        later: ("safe", ["requested", "member_safe"]),
        earlier: ("open", ["thread_opened", "reopened"]),
    }
    assert set_aside(tmp_path, cipher) == []
    assert len(commits) == 4


async def test_a_crash_before_the_journal_is_rewritten_replays_once(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    path = tmp_path / "journal"
    journal = Journal(path, cipher, database)
    public_ids = [new_public_id(), new_public_id()]
    for kind, status in [("requested", "open"), ("member_safe", "safe")]:
        for n, public_id in enumerate(public_ids):
            journal.append(entry(public_id, kind, MEMBER + n, status=status))
    before = path.read_bytes()
    assert await journal.flush()
    written = await rows(database)

    path.write_bytes(before)  # as if the process died before the rewrite
    assert await Journal(path, cipher, database).flush()
    assert (
        await rows(database)
        == written
        == dict.fromkeys(public_ids, ("safe", ["requested", "member_safe"]))
    )


async def test_a_refused_record_that_cannot_be_kept_aside_waits_in_the_journal_in_order(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    refused, after = new_public_id(), new_public_id()
    (tmp_path / "journal.unwritable").mkdir()  # the disk will not take the aside file
    journal = Journal(tmp_path / "journal", cipher, database)
    journal.append(entry(refused, "requested", created_at=datetime(2026, 11, 25, 20, 0)))
    journal.append(entry(after, "requested", OTHER_MEMBER))

    assert not await journal.flush()
    assert [e.request["public_id"] for e in journal.pending_entries()] == [refused, after]
    reopened = Journal(tmp_path / "journal", cipher, database)
    assert len(reopened.pending_entries()) == 2

    (tmp_path / "journal.unwritable").rmdir()
    assert await reopened.flush()
    assert await rows(database) == {after: ("open", ["requested"])}
    assert [e["request"]["public_id"] for e in set_aside(tmp_path, cipher)] == [refused]


async def test_records_wait_for_a_database_not_migrated_yet(
    database_url: str, tmp_path: Path, cipher: MultiFernet
) -> None:
    # Every record fails alike there (no such table): nothing about them is wrong.
    database = Database(create_engine(database_url, cipher=cipher))
    try:
        journal = Journal(tmp_path / "journal", cipher, database)
        public_id = new_public_id()
        journal.append(entry(public_id, "requested"))
        assert not await journal.flush()
        assert not await journal.flush()
        assert set_aside(tmp_path, cipher) == []

        await upgrade_to_head(database.engine)
        assert await journal.flush()
        assert await rows(database) == {public_id: ("open", ["requested"])}
    finally:
        await database.dispose()


@pytest.mark.postgres
async def test_records_wait_for_a_database_not_created_yet(
    tmp_path: Path, cipher: MultiFernet
) -> None:
    missing = make_url(POSTGRES_URL).set(database=f"missing_{uuid.uuid4().hex[:12]}")
    database = Database(create_engine(missing.render_as_string(False), cipher=cipher))
    try:
        journal = Journal(tmp_path / "journal", cipher, database)
        journal.append(entry(new_public_id(), "requested"))
        assert not await journal.flush()
        assert len(journal.pending_entries()) == 1
        assert set_aside(tmp_path, cipher) == []
    finally:
        await database.dispose()


async def test_records_made_while_a_flush_writes_are_written_by_that_flush(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    first, made_meanwhile = new_public_id(), new_public_id()

    class Busy(Journal):
        async def _write(self, run: list[Entry]) -> None:
            if run[0].request["public_id"] == first:
                self.append(entry(made_meanwhile, "requested", OTHER_MEMBER))
            await super()._write(run)

    journal = Busy(tmp_path / "journal", cipher, database)
    journal.append(entry(first, "requested"))
    assert await journal.flush()
    assert set(await rows(database)) == {first, made_meanwhile}
