"""/cope's privacy hooks on both backends: a member's kept journal entries are exported
decrypted and erased, in that server only, and nobody else's are touched."""

from __future__ import annotations

from sqlalchemy import select

from cogs.cope.member_data import CopeMemberData
from db.engine import Database
from db.models import JournalEntry
from tests.cogs.sober.helpers import ALICE, BOB, GUILD, OTHER_GUILD, utc

HOOKS = CopeMemberData()


async def add_entry(db: Database, guild_id: int, user_id: int, text: str, day: int) -> None:
    async with db.guild_session(guild_id) as session, session.begin():
        session.add(
            JournalEntry(
                guild_id=guild_id,
                user_id=user_id,
                strategy_id="journaling",
                text=text,
                written_at=utc(2026, 11, day, 9),
            )
        )


async def owners(db: Database) -> list[tuple[int, int, str]]:
    async with db.all_guilds_session() as session:
        rows = (await session.scalars(select(JournalEntry).order_by(JournalEntry.id))).all()
    return [(row.guild_id, row.user_id, row.text) for row in rows]


async def test_export_gives_the_members_entries_in_that_server_decrypted_in_order(
    database: Database,
) -> None:
    await add_entry(database, GUILD, ALICE, "second", 5)
    await add_entry(database, GUILD, ALICE, "first", 4)
    await add_entry(database, GUILD, BOB, "bob's", 4)
    await add_entry(database, OTHER_GUILD, ALICE, "elsewhere", 4)
    async with database.guild_session(GUILD) as session, session.begin():
        export = await HOOKS.export_member(session, GUILD, ALICE)
    assert export == {
        "journal_entries": [
            {
                "strategy_id": "journaling",
                "text": "first",
                "written_at": "2026-11-04T09:00:00+00:00",
            },
            {
                "strategy_id": "journaling",
                "text": "second",
                "written_at": "2026-11-05T09:00:00+00:00",
            },
        ]
    }
    assert HOOKS.tables == (JournalEntry,)


async def test_erase_deletes_only_the_members_entries_in_that_server(database: Database) -> None:
    await add_entry(database, GUILD, ALICE, "mine", 4)
    await add_entry(database, GUILD, BOB, "bob's", 4)
    await add_entry(database, OTHER_GUILD, ALICE, "elsewhere", 4)
    # A session spanning every server: the hook scopes itself.
    async with database.all_guilds_session() as session, session.begin():
        await HOOKS.erase_member(session, GUILD, ALICE)
    assert await owners(database) == [(GUILD, BOB, "bob's"), (OTHER_GUILD, ALICE, "elsewhere")]
    async with database.guild_session(GUILD) as session, session.begin():
        assert await HOOKS.export_member(session, GUILD, ALICE) == {"journal_entries": []}
