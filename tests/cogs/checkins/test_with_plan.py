"""A hard moment's reply reminds the member of their own plan, whole or pointed to."""

from __future__ import annotations

from cogs.checkins import texts
from cogs.checkins.coping import with_plan
from core.messages import DISCORD_MESSAGE_LIMIT
from core.plans import PlanHighlights

REPLY = "That sounds like a hard day."


def test_without_a_plan_the_reply_is_unchanged() -> None:
    assert with_plan(REPLY, None) == REPLY
    assert with_plan(REPLY, PlanHighlights(emergency=None, supports="Jo", coping=())) == REPLY


def test_the_plans_coping_strategies_and_emergency_part_follow_the_reply() -> None:
    plan = PlanHighlights(
        emergency="Who to call: Jo, 555-0100", supports=None, coping=("Urge surfing", "HALT")
    )
    shown = with_plan(REPLY, plan)
    assert shown.startswith(REPLY)
    assert texts.FROM_YOUR_PLAN.format(strategies="Urge surfing and HALT") in shown
    assert "Who to call: Jo, 555-0100" in shown


def test_a_plan_too_long_for_one_message_is_pointed_to_never_cut() -> None:
    plan = PlanHighlights(emergency="x" * DISCORD_MESSAGE_LIMIT, supports=None, coping=())
    shown = with_plan(REPLY, plan)
    assert shown == f"{REPLY}\n\n{texts.SEE_YOUR_PLAN}"
    assert len(shown) <= DISCORD_MESSAGE_LIMIT
