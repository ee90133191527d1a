"""The crisis path in hard cases: races, a broken journal, privacy of fallback pages.

The real bot against the emulator, like test_helpnow_e2e.py.
"""

from __future__ import annotations

from cryptography.fernet import Fernet
from sqlalchemy import select

from core.bot import RecoveryBot
from db.models import HelpRequest
from sandbox.community import BotRunner, Community
from tests.cogs.helpnow.helpers import (
    NOTE,
    button,
    cog_of,
    mentioned,
    public_id_of,
    sam_on_call_riley_backup,
)
from tests.waiting import wait_for

CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"
THREADS = "/channels/{channel_id}/threads"
EDIT_MESSAGE = "/channels/{channel_id}/messages/{message_id}"


async def test_a_member_asking_twice_at_once_gets_buttons_that_work_on_the_one_request(
    bot: RecoveryBot, community: Community
) -> None:
    # The first reply is slow to reach Discord, so the second /help-now is handled while
    # the first has not yet opened its request.
    await sam_on_call_riley_backup(bot, community)
    community.emu.faults.slow("POST", CALLBACK, delay=0.5, times=1)
    first = await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    second = await community.alice.run_command("help-now", channel=community.checkins)
    one = await first.wait_for_response()
    two = await second.wait_for_response()
    assert first.rejections == []
    assert second.rejections == []
    page = await community.emu.wait_for_message(channel=community.specialists)
    await community.emu.wait_for_message(channel=community.specialists)  # the re-page
    assert one.message is not None
    assert two.message is not None
    assert NOTE in page.content

    request = public_id_of(page, "ack")
    assert public_id_of(two.message, "safe") == request
    assert public_id_of(one.message, "safe") == request

    # "I'm safe now" on the second reply closes the request the specialists were paged for.
    safe = await community.alice.click(two.message, button(two.message, "safe"))
    assert "Thank you" in (await safe.wait_for_response()).content
    assert cog_of(bot).desk.open_case_of(community.guild.id, community.alice.id) is None


async def test_the_member_and_the_specialist_end_up_in_the_same_private_thread(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert reply.message is not None

    # Opening the member's thread is slow; the specialist acknowledges meanwhile.
    community.emu.faults.slow("POST", THREADS, delay=1.0, times=1)
    asked = await community.alice.click(reply.message, button(reply.message, "thread"))
    assert (await asked.wait_for_response()).deferred
    ack = await community.riley.click(page, button(page, "ack"))
    await ack.wait_for_followup(timeout=5)
    await asked.wait_for_followup(timeout=5)

    threads = [c for c in community.emu.channels.values() if c.is_thread]
    assert len(threads) == 1, [t.name for t in threads]
    assert {community.alice.id, community.riley.id} <= set(threads[0].thread_members)


async def test_im_safe_now_on_a_fallback_page_does_not_name_the_member_in_public(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    community.guild.delete_channel(community.specialists)
    it = await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    reply = await it.wait_for_response()
    fallback = await community.emu.wait_for_message(channel=community.checkins)
    assert community.alice.mention not in fallback.content
    assert reply.message is not None

    safe = await community.alice.click(reply.message, button(reply.message, "safe"))
    await safe.wait_for_response()
    await community.emu.wait_for_request("PATCH", EDIT_MESSAGE)
    # The check-in channel is public: who asked for help must not appear there.
    assert community.alice.mention not in fallback.content
    assert str(community.alice.id) not in fallback.content
    assert fallback.custom_ids == []


async def test_the_page_still_goes_out_when_the_journal_cannot_be_written(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    journal = bot_runner.data_dir / "helpnow-journal"
    if journal.exists():
        journal.unlink()
    journal.mkdir()  # the local disk refuses the journal (full disk, permissions...)

    it = await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    reply = await it.wait_for_response()
    assert "988" in reply.content
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(page) == {"sam"}
    assert it.followups == []  # no "something went wrong" after the crisis reply

    # The record still reaches the database (the database is up), once the bot has
    # noted where its page went (a moment after the emulator has the page).
    desk = cog_of(bot).desk

    async def page_noted() -> bool | None:
        case = desk.open_case_of(community.guild.id, community.alice.id)
        return True if case is not None and case.page_message_id == page.id else None

    await wait_for(page_noted, within=5, what="the page noted on the request")
    assert await desk.flush()
    async with bot.db.guild_session(community.guild.id) as session:
        row = (await session.scalars(select(HelpRequest))).one()
    assert row.note == NOTE
    assert row.page_message_id == page.id


async def test_a_corrupt_journal_does_not_stop_the_bot_or_help_now(
    bot_runner: BotRunner, community: Community
) -> None:
    bot = await bot_runner.start()
    await bot_runner.configure(bot)
    await bot_runner.stop(bot)
    journal = bot_runner.data_dir / "helpnow-journal"
    other_key = Fernet(Fernet.generate_key())
    with journal.open("ab") as handle:
        handle.write(other_key.encrypt(b'{"guild_id": 1}') + b"\n")  # written under another key
        handle.write(b"gAAAAABtruncated-by-a-crash\n")  # a line cut short by a crash

    restarted = await bot_runner.start(sync=False)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert "988" in reply.content
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(page) == {"Peer specialist"}
    # The unreadable lines are kept aside for someone with the right key, not destroyed.
    assert await cog_of(restarted).desk.flush()
    kept = (bot_runner.data_dir / "helpnow-journal.unreadable").read_bytes()
    assert b"truncated-by-a-crash" in kept


async def test_a_note_given_with_a_second_request_reaches_the_specialists(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    await community.emu.wait_for_message(channel=community.specialists)

    later = "I took something, I'm scared"
    again = await community.alice.run_command("help-now", channel=community.checkins, note=later)
    await again.wait_for_response()
    repage = await community.emu.wait_for_message(channel=community.specialists)
    assert later in repage.content
    await cog_of(bot).desk.flush()
    async with bot.db.guild_session(community.guild.id) as session:
        row = (await session.scalars(select(HelpRequest))).one()
    assert row.note is not None
    assert later in row.note


async def test_asking_again_after_an_acknowledgement_pages_the_one_who_acknowledged(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)
    ack = await community.riley.click(page, button(page, "ack"))
    await ack.wait_for_followup()

    again = await community.alice.run_command("help-now", channel=community.checkins)
    await again.wait_for_response()
    repage = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(repage) == {"riley"}
    assert "unacknowledged" not in repage.content.lower()


async def test_a_reply_that_misses_the_three_second_window_still_pages_a_specialist(
    bot: RecoveryBot, community: Community
) -> None:
    # The event loop was busy: the reply reaches Discord after its deadline (10062).
    await sam_on_call_riley_backup(bot, community)
    community.emu.interaction_deadline = 0.0
    it = await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert it.rejections
    assert mentioned(page) == {"sam"}
    assert NOTE in page.content
