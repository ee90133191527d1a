"""/help-now never goes silent: each path that once ended in silence (issue 8), through
the real bot, the emulator with Discord's rate limits on, and a real database."""

from __future__ import annotations

import logging
import sys
from pathlib import Path

import pytest

from cogs.helpnow import texts
from core.bot import RecoveryBot
from fakediscord.models import Channel, Member, overwrite
from fakediscord.permissions import Permission
from sandbox.community import SEE_AND_TALK, BotRunner, Community
from tests.cogs.helpnow.helpers import button, cog_of, public_id_of, sam_on_call_riley_backup
from tests.databases import sqlite_url
from tests.waiting import wait_for

MESSAGES = "/channels/{channel_id}/messages"
CALLBACK = "/interactions/{interaction_id}/{interaction_token}/callback"


def pages_by_request(community: Community, channel: Channel) -> dict[str, list[str]]:
    """Every request's page lines in `channel`, in order; a message may carry several
    requests (one paragraph and one button row each, in the same order)."""
    found: dict[str, list[str]] = {}
    for message in community.emu.messages_in(channel):
        owners = [c.rsplit(":", 1)[1] for c in message.custom_ids if c.startswith("helpnow:ack:")]
        for owner, paragraph in zip(owners, message.content.split("\n\n"), strict=False):
            found.setdefault(owner, []).append(paragraph)
    return found


def targets(community: Community, lines: list[str]) -> list[str]:
    """Whom each page line was for: the mention it starts with, as a name."""
    names = {
        f"<@{community.sam.id}>": "sam",
        f"<@{community.riley.id}>": "riley",
        f"<@&{community.role.id}>": "role",
    }
    return [names.get(line.split(" — ", 1)[0], line) for line in lines]


async def wait_for_pages(
    community: Community, count: int, *, per_request: int, within: float
) -> dict[str, list[str]]:
    async def complete() -> dict[str, list[str]] | None:
        pages = pages_by_request(community, community.specialists)
        done = len(pages) == count and all(len(p) >= per_request for p in pages.values())
        return pages if done else None

    return await wait_for(complete, within=within, what=f"{per_request} pages for {count}")


async def test_twenty_members_at_once_each_reach_on_call_backup_role_and_repeat_once_each(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, repeat_interval_seconds=1, max_repeats=1)
    await sam_on_call_riley_backup(bot, community)
    members = [community.guild.add_member(f"member{n}") for n in range(20)]
    for member in members:
        await member.run_command("help-now", channel=community.checkins)

    # Discord's 5 messages per 5 s on the channel: 80 pages go out in 16 shared messages.
    pages = await wait_for_pages(community, 20, per_request=4, within=60)
    for public_id, lines in pages.items():
        assert targets(community, lines) == ["sam", "riley", "role", "role"], (public_id, lines)
        assert "repeat 1 of 1" in lines[3]
    cog = cog_of(bot)

    async def every_chain_finished() -> bool | None:
        # A step counts as done a moment after the emulator has its page.
        cases = cog.desk.open_cases()
        return True if all(cog.desk.chain_finished(case) for case in cases) else None

    await wait_for(every_chain_finished, within=5, what="every chain finished")
    assert len(cog.desk.open_cases()) == 20


async def test_a_specialists_channel_held_past_every_step_time_still_finishes_the_chain(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, repeat_interval_seconds=1, max_repeats=2)
    await sam_on_call_riley_backup(bot, community)
    # Discord holds the first page for longer than the ack timeout and the repeat interval.
    community.emu.faults.slow("POST", MESSAGES, delay=3.5, times=1)
    await community.alice.run_command("help-now", channel=community.checkins)

    pages = await wait_for_pages(community, 1, per_request=5, within=30)
    [lines] = pages.values()
    assert targets(community, lines) == ["sam", "riley", "role", "role", "role"]
    assert "repeat 2 of 2" in lines[4]


async def test_the_page_goes_out_while_discord_keeps_failing_the_members_reply(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    # discord.py retries a 502 for about 25 s; the page must not wait behind that.
    community.emu.faults.fail("POST", CALLBACK, status=502, times=10)
    await community.alice.run_command("help-now", channel=community.checkins)

    page = await community.emu.wait_for_message(channel=community.specialists, timeout=3)
    assert targets(community, [page.content]) == ["sam"]


async def test_a_bot_stopped_right_after_replying_posts_the_first_page_after_its_restart(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await bot_runner.configure(bot, ack_timeout_seconds=60)
    # The first page is held by Discord, and the bot stops before it gets through.
    community.emu.faults.slow("POST", MESSAGES, delay=30, times=1)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert reply.message is not None
    public_id = public_id_of(reply.message, "safe")

    async def page_under_way() -> bool | None:
        return True if community.emu.requests_to("POST", MESSAGES) else None

    await wait_for(page_under_way, within=5, what="the first page sent to Discord")
    monkeypatch.setattr("core.scheduler.SHUTDOWN_GRACE_SECONDS", 0.1)
    await bot_runner.stop(bot)
    community.emu.faults.clear()

    await bot_runner.start(sync=False)
    page = await community.emu.wait_for_message(
        channel=community.specialists, where=lambda m: public_id in "".join(m.custom_ids)
    )
    assert targets(community, [page.content]) == ["sam"]
    assert texts.PAGE_RESENT in page.content


async def test_the_resolved_form_submitted_after_a_restart_closes_the_request(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)
    opened = await community.sam.click(page, button(page, "resolve"))
    assert (await opened.wait_for_response()).modal is not None
    await bot_runner.stop(bot)

    restarted = await bot_runner.start(sync=False)
    done = await community.sam.submit_modal(opened, {"outcome": "Talked it through"})
    assert "Closed" in (await done.wait_for_response()).content
    assert cog_of(restarted).desk.open_case_of(community.guild.id, community.alice.id) is None


async def test_a_request_found_with_nothing_scheduled_is_rearmed_and_logged(
    bot_runner: BotRunner,
    bot: RecoveryBot,
    community: Community,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=2)
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)
    public_id = public_id_of(page, "ack")
    cog = cog_of(bot)

    async def scheduled() -> bool | None:
        return True if bot.scheduler.get_job(f"helpnow:step:{public_id}") else None

    await wait_for(scheduled, within=5, what="the backup step scheduled")
    assert cog.escalation.check() == []  # a healthy request is left alone
    bot.scheduler.remove_job(f"helpnow:step:{public_id}")  # the schedule, broken on purpose

    with caplog.at_level(logging.ERROR):
        assert cog.escalation.check() == [public_id]
    assert "no next step scheduled" in caplog.text
    assert bot.scheduler.get_job(f"helpnow:step:{public_id}") is not None
    backup = await community.emu.wait_for_message(channel=community.specialists, timeout=6)
    assert targets(community, [backup.content]) == ["riley"]
    assert bot.scheduler.get_job("helpnow:watchdog") is not None  # and it runs on its own


async def test_a_page_no_channel_would_take_tells_the_owner_and_the_chain_goes_on(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, max_repeats=0)
    await sam_on_call_riley_backup(bot, community)
    # Discord refuses the first page in the specialists channel and in the fallback.
    community.emu.faults.fail("POST", MESSAGES, status=503, times=2)
    it = await community.alice.run_command("help-now", channel=community.checkins)

    notice = await community.emu.wait_for_dm(community.organiser)
    assert "could not be posted anywhere" in notice.content
    failed = await it.wait_for_followup()
    assert "couldn't reach" in failed.content
    pages = await wait_for_pages(community, 1, per_request=2, within=10)
    [lines] = pages.values()
    assert targets(community, lines) == ["riley", "role"]


async def test_the_owner_hears_once_that_the_last_page_went_unanswered_even_after_a_restart(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    # Nobody on call and no repeats: the first page is the last.
    await bot_runner.configure(bot, max_repeats=0)
    await community.alice.run_command("help-now", channel=community.checkins)
    notice = await community.emu.wait_for_dm(community.organiser)
    assert "last automatic page" in notice.content
    await bot_runner.stop(bot)

    restarted = await bot_runner.start(sync=False)
    assert cog_of(restarted).escalation.check() == []
    assert [m for m in community.emu.dms_of(community.organiser) if "last automatic" in m.content]
    assert len(community.emu.dms_of(community.organiser)) == 1


async def test_a_page_button_naming_another_servers_request_is_refused(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    await community.alice.run_command("help-now", channel=community.checkins)
    page = await community.emu.wait_for_message(channel=community.specialists)
    public_id = public_id_of(page, "ack")

    # Another server the bot is in, whose own specialist presses a button carrying the
    # first server's request.
    emu = community.emu
    other = emu.create_guild("Another circle", owner_name="other-owner")
    role = other.create_role("Peer specialist")
    other.add_bot(community.app)
    channel = other.create_text_channel(
        "team", overwrites=[overwrite(other.everyone, deny=Permission.VIEW_CHANNEL)]
    )
    specialist: Member = other.add_member("quinn", roles=[role])
    other.set_overwrite(channel, role, allow=SEE_AND_TALK)
    await bot.guild_settings.update(other.id, other.owner.id, specialist_role_id=role.id)
    planted = emu.post_message(
        channel,
        community.app.bot_user,
        {"content": "page", "components": [page.payload()["components"][0]]},
    )

    refused = await specialist.click(planted, f"helpnow:ack:{public_id}")
    assert "another server" in (await refused.wait_for_response()).content
    case = cog_of(bot).desk.get(public_id)
    assert case is not None
    assert case.acknowledged_by is None


async def test_a_page_discord_holds_past_the_send_deadline_goes_to_the_fallback_channel(
    bot: RecoveryBot, community: Community, monkeypatch: pytest.MonkeyPatch
) -> None:
    await sam_on_call_riley_backup(bot, community)
    # A hung connection: Discord never answers the page (aiohttp would wait 5 minutes).
    monkeypatch.setattr(sys.modules["cogs.helpnow.sender"], "SEND_DEADLINE_SECONDS", 0.5)
    community.emu.faults.slow("POST", MESSAGES, delay=20, times=1)
    await community.alice.run_command("help-now", channel=community.checkins, note="hung")

    fallback = await community.emu.wait_for_message(channel=community.checkins, timeout=5)
    assert targets(community, [fallback.content]) == ["sam"]
    assert "hung" not in fallback.content
    notice = await community.emu.wait_for_dm(community.organiser)
    assert "specialists channel" in notice.content


async def test_a_queued_page_of_a_request_closed_meanwhile_is_never_posted(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    emu = community.emu
    emu.faults.slow("POST", MESSAGES, delay=1.5, times=1)  # alice's page holds the channel
    await community.alice.run_command("help-now", channel=community.checkins)
    asked = await community.bob.run_command("help-now", channel=community.checkins)
    reply = await asked.wait_for_response()
    assert reply.message is not None
    bobs = public_id_of(reply.message, "safe")
    safe = await community.bob.click(reply.message, button(reply.message, "safe"))
    await safe.wait_for_response()

    alices = await emu.wait_for_message(channel=community.specialists, timeout=5)
    cog = cog_of(bot)

    async def bobs_page_settled() -> bool | None:
        return None if cog.escalation.driver(bobs) is not None else True

    await wait_for(bobs_page_settled, within=5, what="bob's page taken off the queue")
    assert bobs not in "".join(alices.custom_ids)
    assert [
        m for m in emu.messages_in(community.specialists) if bobs in "".join(m.custom_ids)
    ] == []


async def test_two_processes_given_one_interaction_run_one_chain(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community, tmp_path: Path
) -> None:
    # A deploy's overlap: the old and the new process both hold the shard.
    await bot_runner.configure(bot, ack_timeout_seconds=60)
    await sam_on_call_riley_backup(bot, community)
    other_runner = BotRunner(community, sqlite_url(tmp_path / "other"), tmp_path / "other-data")
    try:
        other = await other_runner.start(sync=False)
        await other_runner.configure(other, ack_timeout_seconds=60)
        await sam_on_call_riley_backup(other, community)
        it = await community.alice.run_command("help-now", channel=community.checkins)
        assert "988" in (await it.wait_for_response()).content
        page = await community.emu.wait_for_message(channel=community.specialists)

        def open_in(running: RecoveryBot) -> bool:
            return (
                cog_of(running).desk.open_case_of(community.guild.id, community.alice.id)
                is not None
            )

        async def one_withdrawn() -> bool | None:
            return True if open_in(bot) != open_in(other) else None

        await wait_for(one_withdrawn, within=5, what="the slower process withdrawing")
        assert community.emu.messages_in(community.specialists) == [page]

        async def drivers_let_go() -> bool | None:
            # The withdrawn request's driver ends early; it is not kept either.
            kept = [cog_of(running).escalation.drivers() for running in (bot, other)]
            return True if kept == [{}, {}] else None

        await wait_for(drivers_let_go, within=5, what="both processes' drivers finished")
        assert it.rejections == ["40060 already acknowledged"]
    finally:
        await other_runner.stop_all()


async def test_a_page_that_lands_after_its_request_closed_loses_its_buttons(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    emu = community.emu
    emu.faults.slow("POST", MESSAGES, delay=1.5, times=1)
    asked = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await asked.wait_for_response()
    assert reply.message is not None

    async def page_under_way() -> bool | None:
        return True if emu.requests_to("POST", MESSAGES) else None

    await wait_for(page_under_way, within=5, what="the page sent to Discord")
    safe = await community.alice.click(reply.message, button(reply.message, "safe"))
    await safe.wait_for_response()

    page = await emu.wait_for_message(channel=community.specialists, timeout=5)
    await emu.wait_for_request("PATCH", "/channels/{channel_id}/messages/{message_id}")
    assert "closed while this page was on its way" in page.content
    assert page.custom_ids == []
