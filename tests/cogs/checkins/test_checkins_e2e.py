"""Daily check-ins end to end: the real bot, the emulator's Discord rules, a real database.

The bot's clock is replaced by one the test moves; scheduled jobs are run the way the
scheduler runs them (`run_job`, which then waits for the outbox to send what they queued),
so no test waits for real time to pass.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from datetime import timedelta
from pathlib import Path
from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.engine import make_url

from cogs.checkins import texts, views
from cogs.checkins.form import OTHER
from core.bot import RecoveryBot
from db.models import Checkin
from db.models import Member as DbMember
from fakediscord.models import Message
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import (
    GOOD,
    NOTE,
    check_in,
    cog_of,
    outbox_settled,
    run_job,
    set_up_prompt,
    stored,
)
from tests.cogs.checkins.helpers import CHECKINS, utc
from tests.fake_clock import FakeClock

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


async def test_a_submitted_check_in_is_stored_encrypted_and_answered_privately(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, clock: FakeClock
) -> None:
    submitted = await check_in(community, GOOD)
    reply = await submitted.wait_for_response()

    assert reply.ephemeral
    assert "Thank you for checking in" in reply.content
    assert "You checked in today" in reply.content
    assert NOTE not in reply.content
    [row] = await stored(bot, community)
    assert (row.user_id, row.mood, row.craving, row.sleep_hours) == (community.alice.id, 4, 2, 7.0)
    assert row.note == NOTE
    # Nothing public in the channel, and the database file never holds the note.
    assert community.emu.messages_in(community.checkins) == []
    await bot_runner.stop(bot)
    path = Path(str(make_url(bot_runner.database_url).database))
    on_disk = b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))
    assert b"checkins" in on_disk
    assert b"old friend" not in on_disk


async def test_bad_values_are_refused_clearly_and_the_form_opens_again(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    picks = ["Tiredness", "other"]
    submitted = await check_in(community, {**GOOD, "mood": "9", "sleep": "lots", "triggers": picks})
    reply = await submitted.wait_for_response()

    assert reply.ephemeral
    assert "**Mood**" in reply.content
    assert "**Sleep**" in reply.content
    assert "Nothing was saved" in reply.content
    assert await stored(bot, community) == []
    [again_id] = reply.message.custom_ids if reply.message else []
    again = await community.alice.click(reply.message, again_id)  # type: ignore[arg-type]
    form = await again.wait_for_response()
    assert form.type == 9  # the form again, with what she typed
    assert '"9"' in repr(form.modal).replace("'", '"')
    assert picked_in(form.modal) == picks  # and what she picked
    fixed = await community.alice.submit_modal(again, {**GOOD, "mood": "3", "triggers": picks})
    assert "Thank you" in (await fixed.wait_for_response()).content
    assert [(row.mood, row.triggers) for row in await stored(bot, community)] == [(3, picks)]


def trigger_menu(modal: Mapping[str, Any] | None) -> Mapping[str, Any]:
    """The form's triggers menu, as the emulator received it (inside its label)."""
    assert modal is not None
    [label] = [c for c in modal["components"] if c["type"] == 18]
    assert label["component"]["custom_id"] == views.TRIGGERS_FIELD
    return cast(Mapping[str, Any], label)


def picked_in(modal: Mapping[str, Any] | None) -> list[str]:
    return [o["value"] for o in trigger_menu(modal)["component"]["options"] if o.get("default")]


async def test_the_form_lists_every_trigger_by_name_and_nothing_need_be_picked(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    opened = await community.alice.run_command("checkin today", channel=community.checkins)
    label = trigger_menu((await opened.wait_for_response()).modal)
    assert label["label"] == texts.TRIGGERS_LABEL
    menu = label["component"]
    assert [o["label"] for o in menu["options"]] == [*CHECKINS.triggers, texts.OTHER_TRIGGER]
    assert [o["value"] for o in menu["options"]] == [*CHECKINS.triggers, OTHER]
    assert (menu["min_values"], menu["max_values"]) == (0, len(CHECKINS.triggers) + 1)
    assert menu["required"] is False
    assert picked_in({"components": [label]}) == []
    # Picking nothing is a whole check-in; the menu to add triggers comes with the reply.
    reply = await (await community.alice.submit_modal(opened, GOOD)).wait_for_response()
    assert reply.message is not None
    assert views.TRIGGERS_ID in reply.message.custom_ids
    assert [row.triggers for row in await stored(bot, community)] == [[]]


async def test_triggers_picked_in_the_form_are_saved_and_shown_picked_when_it_opens_again(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    picks = ["other", "Loneliness", "Boredom"]
    reply = await (await check_in(community, {**GOOD, "triggers": picks})).wait_for_response()
    assert "Noted for today: Loneliness, Boredom, Other." in reply.content
    assert reply.message is not None
    assert views.TRIGGERS_ID not in reply.message.custom_ids  # nothing left to ask
    assert [row.triggers for row in await stored(bot, community)] == [
        ["Loneliness", "Boredom", "other"]
    ]
    # Editing today's check-in starts from those picks; unpicking one removes it.
    clock.advance(hours=1)
    opened = await community.alice.run_command("checkin today", channel=community.checkins)
    assert picked_in((await opened.wait_for_response()).modal) == ["Loneliness", "Boredom", "other"]
    edited = await community.alice.submit_modal(opened, {**GOOD, "triggers": ["Boredom"]})
    assert "updated" in (await edited.wait_for_response()).content
    assert [row.triggers for row in await stored(bot, community)] == [["Boredom"]]


async def test_when_saving_is_slow_the_reply_is_acknowledged_first_then_sent_privately(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    cog_of(bot).reply_budget = 0  # every save counts as slow
    submitted = await check_in(community, GOOD)
    first = await submitted.wait_for_response()
    assert first.deferred
    reply = await submitted.wait_for_followup(where=lambda m: "Thank you" in m.content)
    assert reply.ephemeral
    assert submitted.rejections == []
    assert [row.mood for row in await stored(bot, community)] == [4]
    # Opening the form does not wait for today's answers either: it opens empty.
    opened = await community.alice.run_command("checkin today", channel=community.checkins)
    form = await opened.wait_for_response()
    assert form.type == 9
    assert NOTE not in repr(form.modal)
    # Its empty note field means "not shown": the note written earlier stays.
    resubmitted = await community.alice.submit_modal(opened, {**GOOD, "note": ""})
    await resubmitted.wait_for_followup(where=lambda m: "Thank" in m.content)
    assert [row.note for row in await stored(bot, community)] == [NOTE]
    cog_of(bot).reply_budget = 2.0
    prefilled = await community.alice.run_command("checkin today", channel=community.checkins)
    assert NOTE in repr((await prefilled.wait_for_response()).modal)


async def test_a_second_check_in_the_same_day_updates_and_streaks_count_days(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await check_in(community, GOOD)).wait_for_response()
    clock.advance(hours=3)
    again = await (await check_in(community, {**GOOD, "mood": "2"})).wait_for_response()
    assert "updated" in again.content
    clock.advance(days=1)
    next_day = await (await check_in(community, GOOD)).wait_for_response()
    assert "2 days in a row" in next_day.content
    assert sorted(row.mood for row in await stored(bot, community)) == [2, 4]


async def test_a_hard_day_gets_coping_ideas_and_the_help_now_button(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    reply = await (await check_in(community, {**GOOD, "craving": "9"})).wait_for_response()
    assert "Urge surfing" in reply.content
    assert reply.message is not None
    assert views.HELP_NOW_ID in reply.message.custom_ids
    # The /help-now feature answers that button, not this one.
    pressed = await community.alice.click(reply.message, views.HELP_NOW_ID)
    crisis = await pressed.wait_for_response()
    assert crisis.ephemeral
    assert "988" in crisis.content
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert community.alice.mention in page.content


async def test_a_member_sets_their_own_time_zone_and_a_wrong_one_is_refused(
    bot: RecoveryBot, community: Community
) -> None:
    wrong = await community.alice.run_command(
        "checkin timezone", channel=community.checkins, zone="Atlantis/Capital"
    )
    assert "isn't a time zone I know" in (await wrong.wait_for_response()).content
    it = await community.alice.run_command(
        "checkin timezone", channel=community.checkins, zone="Pacific/Auckland"
    )
    reply = await it.wait_for_response()
    assert reply.ephemeral
    assert "Pacific/Auckland" in reply.content
    async with bot.db.guild_session(community.guild.id) as session:
        zones = (await session.scalars(select(DbMember.timezone))).all()
    assert zones == ["Pacific/Auckland"]


async def test_an_honest_i_used_today_is_met_with_welcome_and_changes_nothing(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    reply = await (await check_in(community, GOOD)).wait_for_response()
    assert reply.message is not None
    used = await community.alice.click(reply.message, views.USED_ID)
    answer = await used.wait_for_response()
    assert answer.ephemeral
    assert "welcome here" in answer.content
    assert answer.message is not None
    assert views.HELP_NOW_ID in answer.message.custom_ids
    assert [row.mood for row in await stored(bot, community)] == [4]
    assert community.emu.messages_in(community.checkins) == []


async def test_triggers_can_be_picked_from_the_menu_after_checking_in(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    reply = await (await check_in(community, GOOD)).wait_for_response()
    assert reply.message is not None
    picked = await community.alice.select(reply.message, views.TRIGGERS_ID, ["Loneliness", "other"])
    assert "Loneliness" in (await picked.wait_for_response()).content
    assert [row.triggers for row in await stored(bot, community)] == [["Loneliness", "other"]]


async def test_history_is_a_private_png_chart(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    for craving in ("2", "5", "7"):
        await (
            await check_in(community, {**GOOD, "craving": craving, "triggers": ["Loneliness"]})
        ).wait_for_response()
        clock.advance(days=1)
    it = await community.alice.run_command("checkin history", channel=community.checkins, days=7)
    followup = await it.wait_for_followup()
    assert followup.ephemeral
    [attachment] = followup.attachments
    assert attachment.filename.endswith(".png")
    assert attachment.data.startswith(PNG_SIGNATURE)
    assert "3 days in a row" in followup.content
    # Bob has none: a kind line, no chart.
    empty = await community.bob.run_command("checkin history", channel=community.checkins)
    assert "no check-ins" in (await empty.wait_for_followup()).content


async def test_the_prompt_goes_out_at_the_local_time_once_and_its_button_opens_the_form(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    setup = await set_up_prompt(community, time="19:30", zone="America/New_York")
    saved = await setup.wait_for_response()
    assert saved.ephemeral
    assert "19:30 (America/New_York)" in saved.content
    moment = "prompt:19:30:America/New_York:0123456"
    job = bot.scheduler.get_job(cog_of(bot).jobs.scheduled.job_id(moment))
    assert job is not None
    assert job.trigger.get_next_fire_time(None, utc(2026, 11, 10, 18)) == utc(2026, 11, 11, 0, 30)

    clock.at = utc(2026, 11, 11, 0, 30)  # 19:30 in New York
    await run_job(bot, moment)
    await run_job(bot, moment)  # a doubled run sends nothing more
    prompts = community.emu.messages_in(community.checkins)
    assert len(prompts) == 1
    assert views.OPEN_ID in prompts[0].custom_ids

    opened = await community.alice.click(prompts[0], views.OPEN_ID)
    assert (await opened.wait_for_response()).type == 9


async def test_changing_the_settings_reschedules_at_once(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    jobs = cog_of(bot).jobs.scheduled
    await (await set_up_prompt(community, time="19:00")).wait_for_response()
    await (await set_up_prompt(community, time="07:15", days="mon-fri")).wait_for_response()
    assert bot.scheduler.get_job(jobs.job_id("prompt:19:00:UTC:0123456")) is None
    job = bot.scheduler.get_job(jobs.job_id("prompt:07:15:UTC:01234"))
    assert job is not None
    # From Friday evening, the next prompt is Monday 07:15.
    friday = utc(2026, 11, 13, 20)
    assert job.trigger.get_next_fire_time(None, friday) == utc(2026, 11, 16, 7, 15)
    off = await (await set_up_prompt(community, enabled="off")).wait_for_response()
    assert "**off**" in off.content
    assert jobs.keys("prompt") == []


async def test_the_prompt_button_works_after_a_restart_and_a_missed_prompt_is_caught_up_once(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    # The real clock: the prompt time was an hour ago, while the bot was "down".
    now = bot.clock.now()
    earlier = now - timedelta(hours=1)
    await (await set_up_prompt(community, time=earlier.strftime("%H:%M"))).wait_for_response()
    assert community.emu.messages_in(community.checkins) == []

    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    await asyncio.wait_for(_startup_of(restarted), timeout=10)
    prompt = await community.emu.wait_for_message(channel=community.checkins)
    await outbox_settled(restarted)
    opened = await community.alice.click(prompt, views.OPEN_ID)
    assert (await opened.wait_for_response()).type == 9  # handled by the new process

    await bot_runner.stop(restarted)
    again = await bot_runner.start()
    await asyncio.wait_for(_startup_of(again), timeout=10)
    await outbox_settled(again)
    assert len(community.emu.messages_in(community.checkins)) == 1  # never twice


async def test_a_prompt_missed_longer_than_the_grace_period_is_skipped(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    long_ago = bot.clock.now() - timedelta(hours=4)
    await (await set_up_prompt(community, time=long_ago.strftime("%H:%M"))).wait_for_response()
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    await asyncio.wait_for(_startup_of(restarted), timeout=10)
    await outbox_settled(restarted)
    assert community.emu.messages_in(community.checkins) == []


def _startup_of(bot: RecoveryBot) -> asyncio.Task[None]:
    task = cog_of(bot).jobs._startup
    assert task is not None
    return task


async def test_the_detector_nudges_after_missed_days_and_tells_specialists_only_with_consent(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await (await set_up_prompt(community)).wait_for_response()
    consent = await community.alice.run_command(
        "checkin consent", channel=community.checkins, state="on"
    )
    assert (await consent.wait_for_response()).ephemeral
    await (await check_in(community, GOOD, "alice")).wait_for_response()
    await (await check_in(community, GOOD, "bob")).wait_for_response()

    clock.at = utc(2026, 11, 13, 12)  # two days missed: not yet
    await run_job(bot, "detector:UTC")
    assert emu.dms_of(community.alice) == []

    clock.at = utc(2026, 11, 14, 12)  # three days missed
    await run_job(bot, "detector:UTC")
    nudge = await emu.wait_for_dm(community.alice)
    assert "it's been a few days" in nudge.content
    bob_nudge = await emu.wait_for_dm(community.bob)
    assert "/help-now" in bob_nudge.content
    [signal] = emu.messages_in(community.specialists)
    assert community.alice.mention in signal.content
    assert community.bob.mention not in signal.content  # Bob did not agree to share
    assert NOTE not in signal.content

    clock.advance(days=1)
    await run_job(bot, "detector:UTC")  # the same absence: nothing new
    assert len(emu.dms_of(community.alice)) == 1
    assert len(emu.messages_in(community.specialists)) == 1


async def test_one_reminder_goes_to_a_member_who_asked_for_it(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await set_up_prompt(community)).wait_for_response()
    on = await community.alice.run_command(
        "checkin reminders", channel=community.checkins, state="on", hour=20
    )
    assert "20:00" in (await on.wait_for_response()).content
    clock.at = utc(2026, 11, 10, 20, 0)
    await run_job(bot, "reminders")
    await run_job(bot, "reminders")
    reminder = await community.emu.wait_for_dm(community.alice)
    assert "gentle reminder" in reminder.content
    assert len(community.emu.dms_of(community.alice)) == 1
    assert community.emu.dms_of(community.bob) == []


async def test_sharing_posts_that_a_member_checked_in_and_never_the_answers(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await set_up_prompt(community)).wait_for_response()
    share = await community.alice.run_command(
        "checkin share", channel=community.checkins, state="on"
    )
    await share.wait_for_response()
    await (await check_in(community, {**GOOD, "mood": "1"})).wait_for_response()
    line: Message = await community.emu.wait_for_message(channel=community.checkins)
    assert line.content == f"{community.alice.mention} checked in today."
    await (await check_in(community, GOOD)).wait_for_response()  # an update posts nothing
    assert len(community.emu.messages_in(community.checkins)) == 1


async def test_the_group_view_is_for_specialists_and_shows_no_individual(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await (await check_in(community, GOOD, "alice")).wait_for_response()
    await (await check_in(community, GOOD, "bob")).wait_for_response()
    refused = await community.bob.run_command("checkin group", channel=community.checkins)
    answer = await refused.wait_for_response()
    assert answer.ephemeral
    assert "peer specialists" in answer.content
    it = await community.sam.run_command("checkin group", channel=community.checkins)
    followup = await it.wait_for_followup()
    assert followup.ephemeral
    assert "2 different members" in followup.content
    assert "alice" not in followup.content
    assert community.alice.mention not in followup.content
    assert followup.attachments[0].data.startswith(PNG_SIGNATURE)


async def test_checkin_commands_are_registered_with_setup_checkins_under_setup(
    bot: RecoveryBot, community: Community
) -> None:
    names = community.app.command_names()
    assert "checkin" in names
    assert "checkins" not in names  # it lives under /setup
    async with bot.db.guild_session(community.guild.id) as session:
        assert await session.scalar(select(func.count()).select_from(Checkin)) == 0
    choices = await community.organiser.autocomplete(
        "setup checkins", focused="zone", value="new_y", channel=community.checkins
    )
    assert "America/New_York" in [choice["value"] for choice in choices]
