"""The relapse-prevention plan end to end: the real bot, the emulator, a real database."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from cogs.plan import texts
from core.bot import RecoveryBot
from db.engine import Database, create_engine
from db.models import AuditEntry, PlanLook, RecoveryPlan
from fakediscord.driver import InteractionResponse
from fakediscord.models import Member
from sandbox.community import BotRunner, Community
from tests.tcp_proxy import TcpProxy

CALL = "My sponsor Jo, 555-0100"
GO = "The Tuesday meeting"
DO = "Leave, breathe, call Jo"


async def plan(
    community: Community, who: Member, command: str, **options: object
) -> InteractionResponse:
    it = await who.run_command(f"plan {command}", channel=community.checkins, options=options)
    return await it.wait_for_response()


async def write_emergency(community: Community, who: Member, **values: str) -> InteractionResponse:
    opened = await who.run_command(
        "plan edit", channel=community.checkins, options={"part": "emergency"}
    )
    submitted = await who.submit_modal(opened, values)
    return await submitted.wait_for_response()


async def help_now(community: Community, who: Member) -> str:
    it = await who.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert it.rejections == []
    return reply.content


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


def on_disk(runner: BotRunner) -> bytes:
    path = Path(str(make_url(runner.database_url).database))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


async def test_a_plan_saved_through_the_form_is_shown_back_privately_and_encrypted_at_rest(
    bot: RecoveryBot, community: Community, bot_runner: BotRunner
) -> None:
    saved = await write_emergency(
        community, community.alice, emergency_call=CALL, emergency_go=GO, emergency_do=DO
    )
    assert saved.ephemeral
    assert saved.content == texts.SAVED.format(part="Emergency plan")

    shown = await plan(community, community.alice, "show")
    assert shown.ephemeral
    for line in (f"Who to call: {CALL}", f"Where to go: {GO}", f"What to do: {DO}"):
        assert line in shown.content
    assert texts.SHARING_OFF in shown.content
    # Bob has no plan and sees nothing of Alice's.
    assert CALL not in (await plan(community, community.bob, "show")).content

    stored = on_disk(bot_runner)
    assert stored  # the database file was read
    for words in (CALL, GO, DO):
        assert words.encode() not in stored


async def test_the_emergency_part_appears_in_the_help_now_reply(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)
    reply = await help_now(community, community.alice)
    assert "Your emergency plan" in reply
    assert f"Who to call: {CALL}" in reply
    # Only the member's own plan: Bob's reply has none.
    assert CALL not in await help_now(community, community.bob)


async def test_a_second_form_opens_with_what_was_written_and_an_empty_field_clears_it(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL, emergency_go=GO)
    opened = await community.alice.run_command(
        "plan edit", channel=community.checkins, options={"part": "emergency"}
    )
    form = await opened.wait_for_response()
    assert CALL in str(form.modal)
    assert GO in str(form.modal)
    submitted = await community.alice.submit_modal(
        opened, {"emergency_call": CALL, "emergency_go": ""}
    )
    await submitted.wait_for_response()
    async with bot.db.guild_session(community.guild.id) as session:
        row = await session.get(RecoveryPlan, (community.guild.id, community.alice.id))
    assert row is not None
    assert (row.emergency_call, row.emergency_go) == (CALL, None)


async def test_a_specialist_reads_a_plan_only_after_the_member_shared_it_and_each_read_is_recorded(
    bot: RecoveryBot, community: Community
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)

    refused = await plan(community, community.sam, "view", member=community.alice)
    assert refused.ephemeral
    assert CALL not in refused.content
    assert "hasn't shared" in refused.content

    shared = await plan(community, community.alice, "share", share="on")
    assert shared.content == texts.SHARED_NOW
    read = await plan(community, community.sam, "view", member=community.alice)
    assert read.ephemeral
    assert f"Who to call: {CALL}" in read.content

    # Bob is not a peer specialist: refused, and no read recorded for him.
    not_allowed = await plan(community, community.bob, "view", member=community.alice)
    assert CALL not in not_allowed.content

    async with bot.db.guild_session(community.guild.id) as session:
        looks = (await session.scalars(select(PlanLook))).all()
        actions = [
            (a.action, a.actor_user_id)
            for a in (await session.scalars(select(AuditEntry).order_by(AuditEntry.id))).all()
            if a.action.startswith("plan.")
        ]
    assert [(look.user_id, look.viewer_id) for look in looks] == [
        (community.alice.id, community.sam.id)
    ]
    assert actions == [
        ("plan.shared", community.alice.id),
        ("plan.viewed", community.sam.id),
    ]
    shown = await plan(community, community.alice, "show")
    assert "Read by peer specialists 1 time" in shown.content
    assert f"<@{community.sam.id}>" in shown.content

    await plan(community, community.alice, "share", share="off")
    again = await plan(community, community.sam, "view", member=community.alice)
    assert CALL not in again.content


async def test_a_field_longer_than_its_limit_is_refused_whole_and_nothing_is_saved(
    bot: RecoveryBot, community: Community
) -> None:
    opened = await community.alice.run_command(
        "plan edit", channel=community.checkins, options={"part": "emergency"}
    )
    form = await opened.wait_for_response()
    assert form.modal is not None
    # A client that ignores the form's limit: the bot still refuses, never cuts.
    field_named(form.modal["components"], "emergency_call")["max_length"] = 4000
    submitted = await community.alice.submit_modal(opened, {"emergency_call": "x" * 1001})
    reply = await submitted.wait_for_response()
    assert "Nothing was saved" in reply.content
    assert "1,001 characters" in reply.content
    async with bot.db.guild_session(community.guild.id) as session:
        assert await session.get(RecoveryPlan, (community.guild.id, community.alice.id)) is None


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
    picked = await (
        await community.alice.select(menu.message, custom_id, ["urge-surfing", "grounding"])
    ).wait_for_response()
    assert picked.content == texts.PICKED_SAVED
    shown = await plan(community, community.alice, "show")
    # In the content's order, by their names.
    assert shown.content.index("• 5-4-3-2-1 grounding") < shown.content.index("• Urge surfing")
    # What a hard moment shows: the member's own strategies.
    highlights = bot.plans.highlights(community.guild.id, community.alice.id)
    assert highlights is not None
    assert highlights.coping == ("5-4-3-2-1 grounding", "Urge surfing")


async def test_the_plan_is_in_memory_again_after_a_restart_and_gone_after_an_erasure(
    bot: RecoveryBot, community: Community, bot_runner: BotRunner
) -> None:
    await write_emergency(community, community.alice, emergency_call=CALL)
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    assert f"Who to call: {CALL}" in await help_now(community, community.alice)

    await restarted.member_data.erase(restarted.db, community.guild.id, community.alice.id)
    assert restarted.plans.highlights(community.guild.id, community.alice.id) is None
    assert CALL not in await help_now(community, community.bob)


@pytest.mark.postgres
async def test_with_the_database_unreachable_help_now_still_shows_the_emergency_plan(
    community: Community, tmp_path: Path, postgres_url: str
) -> None:
    upstream = make_url(postgres_url)
    proxy = TcpProxy(upstream.host or "127.0.0.1", upstream.port or 5432)
    await proxy.start()
    through_proxy = upstream.set(port=proxy.port).render_as_string(hide_password=False)
    runner = BotRunner(community, through_proxy, tmp_path / "data")
    bot = await runner.start()
    direct = Database(create_engine(postgres_url, cipher=bot.cipher))
    try:
        await runner.configure(bot)
        await write_emergency(community, community.alice, emergency_call=CALL)
        await proxy.cut()
        it = await community.alice.run_command("help-now", channel=community.checkins)
        reply = await it.wait_for_response()
        # Answered inside Discord's window (the emulator refuses a late answer).
        assert it.rejections == []
        assert "988" in reply.content
        assert f"Who to call: {CALL}" in reply.content
    finally:
        await proxy.restore()
        await runner.stop_all()
        await direct.dispose()
        await proxy.stop()
