"""Erasing a member from the /help-now journal while the database cannot take it."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from cryptography.fernet import MultiFernet

from cogs.helpnow.journal import REQUEST_FIELDS, Entry, EventRecord, Journal
from db.engine import Database, create_engine

GUILD = 10_000_000_000_000_001
ALICE = 20_000_000_000_000_002
BOB = 30_000_000_000_000_003
OTHER_GUILD = 40_000_000_000_000_004
AT = datetime(2026, 11, 25, 20, 0, tzinfo=UTC)


def entry(public_id: str, member: int) -> Entry:
    request = dict.fromkeys(REQUEST_FIELDS) | {
        "public_id": public_id,
        "member_user_id": member,
        "status": "open",
        "note": f"note of {public_id}",
        "created_at": AT,
        "step": 0,
    }
    return Entry(GUILD, request, [EventRecord(key=f"{public_id}-1", kind="requested", at=AT)])


# Nothing listens on port 1: every connection is refused, as with a database down.
UNREACHABLE = "postgresql+asyncpg://postgres@127.0.0.1:1/test"


async def test_forget_member_drops_their_entries_from_disk_and_keeps_the_others(
    tmp_path: Path, cipher: MultiFernet
) -> None:
    path = tmp_path / "journal"
    db = Database(create_engine(UNREACHABLE))
    journal = Journal(path, cipher, db)
    journal.append(entry("alice-1", ALICE))
    journal.append(entry("bob-1", BOB))
    journal.append(entry("alice-1", ALICE))

    removed = await journal.forget_member(GUILD, ALICE)

    assert [e.request["public_id"] for e in removed] == ["alice-1", "alice-1"]
    assert [e.request["public_id"] for e in journal.pending_entries()] == ["bob-1"]
    reread = Journal(path, cipher, db)  # what a restart replays
    assert [e.request["member_user_id"] for e in reread.pending_entries()] == [BOB]

    journal.restore(removed)  # the erasure rolled back
    assert [e.request["public_id"] for e in Journal(path, cipher, db).pending_entries()] == [
        "alice-1",
        "alice-1",
        "bob-1",
    ]
    await db.dispose()


async def test_forgetting_a_whole_server_drops_every_members_entries_there_and_no_others(
    tmp_path: Path, cipher: MultiFernet
) -> None:
    path = tmp_path / "journal"
    db = Database(create_engine(UNREACHABLE))
    journal = Journal(path, cipher, db)
    journal.append(entry("alice-1", ALICE))
    journal.append(entry("bob-1", BOB))
    elsewhere = entry("bob-2", BOB)
    journal.append(Entry(OTHER_GUILD, elsewhere.request, elsewhere.events))

    removed = await journal.forget_member(GUILD, None)

    assert sorted(e.request["public_id"] for e in removed) == ["alice-1", "bob-1"]
    reread = Journal(path, cipher, db)  # what a restart replays
    assert [(e.guild_id, e.request["public_id"]) for e in reread.pending_entries()] == [
        (OTHER_GUILD, "bob-2")
    ]
    await db.dispose()
