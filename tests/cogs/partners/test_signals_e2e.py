"""What accountability partners hear, end to end: the real bot, the emulator's Discord rules,
a real database (SQLite and PostgreSQL).

A member's partners hear of four things, each only if the member turned that one on in
/partner settings, each as one DM through the outbox (texts.SIGNALS, never the contents):
missed check-ins and warning-sign nudges (the detector), sober-day milestones (the
milestone job), a /help-now request (after the member's reply and the page). Nothing
before an invitation is accepted; nothing once a pairing ends, and what was still queued
is taken back. The bot's clock is one the test moves; the jobs are run by the test; the
outbox is waited for, never slept on.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.checkins.signs import Sign
from cogs.helpnow import texts as helpnow_texts
from cogs.partners import service, texts
from core.bot import RecoveryBot
from core.partner_signals import PartnerSignal, Shared, tell_partners
from core.sign_sources import SourcedSign
from core.times import timestamp
from db.models import OutboxMessage
from db.models.outbox import QUEUED
from fakediscord.driver import UserInteraction
from fakediscord.models import Member, Message
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in, cog_of, outbox_settled, set_up_prompt
from tests.cogs.checkins.e2e_helpers import NOTE as CHECKIN_NOTE
from tests.cogs.helpnow.helpers import NOTE as HELP_NOTE
from tests.cogs.helpnow.helpers import cog_of as helpnow_cog
from tests.cogs.helpnow.helpers import sam_on_call_riley_backup
from tests.cogs.sober.helpers import run_milestones
from tests.fake_clock import FakeClock

# Tuesday 10 November 2026, 18:00 UTC.
START = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
# Alice checks in on Tuesday 10 November (START), counting days since 7 November; on
# Saturday 14 November at noon she has missed three days and her first week began at midnight.
EVENTS_AT = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
SOBER_SINCE = "2026-11-07"
SUBSTANCE = "alcohol"
POST_MESSAGE = ("POST", "/channels/{channel_id}/messages")
OPTION = {
    Shared.CHECKINS: "checkins",
    Shared.MILESTONES: "milestones",
    Shared.WARNING_SIGNS: "warning-signs",
    Shared.HELP_NOW: "help-now",
}
# What a signal must never carry: what the member wrote, counts, what they count.
CONTENTS = (CHECKIN_NOTE, HELP_NOTE, SUBSTANCE, "mood", "craving", "sleep")


async def partner(community: Community, who: Member, command: str, **options: object) -> Message:
    """/partner <command> as `who`; the bot's first finished reply."""
    it = await who.run_command(f"partner {command}", channel=community.checkins, options=options)
    return await it.wait_for_reply()


def dms_from_bot(community: Community, person: Member) -> list[Message]:
    """The DMs the bot sent `person`, oldest first."""
    return [
        m
        for m in community.emu.dms_of(person)
        if m.author.bot and not m.deleted and not m.ephemeral
    ]


def mention(member: Member) -> str:
    return f"<@{member.id}>"


def signal_text(kind: Shared, member: Member, days: int = 7, at: datetime = EVENTS_AT) -> str:
    """The DM a partner gets of one signal about `member` (texts.SIGNALS and texts.WHY),
    of an event `at` (the time a /help-now was asked)."""
    words = texts.SIGNALS[kind].format(
        member=mention(member), days=f"{days} days", when=timestamp(at)
    )
    return words + texts.WHY.format(member=mention(member))


def dm_texts(community: Community, person: Member) -> list[str]:
    return [message.content for message in dms_from_bot(community, person)]


def signals_to(community: Community, person: Member) -> list[str]:
    """The signals among the DMs `person` got (every signal says why they get it)."""
    why = texts.WHY.split("{member}")[0]
    return [text for text in dm_texts(community, person) if why in text]


def assert_no_contents(words: Sequence[str]) -> None:
    for text in words:
        for secret in CONTENTS:
            assert secret.casefold() not in text.casefold(), (secret, text)


class MeetingSign:
    """A sign source naming one member's missed meetings: a warning sign that is not a
    missed check-in."""

    def __init__(self, user_id: int) -> None:
        self.user_id = user_id

    async def active_signs(
        self, session: AsyncSession, guild_id: int, now: datetime
    ) -> Sequence[SourcedSign]:
        return [SourcedSign(self.user_id, Sign.MISSED_MEETINGS.value, date(2026, 11, 11))]


# --- Setting up ------------------------------------------------------------------------------


async def paired(bot: RecoveryBot, community: Community, inviter: Member, invitee: Member) -> None:
    """The two made partners through the service (invited, accepted); the inviter's
    "accepted" DM sent."""
    now, limits = bot.clock.now(), bot.content.partners
    guild = community.guild.id
    invitation = await service.invite(bot.db, guild, inviter.id, invitee.id, now, limits)
    await service.answer(bot.db, guild, invitation.id, invitee.id, True, now, limits)
    bot.outbox.wake()
    await outbox_settled(bot)


async def share(community: Community, who: Member, choices: Mapping[Shared, bool]) -> str:
    """/partner settings as `who`, each kind in `choices` turned on or off; the reply."""
    options = {OPTION[kind]: "on" if on else "off" for kind, on in choices.items()}
    reply = await partner(community, who, "settings", **options)
    assert reply.ephemeral
    assert reply.content.startswith("Saved."), reply.content
    return reply.content


def only(*kinds: Shared) -> dict[Shared, bool]:
    return {kind: kind in kinds for kind in Shared}


async def ready_for_events(community: Community) -> None:
    """At START: the group's check-ins set up, Alice checks in (with a note) and starts
    counting days without alcohol since 7 November."""
    await (await set_up_prompt(community)).wait_for_response()
    await (await check_in(community, GOOD, "alice")).wait_for_response()
    it = await community.alice.run_command(
        "sober start",
        channel=community.checkins,
        options={"substance": SUBSTANCE, "since": SOBER_SINCE},
    )
    assert (await it.wait_for_response()).ephemeral


async def help_now(bot: RecoveryBot, community: Community, who: Member) -> UserInteraction:
    """/help-now with a note as `who`; returns once the command has finished (the reply,
    the page, and whatever the partners are told)."""

    def is_theirs(interaction: Any, command: Any) -> bool:
        return bool(command.qualified_name == "help-now" and interaction.user.id == who.id)

    finished = asyncio.ensure_future(
        bot.wait_for("app_command_completion", check=is_theirs, timeout=15)
    )
    it = await who.run_command("help-now", channel=community.checkins, note=HELP_NOTE)
    reply = await it.wait_for_response()
    assert reply.ephemeral
    await finished
    return it


async def detector_and_milestones(bot: RecoveryBot, community: Community, clock: FakeClock) -> None:
    """On 14 November: the warning-sign detector (Alice missed three days) and the
    milestone job (her first week)."""
    clock.at = EVENTS_AT
    await cog_of(bot).jobs.detect_in(community.guild.id)
    await run_milestones(bot)


async def everything_happens(
    bot: RecoveryBot, community: Community, clock: FakeClock, who: Member
) -> None:
    """Every kind of event on 14 November, the outbox then emptied."""
    await detector_and_milestones(bot, community, clock)
    await sam_on_call_riley_backup(bot, community)
    await help_now(bot, community, who)
    await community.emu.wait_for_message(channel=community.specialists)
    bot.outbox.wake()
    await outbox_settled(bot)


async def signal_rows(bot: RecoveryBot) -> list[OutboxMessage]:
    async with bot.db.all_guilds_session() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == service.SIGNAL_KIND)
            .order_by(OutboxMessage.id)
        )
        return list(found)


def hold_messages(community: Community) -> None:
    """Discord takes no message for now: what the outbox sends stays queued."""
    community.emu.faults.fail(*POST_MESSAGE, status=503, times=None)


async def let_messages_through(bot: RecoveryBot, community: Community, clock: FakeClock) -> None:
    community.emu.faults.clear()
    clock.advance(minutes=5)
    bot.outbox.wake()


# --- Nothing before acceptance ---------------------------------------------------------------


@pytest.mark.parametrize("state", ["pending", "declined", "lapsed", "paired_sharing_nothing"])
async def test_nothing_is_shared_unless_paired_and_chosen_the_events_reach_only_their_usual_people(
    bot: RecoveryBot, community: Community, clock: FakeClock, state: str
) -> None:
    emu, alice, bob = community.emu, community.alice, community.bob
    guild, limits = community.guild.id, bot.content.partners
    sent_at = START - timedelta(days=8) if state == "lapsed" else START
    invitation = await service.invite(bot.db, guild, alice.id, bob.id, sent_at, limits)
    if state == "declined":
        await service.answer(bot.db, guild, invitation.id, bob.id, False, START, limits)
    if state == "paired_sharing_nothing":
        await service.answer(bot.db, guild, invitation.id, bob.id, True, START, limits)
        bot.outbox.wake()
        await outbox_settled(bot)
    else:
        await share(community, alice, only(*Shared))  # she would share everything
    await ready_for_events(community)
    before = dm_texts(community, alice)

    await everything_happens(bot, community, clock, alice)

    # Her own nudge and congratulations, the specialists' page; nobody else anything.
    hers = dm_texts(community, alice)[len(before) :]
    assert len(hers) == 2, hers
    assert any("it's been a few days" in text for text in hers)
    assert any("7 days" in text for text in hers)
    [page] = emu.messages_in(community.specialists)
    assert mention(alice) in page.content
    for other in (bob, community.sam, community.riley, community.organiser):
        assert dm_texts(community, other) == [], other.name
    assert emu.messages_in(community.milestones) == []
    assert await signal_rows(bot) == []


# --- Each setting, its own signal ------------------------------------------------------------


@pytest.mark.parametrize("kind", list(Shared))
async def test_with_only_one_kind_on_the_partner_gets_exactly_that_signal_and_no_contents(
    bot: RecoveryBot, community: Community, clock: FakeClock, kind: Shared
) -> None:
    alice, bob = community.alice, community.bob
    await paired(bot, community, alice, bob)
    await share(community, alice, only(kind))
    await ready_for_events(community)

    await everything_happens(bot, community, clock, alice)

    received = dm_texts(community, bob)
    assert received == [signal_text(kind, alice)]
    assert_no_contents(received)
    # Alice hears nothing of Bob: he shares nothing.
    assert signals_to(community, alice) == []


@pytest.mark.parametrize("kind", list(Shared))
async def test_with_one_kind_off_the_partner_gets_every_other_signal_and_never_that_one(
    bot: RecoveryBot, community: Community, clock: FakeClock, kind: Shared
) -> None:
    alice, bob = community.alice, community.bob
    await paired(bot, community, alice, bob)
    await share(community, alice, {other: other is not kind for other in Shared})
    await ready_for_events(community)

    await everything_happens(bot, community, clock, alice)

    received = dm_texts(community, bob)
    expected = [signal_text(other, alice) for other in Shared if other is not kind]
    assert sorted(received) == sorted(expected)
    assert signal_text(kind, alice) not in received
    assert_no_contents(received)


async def test_a_warning_sign_that_is_no_missed_check_in_is_a_warning_sign_signal_only(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    await paired(bot, community, alice, bob)
    await share(community, alice, only(Shared.CHECKINS, Shared.WARNING_SIGNS))
    await (await set_up_prompt(community)).wait_for_response()
    source = MeetingSign(alice.id)
    bot.sign_sources.register(source)
    try:
        clock.at = EVENTS_AT
        await cog_of(bot).jobs.detect_in(community.guild.id)
    finally:
        bot.sign_sources.unregister(source)
    await community.emu.wait_for_dm(alice)  # her own nudge about meetings
    await outbox_settled(bot)

    assert dm_texts(community, bob) == [signal_text(Shared.WARNING_SIGNS, alice)]


# --- Several partners, one occasion once -----------------------------------------------------


async def test_each_of_several_partners_hears_each_occasion_once_however_often_it_is_handed_over(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    carol = community.guild.add_member("carol")
    await paired(bot, community, alice, bob)  # she invited Bob...
    await paired(bot, community, carol, alice)  # ...and Carol invited her
    await share(community, alice, only(*Shared))
    await ready_for_events(community)

    await everything_happens(bot, community, clock, alice)
    expected = sorted(signal_text(kind, alice) for kind in Shared)
    for partner_ in (bob, carol):
        assert sorted(signals_to(community, partner_)) == expected, partner_.name

    # The jobs run again, she asks for help again (the same request), and the milestone's
    # own occasion is handed over once more: nothing new for anyone.
    await cog_of(bot).jobs.detect_in(community.guild.id)
    await run_milestones(bot)
    await help_now(bot, community, alice)
    [milestone] = [
        row.dedupe_key
        for row in await signal_rows(bot)
        if row.dedupe_key.startswith(
            service.signal_prefix(community.guild.id, alice.id, bob.id, Shared.MILESTONES)
        )
    ]
    occasion = milestone.rsplit(":", 3)[-3:]
    again = PartnerSignal(
        community.guild.id, alice.id, Shared.MILESTONES, ":".join(occasion), clock.now(), days=7
    )
    await tell_partners(bot.db, bot.partners, again)
    bot.outbox.wake()
    await outbox_settled(bot)
    for partner_ in (bob, carol):
        assert sorted(signals_to(community, partner_)) == expected, partner_.name
    assert len(await signal_rows(bot)) == 2 * len(Shared)


# --- Ending and turning off take back what is queued -----------------------------------------


@pytest.mark.parametrize("ender", ["member", "partner"])
async def test_ending_withdraws_queued_signals_at_once_and_later_events_send_nothing(
    bot: RecoveryBot, community: Community, clock: FakeClock, ender: str
) -> None:
    emu, alice, bob = community.emu, community.alice, community.bob
    await paired(bot, community, alice, bob)
    await share(community, alice, only(*Shared))
    await ready_for_events(community)
    hold_messages(community)
    await detector_and_milestones(bot, community, clock)
    await outbox_settled(bot)  # each tried once, refused, waiting to be tried again
    held = await signal_rows(bot)
    assert sorted(row.dedupe_key.split(":")[4] for row in held) == sorted(
        [Shared.CHECKINS, Shared.WARNING_SIGNS, Shared.MILESTONES]
    )
    assert all(row.state == QUEUED and row.attempts >= 1 for row in held)
    assert dm_texts(community, bob) == []

    who, other = (alice, bob) if ender == "member" else (bob, alice)
    ended = await partner(community, who, "end", member=other)
    assert ended.content == texts.ENDED.format(member=mention(other))
    assert await signal_rows(bot) == []  # withdrawn in the same transaction

    await let_messages_through(bot, community, clock)
    told = texts.ENDED_FOR_OTHER.format(member=mention(who))
    await emu.wait_for_dm(other, where=lambda message: message.content == told)
    await outbox_settled(bot)
    assert signals_to(community, bob) == []

    # Later events: another alert, the next milestone, a /help-now. Nothing for Bob.
    await sam_on_call_riley_backup(bot, community)
    await help_now(bot, community, alice)
    source = MeetingSign(alice.id)
    bot.sign_sources.register(source)
    try:
        await cog_of(bot).jobs.detect_in(community.guild.id)
    finally:
        bot.sign_sources.unregister(source)
    clock.at = datetime(2026, 11, 21, 0, 1, tzinfo=UTC)  # her second week
    await run_milestones(bot)
    await outbox_settled(bot)
    assert await signal_rows(bot) == []
    assert signals_to(community, bob) == []


async def test_turning_a_kind_off_withdraws_its_queued_signals_and_only_those(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu, alice, bob = community.emu, community.alice, community.bob
    await paired(bot, community, alice, bob)
    await share(community, alice, only(Shared.CHECKINS, Shared.WARNING_SIGNS, Shared.MILESTONES))
    await ready_for_events(community)
    hold_messages(community)
    await detector_and_milestones(bot, community, clock)
    await outbox_settled(bot)
    assert len(await signal_rows(bot)) == 3

    await share(community, alice, {Shared.MILESTONES: False})
    left = sorted(row.dedupe_key.split(":")[4] for row in await signal_rows(bot))
    assert left == sorted([Shared.CHECKINS, Shared.WARNING_SIGNS])

    await let_messages_through(bot, community, clock)
    await emu.wait_for_dm(bob)
    await emu.wait_for_dm(bob)
    await outbox_settled(bot)
    assert sorted(dm_texts(community, bob)) == sorted(
        [signal_text(Shared.CHECKINS, alice), signal_text(Shared.WARNING_SIGNS, alice)]
    )


async def test_partners_paired_again_after_an_ending_are_told_of_the_acceptance_and_the_end_again(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    """Each acceptance and each ending is its own notice, however often the same two pair."""
    emu, alice, bob = community.emu, community.alice, community.bob
    accepted = texts.ACCEPTED_FOR_INVITER.format(member=mention(bob))
    ended = texts.ENDED_FOR_OTHER.format(member=mention(alice))
    for round_ in (1, 2):
        clock.advance(hours=1)
        await paired(bot, community, alice, bob)
        clock.advance(hours=1)
        await partner(community, alice, "end", member=bob)
        bot.outbox.wake()
        await outbox_settled(bot)
        assert dm_texts(community, alice).count(accepted) == round_
        assert dm_texts(community, bob).count(ended) == round_
    assert emu.messages_in(community.specialists) == []


# --- /help-now: the member first, the partners after, and never in the way -------------------


async def test_the_help_now_signal_is_queued_only_after_the_members_reply_and_the_page(
    bot: RecoveryBot, community: Community, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu, alice, bob = community.emu, community.alice, community.bob
    await paired(bot, community, alice, bob)
    await share(community, alice, only(Shared.HELP_NOW))
    await sam_on_call_riley_backup(bot, community)
    asked: list[UserInteraction] = []
    seen: list[tuple[bool, int]] = []
    real_queue = bot.partners.queue

    async def watched(session: AsyncSession, signals: Sequence[PartnerSignal]) -> int:
        if any(signal.kind is Shared.HELP_NOW for signal in signals):
            replied = bool(asked) and asked[0].response is not None
            seen.append((replied, len(emu.messages_in(community.specialists))))
        return await real_queue(session, signals)

    monkeypatch.setattr(bot.partners, "queue", watched)
    finished = asyncio.ensure_future(bot.wait_for("app_command_completion", timeout=15))
    asked.append(await alice.run_command("help-now", channel=community.checkins, note=HELP_NOTE))
    reply = await asked[0].wait_for_response()
    await finished

    assert reply.ephemeral
    assert seen == [(True, 1)]  # asked once: her reply out, the page posted
    told = await emu.wait_for_dm(bob)
    assert told.content == signal_text(Shared.HELP_NOW, alice, at=START)
    assert_no_contents([told.content])
    [page] = emu.messages_in(community.specialists)
    assert HELP_NOTE in page.content  # the note is for the specialists only


async def test_a_failure_telling_partners_never_stops_the_reply_or_the_page(
    bot: RecoveryBot, community: Community, clock: FakeClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    emu, alice, bob = community.emu, community.alice, community.bob
    await paired(bot, community, alice, bob)
    await share(community, alice, only(Shared.HELP_NOW))
    await sam_on_call_riley_backup(bot, community)
    calls: list[int] = []

    async def broken(session: AsyncSession, signals: Sequence[PartnerSignal]) -> int:
        calls.append(len(signals))
        raise RuntimeError("the partners feature broke")

    monkeypatch.setattr(bot.partners, "queue", broken)
    it = await help_now(bot, community, alice)

    assert it.response is not None
    assert "988" in it.response.content
    page = await emu.wait_for_message(channel=community.specialists)
    assert mention(alice) in page.content
    assert calls == [1]
    assert [m.content for m in it.followups if m.content == helpnow_texts.PAGE_FAILED] == []
    assert helpnow_cog(bot).desk.open_case_of(community.guild.id, alice.id) is not None
    await outbox_settled(bot)
    assert dm_texts(community, bob) == []
    assert await signal_rows(bot) == []


async def test_the_help_now_signal_promises_no_page_where_nobody_could_be_paged(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    await bot_runner.configure(bot, specialists_channel_id=None, specialist_role_id=None)
    await paired(bot, community, alice, bob)
    await share(community, alice, only(Shared.HELP_NOW))

    await help_now(bot, community, alice)
    bot.outbox.wake()
    await outbox_settled(bot)

    assert community.emu.messages_in(community.specialists) == []
    # Told that she asked for help, and nothing about a page that never went out.
    assert dm_texts(community, bob) == [signal_text(Shared.HELP_NOW, alice, at=START)]
    assert "paged" not in dm_texts(community, bob)[0]
