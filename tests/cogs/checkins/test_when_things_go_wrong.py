"""Daily check-ins when things go wrong: odd input, failed posts, a sleeping process, restarts."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from cogs.checkins import views
from cogs.checkins.form import parse_checkin
from core.bot import RecoveryBot
from db.models import Checkin, CheckinSchedule
from fakediscord.driver import ComponentError
from fakediscord.permissions import Permission
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import (
    GOOD,
    check_in,
    checkin_job_keys,
    cog_of,
    outbox_settled,
    run_job,
    set_up_prompt,
    stored,
)
from tests.cogs.checkins.helpers import CHECKINS, utc
from tests.fake_clock import FakeClock

POST_MESSAGE = "/channels/{channel_id}/messages"
MOMENT = "prompt:19:00:UTC:0123456"


async def test_a_trigger_not_on_the_list_is_refused_by_the_menu_and_nothing_is_stored(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    opened = await community.alice.run_command("checkin today", channel=community.checkins)
    with pytest.raises(ComponentError, match="triggers"):
        await community.alice.submit_modal(opened, {**GOOD, "triggers": ["my boss yelled"]})
    assert await stored(bot, community) == []


def test_a_forged_pick_in_a_submit_is_read_as_sent_and_then_dropped() -> None:
    # A client that skips Discord's check can send any value: only the list's names count.
    data = {
        "custom_id": views.FORM_ID,
        "components": [
            {"type": 1, "components": [{"type": 4, "custom_id": "mood", "value": "3"}]},
            {"type": 1, "components": [{"type": 4, "custom_id": "craving", "value": "2"}]},
            {"type": 1, "components": [{"type": 4, "custom_id": "sleep", "value": "7"}]},
            {
                "type": 18,
                "component": {
                    "type": 3,
                    "custom_id": views.TRIGGERS_FIELD,
                    "values": ["Boredom", "'; DROP TABLE checkins; --", "other"],
                },
            },
        ],
    }
    answers = views.submitted_answers(data)
    assert answers.triggers == ("Boredom", "'; DROP TABLE checkins; --", "other")
    assert parse_checkin(answers, CHECKINS).triggers == ("Boredom", "other")


async def test_a_prompt_discord_could_not_take_is_posted_once_on_the_outboxs_next_try(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await set_up_prompt(community, time="19:00")).wait_for_response()
    clock.at = utc(2026, 11, 10, 19, 0)
    # Discord has a bad moment when the prompt is due (503 is not retried by discord.py).
    community.emu.faults.fail("POST", POST_MESSAGE, status=503, times=1)
    await run_job(bot, MOMENT)
    assert community.emu.messages_in(community.checkins) == []

    # No job of its own tries again: the outbox does, a little later, within the grace.
    assert checkin_job_keys(bot) == sorted([MOMENT, "detector:UTC", "reminders"])
    clock.advance(minutes=1)
    bot.outbox.wake()
    prompt = await community.emu.wait_for_message(channel=community.checkins)
    await outbox_settled(bot)
    assert views.OPEN_ID in prompt.custom_ids
    assert len(community.emu.messages_in(community.checkins)) == 1


async def test_a_prompt_time_the_process_slept_through_still_prompts_once(
    bot: RecoveryBot, community: Community
) -> None:
    # The real clock and the real scheduler. The process was suspended (a paused VM, a
    # sleeping host, a blocked loop) across the prompt time and wakes an hour late:
    # within the grace period, so the prompt must still go out.
    earlier = (bot.clock.now() - timedelta(hours=1)).replace(second=0, microsecond=0)
    await (await set_up_prompt(community, time=earlier.strftime("%H:%M"))).wait_for_response()
    moment = f"prompt:{earlier:%H:%M}:UTC:0123456"
    job = bot.scheduler.get_job(cog_of(bot).jobs.scheduled.job_id(moment))
    assert job is not None
    job.modify(next_run_time=earlier)
    prompt = await community.emu.wait_for_message(channel=community.checkins, timeout=5)
    await outbox_settled(bot)
    assert views.OPEN_ID in prompt.custom_ids
    assert len(community.emu.messages_in(community.checkins)) == 1


async def test_a_form_open_across_a_restart_is_still_saved_when_submitted(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    # A member takes their time over the note; the bot restarts meanwhile (an update,
    # a crash). The form stays open in their Discord client: sending it must not lose
    # the check-in (discord.py discards a submit for a form it no longer remembers).
    opened = await community.alice.run_command("checkin today", channel=community.checkins)
    assert (await opened.wait_for_response()).type == 9
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    submitted = await community.alice.submit_modal(opened, GOOD)
    reply = await submitted.wait_for_response()
    assert reply.ephemeral
    assert "Thank you for checking in" in reply.content
    async with restarted.db.guild_session(community.guild.id) as session:
        [row] = (await session.scalars(select(Checkin))).all()
    assert (row.user_id, row.mood, row.note) == (community.alice.id, 4, GOOD["note"])


# The components the first versions posted, byte for byte: messages already in Discord
# carry these custom_ids, so the controls must keep answering them (issue 9).
OLD_PROMPT_COMPONENTS = [
    {
        "type": 1,
        "components": [
            {"type": 2, "style": 3, "label": "Check in", "custom_id": "checkin:open"},
        ],
    }
]


async def test_a_prompt_posted_by_an_earlier_version_opens_the_form_after_a_restart(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    # Yesterday's prompt, posted before the update by the version that answered its button
    # with a persistent view; today's process has never seen it.
    prompt = community.emu.post_message(
        community.checkins,
        community.app.bot_user,
        {"content": "Time for today's check-in", "components": OLD_PROMPT_COMPONENTS},
    )
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()

    opened = await community.alice.click(prompt, "checkin:open")
    form = await opened.wait_for_response()
    assert form.type == 9
    assert form.modal is not None
    assert form.modal["custom_id"] == "checkin:form"
    submitted = await community.alice.submit_modal(opened, GOOD)
    assert "Thank you for checking in" in (await submitted.wait_for_response()).content
    async with restarted.db.guild_session(community.guild.id) as session:
        [row] = (await session.scalars(select(Checkin))).all()
    assert (row.user_id, row.mood) == (community.alice.id, 4)


async def test_the_reply_to_a_check_in_keeps_its_menu_and_button_across_a_restart(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    reply = await (await check_in(community, GOOD)).wait_for_response()
    assert reply.message is not None
    assert {"checkin:triggers", "checkin:used"} <= set(reply.message.custom_ids)
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()

    picked = await community.alice.select(reply.message, "checkin:triggers", ["Loneliness"])
    assert "Loneliness" in (await picked.wait_for_response()).content
    used = await community.alice.click(reply.message, "checkin:used")
    assert "welcome here" in (await used.wait_for_response()).content
    async with restarted.db.guild_session(community.guild.id) as session:
        [row] = (await session.scalars(select(Checkin))).all()
    assert row.triggers == ["Loneliness"]


async def test_setup_refuses_a_default_channel_where_the_bot_cannot_post(
    bot: RecoveryBot, community: Community
) -> None:
    # No channel option: the prompt goes to the check-in channel from /setup channels.
    # The bot may not post there, so every prompt would fail (and only the log would know).
    community.guild.set_overwrite(
        community.checkins, community.bot_member, deny=Permission.SEND_MESSAGES
    )
    it = await community.organiser.run_command(
        "setup checkins", channel=community.checkins, options={"time": "19:00", "zone": "UTC"}
    )
    reply = await it.wait_for_response()
    assert reply.ephemeral
    assert "can't post" in reply.content
    assert "Nothing was changed" in reply.content
    async with bot.db.guild_session(community.guild.id) as session:
        assert (await session.scalars(select(CheckinSchedule))).all() == []


async def test_a_prompt_channel_that_is_gone_is_reported_to_the_owner_once(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await set_up_prompt(community, time="19:00")).wait_for_response()
    community.guild.delete_channel(community.checkins)
    clock.at = utc(2026, 11, 10, 19, 0)
    await run_job(bot, MOMENT)
    notice = await community.emu.wait_for_dm(community.organiser)
    assert "could not be posted" in notice.content
    refused = await community.emu.wait_for_request(
        "POST", POST_MESSAGE, where=lambda request: request.status == 404
    )
    # The outbox tries again ten minutes later: the same day's refusal tells nobody again.
    clock.advance(minutes=10)
    bot.outbox.wake()
    await community.emu.wait_for_request(
        "POST", POST_MESSAGE, where=lambda request: request.status == 404 and request is not refused
    )
    await outbox_settled(bot)
    assert len(community.emu.dms_of(community.organiser)) == 1
