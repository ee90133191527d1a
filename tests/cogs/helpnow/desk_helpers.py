"""What the /help-now desk and journal tests share: ids, a policy, a clock, a desk."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography.fernet import MultiFernet

from cogs.helpnow.journal import Journal
from cogs.helpnow.policy import Policy
from cogs.helpnow.service import HelpDesk, new_public_id
from core.oncall import OnCallChain
from db.engine import Database
from tests.fake_clock import FakeClock

GUILD = 10_000_000_000_000_001
MEMBER = 20_000_000_000_000_002
ONCALL = 30_000_000_000_000_003
BACKUP = 40_000_000_000_000_004
ROLE = 50_000_000_000_000_005
POLICY = Policy(timedelta(minutes=5), timedelta(minutes=10), max_repeats=1)
CHAIN = OnCallChain(primary=ONCALL, backups=(BACKUP,))


def stepping_clock() -> FakeClock:
    return FakeClock(datetime(2026, 11, 25, 20, 0, tzinfo=UTC))


def make_desk(
    database: Database, tmp_path: Path, cipher: MultiFernet, clock: FakeClock
) -> HelpDesk:
    return HelpDesk(database, Journal(tmp_path / "journal", cipher, database), clock)


def open_request(
    desk: HelpDesk, note: str | None = "can't stop thinking about using", member: int = MEMBER
) -> str:
    opened = desk.open(
        public_id=new_public_id(),
        guild_id=GUILD,
        member_user_id=member,
        origin_channel_id=1,
        note=note,
        chain=CHAIN,
        role_id=ROLE,
        policy=POLICY,
    )
    return opened.case.public_id


async def paged_request_in_two_desks(
    database: Database, tmp_path: Path, cipher: MultiFernet, clock: FakeClock
) -> tuple[HelpDesk, HelpDesk, str]:
    """A request whose first page went out in the old process, and the new process of a
    deploy's overlap that loaded it from the database at its start."""
    old = make_desk(database, tmp_path / "old", cipher, clock)
    public_id = open_request(old)
    page = old.page_owed(public_id, CHAIN, ROLE)
    assert page is not None
    old.step_paged(page, POLICY)
    assert await old.flush()
    new = make_desk(database, tmp_path / "new", cipher, clock)
    assert [case.public_id for case in await new.load()] == [public_id]
    return old, new, public_id
