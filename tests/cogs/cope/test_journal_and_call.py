"""Journaling and "call someone" end to end: an entry is stored only if the member asks,
encrypted, never cut and never in the log; the supports come from the member's plan."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.engine import make_url

from cogs.checkins.views import HELP_NOW_ID
from cogs.cope import texts
from core import help_offer
from core.bot import RecoveryBot
from core.plans import PlanHighlights
from db.models import JournalEntry
from fakediscord.driver import InteractionResponse
from fakediscord.models import Member, Message
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.helpers import utc
from tests.cogs.cope.helpers import cope, copied_where_anyone_can_press, press
from tests.fake_clock import FakeClock

WORDS = "heron-quartz-journal-5521: a hard day at work"
SUPPORTS = "Dana (sponsor): 555-0101\nMy sister Jo: text her"


async def journal(community: Community, who: Member) -> InteractionResponse:
    shown = await cope(community, who, strategy="journaling")
    assert shown.message is not None
    return shown


async def write(
    community: Community, who: Member, shown: InteractionResponse, text: str, *, keep: bool
) -> Message:
    """The entry written in the form; the bot's finished answer to it."""
    assert shown.message is not None
    opened = await who.click(shown.message, f"cope:journal:{who.id}:{int(keep)}")
    submitted = await who.submit_modal(opened, {"entry": text})
    return await submitted.wait_for_reply()


async def entries(bot: RecoveryBot, community: Community) -> list[JournalEntry]:
    async with bot.db.guild_session(community.guild.id) as session:
        return list((await session.scalars(select(JournalEntry).order_by(JournalEntry.id))).all())


def on_disk(runner: BotRunner) -> bytes:
    path = Path(str(make_url(runner.database_url).database))
    return b"".join(p.read_bytes() for p in path.parent.glob(path.name + "*"))


def entry_field(modal: dict[str, Any]) -> dict[str, Any]:
    """The form's one text field, wherever discord.py put it (a row or a label)."""
    found: list[dict[str, Any]] = []

    def walk(components: list[dict[str, Any]]) -> None:
        for component in components:
            if component.get("custom_id") == "entry":
                found.append(component)
            walk(component.get("components") or [])
            if "component" in component:
                walk([component["component"]])

    walk(modal["components"])
    [field] = found
    return field


async def test_a_kept_entry_is_stored_encrypted_and_read_back_only_by_its_writer(
    bot: RecoveryBot,
    bot_runner: BotRunner,
    community: Community,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for ours in ("cogs", "core"):
        caplog.set_level(logging.DEBUG, logger=ours)
    bot.clock = FakeClock(utc(2026, 11, 10, 18, 0))
    alice = community.alice
    shown = await journal(community, alice)
    assert "What happened today" in shown.content
    assert shown.message is not None
    assert shown.message.custom_ids == [
        f"cope:journal:{alice.id}:0",
        f"cope:journal:{alice.id}:1",
        f"cope:journal-read:{alice.id}",
    ]
    opened = await (
        await alice.click(shown.message, f"cope:journal:{alice.id}:1")
    ).wait_for_response()
    assert opened.modal is not None
    assert opened.modal["custom_id"] == "cope:journal-form:1"
    assert entry_field(opened.modal)["max_length"] == 4000

    reply = await write(community, alice, shown, WORDS, keep=True)
    assert reply.ephemeral
    assert reply.content == texts.ENTRY_KEPT
    [row] = await entries(bot, community)
    assert (row.user_id, row.strategy_id, row.text) == (alice.id, "journaling", WORDS)
    assert row.written_at == utc(2026, 11, 10, 18, 0)

    read = await (
        await alice.click(shown.message, f"cope:journal-read:{alice.id}")
    ).wait_for_followup()
    assert read.ephemeral
    assert "10 November 2026" in read.content
    assert WORDS in read.content
    # Bob pressing Alice's button reads nothing of hers.
    copy = copied_where_anyone_can_press(community, shown.message)
    refused = await press(community.bob, copy, f"cope:journal-read:{alice.id}")
    assert refused.content == texts.NOT_YOURS
    assert WORDS not in caplog.text

    await bot_runner.stop(bot)
    stored = on_disk(bot_runner)
    assert b"journal_entries" in stored
    assert b"heron-quartz-journal-5521" not in stored


async def test_an_entry_not_kept_stores_nothing(bot: RecoveryBot, community: Community) -> None:
    shown = await journal(community, community.alice)
    answered = await write(community, community.alice, shown, WORDS, keep=False)
    assert answered.ephemeral
    assert answered.content == texts.ENTRY_NOT_KEPT
    assert await entries(bot, community) == []
    assert shown.message is not None
    reading = await community.alice.click(shown.message, f"cope:journal-read:{community.alice.id}")
    read = await reading.wait_for_followup()
    assert read.content == texts.NO_KEPT_ENTRIES


async def test_an_entry_over_4000_characters_is_refused_whole_and_nothing_is_stored(
    bot: RecoveryBot, community: Community
) -> None:
    alice = community.alice
    shown = await journal(community, alice)
    assert shown.message is not None
    opened = await alice.click(shown.message, f"cope:journal:{alice.id}:1")
    form = await opened.wait_for_response()
    assert form.modal is not None
    # A client that ignores the form's limit, as the emulator otherwise enforces it.
    entry_field(form.modal)["max_length"] = 5000
    submitted = await alice.submit_modal(opened, {"entry": "a" * 4001})
    refused = await submitted.wait_for_response()
    assert refused.ephemeral
    assert refused.content == texts.ENTRY_TOO_LONG.format(length="4,001", most="4,000")
    assert await entries(bot, community) == []


class FakePlans:
    """Plans from memory, as the plan feature offers them: Alice wrote her supports."""

    def __init__(self, alice_id: int) -> None:
        self.alice_id = alice_id

    def highlights(self, guild_id: int, user_id: int) -> PlanHighlights | None:
        if user_id != self.alice_id:
            return None
        return PlanHighlights(emergency=None, supports=SUPPORTS, coping=())


async def test_call_someone_shows_the_supports_from_the_members_plan(
    bot: RecoveryBot, community: Community
) -> None:
    bot.plans = FakePlans(community.alice.id)
    shown = await cope(community, community.alice, strategy="reach-out")
    assert shown.ephemeral
    assert "Think of one person" in shown.content
    assert SUPPORTS in shown.content
    assert texts.NO_SUPPORTS.format(help=help_offer.BUTTON_PAGES) not in shown.content


async def test_call_someone_without_a_plan_points_to_plan_edit_and_help_now(
    bot: RecoveryBot, community: Community
) -> None:
    bot.plans = FakePlans(community.alice.id)
    shown = await cope(community, community.bob, strategy="reach-out")
    assert "Think of one person" in shown.content
    assert texts.NO_SUPPORTS.format(help=help_offer.BUTTON_PAGES) in shown.content
    assert "/plan edit" in shown.content
    assert SUPPORTS not in shown.content
    assert shown.message is not None
    assert shown.message.custom_ids == [HELP_NOW_ID]
