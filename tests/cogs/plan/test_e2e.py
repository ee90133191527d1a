"""The relapse-prevention plan end to end: the real bot, the emulator, a real database.

Every wait is on the emulator's recorded traffic (an interaction's response, with a
deadline), never on time passing.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from cogs.checkins import texts as checkin_texts
from cogs.helpnow import texts as helpnow_texts
from cogs.plan import texts
from core.bot import RecoveryBot
from core.permissions import NOT_A_SPECIALIST
from db.models import AuditEntry, PlanLook, RecoveryPlan
from fakediscord.driver import InteractionResponse, UserInteraction
from fakediscord.models import Member, Message
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in
from tests.cogs.cope.helpers import copied_where_anyone_can_press
from tests.tcp_proxy import TcpProxy

CALL = "My sponsor Jo, 555-0100"
GO = "The Tuesday meeting"
DO = "Leave, breathe, call Jo"
EMERGENCY = ("emergency_call", "emergency_go", "emergency_do")
# A hard day as the check-in content defines it: craving at or above its threshold.
HARD_DAY = GOOD | {"mood": "3", "craving": "8", "sleep": "6", "note": ""}


async def plan(
    community: Community, who: Member, command: str, **options: object
) -> InteractionResponse:
    it = await who.run_command(f"plan {command}", channel=community.checkins, options=options)
    return await it.wait_for_response()


async def open_form(community: Community, who: Member, part: str) -> UserInteraction:
    return await who.run_command("plan edit", channel=community.checkins, options={"part": part})


async def write(
    community: Community, who: Member, part: str, values: dict[str, str]
) -> InteractionResponse:
    submitted = await who.submit_modal(await open_form(community, who, part), values)
    return await submitted.wait_for_response()


async def write_emergency(community: Community, who: Member, **values: str) -> InteractionResponse:
    return await write(community, who, "emergency", values)


async def help_now(community: Community, who: Member) -> str:
    it = await who.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    # The emulator records a late first answer as a rejection: none means in time.
    assert it.rejections == []
    return reply.content


async def stored(bot: RecoveryBot, community: Community, who: Member) -> RecoveryPlan | None:
    async with bot.db.guild_session(community.guild.id) as session:
        return await session.get(RecoveryPlan, (community.guild.id, who.id))


async def pick(who: Member, message: Message | None, custom_id: str, values: list[str]) -> str:
    assert message is not None
    return (await (await who.select(message, custom_id, values)).wait_for_response()).content


def field_named(components: list[dict[str, Any]], custom_id: str) -> dict[str, Any]:
    """A form's text field, wherever discord.py put it (a row or a label)."""
    for component in components:
        if component.get("custom_id") == custom_id:
            return component
        inner = component.get("components") or (
            [component["component"]] if "component" in component else []
        )
        if inner:
            try:
                return field_named(inner, custom_id)
            except LookupError:
                continue
    raise LookupError(custom_id)


async def prefilled(
    community: Community, who: Member, part: str, columns: tuple[str, ...]
) -> tuple[dict[str, str | None], UserInteraction]:
    """What the part's form opens with, field by field (None for an empty field), and
    the opened interaction, to submit it."""
    opened = await open_form(community, who, part)
    form = await opened.wait_for_response()
    assert form.type == 9
    assert form.modal is not None
    values = {c: field_named(form.modal["components"], c).get("value") for c in columns}
    return values, opened


def on_disk(runner: BotRunner) -> bytes:
    path = Path(str(make_url(runner.database_url).database))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def plan_audit(bot: RecoveryBot, community: Community) -> list[tuple[str, int | None]]:
    async with bot.db.guild_session(community.guild.id) as session:
        rows = (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
    return [(row.action, row.actor_user_id) for row in rows if row.action.startswith("plan.")]


async def looks(bot: RecoveryBot, community: Community) -> list[tuple[int, int]]:
    async with bot.db.guild_session(community.guild.id) as session:
        rows = (await session.scalars(select(PlanLook).order_by(PlanLook.id))).all()
    return [(row.user_id, row.viewer_id) for row in rows]


# --- Writing and showing --------------------------------------------------------------------


async def test_the_emergency_form_opens_empty_and_what_is_saved_is_shown_back_and_encrypted(
    bot: RecoveryBot, community: Community, bot_runner: BotRunner
) -> None:
    before, opened = await prefilled(community, community.alice, "emergency", EMERGENCY)
    assert before == dict.fromkeys(EMERGENCY)
    submitted = await community.alice.submit_modal(
        opened, {"emergency_call": CALL, "emergency_go": GO, "emergency_do": DO}
    )
    saved = await submitted.wait_for_response()
    assert saved.ephemeral
    assert saved.content == texts.SAVED.format(part="Emergency plan")

    shown = await plan(community, community.alice, "show")
    assert shown.ephemeral
    for line in (f"Who to call: {CALL}", f"Where to go: {GO}", f"What to do: {DO}"):
        assert line in shown.content
    assert texts.SHARING_OFF in shown.content
    # Bob has no plan and sees nothing of Alice's.
    assert CALL not in (await plan(community, community.bob, "show")).content

    stored_bytes = on_disk(bot_runner)
    assert b"recovery_plans" in stored_bytes  # the file read is the plan's database
    for words in (CALL, GO, DO):
        assert words.encode() not in stored_bytes


@pytest.mark.parametrize(
    ("part", "column", "heading"),
    [("routine", "routine", "Daily routine"), ("supports", "supports", "Supports")],
)
async def test_a_written_part_round_trips_reopens_filled_and_an_emptied_field_clears_it(
    bot: RecoveryBot, community: Community, part: str, column: str, heading: str
) -> None:
    words = f"{part}: Dana (sponsor) 555-0101\nwalk at 7, meeting on Thursday"
    # Another part written, so that clearing this one leaves a plan to show.
    await write_emergency(community, community.alice, emergency_call=CALL)
    saved = await write(community, community.alice, part, {column: words})
    assert saved.content == texts.SAVED.format(part=heading)
    assert words in (await plan(community, community.alice, "show")).content

    before, opened = await prefilled(community, community.alice, part, (column,))
    assert before == {column: words}
    cleared = await community.alice.submit_modal(opened, {column: ""})
    await cleared.wait_for_response()

    row = await stored(bot, community, community.alice)
    assert row is not None
    assert getattr(row, column) is None
    shown = (await plan(community, community.alice, "show")).content
    assert words not in shown
    assert f"Who to call: {CALL}" in shown
    assert texts.NOT_WRITTEN.format(part=heading) in shown


async def test_a_second_emergency_form_opens_with_what_was_written_and_keeps_each_field_apart(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL, emergency_go=GO)
    before, opened = await prefilled(community, community.alice, "emergency", EMERGENCY)
    assert before == {"emergency_call": CALL, "emergency_go": GO, "emergency_do": None}

    submitted = await community.alice.submit_modal(
        opened, {"emergency_call": CALL, "emergency_go": "", "emergency_do": DO}
    )
    await submitted.wait_for_response()
    row = await stored(bot, community, community.alice)
    assert row is not None
    assert (row.emergency_call, row.emergency_go, row.emergency_do) == (CALL, None, DO)


async def test_a_field_longer_than_its_limit_is_refused_by_name_and_nothing_is_saved(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_go=GO)
    opened = await open_form(community, community.alice, "emergency")
    form = await opened.wait_for_response()
    assert form.modal is not None
    # A client that ignores the form's limit: the bot still refuses, never cuts.
    field_named(form.modal["components"], "emergency_call")["max_length"] = 4000
    submitted = await community.alice.submit_modal(
        opened, {"emergency_call": "x" * 1001, "emergency_go": "somewhere new"}
    )
    reply = await submitted.wait_for_response()
    assert reply.ephemeral
    assert texts.NOT_SAVED in reply.content
    assert f"**{texts.CALL_LABEL}** is 1,001 characters" in reply.content
    # Neither the long field nor the other one changed with it.
    row = await stored(bot, community, community.alice)
    assert row is not None
    assert (row.emergency_call, row.emergency_go) == (None, GO)


# --- Picking from the lists -------------------------------------------------------------------


async def test_coping_strategies_are_picked_from_the_contents_list_and_kept_in_its_order(
    bot: RecoveryBot, community: Community
) -> None:
    menu = await plan(community, community.alice, "edit", part="coping")
    assert menu.ephemeral
    assert menu.message is not None
    custom_id = f"plan:pick:{community.alice.id}:coping_picked"
    component = menu.message.component(custom_id)
    assert component is not None
    assert [o["value"] for o in component["options"]] == [
        s.id for s in bot.content.coping.strategies
    ]
    answer = await pick(community.alice, menu.message, custom_id, ["urge-surfing", "grounding"])
    assert answer == texts.PICKED_SAVED

    shown = await plan(community, community.alice, "show")
    # In the content's order, by their names.
    assert shown.content.index("• 5-4-3-2-1 grounding") < shown.content.index("• Urge surfing")
    highlights = bot.plans.highlights(community.guild.id, community.alice.id)
    assert highlights is not None
    assert highlights.coping == ("5-4-3-2-1 grounding", "Urge surfing")

    # A fresh menu shows what was picked as picked.
    again = await plan(community, community.alice, "edit", part="coping")
    assert again.message is not None
    options = (again.message.component(custom_id) or {})["options"]
    assert sorted(o["value"] for o in options if o.get("default")) == ["grounding", "urge-surfing"]


async def test_write_my_own_opens_the_coping_form_and_its_words_join_the_plan(
    bot: RecoveryBot, community: Community
) -> None:
    menu = await plan(community, community.alice, "edit", part="coping")
    assert menu.message is not None
    opened = await community.alice.click(menu.message, f"plan:write:{community.alice.id}:coping")
    form = await opened.wait_for_response()
    assert form.type == 9
    assert form.modal is not None
    assert form.modal["custom_id"] == "plan:form:coping"

    own = "Play the guitar for ten minutes"
    saved = await (
        await community.alice.submit_modal(opened, {"coping_own": own})
    ).wait_for_response()
    assert saved.content == texts.SAVED.format(part="Coping strategies")
    shown = (await plan(community, community.alice, "show")).content
    assert f"{texts.OWN_HEADER}\n{own}" in shown
    highlights = bot.plans.highlights(community.guild.id, community.alice.id)
    assert highlights is not None
    assert highlights.coping == (own,)


async def test_a_menu_pressed_by_another_member_is_refused_and_changes_nothing(
    bot: RecoveryBot, community: Community
) -> None:
    menu = await plan(community, community.alice, "edit", part="coping")
    await pick(
        community.alice, menu.message, f"plan:pick:{community.alice.id}:coping_picked", ["halt"]
    )
    # Alice's menu replayed where bob can press it (a client replaying a custom_id).
    copy = copied_where_anyone_can_press(community, menu.message)

    refused = await pick(
        community.bob, copy, f"plan:pick:{community.alice.id}:coping_picked", ["delay"]
    )
    assert refused == texts.NOT_YOURS
    button = await (
        await community.bob.click(copy, f"plan:write:{community.alice.id}:coping")
    ).wait_for_response()
    assert button.type != 9  # no form of alice's opened for bob
    assert button.content == texts.NOT_YOURS

    alices = await stored(bot, community, community.alice)
    assert alices is not None
    assert alices.coping_picked == "halt"
    assert await stored(bot, community, community.bob) is None


async def test_warning_signs_and_triggers_are_two_menus_and_each_pick_is_saved(
    bot: RecoveryBot, community: Community
) -> None:
    menu = await plan(community, community.alice, "edit", part="signs")
    assert menu.message is not None
    signs_id = f"plan:pick:{community.alice.id}:signs_picked"
    triggers_id = f"plan:pick:{community.alice.id}:triggers_picked"
    for custom_id, listed in (
        (signs_id, bot.content.coping.plan.warning_signs),
        (triggers_id, bot.content.checkins.triggers),
    ):
        component = menu.message.component(custom_id)
        assert component is not None
        assert [o["value"] for o in component["options"]] == listed

    sign = bot.content.coping.plan.warning_signs[2]
    trigger = bot.content.checkins.triggers[1]
    assert await pick(community.alice, menu.message, signs_id, [sign]) == texts.PICKED_SAVED
    assert await pick(community.alice, menu.message, triggers_id, [trigger]) == texts.PICKED_SAVED

    row = await stored(bot, community, community.alice)
    assert row is not None
    assert (row.signs_picked, row.triggers_picked) == (sign, trigger)
    shown = (await plan(community, community.alice, "show")).content
    assert f"{texts.SIGNS_HEADER}\n• {sign}" in shown
    assert f"{texts.TRIGGERS_HEADER}\n• {trigger}" in shown


# --- Sharing with the peer specialists ----------------------------------------------------------


async def test_a_specialist_reads_a_plan_only_after_the_member_shared_it_and_each_read_is_recorded(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)
    alice = community.alice.name  # no nickname in the sandbox: shown by username

    refused = await plan(community, community.sam, "view", member=community.alice)
    assert refused.ephemeral
    assert refused.content == texts.NOT_SHARED.format(member=alice)
    assert await looks(bot, community) == []

    shared = await plan(community, community.alice, "share", share="on")
    assert shared.content == texts.SHARED_NOW
    read = await plan(community, community.sam, "view", member=community.alice)
    assert read.ephemeral
    assert f"Who to call: {CALL}" in read.content
    assert texts.VIEW_FOOTER.format(member=alice) in read.content
    assert await looks(bot, community) == [(community.alice.id, community.sam.id)]

    shown = await plan(community, community.alice, "show")
    assert "Read by peer specialists 1 time; the latest:" in shown.content
    assert f"<@{community.sam.id}>" in shown.content

    await plan(community, community.alice, "share", share="off")
    again = await plan(community, community.sam, "view", member=community.alice)
    assert again.content == texts.NOT_SHARED.format(member=alice)
    assert await looks(bot, community) == [(community.alice.id, community.sam.id)]


async def test_a_member_who_is_not_a_specialist_cannot_read_a_shared_plan(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)
    await plan(community, community.alice, "share", share="on")

    refused = await plan(community, community.bob, "view", member=community.alice)

    assert refused.ephemeral
    assert NOT_A_SPECIALIST in refused.content
    assert CALL not in refused.content
    assert await looks(bot, community) == []


async def test_giving_and_withdrawing_consent_are_audit_lines_with_the_member_as_actor(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)
    await plan(community, community.alice, "share", share="on")
    already = await plan(community, community.alice, "share", share="on")
    assert already.content == texts.ALREADY_SHARED
    await plan(community, community.sam, "view", member=community.alice)
    unshared = await plan(community, community.alice, "share", share="off")
    assert unshared.content == texts.UNSHARED_NOW

    # Asking twice is one consent; the read is the specialist's line.
    assert await plan_audit(bot, community) == [
        ("plan.shared", community.alice.id),
        ("plan.viewed", community.sam.id),
        ("plan.unshared", community.alice.id),
    ]


# --- Where the plan shows up ----------------------------------------------------------------------


async def test_the_emergency_part_appears_in_the_help_now_reply(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL, emergency_do=DO)
    reply = await help_now(community, community.alice)
    assert helpnow_texts.YOUR_PLAN.format(plan=f"Who to call: {CALL}\nWhat to do: {DO}") in reply
    # Only the member's own plan: Bob's reply has none.
    bobs = await help_now(community, community.bob)
    assert CALL not in bobs
    assert "Your emergency plan" not in bobs


async def test_a_hard_day_check_in_reply_shows_the_plans_coping_picks_and_emergency_part(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)
    menu = await plan(community, community.alice, "edit", part="coping")
    await pick(
        community.alice,
        menu.message,
        f"plan:pick:{community.alice.id}:coping_picked",
        ["urge-surfing", "halt"],
    )

    reply = (await (await check_in(community, HARD_DAY)).wait_for_response()).content

    assert checkin_texts.FROM_YOUR_PLAN.format(strategies="Urge surfing and HALT") in reply
    assert checkin_texts.YOUR_EMERGENCY_PLAN.format(plan=f"Who to call: {CALL}") in reply
    # Bob's hard day has no plan to show.
    bobs = (await (await check_in(community, HARD_DAY, "bob")).wait_for_response()).content
    assert CALL not in bobs
    assert "What your plan says" not in bobs


async def test_the_plan_is_in_memory_again_after_a_restart_and_gone_after_an_erasure(
    bot: RecoveryBot, community: Community, bot_runner: BotRunner
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)
    await write_emergency(community, community.bob, emergency_call="Bob's brother")
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    assert f"Who to call: {CALL}" in await help_now(community, community.alice)

    await restarted.member_data.erase(restarted.db, community.guild.id, community.alice.id)

    assert restarted.plans.highlights(community.guild.id, community.alice.id) is None
    assert CALL not in await help_now(community, community.alice)
    # Bob's plan is his, and stays.
    assert "Who to call: Bob's brother" in await help_now(community, community.bob)


@pytest.mark.postgres
async def test_with_the_database_unreachable_help_now_still_shows_the_emergency_plan_in_time(
    community: Community, tmp_path: Path, postgres_url: str
) -> None:
    upstream = make_url(postgres_url)
    proxy = TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    through_proxy = upstream.set(port=proxy.port).render_as_string(hide_password=False)
    runner = BotRunner(community, through_proxy, tmp_path / "data")
    bot = await runner.start()
    try:
        await runner.configure(bot)
        await write_emergency(community, community.alice, emergency_call=CALL)
        await proxy.cut()
        reply = await help_now(community, community.alice)  # in time: no rejection
        assert "988" in reply
        assert f"Who to call: {CALL}" in reply
    finally:
        await proxy.restore()
        await runner.stop_all()
        await proxy.stop()
