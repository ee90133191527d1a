"""Guided exercises end to end: breathing paced phase by phase and the urge-surfing timer,
each one private message edited at a pace computed in advance, stopped by the member, by
a shutdown, or before the interaction's token stops working."""

from __future__ import annotations

import pytest

from cogs.cope import exercises, texts
from config.content import CopingStrategy
from core.bot import RecoveryBot
from sandbox.community import BotRunner, Community
from tests.cogs.cope.helpers import (
    EDIT_ORIGINAL,
    FakeTime,
    cope_cog,
    copied_where_anyone_can_press,
    edits_of,
    pace_with,
    press,
    run_cope,
    running_tasks,
    wait_for_edit_saying,
    wait_for_edits,
)
from tests.waiting import wait_for


def strategy(bot: RecoveryBot, strategy_id: str) -> CopingStrategy:
    found = bot.content.coping.strategy(strategy_id)
    assert found is not None
    return found


async def no_exercise_running(bot: RecoveryBot) -> None:
    async def idle() -> bool | None:
        return True if not cope_cog(bot).running else None

    await wait_for(idle, within=5, what="no coping exercise running")


@pytest.mark.parametrize("strategy_id", ["breathing", "breathing-478"])
async def test_breathing_edits_its_message_once_per_phase_then_closes_without_buttons(
    bot: RecoveryBot, community: Community, strategy_id: str
) -> None:
    time = FakeTime()
    pace_with(bot, time)
    breathing = strategy(bot, strategy_id)
    it = await run_cope(community, community.alice, strategy=strategy_id)
    reply = await it.wait_for_response()
    assert reply.ephemeral
    first = breathing.phases[0]
    assert f"Round 1 of 4 — {first.say} ({first.seconds} s)" in reply.content
    assert reply.message is not None
    assert reply.message.custom_ids == [f"cope:stop:{community.alice.id}"]

    closing = exercises.guided_frames(breathing)[-1].text
    await wait_for_edit_saying(community, it, closing)
    await no_exercise_running(bot)

    edits = edits_of(community, it)
    assert len(edits) == exercises.paced_edit_count(breathing)
    assert len(edits) == breathing.rounds * len(breathing.phases)
    if strategy_id == "breathing":
        assert len(edits) == 16  # four rounds of four phases
    assert edits[-1].body["content"] == closing
    assert reply.message.content == closing
    assert reply.message.custom_ids == []  # nothing left to press
    # Every phase was held for its own seconds, in order.
    assert time.slept == [
        float(p.seconds) for _ in range(breathing.rounds) for p in breathing.phases
    ]


async def test_the_stop_button_ends_breathing_and_nothing_edits_after_it(
    bot: RecoveryBot, community: Community
) -> None:
    time = FakeTime(held=True)
    pace_with(bot, time)
    it = await run_cope(community, community.alice, strategy="breathing")
    reply = await it.wait_for_response()
    time.allow(3)
    await wait_for_edits(community, it, 3)
    [task] = running_tasks(bot)

    stopped = await press(community.alice, reply.message, f"cope:stop:{community.alice.id}")
    # The exercise had ended before the answer to the press was sent.
    assert task.done()
    assert cope_cog(bot).running == {}
    assert stopped.message is reply.message  # the same message, edited in place
    assert texts.STOPPED in stopped.content
    assert stopped.message is not None
    assert stopped.message.custom_ids == []
    # Time the exercise would have gone on with passes: it edits nothing more.
    time.allow(20)
    assert len(edits_of(community, it)) == 3
    assert time.started_sleeps == 4  # the fourth phase's wait was the one cut short
    assert time.slept == [4.0, 4.0, 4.0]


async def test_a_stop_during_an_edit_lets_that_edit_land_first_so_the_stop_has_the_last_word(
    bot: RecoveryBot, community: Community
) -> None:
    time = FakeTime(held=True)
    pace_with(bot, time)
    it = await run_cope(community, community.alice, strategy="breathing")
    reply = await it.wait_for_response()
    # The next edit is slow to reach Discord, so the Stop comes while it is on its way.
    community.emu.faults.slow(*EDIT_ORIGINAL, delay=0.5, times=1)
    time.allow(1)

    async def edit_in_flight() -> bool | None:
        requests = community.emu.requests_to(*EDIT_ORIGINAL)
        return True if any(it.token in r.path and not r.status for r in requests) else None

    await wait_for(edit_in_flight, within=5, what="an edit on its way")
    stopped = await press(community.alice, reply.message, f"cope:stop:{community.alice.id}")
    [edit] = edits_of(community, it)
    assert "Round 1 of 4 — Hold" in edit.body["content"]
    assert stopped.message is not None
    assert texts.STOPPED in stopped.message.content  # not overwritten by the slow edit
    assert stopped.message.custom_ids == []
    assert cope_cog(bot).running == {}


async def test_a_stop_for_an_exercise_no_longer_running_just_says_it_stopped(
    bot: RecoveryBot, community: Community
) -> None:
    alice = community.alice
    stale = community.emu.post_message(
        community.checkins,
        community.app.bot_user,
        {
            "content": "Round 2 of 4",
            "components": [
                {
                    "type": 1,
                    "components": [
                        {
                            "type": 2,
                            "style": 2,
                            "label": "Stop",
                            "custom_id": f"cope:stop:{alice.id}",
                        }
                    ],
                }
            ],
        },
    )
    stopped = await press(alice, stale, f"cope:stop:{alice.id}")
    assert stopped.content == texts.STOPPED
    assert stale.custom_ids == []


async def test_a_stop_pressed_by_someone_else_is_refused_and_the_exercise_goes_on(
    bot: RecoveryBot, community: Community
) -> None:
    time = FakeTime(held=True)
    pace_with(bot, time)
    it = await run_cope(community, community.alice, strategy="breathing")
    reply = await it.wait_for_response()
    copy = copied_where_anyone_can_press(community, reply.message)

    refused = await press(community.bob, copy, f"cope:stop:{community.alice.id}")
    assert refused.ephemeral
    assert refused.content == texts.NOT_YOURS
    assert copy.content == "copied"  # the pressed message is left as it was
    [task] = running_tasks(bot)
    assert not task.done()
    time.allow(1)
    await wait_for_edits(community, it, 1)
    assert "Round 1 of 4 — Hold" in edits_of(community, it)[0].body["content"]


async def test_urge_surfing_counts_down_once_a_minute_with_the_steps_spread_over_it(
    bot: RecoveryBot, community: Community
) -> None:
    time = FakeTime()
    pace_with(bot, time)
    surfing = strategy(bot, "urge-surfing")
    it = await run_cope(community, community.alice, strategy="urge-surfing")
    reply = await it.wait_for_response()
    assert "10 minutes to go" in reply.content
    assert surfing.steps[0] in reply.content
    assert reply.message is not None
    assert reply.message.custom_ids == [f"cope:stop:{community.alice.id}"]

    await wait_for_edit_saying(community, it, exercises.guided_frames(surfing)[-1].text)
    await no_exercise_running(bot)
    edits = [record.body["content"] for record in edits_of(community, it)]
    assert len(edits) == exercises.timer_edit_count(surfing) == 10
    assert time.slept == [60.0] * 10
    assert "9 minutes to go" in edits[0]
    assert "1 minute to go" in edits[8]
    assert surfing.steps[-1] in edits[8]
    assert texts.TIMER_DONE in edits[9]
    # Every step was shown at some minute, in order.
    shown = [next(i for i, step in enumerate(surfing.steps) if step in e) for e in edits[:9]]
    assert shown == sorted(shown)
    assert set(shown) | {0} == set(range(len(surfing.steps)))


async def test_no_edit_is_made_past_the_tokens_limit(
    bot: RecoveryBot, community: Community
) -> None:
    time = FakeTime()
    # Shrunk from 14½ minutes: room for the first phase and two more, not a third.
    pace_with(bot, time, limit=10.0)
    breathing = strategy(bot, "breathing")
    it = await run_cope(community, community.alice, strategy="breathing")
    await it.wait_for_response()

    ended = exercises.ended_at_limit_text(breathing)
    await wait_for_edit_saying(community, it, ended)
    await no_exercise_running(bot)
    edits = edits_of(community, it)
    assert [record.body["content"] for record in edits][-1] == ended
    assert len(edits) == 3  # phases two and three, then the end, said while it still can
    assert time.slept == [4.0, 4.0]
    assert time.now() <= 10.0  # the last edit came before the limit


async def test_a_shutdown_stops_a_running_exercise_and_says_why(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    time = FakeTime(held=True)
    pace_with(bot, time)
    it = await run_cope(community, community.alice, strategy="breathing-478")
    reply = await it.wait_for_response()
    time.allow(1)
    await wait_for_edits(community, it, 1)
    [task] = running_tasks(bot)

    await bot_runner.stop(bot)
    assert task.done()
    edits = edits_of(community, it)
    assert len(edits) == 2  # one phase, then the one last word
    assert texts.STOPPED_FOR_RESTART in edits[-1].body["content"]
    assert reply.message is not None
    assert texts.STOPPED_FOR_RESTART in reply.message.content
    assert reply.message.custom_ids == []
    time.allow(20)
    assert len(edits_of(community, it)) == 2
