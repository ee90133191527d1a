"""Consent end to end (issue 14, part 2): the notice after a member's first data-storing
action, once per version and never in the way of /help-now; /privacy settings showing
and changing each choice, with an audit line; a withdrawal stopping the next signal; notes
not kept when the member said so; buttons that are only their member's.

The real bot against the emulator. Each notice decision the cog takes (one per answered
interaction it hears of) is counted, so a test knows that "no notice" is a decision made,
not a notice still on its way.
"""

from __future__ import annotations

import importlib
from datetime import date
from typing import Any, cast

import discord
import pytest
from sqlalchemy import select, text

from cogs.checkins import texts as checkin_texts
from cogs.privacy import consent, texts
from cogs.privacy.cog import PrivacyCog
from core.bot import RecoveryBot
from db.models import AuditEntry, Checkin
from db.models import Member as DbMember
from fakediscord.driver import UserInteraction
from fakediscord.models import Member, Message
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import GOOD, NOTE, check_in, run_job, set_up_prompt
from tests.cogs.checkins.helpers import utc
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

SHARE_LINE = texts.CHOICE_LINES["share_signals_with_specialists"]
NOTES_LINE = texts.CHOICE_LINES["keep_checkin_notes"]


@pytest.fixture
def clock(bot: RecoveryBot) -> FakeClock:
    clock = FakeClock(utc(2026, 11, 10, 18, 0))  # a Tuesday
    bot.clock = clock
    bot.scheduler.pause()  # the tests run the jobs they need themselves
    return clock


class Decisions:
    """The notice decisions the privacy cog finished, by command (None: a form's submit)."""

    def __init__(self, bot: RecoveryBot, monkeypatch: pytest.MonkeyPatch) -> None:
        cog = cast(PrivacyCog, bot.get_cog("PrivacyCog"))
        decide = cog.after_answer
        self.made: list[str | None] = []

        async def counted(interaction: discord.Interaction, command: str | None) -> None:
            try:
                await decide(interaction, command)
            finally:
                self.made.append(command)

        monkeypatch.setattr(cog, "after_answer", counted)

    async def settled(self, count: int) -> None:
        async def enough() -> bool | None:
            return True if len(self.made) >= count else None

        await wait_for(enough, within=5, what=f"{count} notice decisions")


@pytest.fixture
def decisions(bot: RecoveryBot, monkeypatch: pytest.MonkeyPatch) -> Decisions:
    return Decisions(bot, monkeypatch)


def is_notice(message: Message) -> bool:
    return texts.NOTICE in message.content


def notices(interaction: UserInteraction) -> list[Message]:
    return [m for m in interaction.followups if is_notice(m)]


def choice_id(owner: Member, code: str, value: str, version: int = consent.NOTICE_VERSION) -> str:
    return f"privacy:choice:{owner.id}:{code}:{value}:{version}"


async def member_row(bot: RecoveryBot, community: Community, who: Member) -> DbMember | None:
    async with bot.db.guild_session(community.guild.id) as session:
        return await session.scalar(select(DbMember).where(DbMember.user_id == who.id))


async def consent_lines(bot: RecoveryBot, community: Community) -> list[tuple[int | None, Any]]:
    async with bot.db.guild_session(community.guild.id) as session:
        rows = await session.scalars(
            select(AuditEntry)
            .where(AuditEntry.action == consent.CONSENT_ACTION)
            .order_by(AuditEntry.id)
        )
        return [(row.actor_user_id, row.details) for row in rows]


async def raw_notes(bot: RecoveryBot) -> list[tuple[date | str, str | None]]:
    """The check-ins' note column as the database holds it (no decryption)."""
    async with bot.db.engine.connect() as connection:
        rows = await connection.execute(
            text("SELECT local_date, note FROM checkins ORDER BY local_date")
        )
        return [(row[0], row[1]) for row in rows.all()]


async def open_settings(community: Community, who: Member) -> Message:
    it = await who.run_command("privacy settings", channel=community.checkins)
    shown = await it.wait_for_response()
    assert shown.ephemeral
    assert shown.message is not None
    return shown.message


async def press(who: Member, message: Message, custom_id: str) -> str:
    """Press a button; the text it answers with (an edit of the message, or a reply)."""
    response = await (await who.click(message, custom_id)).wait_for_response()
    return response.content


def copied_where_anyone_can_press(community: Community, message: Message) -> Message:
    """The message's buttons on a public message: a client replaying a custom_id."""
    return community.emu.post_message(
        community.checkins,
        community.app.bot_user,
        {"content": "copied", "components": message.components},
    )


# --- The notice -----------------------------------------------------------------------------


async def test_the_first_check_in_gets_the_notice_after_its_own_reply_and_only_once(
    bot: RecoveryBot, community: Community, clock: FakeClock, decisions: Decisions
) -> None:
    alice = community.alice
    opened = await alice.run_command("checkin today", channel=community.checkins)
    submitted = await alice.submit_modal(opened, GOOD)
    reply = await submitted.wait_for_response()
    assert "Thank you for checking in" in reply.content
    notice = await submitted.wait_for_followup(is_notice)

    assert reply.message is not None
    assert notice.id > reply.message.id
    assert notice.ephemeral
    for what in ("**What:**", "**Where:**", "**Who sees it:**", "`/privacy delete`"):
        assert what in notice.content
    assert NOTES_LINE.format(state="on") in notice.content
    assert SHARE_LINE.format(state="off") in notice.content
    assert texts.NOTICE_DEFAULTS in notice.content  # closing it keeps the defaults
    assert notice.custom_ids == [
        choice_id(alice, "notes", "off"),
        choice_id(alice, "signals", "on"),
        f"privacy:accept:{alice.id}:{consent.NOTICE_VERSION}",
    ]
    await decisions.settled(2)  # /checkin today (a form: nothing stored yet) and the submit
    assert opened.followups == []
    row = await member_row(bot, community, alice)
    assert row is not None
    assert (row.privacy_notice_version, row.privacy_notice_at) == (
        consent.NOTICE_VERSION,
        clock.now(),
    )

    # Once: the next data-storing command is answered and nothing follows it.
    zone = await alice.run_command("me timezone", channel=community.checkins, zone="Europe/Paris")
    await zone.wait_for_response()
    await decisions.settled(3)
    assert zone.followups == []

    accepted = await press(alice, notice, f"privacy:accept:{alice.id}:{consent.NOTICE_VERSION}")
    assert accepted == texts.NOTICE_OK
    assert await consent_lines(bot, community) == [
        (alice.id, {"choice": "notice", "value": True, "notice_version": consent.NOTICE_VERSION})
    ]


async def test_after_an_erasure_the_next_check_in_gets_the_notice_again(
    bot: RecoveryBot, community: Community, clock: FakeClock, decisions: Decisions
) -> None:
    alice, guild_id = community.alice, community.guild.id

    async def submit() -> UserInteraction:
        opened = await alice.run_command("checkin today", channel=community.checkins)
        submitted = await alice.submit_modal(opened, GOOD)
        await submitted.wait_for_response()
        return submitted

    await (await submit()).wait_for_followup(is_notice)
    again = await submit()
    await decisions.settled(4)  # two forms opened, two submits
    assert notices(again) == []

    await bot.member_data.erase(bot.db, guild_id, alice.id)
    assert await member_row(bot, community, alice) is None
    # Erased, so known to this bot no more: what it keeps is told again.
    after = await submit()
    await after.wait_for_followup(is_notice)
    row = await member_row(bot, community, alice)
    assert row is not None
    assert row.privacy_notice_version == consent.NOTICE_VERSION


async def test_a_command_that_stores_data_gets_the_notice_after_its_answer(
    bot: RecoveryBot, community: Community, clock: FakeClock, decisions: Decisions
) -> None:
    it = await community.bob.run_command(
        "sober start", channel=community.checkins, substance="alcohol"
    )
    answer = await it.wait_for_response()
    notice = await it.wait_for_followup(is_notice)
    assert answer.message is not None
    assert notice.id > answer.message.id
    assert notice.ephemeral


async def test_help_now_is_answered_first_and_never_followed_by_the_notice(
    bot: RecoveryBot, community: Community, clock: FakeClock, decisions: Decisions
) -> None:
    bob = community.bob
    asked = await bob.run_command("help-now", channel=community.checkins)
    first = await asked.wait_for_response()
    assert first.ephemeral
    assert "911" in first.content.split("\n", 1)[0]  # the crisis reply, not the notice
    await decisions.settled(1)
    assert notices(asked) == []
    row = await member_row(bot, community, bob)
    assert row is None or row.privacy_notice_version is None

    # Bob still sees it, at his next command that stores something.
    later = await bob.run_command("checkin reminders", channel=community.checkins, state="on")
    await later.wait_for_response()
    await later.wait_for_followup(is_notice)


async def test_a_changed_notice_asks_again_once(
    bot: RecoveryBot,
    community: Community,
    clock: FakeClock,
    decisions: Decisions,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    alice = community.alice
    first = await alice.run_command("checkin share", channel=community.checkins, state="on")
    await first.wait_for_followup(is_notice)

    # The module the running bot loaded (each bot's start imports its features afresh).
    newer = consent.NOTICE_VERSION + 1
    monkeypatch.setattr(importlib.import_module(consent.__name__), "NOTICE_VERSION", newer)
    clock.advance(days=3)
    again = await alice.run_command("checkin share", channel=community.checkins, state="off")
    await again.wait_for_response()
    notice = await again.wait_for_followup(is_notice)
    assert choice_id(alice, "notes", "off", version=newer) in notice.custom_ids
    row = await member_row(bot, community, alice)
    assert row is not None
    assert (row.privacy_notice_version, row.privacy_notice_at) == (newer, clock.now())

    third = await alice.run_command("checkin share", channel=community.checkins, state="on")
    await third.wait_for_response()
    await decisions.settled(3)
    assert notices(third) == []


# --- /privacy settings ----------------------------------------------------------------------


async def test_settings_show_every_choice_and_change_each_with_an_audit_line(
    bot: RecoveryBot, community: Community, clock: FakeClock, decisions: Decisions
) -> None:
    alice = community.alice
    shown = await open_settings(community, alice)
    assert NOTES_LINE.format(state="on") in shown.content
    assert SHARE_LINE.format(state="off") in shown.content
    assert shown.custom_ids == [choice_id(alice, "notes", "off"), choice_id(alice, "signals", "on")]

    done = await press(alice, shown, choice_id(alice, "notes", "off"))
    assert texts.CHANGED[("keep_checkin_notes", False)] in done
    assert NOTES_LINE.format(state="off") in done
    # Turning notes off offers to delete those already kept.
    assert f"privacy:delete-notes:{alice.id}" in shown.custom_ids

    done = await press(alice, shown, choice_id(alice, "signals", "on"))
    assert texts.CHANGED[("share_signals_with_specialists", True)] in done
    assert SHARE_LINE.format(state="on") in done

    done = await press(alice, shown, choice_id(alice, "notes", "on"))
    assert NOTES_LINE.format(state="on") in done
    done = await press(alice, shown, choice_id(alice, "signals", "off"))
    assert SHARE_LINE.format(state="off") in done

    row = await member_row(bot, community, alice)
    assert row is not None
    assert (row.keep_checkin_notes, row.share_signals_with_specialists) == (True, False)
    assert row.consent_updated_at == clock.now()
    assert await consent_lines(bot, community) == [
        (alice.id, {"choice": choice, "value": value, "notice_version": consent.NOTICE_VERSION})
        for choice, value in (
            ("keep_checkin_notes", False),
            ("share_signals_with_specialists", True),
            ("keep_checkin_notes", True),
            ("share_signals_with_specialists", False),
        )
    ]
    # /privacy settings is not a command after which the notice comes.
    await decisions.settled(1)
    assert (row.privacy_notice_version, row.privacy_notice_at) == (None, None)


async def test_a_stale_button_for_a_choice_already_made_changes_nothing_and_writes_no_line(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice = community.alice
    shown = await open_settings(community, alice)
    stale = copied_where_anyone_can_press(community, shown)
    await press(alice, shown, choice_id(alice, "signals", "on"))
    again = await press(alice, stale, choice_id(alice, "signals", "on"))
    assert texts.UNCHANGED in again
    assert len(await consent_lines(bot, community)) == 1


async def test_the_settings_buttons_work_after_a_restart(
    bot: RecoveryBot, bot_runner: BotRunner, community: Community
) -> None:
    alice = community.alice
    shown = await open_settings(community, alice)
    await bot_runner.stop(bot)
    restarted = await bot_runner.start()
    done = await press(alice, shown, choice_id(alice, "signals", "on"))
    assert SHARE_LINE.format(state="on") in done
    row = await member_row(restarted, community, alice)
    assert row is not None
    assert row.share_signals_with_specialists


async def test_another_member_pressing_the_choices_is_refused_and_nothing_changes(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    shown = await open_settings(community, alice)
    await press(alice, shown, choice_id(alice, "notes", "off"))  # offers note deletion too
    copy = copied_where_anyone_can_press(community, shown)

    for custom_id in (
        choice_id(alice, "signals", "on"),
        choice_id(alice, "notes", "on"),
        f"privacy:delete-notes:{alice.id}",
    ):
        refused = await (await bob.click(copy, custom_id)).wait_for_response()
        assert refused.ephemeral
        assert refused.content == texts.NOT_YOUR_CHOICES
    assert copy.content == "copied"

    row = await member_row(bot, community, alice)
    assert row is not None
    assert (row.keep_checkin_notes, row.share_signals_with_specialists) == (False, False)
    assert await member_row(bot, community, bob) is None
    assert len(await consent_lines(bot, community)) == 1  # alice's own change only


# --- What the choices do --------------------------------------------------------------------


async def test_withdrawing_sharing_stops_the_next_warning_sign_signal(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu = community.emu
    alice, bob = community.alice, community.bob
    await (await set_up_prompt(community)).wait_for_response()
    # Alice agreed with /checkin consent, Bob in his settings: the same choice.
    agreed = await alice.run_command("checkin consent", channel=community.checkins, state="on")
    await agreed.wait_for_response()
    await press(bob, await open_settings(community, bob), choice_id(bob, "signals", "on"))
    await (await check_in(community, GOOD, "alice")).wait_for_response()
    await (await check_in(community, GOOD, "bob")).wait_for_response()

    # Alice takes it back in her settings, days before the detector sees her absence.
    settings = await open_settings(community, alice)
    assert SHARE_LINE.format(state="on") in settings.content
    await press(alice, settings, choice_id(alice, "signals", "off"))

    clock.at = utc(2026, 11, 14, 12)  # three days without a check-in
    await run_job(bot, "detector:UTC")
    await emu.wait_for_dm(alice)  # she is still nudged herself
    await emu.wait_for_dm(bob)
    [signal] = emu.messages_in(community.specialists)
    assert bob.mention in signal.content
    assert alice.mention not in signal.content


async def test_with_notes_off_a_check_ins_note_is_not_stored_and_the_reply_says_so(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice = community.alice
    await (await check_in(community, GOOD)).wait_for_response()
    [(_, kept)] = await raw_notes(bot)
    assert kept is not None
    assert "old friend" not in kept

    settings = await open_settings(community, alice)
    await press(alice, settings, choice_id(alice, "notes", "off"))

    # The same day again: the new note is not stored, the one from before stays.
    again = await check_in(community, {**GOOD, "note": "A second thought"})
    reply = await again.wait_for_response()
    assert checkin_texts.NOTE_NOT_KEPT in reply.content
    assert "/privacy settings" in reply.content
    [(_, still)] = await raw_notes(bot)
    assert still == kept

    # The next day: nothing at all in the note column.
    clock.advance(days=1)
    next_day = await check_in(community, {**GOOD, "note": "Another day, another note"})
    assert checkin_texts.NOTE_NOT_KEPT in (await next_day.wait_for_response()).content
    assert [note for _, note in await raw_notes(bot)] == [kept, None]

    # A check-in without a note says nothing about notes.
    blank = await check_in(community, {**GOOD, "note": ""})
    assert checkin_texts.NOTE_NOT_KEPT not in (await blank.wait_for_response()).content

    # The notes kept from before go when she asks.
    deleted = await press(alice, settings, f"privacy:delete-notes:{alice.id}")
    assert texts.NOTES_DELETED.format(notes="1 note") in deleted
    assert [note for _, note in await raw_notes(bot)] == [None, None]
    async with bot.db.guild_session(community.guild.id) as session:
        line = await session.scalar(
            select(AuditEntry).where(AuditEntry.action == consent.NOTES_DELETED_ACTION)
        )
    assert line is not None
    assert line.details == {"notes": 1}


async def test_with_notes_on_again_notes_are_stored_as_before(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice = community.alice
    settings = await open_settings(community, alice)
    await press(alice, settings, choice_id(alice, "notes", "off"))
    await press(alice, settings, choice_id(alice, "notes", "on"))
    reply = await (await check_in(community, GOOD)).wait_for_response()
    assert checkin_texts.NOTE_NOT_KEPT not in reply.content
    async with bot.db.guild_session(community.guild.id) as session:
        [row] = (await session.scalars(select(Checkin))).all()
    assert row.note == NOTE


# --- The rule, without Discord --------------------------------------------------------------


@pytest.mark.parametrize(
    ("command", "asks"),
    [
        ("checkin consent", True),
        ("checkin reminders", True),
        ("sober start", True),
        ("me timezone", True),
        ("plan share", True),
        ("help-now", False),
        ("privacy settings", False),
        ("privacy delete", False),
        ("setup checkins", False),
        ("oncall take", False),
        ("checkin history", False),
        ("checkin today", False),
        ("sober show", False),
        ("cope", False),
    ],
)
def test_which_commands_the_notice_follows(command: str, asks: bool) -> None:
    assert consent.asks_for_notice(command) is asks
