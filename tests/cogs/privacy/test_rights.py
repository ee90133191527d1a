"""A member's rights over their data, end to end: /privacy export, delete and access-log.

The real bot, the emulator and a real database (SQLite, and PostgreSQL for one erasure).
Alice and bob each check in with a note, ask /help-now with a note, set a time zone,
write a plan, keep a journal entry and count sober days; alice shares her plan and sam,
a peer specialist, reads it. Every wait is on the emulator's traffic with a deadline.
"""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from sqlalchemy import select

from cogs.checkins.preferences import REMINDER_KIND, reminder_dedupe_key
from cogs.helpnow import texts as helpnow_texts
from cogs.privacy import texts
from cogs.sober.cog import SoberCog
from core.bot import RecoveryBot
from core.member_data import ERASED_ACTION
from core.outbox import Outgoing, enqueue, message_body
from db.base import Base
from db.models import AuditEntry, OutboxMessage, PlanLook
from fakediscord.driver import InteractionResponse
from fakediscord.models import Member, Message
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import another_server, outbox_settled
from tests.cogs.checkins.helpers import utc
from tests.core.test_member_data_e2e import (
    ALICE_ENTRY,
    ALICE_HELP,
    ALICE_NOTE,
    ALICE_PLAN,
    BOB_ENTRY,
    BOB_HELP,
    BOB_NOTE,
    BOB_PLAN,
    Row,
    rows_naming,
    set_up,
)
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

ALICE_COUNTS = "alice's substance: alcohol"
BOB_COUNTS = "bob's substance: cannabis"


# --- Driving the bot ------------------------------------------------------------------------


async def privacy(community: Community, who: Member, command: str) -> InteractionResponse:
    it = await who.run_command(f"privacy {command}", channel=community.checkins)
    return await it.wait_for_response()


async def export_of(community: Community, who: Member) -> tuple[Message, dict[str, Any]]:
    """/privacy export as `who`: the private reply, and the file's JSON."""
    it = await who.run_command("privacy export", channel=community.checkins)
    reply = await it.wait_for_followup()
    [attachment] = reply.attachments
    assert attachment.filename.endswith(".json")
    return reply, json.loads(attachment.data)


async def ask_to_delete(community: Community, who: Member) -> Message:
    asked = await privacy(community, who, "delete")
    assert asked.ephemeral
    assert asked.message is not None
    return asked.message


async def press(who: Member, message: Message, custom_id: str) -> Message:
    """Press a button; the message it leaves (the confirmation, edited)."""
    it = await who.click(message, custom_id)
    return await it.wait_for_reply()


def erase_id(who: Member) -> str:
    return f"privacy:erase:{who.id}"


def keep_id(who: Member) -> str:
    return f"privacy:keep:{who.id}"


def forged(community: Community, custom_id: str) -> Message:
    """A public message with one button of that custom_id: a client that replays or
    makes up an id (Discord lets anyone who sees a message press its buttons)."""
    button = {"type": 2, "style": 4, "label": texts.DELETE_BUTTON, "custom_id": custom_id}
    return community.emu.post_message(
        community.checkins,
        community.app.bot_user,
        {"content": "copied", "components": [{"type": 1, "components": [button]}]},
    )


async def count_sober_days(community: Community, who: Member, substance: str, since: str) -> None:
    for command, options in (
        ("sober share", {"state": "on"}),
        ("sober start", {"substance": substance, "since": since}),
    ):
        it = await who.run_command(command, channel=community.checkins, options=options)
        await it.wait_for_response()


async def seed(bot: RecoveryBot, community: Community) -> None:
    """Data in every feature for alice and bob (see the module's docstring)."""
    await set_up(bot, community)
    since = (bot.clock.now() - timedelta(days=10)).date().isoformat()
    await count_sober_days(community, community.alice, ALICE_COUNTS, since)
    await count_sober_days(community, community.bob, BOB_COUNTS, since)


async def audit_lines(bot: RecoveryBot, community: Community, action: str) -> list[AuditEntry]:
    async with bot.db.guild_session(community.guild.id) as session:
        found = await session.scalars(select(AuditEntry).where(AuditEntry.action == action))
        return list(found.all())


def holds_values(part: Any) -> bool:
    """Whether an export part holds any stored value (not only empty lists and nulls)."""
    if isinstance(part, dict):
        return any(holds_values(value) for value in part.values())
    if isinstance(part, list):
        return any(holds_values(value) for value in part)
    return part is not None


def only_the_erasure_line(left: list[Row]) -> bool:
    """The scan found one row, the content-free audit line, and nothing else."""
    return (
        {where for where, _ in left} == {"audit_log.actor_user_id", "audit_log.subject_user_id"}
        and len({repr(row) for _, row in left}) == 1
        and all(ERASED_ACTION in row and {} in row for _, row in left)
    )


# --- Export ---------------------------------------------------------------------------------


async def test_export_is_a_private_json_file_of_every_table_of_the_member_and_nothing_else(
    bot: RecoveryBot, community: Community, caplog: pytest.LogCaptureFixture
) -> None:
    await seed(bot, community)
    guild, alice = community.guild.id, community.alice.id
    named = await rows_naming(bot, guild, alice)
    tables = {where.split(".")[0] for where, _ in named}
    # Every feature's tables are in the scan, so the export is checked against all of them.
    assert {
        "members",
        "audit_log",
        "checkins",
        "help_requests",
        "help_events",
        "recovery_plans",
        "plan_looks",
        "journal_entries",
        "sober_counters",
        "sober_preferences",
    } <= tables
    caplog.set_level(logging.DEBUG)

    reply, document = await export_of(community, community.alice)

    assert reply.ephemeral
    assert reply.content == texts.EXPORT_READY
    header, features = document["export"], document["features"]
    assert header["server"] == {"id": str(guild), "name": community.guild.name}
    assert header["member_id"] == str(alice)
    assert header["exported_at"]
    # The notice says what each part is, for every part in the file.
    assert set(header["parts"]) == set(features) == {h.name for h in bot.member_data.hooks()}
    assert header["parts"]["plan"] == texts.EXPORT_PARTS["plan"]
    # Every table with a row that is hers has its rows in its owner's part.
    owners = bot.member_data.owned_tables()
    for table in tables:
        assert holds_values(features[owners[table]]), f"{table}: {owners[table]} exports none"
    assert [c["note"] for c in features["checkins"]["checkins"]] == [ALICE_NOTE]
    assert [r["note"] for r in features["helpnow"]["requests"]] == [ALICE_HELP]
    assert features["helpnow"]["requests"][0]["events"]
    assert features["core"]["settings"]["timezone"] == "Europe/Paris"
    assert features["plan"]["plan"]["emergency_call"] == ALICE_PLAN
    assert len(features["plan"]["looks_by_peer_specialists"]) == 1
    assert [e["text"] for e in features["cope"]["journal_entries"]] == [ALICE_ENTRY]
    assert [c["substance"] for c in features["sober"]["counters"]] == [ALICE_COUNTS]
    assert features["sober"]["preferences"] == {"share_milestones": True}
    # Nothing of bob's, nor the ids of anyone else.
    text = json.dumps(document)
    for other in (
        BOB_NOTE,
        BOB_HELP,
        BOB_PLAN,
        BOB_ENTRY,
        BOB_COUNTS,
        str(community.bob.id),
        str(community.sam.id),
        str(community.riley.id),
    ):
        assert other not in text
    # Nothing of what she wrote reached the log, at any level.
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for words in (ALICE_NOTE, ALICE_HELP, ALICE_PLAN, ALICE_ENTRY, ALICE_COUNTS):
        assert words not in logged


# --- Delete ---------------------------------------------------------------------------------


async def erase_through_the_buttons_and_scan(
    runner: BotRunner, bot: RecoveryBot, community: Community
) -> RecoveryBot:
    """Alice asks, the bot restarts (the buttons must still work), she confirms: no row
    of any table names her but the one audit line, and bob's rows are as they were."""
    guild, alice, bob = community.guild.id, community.alice.id, community.bob.id
    await seed(bot, community)
    bob_before = await rows_naming(bot, guild, bob)
    assert await rows_naming(bot, guild, alice)
    asked = await ask_to_delete(community, community.alice)
    # The seed left her /help-now request open: she is told its pages would stop.
    assert asked.content == f"{helpnow_texts.ERASURE_STOPS_REQUEST}\n\n{texts.DELETE_CONFIRM}"
    assert set(asked.custom_ids) == {erase_id(community.alice), keep_id(community.alice)}

    await runner.stop(bot)
    bot = await runner.start()
    done = await press(community.alice, asked, erase_id(community.alice))

    assert done.ephemeral
    assert done.custom_ids == []  # nothing left to press twice
    assert done.content.startswith("Done. Erased:\n• ")
    for part in ("checkins", "cope", "plan", "helpnow", "sober", "core"):
        assert texts.ERASED_PARTS[part] in done.content
    left = await rows_naming(bot, guild, alice)
    assert only_the_erasure_line(left), left
    assert await rows_naming(bot, guild, bob) == bob_before
    [line] = await audit_lines(bot, community, ERASED_ACTION)
    assert (line.actor_user_id, line.subject_user_id, line.details) == (alice, alice, {})
    return bot


async def test_delete_confirmed_after_a_restart_leaves_only_the_audit_line_and_bobs_rows(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    restarted = await erase_through_the_buttons_and_scan(bot_runner, bot, community)
    # Asked again, there is nothing left to erase, and the one line stays one line.
    again = await ask_to_delete(community, community.alice)
    done = await press(community.alice, again, erase_id(community.alice))
    assert done.content == texts.ERASED_NOTHING
    assert only_the_erasure_line(
        await rows_naming(restarted, community.guild.id, community.alice.id)
    )


@pytest.fixture
async def postgres_runner(
    community: Community, postgres_url: str, tmp_path: Path
) -> AsyncIterator[BotRunner]:
    runner = BotRunner(community, postgres_url, tmp_path / "data")
    yield runner
    await runner.stop_all()


@pytest.mark.postgres
async def test_on_postgresql_delete_confirmed_leaves_only_the_audit_line_and_bobs_rows(
    postgres_runner: BotRunner, community: Community
) -> None:
    bot = await postgres_runner.start()
    await postgres_runner.configure(bot)
    await erase_through_the_buttons_and_scan(postgres_runner, bot, community)


async def test_keep_my_data_erases_nothing(bot: RecoveryBot, community: Community) -> None:
    await seed(bot, community)
    before = await rows_naming(bot, community.guild.id, community.alice.id)
    asked = await ask_to_delete(community, community.alice)
    kept = await press(community.alice, asked, keep_id(community.alice))
    assert kept.content == texts.KEPT_DATA
    assert kept.custom_ids == []
    assert await rows_naming(bot, community.guild.id, community.alice.id) == before
    assert await audit_lines(bot, community, ERASED_ACTION) == []


async def test_the_confirm_pressed_by_another_member_is_refused_and_erases_nothing(
    bot: RecoveryBot, community: Community
) -> None:
    await seed(bot, community)
    guild = community.guild.id
    alices, bobs = (
        await rows_naming(bot, guild, community.alice.id),
        await rows_naming(bot, guild, community.bob.id),
    )
    asked = await ask_to_delete(community, community.alice)
    # Her confirmation is private; a copy where bob can press it is all he could reach.
    copy = forged(community, erase_id(community.alice))
    assert copy.custom_ids == [c for c in asked.custom_ids if c.startswith("privacy:erase:")]

    it = await community.bob.click(copy, erase_id(community.alice))
    refused = await it.wait_for_reply()

    assert refused.ephemeral
    assert refused.content == texts.NOT_YOUR_ERASURE
    assert await rows_naming(bot, guild, community.alice.id) == alices
    assert await rows_naming(bot, guild, community.bob.id) == bobs
    assert await audit_lines(bot, community, ERASED_ACTION) == []


async def test_a_forged_button_naming_another_member_or_not_from_their_own_delete_is_refused(
    bot: RecoveryBot, community: Community
) -> None:
    await seed(bot, community)
    guild = community.guild.id
    alices = await rows_naming(bot, guild, community.alice.id)
    # Bob's own confirmation, its id rewritten to name alice, pressed by bob.
    own = await ask_to_delete(community, community.bob)
    assert erase_id(community.bob) in own.custom_ids
    naming_alice = forged(community, erase_id(community.alice))
    by_bob = await (
        await community.bob.click(naming_alice, erase_id(community.alice))
    ).wait_for_reply()
    assert by_bob.content == texts.NOT_YOUR_ERASURE
    # The same button pressed by alice: no confirmation she asked for, so no erasure.
    by_alice = await (
        await community.alice.click(naming_alice, erase_id(community.alice))
    ).wait_for_reply()
    assert by_alice.ephemeral
    assert by_alice.content == texts.NOT_ASKED_HERE
    assert await rows_naming(bot, guild, community.alice.id) == alices
    assert await audit_lines(bot, community, ERASED_ACTION) == []


class _FailsToErase:
    """A feature whose erase fails after every other feature's ran: all must roll back."""

    name = "zz_fails_to_erase"
    tables: tuple[type[Base], ...] = ()

    async def export_member(self, session: Any, guild_id: int, user_id: int) -> dict[str, Any]:
        return {}

    async def erase_member(self, session: Any, guild_id: int, user_id: int) -> None:
        raise RuntimeError("disk full")


async def test_an_erasure_failing_in_one_feature_erases_nothing_and_the_member_is_told_kindly(
    bot: RecoveryBot, community: Community
) -> None:
    await seed(bot, community)
    guild, alice = community.guild.id, community.alice.id
    before = await rows_naming(bot, guild, alice)
    asked = await ask_to_delete(community, community.alice)
    bot.member_data.register(_FailsToErase())
    try:
        answer = await press(community.alice, asked, erase_id(community.alice))
    finally:
        bot.member_data.unregister(_FailsToErase.name)

    assert answer.ephemeral
    assert answer.content == texts.ERASE_FAILED
    assert await rows_naming(bot, guild, alice) == before
    assert await audit_lines(bot, community, ERASED_ACTION) == []
    # What memory held about her is back too: /help-now still shows her plan.
    highlights = bot.plans.highlights(guild, alice)
    assert highlights is not None
    assert highlights.emergency == f"Who to call: {ALICE_PLAN}"


# --- Nothing sent about a member after they erased ------------------------------------------

POST_MESSAGE = ("POST", "/channels/{channel_id}/messages")


async def run_milestones(bot: RecoveryBot) -> None:
    """The milestone job, run as the scheduler runs it."""
    cog = cast(SoberCog, bot.get_cog("SoberCog"))
    job = bot.scheduler.get_job(cog.jobs.scheduled.job_id("milestones"))
    assert job is not None, "no milestone job"
    await job.func(*job.args)


async def queued_for(bot: RecoveryBot, community: Community) -> list[OutboxMessage]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list((await session.scalars(select(OutboxMessage))).all())


async def test_what_was_queued_for_an_erased_member_is_never_sent_and_others_still_are(
    bot: RecoveryBot, community: Community
) -> None:
    emu, guild = community.emu, community.guild.id
    clock = FakeClock(utc(2026, 11, 10, 18, 0))
    bot.clock = clock
    bot.scheduler.pause()  # the test runs the milestone job itself
    await count_sober_days(community, community.alice, ALICE_COUNTS, "2026-11-04")
    await count_sober_days(community, community.bob, BOB_COUNTS, "2026-11-04")
    # Discord refuses messages for a while: what is due stays queued.
    emu.faults.fail(*POST_MESSAGE, status=503, times=None)
    clock.at = utc(2026, 11, 11, 0, 1)  # a week for both: a DM and a post each
    await run_milestones(bot)
    async with bot.db.guild_session(guild) as session, session.begin():
        await enqueue(
            session,
            [
                Outgoing(
                    kind=REMINDER_KIND,
                    dedupe_key=reminder_dedupe_key(guild, who.id, clock.at.date()),
                    guild_id=guild,
                    body=message_body(f"reminder for {who.id}"),
                    not_before=clock.at,
                    expires_at=clock.at + timedelta(hours=6),
                    user_id=who.id,
                )
                for who in (community.alice, community.bob)
            ],
        )
    bot.outbox.wake()
    await outbox_settled(bot)  # tried once, refused, waiting to try again
    assert len(await queued_for(bot, community)) == 6
    assert emu.dms_of(community.alice) == []
    assert emu.messages_in(community.milestones) == []

    asked = await ask_to_delete(community, community.alice)
    await press(community.alice, asked, erase_id(community.alice))
    emu.faults.clear()
    clock.advance(minutes=5)
    bot.outbox.wake()

    async def bobs_two_dms() -> bool | None:
        return len(emu.dms_of(community.bob)) == 2 or None

    await wait_for(bobs_two_dms, within=10, what="bob's two DMs")
    await outbox_settled(bot)

    assert emu.dms_of(community.alice) == []
    [post] = emu.messages_in(community.milestones)
    assert community.bob.mention in post.content
    assert community.alice.mention not in post.content
    await run_milestones(bot)  # the job finds nothing of hers to celebrate again
    await outbox_settled(bot)
    assert emu.dms_of(community.alice) == []


# --- Access log -----------------------------------------------------------------------------


async def share_and_read(community: Community) -> None:
    opened = await community.alice.run_command(
        "plan edit", channel=community.checkins, options={"part": "emergency"}
    )
    await (
        await community.alice.submit_modal(opened, {"emergency_call": ALICE_PLAN})
    ).wait_for_response()
    for who, command, options in (
        (community.alice, "plan share", {"share": "on"}),
        (community.sam, "plan view", {"member": community.alice}),
    ):
        it = await who.run_command(command, channel=community.checkins, options=options)
        await it.wait_for_response()


async def test_the_access_log_shows_who_read_which_part_and_when_and_pings_nobody(
    bot: RecoveryBot, community: Community
) -> None:
    await share_and_read(community)
    it = await community.alice.run_command("privacy access-log", channel=community.checkins)
    shown = await it.wait_for_followup()

    assert shown.ephemeral
    title, line = shown.content.split("\n")
    assert title == texts.ACCESS_LOG_TITLE.format(looks="1 look")
    assert line.startswith("• <t:")  # when, in the reader's own time
    assert line.endswith(f": <@{community.sam.id}> read your relapse-prevention plan")
    assert shown.mentions == []


async def test_the_access_log_of_a_member_nobody_looked_at_says_so_kindly(
    bot: RecoveryBot, community: Community
) -> None:
    await share_and_read(community)  # alice's plan was read, not bob's data
    it = await community.bob.run_command("privacy access-log", channel=community.checkins)
    shown = await it.wait_for_followup()
    assert shown.ephemeral
    assert shown.content == texts.ACCESS_LOG_EMPTY


async def test_a_long_access_log_is_split_into_messages_that_each_fit_and_keep_every_look(
    bot: RecoveryBot, community: Community
) -> None:
    guild, alice = community.guild.id, community.alice.id
    start = utc(2026, 1, 1, 9, 0)
    looks = 150
    async with bot.db.guild_session(guild) as session, session.begin():
        session.add_all(
            PlanLook(
                guild_id=guild,
                user_id=alice,
                viewer_id=community.sam.id if n % 2 else community.riley.id,
                looked_at=start + timedelta(hours=n),
            )
            for n in range(looks)
        )
    it = await community.alice.run_command("privacy access-log", channel=community.checkins)

    async def all_shown() -> list[Message] | None:
        lines = sum(line.startswith("• ") for m in it.followups for line in m.content.split("\n"))
        return list(it.followups) if lines >= looks else None

    messages = await wait_for(all_shown, within=10, what="every look shown")
    assert len(messages) > 1
    assert all(len(m.content) <= 2000 and m.ephemeral for m in messages)
    shown = [line for m in messages for line in m.content.split("\n") if line.startswith("• ")]
    assert len(shown) == looks
    assert messages[0].content.startswith(texts.ACCESS_LOG_TITLE.format(looks="150 looks"))
    # Newest first: the last look made is the first line.
    newest = int((start + timedelta(hours=looks - 1)).timestamp())
    assert shown[0].startswith(f"• <t:{newest}:f>")


# --- Across servers -------------------------------------------------------------------------


async def test_deleting_in_one_server_erases_nothing_of_the_same_person_in_another(
    bot: RecoveryBot, community: Community
) -> None:
    await seed(bot, community)
    before = await rows_naming(bot, community.guild.id, community.alice.id)
    assert before
    other, channel = await another_server(bot, community, "Second Circle")
    alice_there = other.add_member("alice", user=community.alice.user)

    it = await alice_there.run_command("privacy export", channel=channel)
    reply = await it.wait_for_followup()
    exported = reply.attachments[0].data.decode()
    assert ALICE_NOTE not in exported
    assert ALICE_COUNTS not in exported

    asked = await alice_there.run_command("privacy delete", channel=channel)
    message = (await asked.wait_for_response()).message
    assert message is not None
    await press(alice_there, message, erase_id(alice_there))
    assert await rows_naming(bot, community.guild.id, community.alice.id) == before


async def test_asking_to_delete_with_an_open_help_now_request_says_its_pages_would_stop(
    bot: RecoveryBot, community: Community
) -> None:
    calm = await privacy(community, community.alice, "delete")
    assert helpnow_texts.ERASURE_STOPS_REQUEST not in calm.content

    asked = await community.alice.run_command("help-now", channel=community.checkins)
    await asked.wait_for_response()
    worried = await privacy(community, community.alice, "delete")
    assert worried.content.startswith(helpnow_texts.ERASURE_STOPS_REQUEST)
    assert texts.DELETE_CONFIRM in worried.content
