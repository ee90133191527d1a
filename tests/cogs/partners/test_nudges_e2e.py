"""/partner nudge and /partner nudges end to end: the real bot, the emulator's Discord
rules, a real database (SQLite and PostgreSQL).

A nudge is one of the group's templates, sent by DM, only between partners, at most
`nudges_per_day` from one member to one partner in 24 hours; a member can stop nudges from
everyone or from one member; a nudge that can't be delivered isn't counted; nothing a
member types is ever sent. The bot's clock is one the test moves.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cogs.partners import texts
from core.bot import RecoveryBot
from core.times import timestamp
from fakediscord import CommandInputError
from fakediscord.models import Member, Message
from sandbox.community import Community
from tests.cogs.partners.helpers import (
    START,
    dms_from_bot,
    invite,
    nudges_sent,
    pair,
    partner,
    partner_rows,
)
from tests.fake_clock import FakeClock


def mention(member: Member) -> str:
    return f"<@{member.id}>"


def nudge_dms(community: Community, to: Member) -> list[Message]:
    return [m for m in dms_from_bot(community, to) if m.content.startswith("A nudge from")]


def nudge_text(sender: Member, text: str) -> str:
    return texts.NUDGE.format(member=mention(sender), text=text)


async def nudge(
    community: Community, sender: Member, recipient: Member, message: str | None = "0"
) -> Message:
    """/partner nudge as `sender`; the bot's reply, which must be private."""
    options: dict[str, object] = {"member": recipient}
    if message is not None:
        options["message"] = message
    reply = await partner(community, sender, "nudge", **options)
    assert reply.ephemeral, reply.content
    return reply


async def sent(
    bot: RecoveryBot, community: Community, sender: Member, recipient: Member, number: int
) -> None:
    """A nudge `sender` sends `recipient`, template `number`: confirmed and delivered."""
    template = bot.content.partners.nudges[number]
    before = len(nudge_dms(community, recipient))
    reply = await nudge(community, sender, recipient, str(number))
    assert reply.content == texts.NUDGE_SENT.format(member=mention(recipient), text=template)
    delivered = nudge_dms(community, recipient)
    assert len(delivered) == before + 1
    assert delivered[-1].content == nudge_text(sender, template)


@pytest.fixture
def templates(bot: RecoveryBot) -> list[str]:
    """The group's nudges, as the bot loaded them (config/content/partners.toml)."""
    nudges = list(bot.content.partners.nudges)
    assert len(nudges) == 7
    return nudges


# --- Who may nudge --------------------------------------------------------------------------


async def test_only_partners_can_nudge_each_other(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob, sam = community.alice, community.bob, community.sam
    refused = await nudge(community, alice, bob)
    assert refused.content == texts.NUDGE_NOT_PARTNER
    await invite(community, alice, bob)  # invited is not paired
    refused = await nudge(community, alice, bob)
    assert refused.content == texts.NUDGE_NOT_PARTNER
    refused = await nudge(community, bob, alice)
    assert refused.content == texts.NUDGE_NOT_PARTNER
    assert await nudges_sent(bot, community) == []
    assert nudge_dms(community, bob) == []
    assert nudge_dms(community, alice) == []

    await pair(bot, community, sam, alice)
    refused = await nudge(community, alice, bob)  # a partner of someone else's is no partner
    assert refused.content == texts.NUDGE_NOT_PARTNER
    await sent(bot, community, alice, sam, 3)
    await sent(bot, community, sam, alice, 4)
    assert await nudges_sent(bot, community) == [(alice.id, sam.id), (sam.id, alice.id)]


# --- The daily limit ------------------------------------------------------------------------


async def test_the_daily_limit_holds_for_each_partner_and_frees_up_after_24_hours(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    limit = bot.content.partners.nudges_per_day
    assert limit == 2  # config/content/partners.toml
    alice, bob, sam = community.alice, community.bob, community.sam
    await pair(bot, community, alice, bob)
    await pair(bot, community, alice, sam)

    await sent(bot, community, alice, bob, 0)
    clock.advance(hours=1)
    await sent(bot, community, alice, bob, 1)
    clock.advance(hours=1)
    refused = await nudge(community, alice, bob, "2")
    assert refused.content == texts.NUDGE_LIMIT.format(
        member=mention(bob), count="twice", next=timestamp(START + timedelta(hours=24))
    )
    assert len(nudge_dms(community, bob)) == limit
    assert await nudges_sent(bot, community) == [(alice.id, bob.id)] * limit

    # Per partner, and per direction.
    await sent(bot, community, alice, sam, 2)
    await sent(bot, community, bob, alice, 2)

    clock.at = START + timedelta(hours=23, minutes=59)
    still = await nudge(community, alice, bob, "3")
    assert still.content.startswith(texts.NUDGE_LIMIT.split("{")[0])
    clock.at = START + timedelta(hours=24)
    await sent(bot, community, alice, bob, 3)
    # The next one waits for the one sent an hour after the first.
    refused = await nudge(community, alice, bob, "4")
    assert refused.content == texts.NUDGE_LIMIT.format(
        member=mention(bob), count="twice", next=timestamp(START + timedelta(hours=25))
    )
    assert len(nudge_dms(community, bob)) == limit + 1


# --- Stopping nudges ------------------------------------------------------------------------


async def test_allow_off_stops_every_nudge_and_the_sender_is_told_it_isnt_taken(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob, sam = community.alice, community.bob, community.sam
    await pair(bot, community, alice, bob)
    await pair(bot, community, sam, bob)

    stopped = await partner(community, bob, "nudges", allow="off")
    assert stopped.ephemeral
    assert stopped.content == texts.NUDGES_OFF_ALL
    before = await partner_rows(bot)
    for sender in (alice, sam):
        refused = await nudge(community, sender, bob)
        assert refused.content == texts.NUDGE_NOT_TAKEN.format(member=mention(bob))
    assert nudge_dms(community, bob) == []
    assert await partner_rows(bot) == before
    listed = await partner(community, bob, "list")
    assert texts.LIST_NO_NUDGES in listed.content
    # Bob can still nudge them.
    await sent(bot, community, bob, alice, 0)

    again = await partner(community, bob, "nudges", allow="on")
    assert again.ephemeral
    assert again.content == texts.NUDGES_ON_ALL
    await sent(bot, community, alice, bob, 1)
    assert texts.LIST_NO_NUDGES not in (await partner(community, bob, "list")).content


async def test_allow_off_for_one_member_stops_only_their_nudges_even_after_the_pairing_ends(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob, sam = community.alice, community.bob, community.sam
    await pair(bot, community, alice, bob)
    await pair(bot, community, sam, bob)

    stopped = await partner(community, bob, "nudges", allow="off", member=alice)
    assert stopped.ephemeral
    assert stopped.content == texts.NUDGES_OFF_ONE.format(member=mention(alice))
    refused = await nudge(community, alice, bob)
    assert refused.content == texts.NUDGE_NOT_TAKEN.format(member=mention(bob))
    assert nudge_dms(community, bob) == []
    assert await nudges_sent(bot, community) == []
    await sent(bot, community, sam, bob, 5)

    # Kept when the pairing ends and starts again.
    await partner(community, bob, "end", member=alice)
    await pair(bot, community, alice, bob)
    refused = await nudge(community, alice, bob)
    assert refused.content == texts.NUDGE_NOT_TAKEN.format(member=mention(bob))

    again = await partner(community, bob, "nudges", allow="on", member=alice)
    assert again.ephemeral
    assert again.content == texts.NUDGES_ON_ONE.format(member=mention(alice))
    await sent(bot, community, alice, bob, 6)

    himself = await partner(community, bob, "nudges", allow="off", member=bob)
    assert himself.ephemeral
    assert himself.content == texts.NOT_YOURSELF


# --- Delivery -------------------------------------------------------------------------------


async def test_a_nudge_that_cannot_be_delivered_is_not_counted(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    limit = bot.content.partners.nudges_per_day
    alice, bob = community.alice, community.bob
    await pair(bot, community, alice, bob)
    bob.user.accepts_dms = False
    for number in range(limit + 1):
        undelivered = await nudge(community, alice, bob, str(number))
        assert undelivered.content == texts.NUDGE_UNDELIVERED.format(member=mention(bob))
        assert await nudges_sent(bot, community) == []
    assert nudge_dms(community, bob) == []
    # Each was tried, and Discord refused it (50007: the member takes no DMs).
    refused = [
        r.response["code"]
        for r in community.emu.requests_to("POST", "/channels/{channel_id}/messages")
        if r.status == 403
    ]
    assert refused == [50007] * (limit + 1)

    bob.user.accepts_dms = True
    for number in range(limit):
        await sent(bot, community, alice, bob, number)
    refused_now = await nudge(community, alice, bob)
    assert refused_now.content.startswith(texts.NUDGE_LIMIT.split("{")[0])


# --- What is sent ---------------------------------------------------------------------------


async def test_the_nudges_offered_are_the_groups_and_a_picked_one_is_sent_word_for_word(
    bot: RecoveryBot, community: Community, clock: FakeClock, templates: list[str]
) -> None:
    alice, bob = community.alice, community.bob
    await pair(bot, community, alice, bob)
    offered = await alice.autocomplete(
        "partner nudge", focused="message", value="", channel=community.checkins
    )
    assert [(c["name"], c["value"]) for c in offered] == [
        (text, str(n)) for n, text in enumerate(templates)
    ]
    typed = await alice.autocomplete(
        "partner nudge", focused="message", value="TALK", channel=community.checkins
    )
    assert [c["value"] for c in typed] == ["3"]
    await sent(bot, community, alice, bob, 3)
    # A template typed out in full is that template.
    reply = await nudge(community, alice, bob, templates[0])
    assert reply.content == texts.NUDGE_SENT.format(member=mention(bob), text=templates[0])
    assert nudge_dms(community, bob)[-1].content == nudge_text(alice, templates[0])


async def test_a_nudge_without_a_message_is_one_of_the_groups(
    bot: RecoveryBot, community: Community, clock: FakeClock, templates: list[str]
) -> None:
    alice, bob = community.alice, community.bob
    await pair(bot, community, alice, bob)
    reply = await nudge(community, alice, bob, None)
    [text] = [
        t
        for t in templates
        if reply.content == texts.NUDGE_SENT.format(member=mention(bob), text=t)
    ]
    assert nudge_dms(community, bob)[-1].content == nudge_text(alice, text)


HOSTILE = [
    pytest.param("**" + "x" * 96 + "**", id="100 characters of markdown"),
    pytest.param("@everyone @here <@{bob}> <@&{role}> look at this", id="mentions"),
    pytest.param("[you're pathetic](https://example.com) ||spoiler|| `code`", id="links"),
    pytest.param("Thinking of you today. @everyone", id="a template with more"),
    pytest.param("Thinking of you today.\n# **NOT**", id="a template with a heading"),
    pytest.param("7", id="one past the templates"),
    pytest.param("-1", id="negative"),
    pytest.param("9" * 40, id="a huge number"),
    pytest.param("0x1", id="hex"),
]


@pytest.mark.parametrize("message", HOSTILE)
async def test_a_message_that_is_not_one_of_the_groups_nudges_is_refused_and_never_sent(
    bot: RecoveryBot, community: Community, clock: FakeClock, message: str
) -> None:
    alice, bob = community.alice, community.bob
    await pair(bot, community, alice, bob)
    typed = message.format(bob=bob.id, role=community.role.id)
    dms_before = len(dms_from_bot(community, bob))
    before = await partner_rows(bot)

    reply = await nudge(community, alice, bob, typed)
    assert reply.content == texts.NUDGE_UNKNOWN
    assert reply.mentions == []
    assert not reply.mention_everyone
    assert len(dms_from_bot(community, bob)) == dms_before
    assert await partner_rows(bot) == before
    assert await nudges_sent(bot, community) == []
    if not typed.lstrip("-").isdecimal():  # a number could be in any id or timestamp
        assert all(typed not in m.content for m in community.emu.messages.values())


async def test_a_message_longer_than_the_option_allows_cannot_even_be_sent(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    await pair(bot, community, alice, bob)
    with pytest.raises(CommandInputError):
        await partner(community, alice, "nudge", member=bob, message="x" * 101)
    assert nudge_dms(community, bob) == []
    assert await nudges_sent(bot, community) == []
