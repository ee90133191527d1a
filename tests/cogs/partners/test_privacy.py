"""Accountability partners and the member's privacy, end to end: the real bot, the
emulator's Discord rules, a real database (SQLite and PostgreSQL).

- Leaving the server (the privacy presence check finds the member gone) ends every pairing
  and invitation at once: what was queued for the partners is taken back, and each partner
  is told, in words that name nobody.
- Erasure takes the member's pairings, choices, nudges sent, blocks and every signal about
  them out of the database, and leaves every other member's rows as they were.
- /privacy export lists the member's partnerships, choices, nudges and signals without the
  id of anyone else.

The bot's clock is one the test moves; the jobs are run by the test; the outbox is waited
for, never slept on.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from cogs.partners import service, texts
from cogs.privacy import leaving_jobs
from core.bot import RecoveryBot
from core.partner_signals import Shared
from db.base import Base
from db.models import Member as MemberRow
from db.models import OutboxMessage
from db.models.outbox import QUEUED
from db.models.partners import DECLINED, INVITED, PAIRED
from fakediscord.models import Member, Message
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in, cog_of, outbox_settled, set_up_prompt
from tests.cogs.sober.helpers import run_milestones
from tests.fake_clock import FakeClock

# Tuesday 10 November 2026, 18:00 UTC: everyone checks in and starts counting.
START = datetime(2026, 11, 10, 18, 0, tzinfo=UTC)
# The first week of a count begun on 7 November, just after midnight.
WEEK = datetime(2026, 11, 14, 0, 1, tzinfo=UTC)
# Noon that day: three check-ins missed since START.
NOON = datetime(2026, 11, 14, 12, 0, tzinfo=UTC)
POST_MESSAGE = ("POST", "/channels/{channel_id}/messages")
PARTNER_TABLES = ("partnerships", "partner_preferences", "partner_nudges", "partner_nudge_blocks")


# --- Driving the bot ------------------------------------------------------------------------


def mention(member: Member) -> str:
    return f"<@{member.id}>"


async def command(community: Community, who: Member, name: str, **options: object) -> Message:
    """/<name> as `who` in the check-in channel; the bot's first finished reply."""
    it = await who.run_command(name, channel=community.checkins, options=options)
    return await it.wait_for_reply()


async def paired(bot: RecoveryBot, community: Community, inviter: Member, invitee: Member) -> None:
    """The two made partners through the service (invited, accepted); the outbox settled."""
    now, limits, guild = bot.clock.now(), bot.content.partners, community.guild.id
    invitation = await service.invite(bot.db, guild, inviter.id, invitee.id, now, limits)
    await service.answer(bot.db, guild, invitation.id, invitee.id, True, now, limits)
    bot.outbox.wake()
    await outbox_settled(bot)


async def invited(
    bot: RecoveryBot, community: Community, inviter: Member, invitee: Member, *, declined: bool
) -> None:
    now, limits, guild = bot.clock.now(), bot.content.partners, community.guild.id
    invitation = await service.invite(bot.db, guild, inviter.id, invitee.id, now, limits)
    if declined:
        await service.answer(bot.db, guild, invitation.id, invitee.id, False, now, limits)


async def share(community: Community, who: Member, *kinds: Shared) -> None:
    options = {
        "checkins": Shared.CHECKINS,
        "milestones": Shared.MILESTONES,
        "warning-signs": Shared.WARNING_SIGNS,
        "help-now": Shared.HELP_NOW,
    }
    chosen = {name: "on" if kind in kinds else "off" for name, kind in options.items()}
    reply = await command(community, who, "partner settings", **chosen)
    assert reply.content.startswith("Saved."), reply.content


async def start_counting(community: Community, who: Member) -> None:
    """`who` counts days without alcohol since 7 November: a week on 14 November."""
    reply = await command(community, who, "sober start", substance="alcohol", since="2026-11-07")
    assert reply.ephemeral


def dm_texts(community: Community, person: Member) -> list[str]:
    """What the bot sent `person` by DM, oldest first."""
    return [
        m.content
        for m in community.emu.dms_of(person)
        if m.author.bot and not m.deleted and not m.ephemeral
    ]


def signals_to(community: Community, person: Member) -> list[str]:
    """The signals among `person`'s DMs (every signal says why they get it)."""
    why = texts.WHY.split("{member}")[0]
    return [text for text in dm_texts(community, person) if why in text]


def hold_messages(community: Community) -> None:
    """Discord takes no message for now: what the outbox sends stays queued."""
    community.emu.faults.fail(*POST_MESSAGE, status=503, times=None)


async def let_messages_through(bot: RecoveryBot, community: Community, clock: FakeClock) -> None:
    community.emu.faults.clear()
    clock.advance(minutes=5)
    bot.outbox.wake()


async def run_presence_check(bot: RecoveryBot) -> None:
    """The privacy job asking Discord who is still in the server, run as the scheduler would."""
    job = bot.scheduler.get_job(f"{leaving_jobs.OWNER}:{leaving_jobs.PRESENCE_KEY}")
    assert job is not None, "no presence check"
    await job.func(*job.args)


# --- Reading what happened ------------------------------------------------------------------


Row = dict[str, Any]


async def rows_of(bot: RecoveryBot) -> dict[str, list[Row]]:
    """Every row of the partner tables and of the outbox, in every server."""
    found: dict[str, list[Row]] = {}
    async with bot.db.engine.connect() as connection:
        for name in (*PARTNER_TABLES, "outbox_messages"):
            result = await connection.execute(select(Base.metadata.tables[name]))
            found[name] = sorted((dict(row._mapping) for row in result), key=repr)
    return found


async def signal_rows(bot: RecoveryBot) -> list[OutboxMessage]:
    async with bot.db.all_guilds_session() as session:
        found = await session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.kind == service.SIGNAL_KIND)
            .order_by(OutboxMessage.id)
        )
        return list(found)


def about(guild_id: int, member: Member) -> Callable[[str], bool]:
    """Whether an outbox key is a partners message about `member`."""
    return lambda key: key.startswith(f"{service.SIGNAL_KEY}:{guild_id}:{member.id}:")


def hers(guild_id: int, member: Member) -> Callable[[Row], bool]:
    """Whether a row of a partner table or of the outbox is the member's record: a pairing
    or invitation of theirs, their choices, nudges and blocks, a message to them, a
    message about them for their partners."""

    def check(row: Row) -> bool:
        sides = (row.get("inviter_user_id"), row.get("invitee_user_id"))
        return (
            row.get("user_id") == member.id
            or member.id in sides
            or about(guild_id, member)(row.get("dedupe_key") or "")
        )

    return check


# --- Leaving --------------------------------------------------------------------------------


async def test_leaving_ends_every_pairing_withdraws_what_was_queued_and_tells_partners_namelessly(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu, alice, bob, guild = community.emu, community.alice, community.bob, community.guild
    carol, dave = guild.add_member("carol"), guild.add_member("dave")
    await paired(bot, community, alice, bob)
    await paired(bot, community, carol, alice)
    await invited(bot, community, alice, dave, declined=False)
    await share(community, alice, *Shared)
    await start_counting(community, alice)
    # Her first week is queued for Bob and Carol while Discord takes no messages.
    hold_messages(community)
    clock.at = WEEK
    await run_milestones(bot)
    held = await signal_rows(bot)
    assert sorted(row.user_id or 0 for row in held) == sorted([bob.id, carol.id])
    assert all(row.state == QUEUED and row.attempts >= 1 for row in held)

    guild.remove_member(alice)
    await run_presence_check(bot)

    async with bot.db.guild_session(guild.id) as session:
        row = await session.scalar(select(MemberRow).where(MemberRow.user_id == alice.id))
    assert row is not None
    assert row.left_server_at == clock.now()
    after = await rows_of(bot)
    assert [p for p in after["partnerships"] if hers(guild.id, alice)(p)] == []
    assert await signal_rows(bot) == []
    notices = [m for m in after["outbox_messages"] if m["kind"] == service.ENDED_KIND]
    assert sorted(m["user_id"] for m in notices) == sorted([bob.id, carol.id])
    assert all(
        str(alice.id) not in m["body"] and str(alice.id) not in m["dedupe_key"] for m in notices
    )

    await let_messages_through(bot, community, clock)
    for partner in (bob, carol):
        await emu.wait_for_dm(partner, where=lambda m: m.content == texts.PARTNERSHIP_ENDED_GONE)
    await outbox_settled(bot)
    assert dm_texts(community, bob) == [texts.PARTNERSHIP_ENDED_GONE]
    assert dm_texts(community, carol).count(texts.PARTNERSHIP_ENDED_GONE) == 1
    assert signals_to(community, carol) == []
    assert dm_texts(community, dave) == []  # an open invitation's invitee is not told
    listed = await command(community, bob, "partner list")
    assert listed.content == texts.LIST_EMPTY

    # Her second week, a week on: her former partners hear nothing of it.
    clock.at = datetime(2026, 11, 21, 0, 1, tzinfo=UTC)
    await run_milestones(bot)
    assert await signal_rows(bot) == []
    assert dm_texts(community, bob) == [texts.PARTNERSHIP_ENDED_GONE]
    assert signals_to(community, carol) == []


# --- Erasure --------------------------------------------------------------------------------


async def test_erasure_takes_her_pairings_choices_nudges_blocks_and_signals_and_keeps_the_rest(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    emu, alice, bob, guild = community.emu, community.alice, community.bob, community.guild
    carol, dave = guild.add_member("carol"), guild.add_member("dave")
    limits = bot.content.partners
    await paired(bot, community, alice, bob)
    await paired(bot, community, carol, alice)
    await paired(bot, community, bob, carol)
    await invited(bot, community, alice, dave, declined=False)
    for who in (alice, bob):
        await share(community, who, Shared.MILESTONES, Shared.WARNING_SIGNS)
    await share(community, carol, Shared.HELP_NOW)
    for sender, recipient in ((alice, bob), (bob, alice), (bob, carol)):
        await service.nudge(bot.db, guild.id, sender.id, recipient.id, 0, START, limits)
    for blocker, blocked in ((alice, carol), (bob, alice), (carol, bob)):
        await service.set_nudges(bot.db, guild.id, blocker.id, False, blocked.id, START)
    await (await set_up_prompt(community)).wait_for_response()
    for name in ("alice", "bob"):
        await (await check_in(community, GOOD, name)).wait_for_response()
    for member in (alice, bob):
        await start_counting(community, member)
    # Sent: Alice's and Bob's first week, to their partners. Then held: the detector's
    # alerts (three days missed) for their partners.
    clock.at = WEEK
    await run_milestones(bot)
    hold_messages(community)
    clock.at = NOON
    await cog_of(bot).jobs.detect_in(guild.id)
    await outbox_settled(bot)
    before = await rows_of(bot)
    # About her: her week, sent to Bob and Carol; her alert, held for both.
    theirs = [
        (m["dedupe_key"].split(":")[4], m["state"])
        for m in before["outbox_messages"]
        if about(guild.id, alice)(m["dedupe_key"])
    ]
    assert sorted(theirs) == sorted(
        [(Shared.MILESTONES, "sent")] * 2 + [(Shared.WARNING_SIGNS, QUEUED)] * 2
    )
    assert any(about(guild.id, bob)(m["dedupe_key"]) for m in before["outbox_messages"])

    await bot.member_data.erase(bot.db, guild.id, alice.id)

    after = await rows_of(bot)
    assert [
        (p["inviter_user_id"], p["invitee_user_id"], p["state"]) for p in after["partnerships"]
    ] == [(bob.id, carol.id, PAIRED)]
    # Dave was only invited: nothing of his was ever stored there.
    assert sorted(p["user_id"] for p in after["partner_preferences"]) == sorted([bob.id, carol.id])
    assert sorted(
        (n["user_id"], n["recipient_user_id"]) for n in after["partner_nudges"]
    ) == sorted([(bob.id, alice.id), (bob.id, carol.id)])
    assert sorted((b["user_id"], b["blocked_user_id"]) for b in after["partner_nudge_blocks"]) == (
        sorted([(bob.id, alice.id), (carol.id, bob.id)])
    )
    outbox = after["outbox_messages"]
    assert [m for m in outbox if about(guild.id, alice)(m["dedupe_key"])] == []
    assert [m for m in outbox if m["user_id"] == alice.id] == []
    # Everything of everyone else's is still there, unchanged...
    for table, rows in before.items():
        for row in rows:
            assert (row in after[table]) is not hers(guild.id, alice)(row), (table, row)
    # ...and what is new is one notice for each of her partners, naming nobody.
    new = [m for m in outbox if m not in before["outbox_messages"]]
    assert sorted((m["kind"], m["user_id"]) for m in new) == sorted(
        [(service.ENDED_KIND, bob.id), (service.ENDED_KIND, carol.id)]
    )
    for message in new:
        assert json.loads(message["body"])["content"] == texts.PARTNERSHIP_ENDED_GONE
        assert str(alice.id) not in message["body"] + message["dedupe_key"]
    async with bot.db.guild_session(guild.id) as session:
        assert await bot.member_data.members_with_data(session, guild.id, among=[alice.id]) == set()

    # Once Discord takes messages again: the notices, and Bob's own alert for Carol.
    earlier = {partner.id: len(dm_texts(community, partner)) for partner in (bob, carol)}
    await let_messages_through(bot, community, clock)
    for partner in (bob, carol):
        await emu.wait_for_dm(partner, where=lambda m: m.content == texts.PARTNERSHIP_ENDED_GONE)
    await outbox_settled(bot)
    assert dm_texts(community, bob)[earlier[bob.id] :] == [texts.PARTNERSHIP_ENDED_GONE]
    bobs_alert = texts.SIGNALS[Shared.WARNING_SIGNS].format(member=mention(bob)) + texts.WHY.format(
        member=mention(bob)
    )
    assert sorted(dm_texts(community, carol)[earlier[carol.id] :]) == sorted(
        [texts.PARTNERSHIP_ENDED_GONE, bobs_alert]
    )


# --- Export ---------------------------------------------------------------------------------


async def export_of(community: Community, who: Member) -> tuple[str, dict[str, Any]]:
    """/privacy export as `who`: the file's text, and its JSON."""
    it = await who.run_command("privacy export", channel=community.checkins)
    reply = await it.wait_for_followup(where=lambda message: bool(message.attachments))
    [attachment] = reply.attachments
    raw = attachment.data.decode()
    return raw, json.loads(raw)


async def test_the_export_lists_her_partnerships_and_what_she_shared_without_anyone_elses_id(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob, guild = community.alice, community.bob, community.guild
    carol, dave = guild.add_member("carol"), guild.add_member("dave")
    limits = bot.content.partners
    await paired(bot, community, alice, bob)
    await invited(bot, community, carol, alice, declined=False)
    await invited(bot, community, alice, dave, declined=True)
    await share(community, alice, Shared.MILESTONES)
    await service.nudge(bot.db, guild.id, alice.id, bob.id, 2, START, limits)
    await service.set_nudges(bot.db, guild.id, alice.id, False, bob.id, START)
    await service.set_nudges(bot.db, guild.id, bob.id, False, alice.id, START)  # Bob's, not hers
    await start_counting(community, alice)
    clock.at = WEEK
    await run_milestones(bot)
    assert len(signals_to(community, bob)) == 1

    raw, document = await export_of(community, alice)

    for other in (bob, carol, dave):
        assert str(other.id) not in raw, other.name
    part = document["features"]["partners"]
    assert [
        (p["state"], p["invited_by_me"], p["paired_at"] is not None) for p in part["partnerships"]
    ] == [
        (PAIRED, True, True),
        (INVITED, False, False),
        (INVITED, True, False),  # Dave declined: to her it is an invitation still
    ]
    assert all(
        set(p) == {"state", "invited_at", "invited_by_me", "paired_at", "expires_at"}
        for p in part["partnerships"]
    )
    assert part["sharing"]["share_milestones"] is True
    assert part["sharing"]["share_help_now"] is False
    assert part["nudges_sent"] == [{"template": 2, "sent_at": START.isoformat()}]
    assert part["nudges_stopped"] == [{"blocked_at": START.isoformat()}]
    # Her week, told to Bob (his acceptance of her invitation is about him, not her).
    assert [s["state"] for s in part["signals_to_partners"]] == ["sent"]

    # Dave's own export says he declined, and names her no more than hers names him.
    raw, document = await export_of(community, dave)
    assert str(alice.id) not in raw
    assert [p["state"] for p in document["features"]["partners"]["partnerships"]] == [DECLINED]


async def test_an_invitation_that_lapsed_unanswered_leaves_nothing_about_the_invitee(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, guild = community.alice, community.guild
    dave = guild.add_member("dave")
    await invited(bot, community, alice, dave, declined=False)

    clock.advance(days=bot.content.partners.invitation_days, hours=1)
    cog = bot.get_cog("PartnersCog")
    assert cog is not None
    await cog.purge()  # type: ignore[attr-defined]

    assert [p for p in (await rows_of(bot))["partnerships"] if hers(guild.id, dave)(p)] == []
    async with bot.db.guild_session(guild.id) as session:
        assert await bot.member_data.members_with_data(session, guild.id, among=[dave.id]) == set()
