"""Sober-day counters end to end: the real bot, the emulator's Discord rules, a real database.

The bot's clock is one the test moves; the milestone job is run the way the scheduler runs
it (`run_milestones`, which then waits for the outbox to send what it queued), so no test
waits for real time to pass.
"""

from __future__ import annotations

import logging
from datetime import date

import pytest
from sqlalchemy import select

from cogs.checkins import views as checkin_views
from cogs.sober import texts
from core import help_offer
from core.bot import RecoveryBot
from db.models import SoberCounter, SoberRun
from fakediscord.driver import InteractionResponse
from fakediscord.models import Member, Message
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in, outbox_settled
from tests.cogs.checkins.helpers import utc
from tests.cogs.sober.helpers import hold_clock, run_milestones, sober_rows
from tests.fake_clock import FakeClock

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
# The clock fixture's day: Tuesday 10 November 2026, 18:00 UTC.
TODAY = date(2026, 11, 10)
POST_MESSAGE = ("POST", "/channels/{channel_id}/messages")


@pytest.fixture
def clock(bot: RecoveryBot) -> FakeClock:
    clock = FakeClock(utc(2026, 11, 10, 18, 0))
    hold_clock(bot, clock)
    return clock


# --- Driving the bot ------------------------------------------------------------------------


async def sober(
    community: Community, who: Member, command: str, **options: object
) -> InteractionResponse:
    """/sober <command> as `who`; the bot's first answer."""
    it = await who.run_command(f"sober {command}", channel=community.checkins, options=options)
    return await it.wait_for_response()


async def press(who: Member, message: Message | None, custom_id: str) -> InteractionResponse:
    assert message is not None
    return await (await who.click(message, custom_id)).wait_for_response()


def button(message: Message | None, prefix: str) -> str:
    """The custom_id of the one button on `message` whose id starts with `prefix`."""
    assert message is not None
    [found] = [custom_id for custom_id in message.custom_ids if custom_id.startswith(prefix)]
    return found


# --- Reading what happened ------------------------------------------------------------------


async def counters(bot: RecoveryBot, community: Community) -> list[SoberCounter]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list((await session.scalars(select(SoberCounter).order_by(SoberCounter.id))).all())


async def runs(bot: RecoveryBot, community: Community) -> list[SoberRun]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list((await session.scalars(select(SoberRun).order_by(SoberRun.id))).all())


def posted(community: Community) -> list[Message]:
    """Everything the bot posted that anyone but the person acting could see."""
    return [
        message
        for message in community.emu.messages.values()
        if message.author.bot and not message.ephemeral
    ]


def posted_in_channels(community: Community) -> list[Message]:
    return [message for message in posted(community) if not message.channel.is_dm]


# --- Starting and showing -------------------------------------------------------------------


async def test_start_and_show_answer_privately_with_the_days_money_and_next_milestone(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    started = await sober(
        community,
        community.alice,
        "start",
        substance=" Alcohol ",
        since="2026-11-07",
        daily_cost="12.50",
    )
    assert started.ephemeral
    assert "**Alcohol**" in started.content
    assert "7 November 2026" in started.content
    assert "3 days" in started.content
    assert "7 days, on 14 November 2026" in started.content

    shown = await sober(community, community.alice, "show")
    assert shown.ephemeral
    assert "**Alcohol**: 3 days, since 7 November 2026" in shown.content
    assert "37.50" in shown.content  # three days at 12.50
    # Bob sees nothing of Alice's, and nothing was posted anywhere.
    empty = await sober(community, community.bob, "show")
    assert empty.content == texts.SHOW_EMPTY
    assert posted(community) == []
    [row] = await counters(bot, community)
    assert (row.user_id, row.substance, row.since, row.daily_cost_cents) == (
        community.alice.id,
        "Alcohol",
        date(2026, 11, 7),
        1250,
    )


async def test_substances_are_suggested_from_the_list_and_from_the_members_own_counters(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    listed = await community.alice.autocomplete(
        "sober start", focused="substance", value="co", channel=community.checkins
    )
    assert [choice["value"] for choice in listed] == ["cocaine", "alcohol", "nicotine"]
    await sober(community, community.alice, "start", substance="my phone at night")
    mine = await community.alice.autocomplete(
        "sober reset", focused="substance", value="", channel=community.checkins
    )
    assert [choice["value"] for choice in mine] == ["my phone at night"]
    bobs = await community.bob.autocomplete(
        "sober delete", focused="substance", value="", channel=community.checkins
    )
    assert bobs == []


# --- Bad input ------------------------------------------------------------------------------


BAD_INPUT = [
    pytest.param(
        "start",
        {"substance": "cannabis", "since": "2026-11-11"},
        texts.DAY_IN_THE_FUTURE,
        id="future date",
    ),
    pytest.param(
        "start",
        {"substance": "cannabis", "since": "1926-11-09"},
        texts.DAY_TOO_LONG_AGO,
        id="101 years back",
    ),
    pytest.param(
        "start",
        {"substance": "cannabis", "since": "last spring"},
        texts.UNREADABLE_DAY.format(text="last spring"),
        id="unparseable date",
    ),
    pytest.param(
        "start",
        {"substance": "cannabis", "daily_cost": "a lot"},
        texts.UNREADABLE_COST.format(text="a lot"),
        id="unreadable cost",
    ),
    pytest.param(
        "start",
        {"substance": "ALCOHOL "},
        texts.ALREADY_COUNTING.format(substance="alcohol"),
        id="second counter for one substance",
    ),
    pytest.param(
        "reset",
        {"substance": "nicotine"},
        texts.NO_SUCH_COUNTER.format(substance="nicotine"),
        id="unknown substance for reset",
    ),
    pytest.param(
        "reset",
        {"substance": "alcohol", "on": "2026-12-01"},
        texts.DAY_IN_THE_FUTURE,
        id="reset in the future",
    ),
    pytest.param(
        "delete",
        {"substance": "nicotine"},
        texts.NO_SUCH_COUNTER.format(substance="nicotine"),
        id="unknown substance for delete",
    ),
    pytest.param(
        "history",
        {"substance": "nicotine"},
        texts.NO_SUCH_COUNTER.format(substance="nicotine"),
        id="unknown substance for history",
    ),
]


@pytest.mark.parametrize(("command", "options", "refusal"), BAD_INPUT)
async def test_each_bad_input_gets_a_clear_private_message_and_changes_nothing(
    bot: RecoveryBot,
    community: Community,
    clock: FakeClock,
    command: str,
    options: dict[str, object],
    refusal: str,
) -> None:
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    before = await sober_rows(bot.db)
    it = await community.alice.run_command(
        f"sober {command}", channel=community.checkins, options=options
    )
    reply = await it.wait_for_reply()
    assert reply.ephemeral
    assert reply.content == refusal
    assert reply.custom_ids == []  # nothing to confirm
    assert await sober_rows(bot.db) == before
    assert posted(community) == []


# --- Resetting ------------------------------------------------------------------------------


async def test_a_reset_is_confirmed_keeps_the_history_posts_nothing_and_offers_support(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await sober(community, community.alice, "share", state="on")
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    asked = await sober(community, community.alice, "reset", substance="alcohol")
    assert asked.ephemeral
    assert "again from 10 November 2026" in asked.content
    assert [row.since for row in await counters(bot, community)] == [date(2026, 11, 1)]

    welcome = await press(community.alice, asked.message, button(asked.message, "sober:reset:"))
    assert "you're welcome here" in welcome.content
    assert "Urge surfing" in welcome.content  # coping ideas
    assert welcome.message is not None
    assert welcome.message.ephemeral
    assert welcome.message.custom_ids == [checkin_views.HELP_NOW_ID]  # and nothing to press twice
    assert [row.since for row in await counters(bot, community)] == [TODAY]
    assert [(run.started_on, run.ended_on) for run in await runs(bot, community)] == [
        (date(2026, 11, 1), TODAY)
    ]
    assert posted_in_channels(community) == []
    assert posted(community) == []  # no DM about it either

    # The /help-now button is the /help-now feature's own.
    helped = await press(community.alice, welcome.message, checkin_views.HELP_NOW_ID)
    assert "988" in helped.content

    # The history keeps both runs, as a private picture.
    it = await community.alice.run_command("sober history", channel=community.checkins)
    chart = await it.wait_for_followup()
    assert chart.ephemeral
    [attachment] = chart.attachments
    assert attachment.data.startswith(PNG_SIGNATURE)


async def test_not_now_leaves_the_counter_as_it_was(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    before = await sober_rows(bot.db)
    asked = await sober(community, community.alice, "reset", substance="alcohol", on="yesterday")
    assert "again from 9 November 2026" in asked.content
    answer = await press(community.alice, asked.message, button(asked.message, "sober:keep:"))
    assert answer.content == texts.KEPT
    assert await sober_rows(bot.db) == before


async def test_a_confirmation_pressed_by_someone_else_is_refused_and_changes_nothing(
    bot: RecoveryBot, community: Community, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    # Our own log lines, at every level the operator's log may show them.
    for ours in ("cogs", "core"):
        caplog.set_level(logging.DEBUG, logger=ours)
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    before = await sober_rows(bot.db)
    for command, options in (("reset", {"on": "2026-11-03"}), ("delete", {})):
        asked = await sober(community, community.alice, command, substance="alcohol", **options)
        assert asked.message is not None
        # Alice's buttons where Bob can press them (a client that replays a custom_id).
        copy = community.emu.post_message(
            community.checkins,
            community.app.bot_user,
            {"content": "copied", "components": asked.message.components},
        )
        for custom_id in copy.custom_ids:
            refused = await press(community.bob, copy, custom_id)
            assert refused.ephemeral
            assert refused.content == texts.NOT_YOURS
    assert await sober_rows(bot.db) == before
    # The refusals are logged with ids only: neither what she counts nor the day she chose.
    assert "Interaction refused" in caplog.text
    assert "alcohol" not in caplog.text
    assert "2026-11-03" not in caplog.text


async def test_a_confirmation_pressed_after_midnight_starts_again_from_the_day_it_named(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    clock.at = utc(2026, 11, 10, 23, 50)
    asked = await sober(community, community.alice, "reset", substance="alcohol", on="yesterday")
    assert "again from 9 November 2026" in asked.content
    clock.at = utc(2026, 11, 11, 0, 10)
    welcome = await press(community.alice, asked.message, button(asked.message, "sober:reset:"))
    assert "starts again from 9 November 2026" in welcome.content
    assert [row.since for row in await counters(bot, community)] == [date(2026, 11, 9)]


# --- Deleting -------------------------------------------------------------------------------


async def test_delete_removes_the_counter_and_its_history_after_a_confirmation(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    asked = await sober(community, community.alice, "reset", substance="alcohol")
    await press(community.alice, asked.message, button(asked.message, "sober:reset:"))
    await sober(community, community.bob, "start", substance="alcohol")

    asked = await sober(community, community.alice, "delete", substance="Alcohol")
    assert asked.ephemeral
    assert "can't be undone" in asked.content
    assert len(await counters(bot, community)) == 2  # nothing gone before the yes
    done = await press(community.alice, asked.message, button(asked.message, "sober:delete:"))
    assert done.content == texts.DELETED.format(substance="alcohol")
    assert [row.user_id for row in await counters(bot, community)] == [community.bob.id]
    assert await runs(bot, community) == []


# --- Milestones -----------------------------------------------------------------------------


async def test_a_milestone_at_local_midnight_is_sent_once_by_dm_and_not_posted_unless_shared(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await sober(community, community.alice, "start", substance="alcohol")
    clock.at = utc(2026, 11, 10, 23, 59)
    await run_milestones(bot)
    assert emu.dms_of(community.alice) == []

    clock.at = utc(2026, 11, 11, 0, 0)  # her first midnight (the group's zone is UTC)
    await run_milestones(bot)
    await run_milestones(bot)  # a doubled run sends nothing more
    [congratulation] = emu.dms_of(community.alice)
    assert "**1 day** without alcohol" in congratulation.content
    assert emu.messages_in(community.milestones) == []


async def test_a_shared_milestone_is_posted_naming_the_member_but_not_what_they_count(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    shared = await sober(community, community.alice, "share", state="on")
    assert shared.content == texts.SHARE_ON
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-04")
    await sober(community, community.bob, "start", substance="alcohol", since="2026-11-04")

    clock.at = utc(2026, 11, 11, 0, 1)  # a week for both
    await run_milestones(bot)
    [post] = emu.messages_in(community.milestones)
    assert community.alice.mention in post.content
    assert "7 days" in post.content
    assert "alcohol" not in post.content.lower()
    assert community.bob.mention not in post.content  # Bob did not choose to share
    assert "7 days" in emu.dms_of(community.bob)[0].content
    assert "7 days" in emu.dms_of(community.alice)[0].content


async def test_a_restart_spanning_midnight_sends_the_milestone_once(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await sober(community, community.alice, "start", substance="alcohol")
    clock.at = utc(2026, 11, 10, 23, 50)
    await run_milestones(bot)
    await bot_runner.stop(bot)

    clock.at = utc(2026, 11, 11, 0, 20)  # midnight passed while the bot was down
    restarted = hold_clock(await bot_runner.start(), clock)
    await run_milestones(restarted)
    await run_milestones(restarted)
    await bot_runner.stop(restarted)
    again = hold_clock(await bot_runner.start(), clock)
    await run_milestones(again)
    [congratulation] = emu.dms_of(community.alice)
    assert "**1 day**" in congratulation.content


@pytest.mark.parametrize("change", ["delete", "reset"])
async def test_a_milestone_still_queued_is_never_sent_once_its_counter_is_deleted_or_reset(
    bot: RecoveryBot, community: Community, clock: FakeClock, change: str
) -> None:
    emu, alice, bob = community.emu, community.alice, community.bob
    for who in (alice, bob):
        await sober(community, who, "share", state="on")
        await sober(community, who, "start", substance="alcohol", since="2026-11-04")
    await sober(community, alice, "start", substance="nicotine", since="2026-11-04")
    # Discord refuses messages for a while: the week's congratulations stay queued.
    emu.faults.fail(*POST_MESSAGE, status=503, times=None)
    clock.at = utc(2026, 11, 11, 0, 1)  # a week for all three counters: a DM and a post each
    await run_milestones(bot)
    assert emu.dms_of(alice) == emu.dms_of(bob) == []
    assert emu.messages_in(community.milestones) == []

    # She restarts (or deletes) her count of alcohol while its week is still waiting.
    asked = await sober(community, alice, change, substance="alcohol")
    done = await press(alice, asked.message, button(asked.message, f"sober:{change}:"))
    assert done.content
    emu.faults.clear()
    clock.advance(minutes=5)
    bot.outbox.wake()
    for _ in range(2):
        await emu.wait_for_message(channel=community.milestones, timeout=10)
    for who in (alice, bob):
        await emu.wait_for_dm(who, timeout=10)
    await outbox_settled(bot)

    # Her nicotine week and Bob's alcohol week went out; her alcohol week did not.
    [to_alice] = emu.dms_of(alice)
    assert "without nicotine" in to_alice.content
    [to_bob] = emu.dms_of(bob)
    assert "without alcohol" in to_bob.content
    posts = [post.content for post in emu.messages_in(community.milestones)]
    assert len(posts) == 2
    assert [who for who in (alice, bob) for post in posts if who.mention in post] == [alice, bob]


# --- One time zone for every feature --------------------------------------------------------


async def test_me_timezone_moves_the_day_boundary_of_the_counters(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await sober(community, community.alice, "start", substance="alcohol")
    it = await community.alice.run_command(
        "me timezone", channel=community.checkins, zone="America/Chicago"
    )
    moved = await it.wait_for_response()
    assert moved.ephemeral
    assert "America/Chicago" in moved.content

    clock.at = utc(2026, 11, 11, 0, 30)  # midnight in UTC, 18:30 the day before in Chicago
    await run_milestones(bot)
    assert emu.dms_of(community.alice) == []
    shown = await sober(community, community.alice, "show")
    assert "0 days" in shown.content

    clock.at = utc(2026, 11, 11, 6, 0)  # midnight in Chicago
    await run_milestones(bot)
    [congratulation] = emu.dms_of(community.alice)
    assert "**1 day**" in congratulation.content


async def test_checkin_timezone_is_the_same_setting_and_moves_the_counters_too(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    await sober(community, community.alice, "start", substance="alcohol")
    it = await community.alice.run_command(
        "checkin timezone", channel=community.checkins, zone="Asia/Tokyo"
    )
    await it.wait_for_response()
    clock.at = utc(2026, 11, 10, 23, 0)  # 08:00 on 11 November in Tokyo (UTC+9)
    await run_milestones(bot)
    [congratulation] = emu.dms_of(community.alice)
    assert "**1 day**" in congratulation.content
    shown = await sober(community, community.alice, "show")
    assert "1 day, since 10 November 2026" in shown.content


# --- The check-in's "I used today" ----------------------------------------------------------


async def test_i_used_today_offers_to_start_a_count_again_and_the_offer_asks_to_confirm(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    await sober(community, community.alice, "start", substance="nicotine", since="2026-10-01")
    before = await sober_rows(bot.db)
    checked = await (await check_in(community, GOOD)).wait_for_response()
    assert checked.message is not None
    used = await community.alice.click(checked.message, checkin_views.USED_ID)
    welcome = await used.wait_for_response()
    assert "welcome here" in welcome.content
    offer = await used.wait_for_followup()
    assert offer.ephemeral
    offers = [i for i in offer.custom_ids if i.startswith("sober:offer:")]
    assert len(offers) == 2
    labels = [c.get("label") for row in offer.components for c in row.get("components", [])]
    assert any("alcohol" in str(label) for label in labels)
    assert await sober_rows(bot.db) == before  # an offer, never done for her

    [alcohol] = [c.id for c in await counters(bot, community) if c.substance == "alcohol"]
    asked = await press(community.alice, offer, f"sober:offer:{community.alice.id}:{alcohol}")
    assert asked.ephemeral
    assert "Start your count for **alcohol** again from 10 November 2026" in asked.content
    assert await sober_rows(bot.db) == before
    await press(community.alice, asked.message, button(asked.message, "sober:reset:"))
    assert {(c.substance, c.since) for c in await counters(bot, community)} == {
        ("alcohol", TODAY),
        ("nicotine", date(2026, 10, 1)),
    }
    assert posted_in_channels(community) == []


@pytest.mark.parametrize("set_up", [True, False])
async def test_the_welcome_after_a_reset_promises_a_page_only_where_one_can_go(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community, clock: FakeClock, set_up: bool
) -> None:
    if not set_up:
        await bot_runner.configure(bot, specialists_channel_id=None, specialist_role_id=None)
    await sober(community, community.alice, "start", substance="alcohol", since="2026-11-01")
    asked = await sober(community, community.alice, "reset", substance="alcohol")
    welcome = await press(community.alice, asked.message, button(asked.message, "sober:reset:"))
    expected = help_offer.BUTTON_PAGES if set_up else help_offer.BUTTON_LINES
    assert expected in welcome.content
    assert ("pages" in welcome.content) is set_up
