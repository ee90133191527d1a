"""Leaving (issue 14): members who left are erased after the grace, a server that removed
the bot is erased whole after it, old notes and journal entries are purged, and admins set
both with /setup privacy. Through the emulator, with the bot's clock moved by hand and its
jobs run by the test."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from sqlalchemy import func, select

from cogs.privacy import leaving_jobs
from cogs.privacy.leaving import server_tables
from core.bot import RecoveryBot
from core.member_data import ERASED_ACTION
from db.models import AuditEntry, Checkin, JournalEntry, Member
from fakediscord.models import Guild
from fakediscord.options import CommandInputError, CommandUnavailableError
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import GOOD, another_server, check_in, set_up_prompt
from tests.cogs.checkins.helpers import utc
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

GET_MEMBER = "/guilds/{guild_id}/members/{user_id}"
ENTRY = "Wrote down what I'd say to my brother if he offered me a drink"


@pytest.fixture
def clock(bot: RecoveryBot) -> FakeClock:
    clock = FakeClock(utc(2026, 11, 10, 3, 10))
    bot.clock = clock
    # The test runs the jobs itself at the times it chooses; the real clock must not.
    bot.scheduler.pause()
    return clock


async def run_job(bot: RecoveryBot, key: str) -> None:
    """Run one of the privacy jobs now, as the scheduler would."""
    job = bot.scheduler.get_job(f"{leaving_jobs.OWNER}:{key}")
    assert job is not None, f"no privacy job {key!r}"
    await job.func(*job.args)


async def keep_entry(bot: RecoveryBot, guild_id: int, user_id: int, written_at: datetime) -> None:
    async with bot.db.guild_session(guild_id) as session, session.begin():
        session.add(
            JournalEntry(
                guild_id=guild_id,
                user_id=user_id,
                strategy_id="journal",
                text=ENTRY,
                written_at=written_at,
            )
        )


async def add_checkin(
    bot: RecoveryBot, guild_id: int, user_id: int, at: datetime, note: str | None
) -> None:
    async with bot.db.guild_session(guild_id) as session, session.begin():
        session.add(
            Checkin(
                guild_id=guild_id,
                user_id=user_id,
                local_date=at.date(),
                mood=4,
                craving=2,
                sleep_hours=7.0,
                triggers=[],
                note=note,
                created_at=at,
            )
        )


async def data_of(bot: RecoveryBot, guild_id: int, user_id: int) -> set[int]:
    """Who of `user_id` has data in the server: {user_id} or nothing."""
    async with bot.db.guild_session(guild_id) as session:
        return await bot.member_data.members_with_data(session, guild_id, among=[user_id])


async def member_row(bot: RecoveryBot, guild_id: int, user_id: int) -> Member | None:
    async with bot.db.guild_session(guild_id) as session:
        found: Member | None = await session.scalar(select(Member).where(Member.user_id == user_id))
        return found


async def rows_per_table(bot: RecoveryBot, guild_id: int) -> dict[str, int]:
    """Rows of the server in every table that has a guild_id, read from the metadata."""
    async with bot.db.all_guilds_session() as session:
        counts = {}
        for table in server_tables():
            counts[table.name] = int(
                await session.scalar(
                    select(func.count()).select_from(table).where(table.c.guild_id == guild_id)
                )
                or 0
            )
        return counts


async def alice_with_data(bot: RecoveryBot, community: Community) -> int:
    await (await check_in(community, GOOD)).wait_for_response()
    await keep_entry(bot, community.guild.id, community.alice.id, bot.clock.now())
    assert await data_of(bot, community.guild.id, community.alice.id)
    return community.alice.id


async def set_privacy(community: Community, **options: int) -> str:
    it = await community.organiser.run_command(
        "setup privacy", channel=community.checkins, options=options
    )
    return (await it.wait_for_response()).content


async def test_a_member_who_left_is_marked_at_the_check_and_erased_after_the_grace_not_before(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice = await alice_with_data(bot, community)
    await (await check_in(community, GOOD, who="bob")).wait_for_response()
    guild_id = community.guild.id
    community.guild.remove_member(community.alice)

    await run_job(bot, leaving_jobs.PRESENCE_KEY)
    asked = [r.path for r in community.emu.requests_to("GET", GET_MEMBER)]
    assert any(path.endswith(f"/guilds/{guild_id}/members/{alice}") for path in asked), asked
    row = await member_row(bot, guild_id, alice)
    assert row is not None
    assert row.left_server_at == clock.now()
    assert await data_of(bot, guild_id, alice)

    # The daily runs: the 29th day's finds them gone still, before the 30 days' grace...
    clock.advance(days=29)
    await run_job(bot, leaving_jobs.PRESENCE_KEY)
    assert await data_of(bot, guild_id, alice), "erased before the 30 days' grace"

    # ...and the 30th day's erases them.
    clock.advance(days=1)
    await run_job(bot, leaving_jobs.PRESENCE_KEY)
    assert not await data_of(bot, guild_id, alice)
    assert await data_of(bot, guild_id, community.bob.id), "bob is still here"
    async with bot.db.guild_session(guild_id) as session:
        erased = (
            await session.scalars(select(AuditEntry).where(AuditEntry.action == ERASED_ACTION))
        ).all()
    assert [(e.subject_user_id, e.actor_user_id, e.details) for e in erased] == [
        (alice, bot.user.id if bot.user else None, {})
    ]


async def test_zero_days_erases_a_member_who_left_at_the_next_check(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice = await alice_with_data(bot, community)
    assert "at the next daily check" in await set_privacy(community, erase_after_days=0)
    community.guild.remove_member(community.alice)

    await run_job(bot, leaving_jobs.PRESENCE_KEY)

    assert not await data_of(bot, community.guild.id, alice)


async def test_a_member_who_came_back_is_unmarked_and_kept(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice = await alice_with_data(bot, community)
    guild_id = community.guild.id
    community.guild.remove_member(community.alice)
    await run_job(bot, leaving_jobs.PRESENCE_KEY)
    marked = await member_row(bot, guild_id, alice)
    assert marked is not None
    assert marked.left_server_at is not None

    community.guild.add_member("alice", user=community.alice.user)
    clock.advance(days=31)
    await run_job(bot, leaving_jobs.PRESENCE_KEY)

    row = await member_row(bot, guild_id, alice)
    assert row is not None
    assert row.left_server_at is None
    assert row.presence_checked_at == clock.now()
    assert await data_of(bot, guild_id, alice)


async def test_a_server_error_from_discord_erases_nobody_and_they_are_asked_again(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice = await alice_with_data(bot, community)
    guild_id = community.guild.id
    await set_privacy(community, erase_after_days=0)
    community.guild.remove_member(community.alice)
    # 503: discord.py gives up at once (it sleeps before retrying 500, 502 and 504).
    fault = community.emu.faults.fail("GET", GET_MEMBER, status=503, times=None)

    await run_job(bot, leaving_jobs.PRESENCE_KEY)

    assert fault.hits >= 1
    assert await data_of(bot, guild_id, alice)
    row = await member_row(bot, guild_id, alice)
    assert row is not None
    assert row.left_server_at is None
    assert row.presence_checked_at is None

    community.emu.faults.clear()
    await run_job(bot, leaving_jobs.PRESENCE_KEY)
    assert not await data_of(bot, guild_id, alice), "asked again and found gone"


async def removed_marked(bot: RecoveryBot, guild: Guild, marked: bool) -> None:
    async def settled() -> bool | None:
        cached = bot.guild_settings.cached(guild.id).bot_removed_at
        return True if (cached is not None) == marked else None

    await wait_for(settled, within=5, what="the bot's removal to be noted or cleared")


async def test_the_bot_removed_erases_every_table_of_that_server_after_the_grace_only(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await alice_with_data(bot, community)
    await (await set_up_prompt(community)).wait_for_response()
    other, _ = await another_server(bot, community, "Second Circle")
    await bot.guild_settings.update(other.id, other.owner.id, timezone="Europe/London")
    await keep_entry(bot, other.id, community.alice.id, clock.now())
    await add_checkin(bot, other.id, community.alice.id, clock.now(), "the other server's note")
    before = await rows_per_table(bot, community.guild.id)
    other_before = await rows_per_table(bot, other.id)
    for table in ("checkins", "journal_entries", "members", "guild_settings", "audit_log"):
        assert before[table], f"nothing in {table} to erase"

    community.emu.kick_bot(community.guild)
    await removed_marked(bot, community.guild, True)
    clock.advance(days=29, hours=23)
    await run_job(bot, leaving_jobs.REMOVED_KEY)
    assert await rows_per_table(bot, community.guild.id) == before, "erased before the grace"

    clock.advance(hours=1)
    await run_job(bot, leaving_jobs.REMOVED_KEY)

    left = {name: count for name, count in (await rows_per_table(bot, community.guild.id)).items()}
    assert not any(left.values()), left
    assert await rows_per_table(bot, other.id) == other_before
    assert bot.guild_settings.cached(community.guild.id).bot_removed_at is None


async def test_the_bot_added_back_within_the_grace_keeps_everything(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await alice_with_data(bot, community)
    community.emu.kick_bot(community.guild)
    await removed_marked(bot, community.guild, True)
    before = await rows_per_table(bot, community.guild.id)

    clock.advance(days=10)
    community.guild.add_bot(community.app)
    await removed_marked(bot, community.guild, False)
    clock.advance(days=25)
    await run_job(bot, leaving_jobs.REMOVED_KEY)

    assert await rows_per_table(bot, community.guild.id) == before


async def test_retention_purges_old_notes_and_journal_entries_and_keeps_newer_ones(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    guild_id, alice = community.guild.id, community.alice.id
    assert "30 days old" in await set_privacy(community, retention_days=30)
    now = clock.now()
    await add_checkin(bot, guild_id, alice, now - timedelta(days=31), "an old note")
    await add_checkin(bot, guild_id, alice, now - timedelta(days=29), "a newer note")
    await keep_entry(bot, guild_id, alice, now - timedelta(days=31))
    await keep_entry(bot, guild_id, alice, now - timedelta(days=29))

    await run_job(bot, leaving_jobs.RETENTION_KEY)

    async with bot.db.guild_session(guild_id) as session:
        notes = {
            row.local_date: row.note
            for row in await session.scalars(select(Checkin).order_by(Checkin.local_date))
        }
        entries = [row.written_at for row in await session.scalars(select(JournalEntry))]
        audit = (
            await session.scalars(
                select(AuditEntry).where(AuditEntry.action == "privacy.retention_purged")
            )
        ).all()
    assert notes == {
        (now - timedelta(days=31)).date(): None,
        (now - timedelta(days=29)).date(): "a newer note",
    }, "the old check-in stays, without its note"
    assert entries == [now - timedelta(days=29)]
    assert [line.details for line in audit] == [{"checkin_notes": 1, "journal_entries": 1}]


async def test_setup_privacy_refuses_values_out_of_bounds_and_takes_the_bounds(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    for options in (
        {"erase_after_days": -1},
        {"erase_after_days": 366},
        {"retention_days": 29},
        {"retention_days": 3651},
    ):
        with pytest.raises(CommandInputError):
            await community.organiser.run_command(
                "setup privacy", channel=community.checkins, options=options
            )
    assert bot.guild_settings.cached(community.guild.id).erase_after_days == 30

    saved = await set_privacy(community, erase_after_days=365, retention_days=3650)
    assert "365 days after they leave" in saved
    assert "3,650 days old" in saved
    config = await bot.guild_settings.get(community.guild.id)
    assert (config.erase_after_days, config.retention_days) == (365, 3650)
    await set_privacy(community, erase_after_days=0, retention_days=30)

    status = await community.organiser.run_command("setup status", channel=community.checkins)
    embed = (await status.wait_for_response()).embeds[0]
    privacy = next(field for field in embed["fields"] if field["name"] == "Privacy")
    assert "at the next daily check" in privacy["value"]
    assert "30 days" in privacy["value"]


async def test_setup_privacy_is_refused_to_a_member_who_is_not_an_admin(
    bot: RecoveryBot, community: Community
) -> None:
    with pytest.raises(CommandUnavailableError):
        await community.alice.run_command(
            "setup privacy", channel=community.checkins, options={"erase_after_days": 0}
        )
    assert bot.guild_settings.cached(community.guild.id).erase_after_days == 30
