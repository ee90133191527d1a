"""/partner invitations end to end: the real bot, the emulator's Discord rules, a real
database (SQLite and PostgreSQL).

An invitation is a DM with Accept and Decline; nothing is paired until the invitee
accepts, only the invitee can answer, a lapsed or withdrawn one can't be; refusals are
private and store nothing; a member whose DMs are closed sees the invitation after their
next command; either side ends a pairing; /partner list shows what each partner shares.
The bot's clock is one the test moves; the outbox is waited for, never slept on.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from cogs.partners import texts
from core.bot import RecoveryBot
from core.partner_signals import Shared
from core.times import timestamp
from db.models.partners import DECLINED, INVITED, PAIRED, WITHDRAWN
from fakediscord.models import Member, Message
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import GOOD, check_in, outbox_settled
from tests.cogs.partners.helpers import (
    ACCEPT,
    DECLINE,
    START,
    dms_from_bot,
    invitation_dm,
    invite,
    is_invitation,
    pair,
    pairs,
    partner,
    partner_rows,
    partnerships,
    press,
    run_partner,
)
from tests.fake_clock import FakeClock

EXPIRES = timestamp(START + timedelta(days=7))


def mention(member: Member) -> str:
    return f"<@{member.id}>"


def forwarded(community: Community, original: Message, to: Member) -> Message:
    """The invitation's buttons in front of someone else: the same message, as the bot's, in
    `to`'s DM with the bot (a forward, a screenshot's custom_id, a shared screen)."""
    channel = community.emu.dm_channel(to.user, community.app.bot_user)
    body = {"content": original.content, "components": original.components}
    return community.emu.post_message(channel, community.app.bot_user, body)


# --- Inviting and answering -----------------------------------------------------------------


async def test_an_invitation_dm_has_accept_and_decline_and_nothing_is_paired_until_accepted(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    reply = await partner(community, alice, "invite", member=bob)
    assert reply.ephemeral
    assert reply.content == texts.INVITED.format(member=mention(bob), expires=EXPIRES)

    invitation = await invitation_dm(community, bob)
    assert invitation.author.id == community.app.bot_user.id
    assert mention(alice) in invitation.content
    assert "**Recovery Circle**" in invitation.content
    assert EXPIRES in invitation.content
    [row] = await pairs(bot, community)
    assert row == (alice.id, bob.id, INVITED)
    invitation_id = (await partner_rows(bot))["partnerships"][0][0]
    guild = community.guild.id
    assert invitation.custom_ids == [
        f"partners:accept:{guild}:{invitation_id}",
        f"partners:decline:{guild}:{invitation_id}",
    ]
    labels = [invitation.component(c)["label"] for c in invitation.custom_ids]  # type: ignore[index]
    assert labels == [texts.ACCEPT_BUTTON, texts.DECLINE_BUTTON]

    # Not partners yet: no nudge, no partner in either list.
    refused = await partner(community, alice, "nudge", member=bob, message="0")
    assert refused.ephemeral
    assert refused.content == texts.NUDGE_NOT_PARTNER
    alices = await partner(community, alice, "list")
    assert alices.ephemeral
    assert texts.LIST_PARTNERS not in alices.content
    assert texts.LIST_SENT in alices.content
    assert mention(bob) in alices.content
    bobs_list = await run_partner(community, bob, "list")
    bobs = await bobs_list.wait_for_response()
    assert bobs.ephemeral
    assert texts.LIST_PARTNERS not in bobs.content
    assert texts.LIST_RECEIVED in bobs.content
    # The invitation again, with its buttons, privately under the list.
    again = await bobs_list.wait_for_followup(where=is_invitation)
    assert again.ephemeral
    assert again.custom_ids == invitation.custom_ids
    assert await pairs(bot, community) == [(alice.id, bob.id, INVITED)]
    assert dms_from_bot(community, alice) == []


async def test_accept_pairs_replaces_the_invitation_without_buttons_and_tells_the_inviter(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    invitation = await invite(community, alice, bob)

    answered = await press(bob, invitation, ACCEPT)
    assert answered.type == 7  # the invitation itself is updated
    assert answered.message is invitation
    assert invitation.content == texts.ACCEPTED.format(member=mention(alice))
    assert invitation.custom_ids == []
    assert invitation.edited_at is not None
    [row] = await pairs(bot, community)
    assert row == (alice.id, bob.id, PAIRED)

    told = await community.emu.wait_for_dm(alice)
    assert told.content == texts.ACCEPTED_FOR_INVITER.format(member=mention(bob))
    await outbox_settled(bot)
    assert [m.content for m in dms_from_bot(community, alice)] == [told.content]
    listed = await partner(community, alice, "list")
    assert texts.LIST_PARTNERS in listed.content
    assert mention(bob) in listed.content
    assert texts.LIST_SENT not in listed.content


async def test_decline_pairs_nothing_and_the_inviter_is_not_told(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    invitation = await invite(community, alice, bob)

    answered = await press(bob, invitation, DECLINE)
    assert answered.message is invitation
    assert invitation.content == texts.DECLINED.format(member=mention(alice))
    assert invitation.custom_ids == []
    assert await pairs(bot, community) == [(alice.id, bob.id, DECLINED)]
    await outbox_settled(bot)
    assert dms_from_bot(community, alice) == []
    # To alice it still looks like an invitation waiting; bob has nothing to answer.
    alices = await partner(community, alice, "list")
    assert texts.LIST_SENT in alices.content
    assert texts.LIST_PARTNERS not in alices.content
    bobs = await partner(community, bob, "list")
    assert bobs.content.startswith(texts.LIST_EMPTY)
    refused = await partner(community, bob, "nudge", member=alice, message="0")
    assert refused.content == texts.NUDGE_NOT_PARTNER


async def test_a_lapsed_invitation_cannot_be_accepted_and_is_no_longer_listed(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    invitation = await invite(community, alice, bob)
    clock.advance(days=7, seconds=1)
    before = await partner_rows(bot)

    refused = await press(bob, invitation, ACCEPT)
    assert refused.ephemeral
    assert refused.content == texts.INVITATION_GONE
    assert refused.message is not invitation
    assert invitation.edited_at is None  # the invitation is untouched
    assert await partner_rows(bot) == before
    assert [state for _, _, state in await pairs(bot, community)] == [INVITED]
    for who in (alice, bob):
        listed = await partner(community, who, "list")
        assert listed.content.startswith(texts.LIST_EMPTY), listed.content
        assert mention(bob if who is alice else alice) not in listed.content
    await outbox_settled(bot)
    assert dms_from_bot(community, alice) == []
    # A lapsed invitation doesn't stand in the way of a new one.
    await invite(community, alice, bob)


async def test_an_invitation_still_open_on_its_last_day_can_be_accepted(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    invitation = await invite(community, community.alice, community.bob)
    clock.advance(days=6, hours=23, minutes=59)
    answered = await press(community.bob, invitation, ACCEPT)
    assert answered.message is invitation
    assert [state for _, _, state in await pairs(bot, community)] == [PAIRED]


@pytest.mark.parametrize("who", ["alice", "sam"], ids=["the inviter", "a third member"])
async def test_only_the_invitee_can_answer_someone_else_pressing_changes_nothing(
    bot: RecoveryBot, community: Community, clock: FakeClock, who: str
) -> None:
    alice, bob = community.alice, community.bob
    presser: Member = getattr(community, who)
    invitation = await invite(community, alice, bob)
    copy = forwarded(community, invitation, presser)
    before = await partner_rows(bot)

    for prefix in (ACCEPT, DECLINE):
        refused = await press(presser, copy, prefix)
        assert refused.ephemeral
        assert refused.content == texts.NOT_YOUR_INVITATION
        assert copy.custom_ids == invitation.custom_ids  # neither message is changed
        assert invitation.edited_at is None
        assert copy.edited_at is None
        assert await partner_rows(bot) == before
    await outbox_settled(bot)
    assert [m for m in dms_from_bot(community, alice) if m is not copy] == []
    # Bob still can.
    answered = await press(bob, invitation, ACCEPT)
    assert answered.message is invitation
    assert await pairs(bot, community) == [(alice.id, bob.id, PAIRED)]


async def test_an_answered_invitation_cannot_be_answered_again(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    invitation = await invite(community, alice, bob)
    copy = forwarded(community, invitation, bob)  # e.g. the same buttons under /partner list
    await press(bob, invitation, DECLINE)
    before = await partner_rows(bot)
    refused = await press(bob, copy, ACCEPT)
    assert refused.ephemeral
    assert refused.content == texts.ALREADY_ANSWERED
    assert await partner_rows(bot) == before
    assert await pairs(bot, community) == [(alice.id, bob.id, DECLINED)]


# --- Refusals -------------------------------------------------------------------------------


async def _set_up(bot: RecoveryBot, community: Community, case: str) -> None:
    alice, bob = community.alice, community.bob
    if case == "already partners":
        await pair(bot, community, alice, bob)
    elif case == "already invited":
        await invite(community, alice, bob)
    elif case == "they invited you":
        await invite(community, bob, alice)


REFUSALS = [
    pytest.param("self", "alice", texts.NOT_YOURSELF, id="self"),
    pytest.param("a bot", "bot_member", texts.NOT_A_BOT, id="the bot"),
    pytest.param(
        "already partners", "bob", texts.ALREADY_PARTNERS.format(member="{bob}"), id="partners"
    ),
    pytest.param(
        "already invited",
        "bob",
        texts.ALREADY_INVITED.format(member="{bob}", expires=EXPIRES),
        id="already invited",
    ),
    pytest.param(
        "they invited you",
        "bob",
        texts.THEY_INVITED_YOU.format(member="{bob}"),
        id="they invited you",
    ),
]


@pytest.mark.parametrize(("case", "target", "refusal"), REFUSALS)
async def test_each_refused_invitation_gets_a_clear_private_message_and_stores_nothing(
    bot: RecoveryBot,
    community: Community,
    clock: FakeClock,
    case: str,
    target: str,
    refusal: str,
) -> None:
    await _set_up(bot, community, case)
    invitee: Member = getattr(community, target)
    before = await partner_rows(bot)
    dms_before = len(community.emu.dms_of(invitee))

    reply = await partner(community, community.alice, "invite", member=invitee)
    assert reply.ephemeral
    assert reply.content == refusal.format(bob=mention(community.bob))
    assert reply.custom_ids == []
    assert await partner_rows(bot) == before
    assert len(community.emu.dms_of(invitee)) == dms_before


async def test_the_partner_limit_counts_partners_and_open_invitations_and_stores_nothing(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    limit = bot.content.partners.max_partners
    assert limit == 5  # config/content/partners.toml
    alice = community.alice
    others = [community.guild.add_member(f"member{n}") for n in range(limit)]
    await pair(bot, community, alice, community.bob)
    await pair(bot, community, community.sam, alice)  # a partnership alice accepted counts too
    for other in others[: limit - 2]:
        await invite(community, alice, other)
    # Invitations alice received don't take her places.
    await invite(community, community.riley, alice)
    before = await partner_rows(bot)

    reply = await partner(community, alice, "invite", member=others[-1])
    assert reply.ephemeral
    assert reply.content == texts.TOO_MANY_PARTNERS.format(count=limit)
    assert await partner_rows(bot) == before
    assert community.emu.dms_of(others[-1]) == []
    # Ending one frees a place.
    ended = await partner(community, alice, "end", member=community.bob)
    assert ended.ephemeral
    await invite(community, alice, others[-1])


# --- Closed DMs -----------------------------------------------------------------------------


async def test_with_dms_closed_the_inviter_is_told_and_the_invitee_sees_it_after_their_next_command(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob, sam = community.alice, community.bob, community.sam
    # Sam hears of bob's /help-now: how the test knows that command has finished.
    await pair(bot, community, sam, bob)
    await partner(community, bob, "settings", **{"help-now": "on"})
    bob.user.accepts_dms = False
    reply = await partner(community, alice, "invite", member=bob)
    assert reply.ephemeral
    assert reply.content == texts.INVITED_NO_DM.format(member=mention(bob), expires=EXPIRES)
    # Only sam's invitation, answered before bob closed his DMs.
    assert [is_invitation(m) for m in dms_from_bot(community, bob)] == [False]
    assert (alice.id, bob.id, INVITED) in await pairs(bot, community)

    # Not between a member in crisis and help.
    helped = await bob.run_command("help-now", channel=community.checkins)
    assert (await helped.wait_for_response()).ephemeral
    await community.emu.wait_for_dm(sam, where=lambda m: "/help-now" in m.content)

    shown_by = await bob.run_command("partner settings", channel=community.checkins)
    first = await shown_by.wait_for_response()
    assert first.ephemeral
    assert first.message is not None
    assert not is_invitation(first.message)
    notice = await shown_by.wait_for_followup(where=is_invitation)
    assert notice.ephemeral
    assert notice.content.startswith(texts.INVITATION_WAITING)
    assert mention(alice) in notice.content
    [invitation] = [row for row in await partnerships(bot, community) if row.state == INVITED]
    guild = community.guild.id
    assert notice.custom_ids == [
        f"partners:accept:{guild}:{invitation.id}",
        f"partners:decline:{guild}:{invitation.id}",
    ]

    # Once: the next command shows nothing more (the list is waited for after it, so the
    # command's own completion has been handled by then).
    later = await bob.run_command("partner nudges", channel=community.checkins, allow="on")
    assert (await later.wait_for_reply()).ephemeral
    await partner(community, alice, "list")
    assert [m for m in later.followups if is_invitation(m)] == []
    assert [m for m in helped.followups if is_invitation(m)] == []

    answered = await press(bob, notice, ACCEPT)
    assert answered.message is notice
    assert notice.content == texts.ACCEPTED.format(member=mention(alice))
    assert notice.custom_ids == []
    assert (alice.id, bob.id, PAIRED) in await pairs(bot, community)
    told = await community.emu.wait_for_dm(alice)
    assert told.content == texts.ACCEPTED_FOR_INVITER.format(member=mention(bob))


# --- Ending ---------------------------------------------------------------------------------


@pytest.mark.parametrize("ender", ["alice", "bob"], ids=["the inviter ends", "the invitee ends"])
async def test_either_partner_ends_it_at_once_and_the_other_is_told_kindly(
    bot: RecoveryBot, community: Community, clock: FakeClock, ender: str
) -> None:
    alice, bob = community.alice, community.bob
    await pair(bot, community, alice, bob)
    ending: Member = getattr(community, ender)
    other = bob if ending is alice else alice
    dms_before = len(dms_from_bot(community, other))

    ended = await partner(community, ending, "end", member=other)
    assert ended.ephemeral
    assert ended.content == texts.ENDED.format(member=mention(other))
    assert await pairs(bot, community) == []
    told = await community.emu.wait_for_dm(other, where=lambda m: "ended" in m.content)
    assert told.content == texts.ENDED_FOR_OTHER.format(member=mention(ending))
    await outbox_settled(bot)
    assert len(dms_from_bot(community, other)) == dms_before + 1
    assert dms_from_bot(community, ending)[-1].content != told.content
    refused = await partner(community, other, "nudge", member=ending, message="0")
    assert refused.content == texts.NUDGE_NOT_PARTNER
    again = await partner(community, ending, "end", member=other)
    assert again.ephemeral
    assert again.content == texts.NOT_PARTNERS.format(member=mention(other))


async def test_ending_a_sent_invitation_withdraws_it(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    invitation = await invite(community, alice, bob)
    withdrawn = await partner(community, alice, "end", member=bob)
    assert withdrawn.ephemeral
    assert withdrawn.content == texts.WITHDRAWN.format(member=mention(bob))
    # Kept until it would have lapsed, so bob isn't asked again at once.
    assert await pairs(bot, community) == [(alice.id, bob.id, WITHDRAWN)]

    refused = await press(bob, invitation, ACCEPT)
    assert refused.ephemeral
    assert refused.content == texts.INVITATION_GONE
    assert await pairs(bot, community) == [(alice.id, bob.id, WITHDRAWN)]
    assert texts.LIST_SENT not in (await partner(community, alice, "list")).content
    await outbox_settled(bot)
    assert [is_invitation(m) for m in dms_from_bot(community, bob)] == [True]  # nothing more
    assert (await partner(community, bob, "list")).content.startswith(texts.LIST_EMPTY)


async def test_the_invitee_ending_an_invitation_declines_it(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    await invite(community, alice, bob)
    ended = await partner(community, bob, "end", member=alice)
    assert ended.ephemeral
    assert await pairs(bot, community) == [(alice.id, bob.id, DECLINED)]
    await outbox_settled(bot)
    assert dms_from_bot(community, alice) == []
    assert (await partner(community, bob, "list")).content.startswith(texts.LIST_EMPTY)


async def test_the_invitee_ending_an_invitation_is_told_they_declined_it(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    await invite(community, alice, bob)
    ended = await partner(community, bob, "end", member=alice)
    assert ended.ephemeral
    assert ended.content == texts.DECLINED.format(member=mention(alice))


def _anonymised(text: str, *members: Member) -> str:
    for member in members:
        text = text.replace(mention(member), "<member>")
    return text


async def test_after_withdrawing_the_inviter_cannot_tell_a_decline_from_no_answer(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob, sam = community.alice, community.bob, community.sam
    declined = await invite(community, alice, bob)
    await press(bob, declined, DECLINE)
    await invite(community, alice, sam)  # never answered
    seen: dict[int, list[str]] = {}
    for invitee in (bob, sam):
        withdrawn = await partner(community, alice, "end", member=invitee)
        assert withdrawn.content == texts.WITHDRAWN.format(member=mention(invitee))
        seen[invitee.id] = [_anonymised(withdrawn.content, invitee)]
    listed = await partner(community, alice, "list")
    assert mention(bob) not in listed.content  # withdrawn means gone from her list
    assert mention(sam) not in listed.content
    for invitee in (bob, sam):
        again = await partner(community, alice, "invite", member=invitee)
        assert again.ephemeral
        seen[invitee.id].append(_anonymised(again.content, invitee))
    assert seen[bob.id] == seen[sam.id]


# --- Listing --------------------------------------------------------------------------------


async def test_the_list_shows_partners_what_they_share_and_check_ins_only_when_shared(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob, sam = community.alice, community.bob, community.sam
    await pair(bot, community, alice, bob)
    await pair(bot, community, sam, alice)
    await invite(community, alice, community.riley)
    shared = await partner(community, bob, "settings", checkins="on", milestones="on")
    assert shared.ephemeral
    assert (await partner(community, sam, "settings", milestones="on")).ephemeral

    listed = await partner(community, alice, "list")
    assert listed.ephemeral
    lines = listed.content.split("\n")
    [bobs] = [line for line in lines if mention(bob) in line]
    checkins, milestones = (
        texts.SHARED_NAMES[Shared.CHECKINS],
        texts.SHARED_NAMES[Shared.MILESTONES],
    )
    assert f"They share: {checkins}, {milestones}." in bobs
    assert bobs.endswith(texts.NOT_CHECKED_IN_TODAY)
    [sams] = [line for line in lines if mention(sam) in line]
    assert f"They share: {milestones}." in sams
    assert texts.CHECKED_IN_TODAY not in sams
    assert texts.NOT_CHECKED_IN_TODAY not in sams
    [rileys] = [line for line in lines if mention(community.riley) in line]
    assert lines.index(rileys) > lines.index(texts.LIST_SENT)
    assert texts.LIST_YOU_SHARE.format(shared=texts.NOTHING_SHARED) in lines

    # Bob checks in: alice sees that he did, and nothing of what he wrote.
    checked = await (await check_in(community, GOOD, who="bob")).wait_for_response()
    assert checked.ephemeral
    listed = await partner(community, alice, "list")
    [bobs] = [line for line in listed.content.split("\n") if mention(bob) in line]
    assert bobs.endswith(" " + texts.CHECKED_IN_TODAY)
    assert str(GOOD["note"]) not in listed.content

    # Alice shares nothing: bob sees that, and no check-in status of hers.
    bobs_list = await partner(community, bob, "list")
    [alices] = [line for line in bobs_list.content.split("\n") if mention(alice) in line]
    assert f"They share: {texts.NOTHING_SHARED}." in alices
    assert texts.CHECKED_IN_TODAY not in alices
    assert texts.NOT_CHECKED_IN_TODAY not in alices
    assert texts.LIST_YOU_SHARE.format(shared=f"{checkins}, {milestones}") in bobs_list.content


async def _accepted_and_ended(
    bot: RecoveryBot, community: Community, inviter: Member, invitee: Member
) -> None:
    await pair(bot, community, inviter, invitee)
    await partner(community, invitee, "end", member=inviter)
    await outbox_settled(bot)


async def test_pairing_again_after_ending_tells_the_inviter_again(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    await _accepted_and_ended(bot, community, alice, bob)
    clock.advance(hours=1)
    await _accepted_and_ended(bot, community, alice, bob)
    accepted = texts.ACCEPTED_FOR_INVITER.format(member=mention(bob))
    ended = texts.ENDED_FOR_OTHER.format(member=mention(bob))
    assert [m.content for m in dms_from_bot(community, alice)] == [accepted, ended] * 2


async def test_an_owed_invitation_is_shown_once_when_the_next_command_is_the_list(
    bot: RecoveryBot, community: Community, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    bob.user.accepts_dms = False
    await partner(community, alice, "invite", member=bob)
    listed = await run_partner(community, bob, "list")
    assert (await listed.wait_for_response()).ephemeral
    await listed.wait_for_followup(where=is_invitation)
    # Two more round trips, so the list's own completion has been handled.
    await partner(community, bob, "settings")
    await partner(community, alice, "list")
    assert len([m for m in listed.followups if is_invitation(m)]) == 1
