"""What a check-in reply says the help button does, and what consent means, is true of this
server: a page is promised only where specialists can be paged, and sharing only where
the specialists' channel exists."""

from __future__ import annotations

import pytest

from cogs.checkins import texts, views
from cogs.checkins.signs import DetectorAlert, Sign
from core import help_offer
from core.bot import RecoveryBot
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in, cog_of
from tests.fake_clock import FakeClock

HARD_DAY = GOOD | {"mood": "1", "craving": "9"}


@pytest.fixture
async def without_specialists(bot_runner: BotRunner, bot: RecoveryBot) -> RecoveryBot:
    await bot_runner.configure(bot, specialists_channel_id=None, specialist_role_id=None)
    return bot


async def test_with_specialists_set_up_a_hard_day_reply_says_the_button_pages_them(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    reply = await (await check_in(community, HARD_DAY)).wait_for_response()
    assert help_offer.BUTTON_PAGES in reply.content
    assert help_offer.BUTTON_LINES not in reply.content
    assert reply.message is not None
    assert views.HELP_NOW_ID in reply.message.custom_ids


async def test_without_specialists_a_hard_day_reply_promises_no_page(
    without_specialists: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    reply = await (await check_in(community, HARD_DAY)).wait_for_response()
    assert help_offer.BUTTON_LINES in reply.content
    assert "pages" not in reply.content
    assert "specialist" not in reply.content


@pytest.mark.parametrize("set_up", [True, False])
async def test_the_i_used_today_reply_promises_a_page_only_where_one_can_go(
    bot_runner: BotRunner,
    bot: RecoveryBot,
    community: Community,
    clock: FakeClock,
    set_up: bool,
) -> None:
    if not set_up:
        await bot_runner.configure(bot, specialists_channel_id=None, specialist_role_id=None)
    reply = await (await check_in(community, GOOD)).wait_for_response()
    assert reply.message is not None
    used = await community.alice.click(reply.message, views.USED_ID)
    answer = (await used.wait_for_response()).content
    expected, absent = (
        (help_offer.BUTTON_PAGES, help_offer.BUTTON_LINES)
        if set_up
        else (help_offer.BUTTON_LINES, help_offer.BUTTON_PAGES)
    )
    assert expected in answer
    assert absent not in answer


@pytest.mark.parametrize("channel_set_up", [True, False])
async def test_consent_says_where_signs_go_and_that_nothing_goes_without_a_channel(
    bot_runner: BotRunner,
    bot: RecoveryBot,
    community: Community,
    channel_set_up: bool,
) -> None:
    if not channel_set_up:
        await bot_runner.configure(bot, specialists_channel_id=None)
    on = await community.alice.run_command(
        "checkin consent", channel=community.checkins, state="on"
    )
    answer = (await on.wait_for_response()).content
    assert answer == (texts.CONSENT_ON if channel_set_up else texts.CONSENT_ON_NO_CHANNEL)
    # What the bot does, never what a person will do.
    assert "reach out" not in answer
    assert "will hear" not in answer


@pytest.mark.parametrize("set_up", [True, False])
async def test_a_warning_sign_nudge_names_a_page_only_where_one_can_go(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community, set_up: bool
) -> None:
    if not set_up:
        await bot_runner.configure(bot, specialists_channel_id=None, specialist_role_id=None)
    alert = DetectorAlert(
        user_id=community.alice.id,
        new=(Sign.MISSED,),
        active=(Sign.MISSED,),
        share_with_specialists=False,
    )
    nudge = cog_of(bot).jobs.nudge_text(community.guild.id, alert)
    assert (help_offer.COMMAND_PAGES in nudge) is set_up
    assert (help_offer.COMMAND_LINES in nudge) is not set_up
