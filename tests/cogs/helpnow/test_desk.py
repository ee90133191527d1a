from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from cryptography.fernet import MultiFernet
from sqlalchemy import select

from cogs.helpnow.journal import Journal, _encode
from cogs.helpnow.policy import TargetKind
from cogs.helpnow.service import AlreadyAcknowledged, HelpDesk, Status, new_public_id
from db.engine import Database, create_engine
from db.models import HelpEvent, HelpRequest
from tests.cogs.helpnow.desk_helpers import (
    BACKUP,
    CHAIN,
    GUILD,
    MEMBER,
    ONCALL,
    POLICY,
    ROLE,
    make_desk,
    open_request,
    stepping_clock,
)


async def test_a_request_pages_on_call_then_backup_then_role_each_step_once(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    desk = make_desk(database, tmp_path, cipher, clock)
    public_id = open_request(desk)
    first = desk.page_owed(public_id, CHAIN, ROLE)
    assert first is not None  # the first page is owed from the moment of the request
    assert first.target.id == ONCALL
    # Until the page is known to be out it stays owed: a crash here pages again, never never.
    assert desk.page_owed(public_id, CHAIN, ROLE) == first
    clock.at += timedelta(seconds=40)  # the page took a while to get through
    desk.step_paged(first, POLICY)
    assert desk.page_owed(public_id, CHAIN, ROLE) is None  # not due yet

    # The wait runs from when the page went out, not from when it was asked for.
    clock.at += timedelta(minutes=5) - timedelta(seconds=2)
    assert desk.page_owed(public_id, CHAIN, ROLE) is None
    clock.at += timedelta(seconds=2)
    backup = desk.page_owed(public_id, CHAIN, ROLE)
    assert backup is not None
    assert backup.target.id == BACKUP
    assert desk.page_owed(public_id, CHAIN, ROLE) == backup  # moved on once, not twice
    desk.step_paged(backup, POLICY)
    clock.at += timedelta(minutes=5)
    role = desk.page_owed(public_id, CHAIN, ROLE)
    assert role is not None
    assert role.target.kind is TargetKind.ROLE
    desk.step_paged(role, POLICY)
    assert not desk.chain_finished(role.case)  # one repeat to go
    clock.at += timedelta(minutes=10)
    repeat = desk.page_owed(public_id, CHAIN, ROLE)
    assert repeat is not None
    desk.step_paged(repeat, POLICY)
    assert desk.chain_finished(repeat.case)

    desk.acknowledge(public_id, BACKUP)
    clock.at += timedelta(hours=1)
    assert desk.page_owed(public_id, CHAIN, ROLE) is None
    with pytest.raises(AlreadyAcknowledged):
        desk.acknowledge(public_id, ONCALL)
    assert await desk.flush()

    async with database.guild_session(GUILD) as session:
        row = (await session.scalars(select(HelpRequest))).one()
        kinds = (await session.scalars(select(HelpEvent.kind).order_by(HelpEvent.id))).all()
    assert row.status == "acknowledged"
    assert row.acknowledged_by == BACKUP
    assert row.note == "can't stop thinking about using"
    assert kinds == [
        "requested",
        "step_paged",
        "escalated",
        "step_paged",
        "escalated",
        "step_paged",
        "escalated",
        "step_paged",
        "acknowledged",
    ]


async def test_a_page_owed_when_the_bot_stopped_is_owed_after_the_restart_marked_resent(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    desk = make_desk(database, tmp_path, cipher, clock)
    public_id = open_request(desk)
    first = desk.page_owed(public_id, CHAIN, ROLE)
    assert first is not None
    assert not first.resent
    # The process dies here, before the page is known to be posted.

    restarted = make_desk(database, tmp_path, cipher, clock)
    await restarted.load()
    again = restarted.page_owed(public_id, CHAIN, ROLE)
    assert again is not None
    assert again.target.id == ONCALL
    assert again.resent
    restarted.step_paged(again, POLICY)
    clock.at += timedelta(minutes=5)
    backup = restarted.page_owed(public_id, CHAIN, ROLE)
    assert backup is not None
    assert not backup.resent  # only the page that was in doubt


async def test_a_second_request_repages_the_open_one(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    desk = make_desk(database, tmp_path, cipher, stepping_clock())
    first = open_request(desk)
    second = desk.open(
        public_id=new_public_id(),
        guild_id=GUILD,
        member_user_id=MEMBER,
        origin_channel_id=1,
        note=None,
        chain=CHAIN,
        role_id=ROLE,
        policy=POLICY,
    )
    assert not second.is_new
    assert second.case.public_id == first
    assert second.target.id == ONCALL
    assert await desk.flush()
    async with database.guild_session(GUILD) as session:
        assert len((await session.scalars(select(HelpRequest))).all()) == 1


async def test_records_wait_on_disk_while_the_database_is_down_and_land_once(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    # A real client against a port where nothing listens: the database is unreachable.
    unreachable = Database(
        create_engine("postgresql+asyncpg://postgres@127.0.0.1:9/none", cipher=cipher)
    )
    clock = stepping_clock()
    down = HelpDesk(unreachable, Journal(tmp_path / "journal", cipher, unreachable), clock)
    public_id = open_request(down, note="please someone")
    down.close(public_id, MEMBER, Status.SAFE)
    assert not await down.flush()
    await unreachable.dispose()
    assert b"please someone" not in (tmp_path / "journal").read_bytes()

    # The process restarts with the database back: the journal is replayed, once.
    back = make_desk(database, tmp_path, cipher, clock)
    assert await back.load() == []
    assert await back.flush()
    async with database.guild_session(GUILD) as session:
        rows = (await session.scalars(select(HelpRequest))).all()
        kinds = (await session.scalars(select(HelpEvent.kind).order_by(HelpEvent.id))).all()
    assert [(r.public_id, r.status, r.note) for r in rows] == [
        (public_id, "safe", "please someone")
    ]
    assert kinds == ["requested", "member_safe"]


async def test_open_requests_survive_a_restart(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    desk = make_desk(database, tmp_path, cipher, clock)
    public_id = open_request(desk)
    assert await desk.flush()

    restarted = HelpDesk(database, Journal(tmp_path / "other-journal", cipher, database), clock)
    cases = await restarted.load()
    assert [case.public_id for case in cases] == [public_id]
    assert cases[0].next_step_at == clock.at  # its first page is still owed
    assert restarted.open_case_of(GUILD, MEMBER) is cases[0]


async def test_a_chain_that_ended_before_the_upgrade_is_not_announced_to_the_owner_again(
    database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    # A line as the code before `paged_at` wrote it: its chain had ended (nothing more
    # due, still open), and that code had already told the owner then.
    clock = stepping_clock()
    desk = make_desk(database, tmp_path, cipher, clock)
    public_id = open_request(desk)
    desk_entries = Journal(tmp_path / "journal", cipher, database).pending_entries()
    assert await desk.flush()
    [entry] = desk_entries
    request = _encode(entry)["request"]
    for added in ("paged_at", "owner_told_at"):
        del request[added]
    request["next_step_at"] = None
    old_line = {"guild_id": GUILD, "request": request, "events": []}
    (tmp_path / "old-journal").write_bytes(cipher.encrypt(json.dumps(old_line).encode()) + b"\n")

    upgraded = HelpDesk(database, Journal(tmp_path / "old-journal", cipher, database), clock)
    [case] = await upgraded.load()
    assert case.public_id == public_id
    assert upgraded.chain_finished(case)
    assert case.owner_told_at is not None
