"""The feature contract's export and erase hooks, through the emulator (issue 9).

Alice and bob each check in with a note, ask /help-now with a note, set a time zone,
write a relapse-prevention plan and keep a journal entry; alice consents to sharing her
signals and her plan, and sam reads it; sam and riley are on the rota. Alice's rows in another
server are made too. Export alice: her own data, decrypted, and nobody else's. Erase
alice: no row of any table (found from the metadata) names her in that server except
the one content-free audit line, bob's rows and the other server's are untouched, and
her open request is gone from the desk's memory and journal, also after a restart, and
her plan from the memory /help-now reads.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import BigInteger, select

from core.bot import RecoveryBot
from core.member_data import ERASED_ACTION
from db.base import Base
from db.models import Checkin, HelpRequest, Member
from fakediscord.models import Member as Person
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import check_in
from tests.cogs.helpnow.helpers import cog_of, sam_on_call_riley_backup
from tests.waiting import wait_for

ALICE_NOTE = "Drove past my old dealer's street twice"
BOB_NOTE = "Argued with my brother about money"
ALICE_HELP = "alice: craving hard, at the bus stop"
BOB_HELP = "bob: can't stop thinking about a drink"
ALICE_PLAN = "alice: call Dana, 555-0101"
BOB_PLAN = "bob: call my brother"
ALICE_ENTRY = "alice: wrote it down instead of driving there"
BOB_ENTRY = "bob: a long walk helped"
OTHER_GUILD = 777_000_000_000_000_007

Row = tuple[str, tuple[Any, ...]]


@pytest.fixture
async def bot_runner(
    community: Community, database_url: str, tmp_path: Path
) -> AsyncIterator[BotRunner]:
    """The real bot on SQLite and on PostgreSQL."""
    runner = BotRunner(community, database_url, tmp_path / "data")
    yield runner
    await runner.stop_all()


def answers(note: str) -> dict[str, str | list[str]]:
    return {"mood": "2", "craving": "4", "sleep": "5", "triggers": [], "note": note}


async def rows_naming(bot: RecoveryBot, guild_id: int, user_id: int) -> list[Row]:
    """Every row of every table in `guild_id` where a column holds `user_id` (as an id,
    or inside a text such as a page target "user:<id>"), as (table.column, row)."""
    found: list[Row] = []
    needle = str(user_id)
    async with bot.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            query = select(table)
            if "guild_id" in table.c:
                query = query.where(table.c.guild_id == guild_id)
            for row in (await connection.execute(query)).all():
                for column, value in zip(table.columns, row, strict=True):
                    if column.name == "guild_id":
                        continue
                    named = (
                        value == user_id
                        if isinstance(column.type, BigInteger)
                        else needle in str(value)
                    )
                    if named:
                        found.append((f"{table.name}.{column.name}", tuple(row)))
    return found


def step_job_of(bot: RecoveryBot, public_id: str) -> datetime | None:
    """When the request's next escalation step is scheduled to run, if it is."""
    job = bot.scheduler.get_job(f"helpnow:step:{public_id}")
    return job.next_run_time if job is not None else None


async def write_plan(community: Community, who: Person, call: str) -> None:
    opened = await who.run_command(
        "plan edit", channel=community.checkins, options={"part": "emergency"}
    )
    await (await who.submit_modal(opened, {"emergency_call": call})).wait_for_response()


async def keep_entry(community: Community, who: Person, text: str) -> None:
    """A journaling entry written in /cope and kept."""
    it = await who.run_command(
        "cope", channel=community.checkins, options={"strategy": "journaling"}
    )
    shown = await it.wait_for_response()
    assert shown.message is not None
    opened = await who.click(shown.message, f"cope:journal:{who.id}:1")
    await (await who.submit_modal(opened, {"entry": text})).wait_for_reply()


async def set_up(bot: RecoveryBot, community: Community) -> None:
    await sam_on_call_riley_backup(bot, community)
    for who, note, zone, help_note, call, entry in (
        ("alice", ALICE_NOTE, "Europe/Paris", ALICE_HELP, ALICE_PLAN, ALICE_ENTRY),
        ("bob", BOB_NOTE, "America/Chicago", BOB_HELP, BOB_PLAN, BOB_ENTRY),
    ):
        member = getattr(community, who)
        await write_plan(community, member, call)
        await keep_entry(community, member, entry)
        await (await check_in(community, answers(note), who)).wait_for_response()
        await (
            await member.run_command("checkin timezone", channel=community.checkins, zone=zone)
        ).wait_for_response()
        await (
            await member.run_command("help-now", channel=community.checkins, note=help_note)
        ).wait_for_response(timeout=5)
    await (
        await community.alice.run_command("checkin consent", channel=community.checkins, state="on")
    ).wait_for_response()
    shares_and_reads: list[tuple[Person, str, dict[str, object]]] = [
        (community.alice, "plan share", {"share": "on"}),
        (community.sam, "plan view", {"member": community.alice}),
    ]
    for person, command, options in shares_and_reads:
        await (
            await person.run_command(command, channel=community.checkins, options=options)
        ).wait_for_response()
    # Alice in another server: the same person, another member, never touched here.
    async with bot.db.guild_session(OTHER_GUILD) as session, session.begin():
        session.add(Member(guild_id=OTHER_GUILD, user_id=community.alice.id, timezone="UTC"))
        session.add(
            HelpRequest(
                guild_id=OTHER_GUILD,
                public_id="other-server-request",
                member_user_id=community.alice.id,
                status="resolved",
                note="elsewhere",
            )
        )
    await wait_for(lambda: paged_twice(bot, community), within=10, what="both pages posted")
    await cog_of(bot).desk.flush()


async def paged_twice(bot: RecoveryBot, community: Community) -> bool | None:
    await cog_of(bot).desk.flush()
    async with bot.db.guild_session(community.guild.id) as session:
        rows = (await session.scalars(select(HelpRequest))).all()
    return (len(rows) == 2 and all(row.paged_at is not None for row in rows)) or None


async def test_export_holds_the_members_own_data_decrypted_and_nobody_elses(
    bot: RecoveryBot, community: Community
) -> None:
    await set_up(bot, community)

    export = await bot.member_data.export(bot.db, community.guild.id, community.alice.id)

    text = json.dumps(export)  # JSON-able as it is
    features = export["features"]
    assert set(features) == {
        "core",
        "setup",
        "checkins",
        "helpnow",
        "oncall",
        "sober",
        "cope",
        "plan",
        "meetings",
        "partners",
        "privacy",
    }
    assert [c["note"] for c in features["checkins"]["checkins"]] == [ALICE_NOTE]
    assert [r["note"] for r in features["helpnow"]["requests"]] == [ALICE_HELP]
    assert features["helpnow"]["requests"][0]["events"]
    settings = features["core"]["settings"]
    assert settings["timezone"] == "Europe/Paris"
    assert settings["share_signals_with_specialists"] is True
    assert "consent.specialist_signals" in {a["action"] for a in features["core"]["audit_about_me"]}
    # Her plan decrypted, her consent to share it, and sam's read of it (not who read it).
    assert features["plan"]["plan"]["emergency_call"] == ALICE_PLAN
    assert features["plan"]["plan"]["shared"] is True
    assert len(features["plan"]["looks_by_peer_specialists"]) == 1
    assert {"plan.shared", "plan.viewed"} <= {
        a["action"] for a in features["core"]["audit_about_me"]
    }
    assert [e["text"] for e in features["cope"]["journal_entries"]] == [ALICE_ENTRY]
    # Nothing of bob's, nor the specialists' ids, nor the other server's.
    for other in (
        BOB_NOTE,
        BOB_HELP,
        BOB_PLAN,
        BOB_ENTRY,
        "elsewhere",
        str(community.bob.id),
        str(community.sam.id),
    ):
        assert other not in text


async def test_erase_leaves_no_row_naming_the_member_and_touches_nobody_else(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await set_up(bot, community)
    guild, alice, bob = community.guild.id, community.alice.id, community.bob.id
    bob_before = await rows_naming(bot, guild, bob)
    elsewhere_before = await rows_naming(bot, OTHER_GUILD, alice)
    assert bob_before
    assert elsewhere_before
    assert await rows_naming(bot, guild, alice)
    desk = cog_of(bot).desk
    alices = desk.open_case_of(guild, alice)
    assert alices is not None
    assert step_job_of(bot, alices.public_id) is not None

    assert bot.plans.highlights(guild, alice) is not None

    await bot.member_data.erase(bot.db, guild, alice)
    await desk.flush()

    left = await rows_naming(bot, guild, alice)
    # The documented rule's one exception: a content-free line saying she was erased.
    assert {where for where, _ in left} == {"audit_log.actor_user_id", "audit_log.subject_user_id"}
    assert all(ERASED_ACTION in row and {} in row for _, row in left)
    assert len({repr(row) for _, row in left}) == 1
    assert await rows_naming(bot, guild, bob) == bob_before
    assert await rows_naming(bot, OTHER_GUILD, alice) == elsewhere_before
    # Her open request is out of memory and the journal, and stays out after a restart.
    assert desk.open_case_of(guild, alice) is None
    assert desk.pending_of(guild, alice) == []
    assert step_job_of(bot, alices.public_id) is None  # no escalation left behind
    bobs = desk.open_case_of(guild, bob)
    assert bobs is not None
    assert step_job_of(bot, bobs.public_id) is not None
    # Her plan is out of the memory /help-now reads with the database down; bob's is not.
    assert bot.plans.highlights(guild, alice) is None
    assert bot.plans.highlights(guild, bob) is not None
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    await cog_of(restarted).desk.flush()
    assert cog_of(restarted).desk.open_case_of(guild, alice) is None
    assert cog_of(restarted).desk.open_case_of(guild, bob) is not None
    assert restarted.plans.highlights(guild, alice) is None
    assert {where for where, _ in await rows_naming(restarted, guild, alice)} == {
        "audit_log.actor_user_id",
        "audit_log.subject_user_id",
    }


class _Refuses:
    """A feature whose erase fails: the whole erasure must roll back."""

    name = "zz_refuses"
    tables: tuple[type[Base], ...] = ()

    async def export_member(self, session: Any, guild_id: int, user_id: int) -> dict[str, Any]:
        return {}

    async def erase_member(self, session: Any, guild_id: int, user_id: int) -> None:
        raise RuntimeError("disk full")


async def test_an_erasure_that_fails_midway_erases_nothing(
    bot: RecoveryBot, community: Community
) -> None:
    await set_up(bot, community)
    guild, alice = community.guild.id, community.alice.id
    before = await rows_naming(bot, guild, alice)
    alices = cog_of(bot).desk.open_case_of(guild, alice)
    assert alices is not None
    step_before = step_job_of(bot, alices.public_id)
    assert step_before is not None
    bot.member_data.register(_Refuses())
    try:
        with pytest.raises(RuntimeError):
            await bot.member_data.erase(bot.db, guild, alice)
    finally:
        bot.member_data.unregister(_Refuses.name)

    assert await rows_naming(bot, guild, alice) == before
    # Her plan, dropped from memory before the transaction, is back after the rollback.
    highlights = bot.plans.highlights(guild, alice)
    assert highlights is not None
    assert highlights.emergency == f"Who to call: {ALICE_PLAN}"
    case = cog_of(bot).desk.open_case_of(guild, alice)
    assert case is not None
    assert case.note == ALICE_HELP
    # Her request escalates again at once, not only when the watchdog next looks.
    assert step_job_of(bot, alices.public_id) == step_before
    async with bot.db.guild_session(guild) as session:
        assert (await session.scalars(select(Checkin.note).where(Checkin.user_id == alice))).all()


async def test_every_table_belongs_to_exactly_one_features_hooks(bot: RecoveryBot) -> None:
    owners = bot.member_data.owned_tables()
    assert set(owners) == set(Base.metadata.tables)
    named = [table.__tablename__ for hooks in bot.member_data.hooks() for table in hooks.tables]
    assert len(named) == len(set(named))
