"""Missed meetings feed the check-in feature's warning-sign detector, end to end: a member
who came once and then missed three meetings in a row is nudged once, in words about
meetings, when the detector runs; not again while that run of misses lasts."""

from __future__ import annotations

from cogs.checkins import texts as checkin_texts
from core.bot import RecoveryBot
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import cog_of as checkins_of
from tests.cogs.checkins.e2e_helpers import outbox_settled, set_up_prompt
from tests.cogs.meetings.helpers import Rooms, daily_text_meeting, hold_next_meeting
from tests.fake_clock import FakeClock


async def test_three_missed_meetings_after_coming_regularly_bring_one_nudge_about_meetings(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    # The detector runs only for a server with check-ins set up.
    await (await set_up_prompt(community)).wait_for_response()
    circle = await daily_text_meeting(bot, community, rooms)
    detect = checkins_of(bot).jobs.detect_in

    for _ in range(2):  # alice comes twice: one of her meetings
        await hold_next_meeting(bot, community, clock, circle, [alice, bob])
    for _ in range(2):
        await hold_next_meeting(bot, community, clock, circle, [bob])
    await detect(community.guild.id)
    assert community.emu.dms_of(alice) == []  # two missed: not yet a sign

    await hold_next_meeting(bot, community, clock, circle, [bob])
    await detect(community.guild.id)
    [nudge] = community.emu.dms_of(alice)
    assert nudge.content.startswith(checkin_texts.NUDGE_MISSED_MEETINGS)
    assert "check-in" not in nudge.content.split("\n")[0].casefold()

    # The same run of misses, longer, and the detector again: no second nudge.
    await detect(community.guild.id)
    await hold_next_meeting(bot, community, clock, circle, [bob])
    await detect(community.guild.id)
    await outbox_settled(bot)
    assert community.emu.dms_of(alice) == [nudge]
    assert community.emu.dms_of(bob) == []  # bob came to every one
