"""/help-now end to end: the real bot, the emulator's Discord rules, a real database."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from core import permissions
from core.bot import RecoveryBot
from db.engine import Database, create_engine
from db.models import HelpEvent, HelpRequest
from fakediscord.permissions import Permission
from sandbox.community import SEE_AND_TALK, BotRunner, Community
from tests.cogs.helpnow.helpers import (
    NOTE,
    button,
    cog_of,
    mentioned,
    sam_on_call_riley_backup,
)
from tests.tcp_proxy import TcpProxy
from tests.waiting import wait_for


async def test_help_now_answers_privately_in_time_and_pages_the_person_on_call(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    it = await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    reply = await it.wait_for_response(timeout=5)

    assert reply.ephemeral
    assert it.rejections == []  # answered inside Discord's 3 s window
    assert "911" in reply.content.splitlines()[0]
    assert "988" in reply.content
    assert "741741" in reply.content
    assert "automated" in reply.content
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(page) == {"sam"}
    assert NOTE in page.content
    assert community.alice.mention in page.content
    # Nobody else in the server can read the note: it is only in the private channel.
    assert not [m for m in community.emu.visible_to(community.bob) if NOTE in m.content]


async def test_unacknowledged_pages_escalate_and_acknowledge_stops_them_and_opens_a_thread(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, repeat_interval_seconds=1, max_repeats=5)
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    emu = community.emu

    first = await emu.wait_for_message(channel=community.specialists)
    backup = await emu.wait_for_message(channel=community.specialists, timeout=5)
    to_role = await emu.wait_for_message(channel=community.specialists, timeout=5)
    assert mentioned(first) == {"sam"}
    assert mentioned(backup) == {"riley"}
    assert mentioned(to_role) == {"Peer specialist"}

    ack = await community.riley.click(first, button(first, "ack"))
    assert (await ack.wait_for_response()).type == 7  # the page is updated in place
    thread = await emu.wait_for_thread(parent=community.checkins)
    await ack.wait_for_followup(where=lambda m: thread.mention in m.content)
    assert thread.type == 12  # a private thread
    assert {community.alice.id, community.riley.id} <= set(thread.thread_members)
    assert community.bob.id not in thread.thread_members

    public_id = button(first, "ack").rsplit(":", 1)[1]
    assert bot.scheduler.get_job(f"helpnow:step:{public_id}") is None  # no further pages
    await cog_of(bot).desk.flush()
    async with bot.db.guild_session(community.guild.id) as session:
        row = (await session.scalars(select(HelpRequest))).one()
    assert row.acknowledged_by == community.riley.id
    assert row.thread_id == thread.id


async def test_a_second_request_repages_without_a_duplicate(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    await community.emu.wait_for_message(channel=community.specialists)

    second = await community.alice.run_command("help-now", channel=community.checkins)
    again = await second.wait_for_response()
    assert again.ephemeral
    assert "still open" in again.content
    assert "988" in again.content
    repage = await community.emu.wait_for_message(channel=community.specialists)
    assert "asked again" in repage.content
    assert mentioned(repage) == {"sam"}

    await cog_of(bot).desk.flush()
    async with bot.db.guild_session(community.guild.id) as session:
        count = await session.scalar(select(func.count()).select_from(HelpRequest))
    assert count == 1


async def test_a_member_pressing_acknowledge_is_refused(
    bot: RecoveryBot, community: Community
) -> None:
    # Bob is let into the channel, so the role check (not visibility) is what refuses him.
    community.guild.set_overwrite(community.specialists, community.bob, allow=SEE_AND_TALK)
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)

    refused = await community.bob.click(page, button(page, "ack"))
    reply = await refused.wait_for_response()
    assert reply.ephemeral
    assert reply.content == permissions.NOT_A_SPECIALIST
    case = cog_of(bot).desk.get(button(page, "ack").rsplit(":", 1)[1])
    assert case is not None
    assert case.acknowledged_by is None


async def test_im_safe_now_closes_the_request_and_tells_the_specialists(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    page = await community.emu.wait_for_message(channel=community.specialists)

    assert reply.message is not None
    safe = await community.alice.click(reply.message, button(reply.message, "safe"))
    assert "Thank you" in (await safe.wait_for_response()).content
    await community.emu.wait_for_request("PATCH", "/channels/{channel_id}/messages/{message_id}")
    assert "safe now" in page.content
    assert page.custom_ids == []
    assert cog_of(bot).desk.open_case_of(community.guild.id, community.alice.id) is None


async def test_a_deleted_specialists_channel_falls_back_without_the_note_and_tells_the_owner(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    community.guild.delete_channel(community.specialists)
    it = await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    assert "988" in (await it.wait_for_response()).content

    fallback = await community.emu.wait_for_message(channel=community.checkins)
    assert NOTE not in fallback.content
    assert community.alice.mention not in fallback.content
    assert mentioned(fallback) == {"sam"}
    notice = await community.emu.wait_for_dm(community.organiser)
    assert "specialists channel" in notice.content


async def test_a_server_without_specialists_still_gets_the_lines_and_honest_words(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, specialists_channel_id=None, specialist_role_id=None)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert "nobody could be paged" in reply.content
    assert "988" in reply.content
    # A private thread would hold the member alone: it is offered only where it can help.
    assert reply.message is not None
    assert [c.split(":")[1] for c in reply.message.custom_ids] == ["safe"]


async def test_a_pending_escalation_survives_a_restart_and_happens_once(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=2, max_repeats=0)
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    first = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(first) == {"sam"}
    await bot_runner.stop(bot)  # killed before the backup is due

    restarted = await bot_runner.start(sync=False)
    backup = await community.emu.wait_for_message(channel=community.specialists, timeout=6)
    assert mentioned(backup) == {"riley"}
    role = await community.emu.wait_for_message(channel=community.specialists, timeout=6)
    assert mentioned(role) == {"Peer specialist"}

    async def both_escalations_recorded() -> list[HelpEvent] | None:
        # A step is recorded once its page is posted, a moment after the emulator has it.
        await cog_of(restarted).desk.flush()
        async with restarted.db.guild_session(community.guild.id) as session:
            found = (
                await session.scalars(select(HelpEvent).where(HelpEvent.kind == "escalated"))
            ).all()
        return list(found) if len(found) >= 2 else None

    escalations = await wait_for(both_escalations_recorded, within=5, what="two escalations")
    assert len(escalations) == 2
    assert [m for m in community.emu.messages_in(community.specialists)] == [first, backup, role]


@pytest.mark.postgres
async def test_with_the_database_unreachable_help_now_still_answers_and_pages_and_records_later(
    community: Community, tmp_path: Path, postgres_url: str
) -> None:
    upstream = make_url(postgres_url)
    proxy = TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    through_proxy = upstream.set(port=proxy.port).render_as_string(hide_password=False)
    runner = BotRunner(community, through_proxy, tmp_path / "data")
    bot = await runner.start()
    direct = Database(create_engine(postgres_url, cipher=bot.cipher))

    async def recorded() -> HelpRequest | None:
        async with direct.guild_session(community.guild.id) as session:
            return (await session.scalars(select(HelpRequest))).one_or_none()

    try:
        await runner.configure(bot)
        await sam_on_call_riley_backup(bot, community)
        await proxy.cut()

        it = await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
        reply = await it.wait_for_response()
        assert it.rejections == []
        assert "988" in reply.content
        page = await community.emu.wait_for_message(channel=community.specialists)
        assert mentioned(page) == {"sam"}

        assert await recorded() is None
        await proxy.restore()
        row = await wait_for(recorded, within=15, what="the request to be recorded")
        assert row.note == NOTE
        assert row.member_user_id == community.alice.id
    finally:
        await runner.stop_all()
        await direct.dispose()
        await proxy.stop()


async def test_with_nobody_on_call_the_role_is_paged_at_once_and_the_member_told_honestly(
    bot: RecoveryBot, community: Community
) -> None:
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert "Nobody is on call" in reply.content
    assert "don't wait" in reply.content
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(page) == {"Peer specialist"}


async def test_without_permission_in_the_specialists_channel_the_page_falls_back(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    community.guild.set_overwrite(
        community.specialists, community.bot_member, deny=Permission.SEND_MESSAGES
    )
    await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    fallback = await community.emu.wait_for_message(channel=community.checkins)
    assert mentioned(fallback) == {"sam"}
    assert NOTE not in fallback.content
    assert community.emu.messages_in(community.specialists) == []


async def test_need_backup_pages_the_next_person_and_resolved_closes_with_an_outcome(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)

    backup = await community.sam.click(page, button(page, "backup"))
    assert "next person" in (await backup.wait_for_response()).content
    second = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(second) == {"riley"}

    opened = await community.riley.click(page, button(page, "resolve"))
    assert (await opened.wait_for_response()).type == 9  # the outcome form
    outcome_field = "outcome"
    done = await community.riley.submit_modal(opened, {outcome_field: "Talked it through"})
    assert "Closed" in (await done.wait_for_response()).content
    await community.emu.wait_for_request("PATCH", "/channels/{channel_id}/messages/{message_id}")
    assert "request as resolved at" in page.content

    await cog_of(bot).desk.flush()
    async with bot.db.guild_session(community.guild.id) as session:
        row = (await session.scalars(select(HelpRequest))).one()
    assert row.status == "resolved"
    assert row.outcome == "Talked it through"
    assert row.closed_by == community.riley.id


async def test_the_member_can_open_a_private_thread_before_anyone_acknowledges(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert reply.message is not None
    asked = await community.alice.click(reply.message, button(reply.message, "thread"))
    thread = await community.emu.wait_for_thread(parent=community.checkins)
    await asked.wait_for_followup(where=lambda m: thread.mention in m.content)
    assert set(thread.thread_members) >= {community.alice.id}
    assert thread.type == 12


async def test_the_owner_is_told_when_the_last_page_goes_unacknowledged(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, max_repeats=0)
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    pages = [
        await community.emu.wait_for_message(channel=community.specialists, timeout=5)
        for _ in range(3)
    ]
    assert [mentioned(page) for page in pages] == [{"sam"}, {"riley"}, {"Peer specialist"}]
    notice = await community.emu.wait_for_dm(community.organiser, timeout=5)
    assert "last automatic page" in notice.content
    assert NOTE not in notice.content
    assert community.alice.mention not in notice.content


async def test_someone_no_longer_in_the_specialist_role_is_not_paged(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    community.guild.take_role(community.sam, community.role)  # the rota still names sam
    await community.alice.run_command("help-now", channel=community.checkins, note=NOTE)
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert mentioned(page) == {"Peer specialist"}
    assert "sam" not in {user.username for user in page.mentions}


async def test_a_member_who_left_gets_no_empty_thread_and_the_specialist_is_told(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)
    community.guild.remove_member(community.alice)

    ack = await community.sam.click(page, button(page, "ack"))
    told = await ack.wait_for_followup(where=lambda m: "another way" in m.content)
    assert told.ephemeral
    assert [t for t in community.guild.threads if not t.deleted] == []
