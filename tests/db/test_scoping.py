from __future__ import annotations

import pytest
from sqlalchemy import delete, func, select, update

from db.engine import CrossGuildWrite, Database, UnscopedQuery
from db.models import AuditEntry, GuildSettings, Member

GUILD_A = 111_000_000_000_000_001
GUILD_B = 222_000_000_000_000_002
USER = 333_000_000_000_000_003


async def _seed(database: Database) -> None:
    async with database.all_guilds_session() as session, session.begin():
        for guild_id in (GUILD_A, GUILD_B):
            session.add(GuildSettings(guild_id=guild_id, timezone="UTC"))
            # The same Discord user is a member of both servers.
            session.add(Member(guild_id=guild_id, user_id=USER))
            session.add(AuditEntry(guild_id=guild_id, action="test.seeded", details={}))


async def test_a_guild_session_never_returns_another_guilds_rows(database: Database) -> None:
    await _seed(database)
    async with database.guild_session(GUILD_A) as session:
        members = (await session.scalars(select(Member))).all()
        by_user = (await session.scalars(select(Member).where(Member.user_id == USER))).all()
        audit = (await session.scalars(select(AuditEntry))).all()
        other_settings = await session.get(GuildSettings, GUILD_B)
        count = await session.scalar(select(func.count()).select_from(Member))
    assert [m.guild_id for m in members] == [GUILD_A]
    assert [m.guild_id for m in by_user] == [GUILD_A]
    assert {a.guild_id for a in audit} == {GUILD_A}
    assert other_settings is None
    assert count == 1


async def test_updates_and_deletes_stay_within_the_guild(database: Database) -> None:
    await _seed(database)
    async with database.guild_session(GUILD_A) as session, session.begin():
        await session.execute(update(Member).values(timezone="Europe/Paris"))
        await session.execute(delete(AuditEntry))
    async with database.all_guilds_session() as session:
        zones = dict((await session.execute(select(Member.guild_id, Member.timezone))).all())
        audit_guilds = set((await session.scalars(select(AuditEntry.guild_id))).all())
    assert zones == {GUILD_A: "Europe/Paris", GUILD_B: None}
    assert audit_guilds == {GUILD_B}


async def test_writing_a_row_for_another_guild_is_refused(database: Database) -> None:
    with pytest.raises(CrossGuildWrite):
        async with database.guild_session(GUILD_A) as session, session.begin():
            session.add(Member(guild_id=GUILD_B, user_id=USER))
    async with database.all_guilds_session() as session:
        assert await session.scalar(select(func.count()).select_from(Member)) == 0


async def test_a_session_for_no_guild_cannot_read_member_rows(database: Database) -> None:
    await _seed(database)
    async with database.meta_session() as session:
        with pytest.raises(UnscopedQuery):
            await session.scalars(select(Member))


async def test_database_errors_never_repeat_what_was_written(database: Database) -> None:
    await _seed(database)
    with pytest.raises(Exception) as caught:  # noqa: PT011 (the backend's own error type)
        async with database.guild_session(GUILD_A) as session, session.begin():
            # The same member twice breaks the unique constraint.
            session.add(Member(guild_id=GUILD_A, user_id=USER, timezone="Secret/Zone"))
    assert "Secret/Zone" not in str(caught.value)
    assert "hidden due to hide_parameters" in str(caught.value)
