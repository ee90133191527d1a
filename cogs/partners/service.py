"""The rules of accountability partners, in plain database code (no discord import).

- A pairing is one `partnerships` row per two members of a server (`pair_key`, unique),
  whoever invited: invited, then paired or declined. Nothing is shared before it is
  paired, and then only what each member chose (`partner_preferences`, all off until
  they choose), the same for all their partners.
- An invitation lapses `invitation_days` after it was sent; a declined one is kept
  until then, and looks to the inviter like one still waiting, so a decline is never
  announced and can't be answered by inviting again at once. Lapsed rows are purged
  by the sweep (`purge_lapsed`) and ignored by every read before that.
- A member has at most `max_partners` partners and open invitations they sent.
- Ending (either side, any time), leaving the server, or erasing: the row goes, and every
  signal still queued between the two is taken back from the outbox in the same
  transaction, so nothing more is shared from that moment.
- A signal (`PartnerQueue.queue`) becomes one outbox DM per partner of a member who
  shares that kind, keyed `partners:<server>:<member>:<partner>:<kind>:<occasion>`:
  sent once, and withdrawn by prefix when the pairing ends or the kind is turned off.
- Nudges: only between partners, one of the group's templates, at most
  `nudges_per_day` from one member to one partner in 24 hours; a member can stop
  nudges from everyone or from one member (kept even after a pairing ends).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.partners import texts
from config.content import PartnerContent
from core.counting import counted
from core.errors import UserFacingError
from core.outbox import Outgoing, enqueue, message_body, shard_filter, withdraw
from core.partner_signals import PartnerSignal, Shared
from core.times import timestamp
from core.timezones import member_zone_name, zone_or_utc
from db.engine import Database
from db.inserts import insert_missing
from db.models import (
    Checkin,
    Member,
    OutboxMessage,
    PartnerNudge,
    PartnerNudgeBlock,
    PartnerPreference,
    Partnership,
)
from db.models.partners import DECLINED, INVITED, PAIRED, WITHDRAWN, pair_key

log = logging.getLogger(__name__)

SIGNAL_KIND = "partners.signal"
ENDED_KIND = "partners.ended"
ACCEPTED_KIND = "partners.accepted"
SIGNAL_KEY = "partners"
# How long a signal is still worth delivering: help asked for is news for hours, a
# milestone for a couple of days.
SIGNAL_KEPT_FOR = {
    Shared.CHECKINS: timedelta(days=1),
    Shared.MILESTONES: timedelta(days=2),
    Shared.WARNING_SIGNS: timedelta(days=1),
    Shared.HELP_NOW: timedelta(hours=6),
}
NOTICE_KEPT_FOR = timedelta(days=2)
NUDGE_WINDOW = timedelta(hours=24)
SHARE_COLUMNS = {
    Shared.CHECKINS: PartnerPreference.share_checkins,
    Shared.MILESTONES: PartnerPreference.share_milestones,
    Shared.WARNING_SIGNS: PartnerPreference.share_warning_signs,
    Shared.HELP_NOW: PartnerPreference.share_help_now,
}


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def signal_prefix(
    guild_id: int, member_id: int, partner_id: int, kind: Shared | None = None
) -> str:
    prefix = f"{SIGNAL_KEY}:{guild_id}:{member_id}:{partner_id}:"
    return f"{prefix}{kind.value}:" if kind is not None else prefix


# --- What the commands read --------------------------------------------------------------


@dataclass(frozen=True)
class Invitation:
    id: int
    inviter_user_id: int
    invitee_user_id: int
    expires_at: datetime


@dataclass(frozen=True)
class Partner:
    user_id: int
    since: datetime
    # What this partner shares with the member who asks.
    shares: frozenset[Shared]
    # Whether they checked in today, their local day; None when they don't share it.
    checked_in_today: bool | None


@dataclass(frozen=True)
class Overview:
    partners: list[Partner]
    sent: list[Invitation]
    received: list[Invitation]
    shares: frozenset[Shared]
    takes_nudges: bool


@dataclass(frozen=True)
class Ended:
    other_user_id: int
    # True when a pairing ended (the other is told), False for an invitation withdrawn.
    was_paired: bool
    # An invitation to the member, which ending declined.
    declined: bool = False


@dataclass(frozen=True)
class Nudged:
    id: int
    text: str


@dataclass
class _Preferences:
    shares: set[Shared] = field(default_factory=set)
    takes_nudges: bool = True


def _live(now: datetime) -> Any:
    """Rows that still count: paired, or an invitation not yet lapsed."""
    return or_(Partnership.state == PAIRED, Partnership.expires_at > now)


def involving(user_id: int) -> Any:
    """Rows naming the member on either side."""
    return or_(Partnership.inviter_user_id == user_id, Partnership.invitee_user_id == user_id)


def other_of(row: Partnership, user_id: int) -> int:
    return row.invitee_user_id if row.inviter_user_id == user_id else row.inviter_user_id


async def _pair(
    session: AsyncSession, guild_id: int, first: int, second: int, *, lock: bool = False
) -> Partnership | None:
    query = select(Partnership).where(
        Partnership.guild_id == guild_id, Partnership.pair_key == pair_key(first, second)
    )
    return await session.scalar(query.with_for_update() if lock else query)


async def _places_taken(session: AsyncSession, guild_id: int, user_id: int, now: datetime) -> int:
    """Partners, and open invitations the member sent (those they received don't count:
    nobody can fill another's places)."""
    taken = await session.scalar(
        select(func.count())
        .select_from(Partnership)
        .where(
            Partnership.guild_id == guild_id,
            or_(
                and_(Partnership.state == PAIRED, involving(user_id)),
                and_(
                    Partnership.state.in_((INVITED, DECLINED)),
                    Partnership.inviter_user_id == user_id,
                    Partnership.expires_at > now,
                ),
            ),
        )
    )
    return int(taken or 0)


async def _preferences(session: AsyncSession, guild_id: int, user_id: int) -> _Preferences:
    row = await session.get(PartnerPreference, (guild_id, user_id))
    if row is None:
        return _Preferences()
    shares = {kind for kind, column in SHARE_COLUMNS.items() if getattr(row, column.key)}
    return _Preferences(shares, row.takes_nudges)


# --- Invitations -------------------------------------------------------------------------


async def invite(
    db: Database,
    guild_id: int,
    inviter: int,
    invitee: int,
    now: datetime,
    limits: PartnerContent,
) -> Invitation:
    """A new invitation, or a clear refusal that changes nothing."""
    if inviter == invitee:
        raise UserFacingError(texts.NOT_YOURSELF)
    async with db.guild_session(guild_id) as session, session.begin():
        await _lock_members(session, guild_id, (inviter, invitee))
        found = await _pair(session, guild_id, inviter, invitee, lock=True)
        if found is not None and _replaceable(found, inviter, now):
            await session.delete(found)
            await session.flush()
            found = None
        if found is not None:
            _refuse_existing(found, inviter, invitee)
        if await _places_taken(session, guild_id, inviter, now) >= limits.max_partners:
            raise UserFacingError(texts.TOO_MANY_PARTNERS.format(count=limits.max_partners))
        row = Partnership(
            guild_id=guild_id,
            inviter_user_id=inviter,
            invitee_user_id=invitee,
            pair_key=pair_key(inviter, invitee),
            state=INVITED,
            invited_at=now,
            expires_at=now + timedelta(days=limits.invitation_days),
            notice_owed=False,
        )
        session.add(row)
        try:
            await session.flush()
        except IntegrityError:
            # Another invitation between the two was made at the same moment: it stands.
            raise UserFacingError(texts.INVITATION_EXISTS.format(member=mention(invitee))) from None
        assert row.expires_at is not None
        return Invitation(row.id, inviter, invitee, row.expires_at)


def _replaceable(found: Partnership, inviter: int, now: datetime) -> bool:
    """A lapsed invitation, or an unanswered one the other way round that is over (the
    member who declined, or was offered one since withdrawn, may still ask)."""
    if found.state == PAIRED:
        return False
    lapsed = found.expires_at is not None and found.expires_at <= now
    return lapsed or (found.state in (DECLINED, WITHDRAWN) and found.invitee_user_id == inviter)


def _refuse_existing(found: Partnership, inviter: int, invitee: int) -> None:
    member = mention(invitee)
    if found.state == PAIRED:
        raise UserFacingError(texts.ALREADY_PARTNERS.format(member=member))
    assert found.expires_at is not None
    expires = timestamp(found.expires_at)
    if found.inviter_user_id == inviter:
        # A withdrawn invitation (or a declined one withdrawn: the same to the inviter)
        # holds back a new one until it would have lapsed.
        words = texts.INVITED_RECENTLY if found.state == WITHDRAWN else texts.ALREADY_INVITED
        raise UserFacingError(words.format(member=member, expires=expires))
    raise UserFacingError(texts.THEY_INVITED_YOU.format(member=member))


async def owe_notice(db: Database, guild_id: int, invitation_id: int) -> None:
    """The invitation's DM could not be sent: show it at the invitee's next command."""
    async with db.guild_session(guild_id) as session, session.begin():
        await session.execute(
            update(Partnership)
            .where(Partnership.id == invitation_id, Partnership.state == INVITED)
            .values(notice_owed=True)
        )


async def claim_owed_notices(
    db: Database, guild_id: int, user_id: int, now: datetime
) -> list[Invitation]:
    """The invitations owed to the member as a notice, claimed so they are shown once
    (two commands at once show each once)."""
    async with db.guild_session(guild_id) as session, session.begin():
        claimed = await session.execute(
            update(Partnership)
            .where(
                Partnership.guild_id == guild_id,
                Partnership.invitee_user_id == user_id,
                Partnership.state == INVITED,
                Partnership.notice_owed.is_(True),
                Partnership.expires_at > now,
            )
            .values(notice_owed=False)
            .returning(
                Partnership.id,
                Partnership.inviter_user_id,
                Partnership.invitee_user_id,
                Partnership.expires_at,
            )
            .execution_options(synchronize_session=False)
        )
        return sorted(
            (
                Invitation(id_, inviter, invitee, expires_at or now)
                for id_, inviter, invitee, expires_at in claimed.all()
            ),
            key=lambda invitation: invitation.id,
        )


async def owes_notice(db: Database, guild_id: int, user_id: int, now: datetime) -> bool:
    async with db.guild_session(guild_id) as session:
        found = await session.scalar(
            select(Partnership.id)
            .where(
                Partnership.guild_id == guild_id,
                Partnership.invitee_user_id == user_id,
                Partnership.state == INVITED,
                Partnership.notice_owed.is_(True),
                Partnership.expires_at > now,
            )
            .limit(1)
        )
    return found is not None


async def answer(
    db: Database,
    guild_id: int,
    invitation_id: int,
    user_id: int,
    accept: bool,
    now: datetime,
    limits: PartnerContent,
) -> int:
    """Accept or decline an invitation as `user_id`, who must be its invitee; returns
    the inviter."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.scalar(
            select(Partnership)
            .where(Partnership.guild_id == guild_id, Partnership.id == invitation_id)
            .with_for_update()
        )
        if (
            row is None
            or row.state == WITHDRAWN
            or (row.state != PAIRED and (row.expires_at or now) <= now)
        ):
            raise UserFacingError(texts.INVITATION_GONE)
        if row.invitee_user_id != user_id:
            raise UserFacingError(texts.NOT_YOUR_INVITATION)
        if row.state != INVITED:
            raise UserFacingError(texts.ALREADY_ANSWERED)
        if not accept:
            row.state = DECLINED
            row.notice_owed = False
            return row.inviter_user_id
        # Both members' places counted under their locks: two accepts at once can't
        # both take a member's last place.
        await _lock_members(session, guild_id, (user_id, row.inviter_user_id))
        for member in (user_id, row.inviter_user_id):
            paired = await session.scalar(
                select(func.count())
                .select_from(Partnership)
                .where(
                    Partnership.guild_id == guild_id,
                    Partnership.state == PAIRED,
                    involving(member),
                )
            )
            if int(paired or 0) >= limits.max_partners:
                if member == user_id:
                    raise UserFacingError(texts.TOO_MANY_PARTNERS.format(count=limits.max_partners))
                raise UserFacingError(texts.THEY_HAVE_TOO_MANY.format(member=mention(member)))
        row.state = PAIRED
        row.paired_at = now
        row.expires_at = None
        row.notice_owed = False
        await enqueue(
            session,
            [
                _notice(
                    ACCEPTED_KIND,
                    f"{signal_prefix(guild_id, user_id, row.inviter_user_id)}accepted:{row.id}",
                    guild_id,
                    row.inviter_user_id,
                    texts.ACCEPTED_FOR_INVITER.format(member=mention(user_id)),
                    now,
                )
            ],
        )
        return row.inviter_user_id


# --- Ending ------------------------------------------------------------------------------


async def end(db: Database, guild_id: int, user_id: int, other: int, now: datetime) -> Ended:
    """End a pairing or an invitation between the two, from either side."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await _pair(session, guild_id, user_id, other, lock=True)
        if (
            row is None
            or row.state == WITHDRAWN
            or (row.state != PAIRED and (row.expires_at or now) <= now)
        ):
            raise UserFacingError(texts.NOT_PARTNERS.format(member=mention(other)))
        if row.state == PAIRED:
            await _unpair(session, row, now)
            await enqueue(
                session,
                [
                    _notice(
                        ENDED_KIND,
                        f"{signal_prefix(guild_id, user_id, other)}ended:{row.id}",
                        guild_id,
                        other,
                        texts.ENDED_FOR_OTHER.format(member=mention(user_id)),
                        now,
                    )
                ],
            )
            return Ended(other, was_paired=True)
        if row.inviter_user_id != user_id:
            if row.state == DECLINED:
                raise UserFacingError(texts.NOT_PARTNERS.format(member=mention(other)))
            # The invitee ends an invitation to them: that is declining it.
            row.state = DECLINED
            row.notice_owed = False
            return Ended(other, was_paired=False, declined=True)
        # Kept until it would have lapsed, declined or not (see the module's docstring).
        row.state = WITHDRAWN
        row.notice_owed = False
        return Ended(other, was_paired=False)


async def _unpair(session: AsyncSession, row: Partnership, now: datetime) -> None:
    first, second = row.inviter_user_id, row.invitee_user_id
    await withdraw(
        session,
        row.guild_id,
        [
            signal_prefix(row.guild_id, first, second),
            signal_prefix(row.guild_id, second, first),
        ],
        now,
    )
    await session.delete(row)


def _notice(
    kind: str, key: str, guild_id: int, to_user_id: int, text: str, now: datetime
) -> Outgoing:
    """A DM telling one member what their partner did (accepted, ended)."""
    return Outgoing(
        kind=kind,
        dedupe_key=key,
        guild_id=guild_id,
        body=message_body(text),
        not_before=now,
        expires_at=now + NOTICE_KEPT_FOR,
        user_id=to_user_id,
    )


async def end_all(session: AsyncSession, guild_id: int, user_id: int, now: datetime) -> list[int]:
    """End every pairing and invitation of the member, in the caller's transaction;
    their partners are told (through the outbox). Returns the former partners."""
    rows = list(
        await session.scalars(
            select(Partnership).where(Partnership.guild_id == guild_id, involving(user_id))
        )
    )
    partners = []
    notices = []
    for row in rows:
        if row.state == PAIRED:
            partner = other_of(row, user_id)
            partners.append(partner)
            notices.append(
                # Names nobody: it outlives the member's erasure in the outbox.
                _notice(
                    ENDED_KIND,
                    f"{ENDED_KIND}:{guild_id}:{row.id}",
                    guild_id,
                    partner,
                    texts.PARTNERSHIP_ENDED_GONE,
                    now,
                )
            )
            await _unpair(session, row, now)
        else:
            await session.delete(row)
    await enqueue(session, notices)
    return partners


# --- Reading -----------------------------------------------------------------------------


async def partners_of(
    session: AsyncSession, guild_id: int, user_id: int, *, for_share: bool = False
) -> list[Partnership]:
    query = (
        select(Partnership)
        .where(
            Partnership.guild_id == guild_id,
            Partnership.state == PAIRED,
            involving(user_id),
        )
        .order_by(Partnership.paired_at, Partnership.id)
    )
    if for_share:
        query = query.with_for_update(read=True)
    return list(await session.scalars(query))


async def overview(db: Database, guild_id: int, user_id: int, now: datetime) -> Overview:
    async with db.guild_session(guild_id) as session:
        rows = list(
            await session.scalars(
                select(Partnership)
                .where(
                    Partnership.guild_id == guild_id,
                    involving(user_id),
                    Partnership.state != WITHDRAWN,
                    _live(now),
                )
                .order_by(Partnership.id)
            )
        )
        own = await _preferences(session, guild_id, user_id)
        partners = []
        for row in rows:
            if row.state != PAIRED:
                continue
            other = other_of(row, user_id)
            theirs = await _preferences(session, guild_id, other)
            checked = (
                await _checked_in_today(session, guild_id, other, now)
                if Shared.CHECKINS in theirs.shares
                else None
            )
            assert row.paired_at is not None
            partners.append(Partner(other, row.paired_at, frozenset(theirs.shares), checked))
    invitations = [
        (row, Invitation(row.id, row.inviter_user_id, row.invitee_user_id, row.expires_at))
        for row in rows
        if row.state != PAIRED and row.expires_at is not None
    ]
    return Overview(
        partners=partners,
        # A declined invitation still looks open to its inviter, and is gone for the invitee.
        sent=[i for row, i in invitations if row.inviter_user_id == user_id],
        received=[
            i for row, i in invitations if row.invitee_user_id == user_id and row.state == INVITED
        ],
        shares=frozenset(own.shares),
        takes_nudges=own.takes_nudges,
    )


async def _checked_in_today(
    session: AsyncSession, guild_id: int, user_id: int, now: datetime
) -> bool:
    zone = zone_or_utc(await session.scalar(select(member_zone_name(guild_id, user_id))))
    today: date = now.astimezone(zone).date()
    found = await session.scalar(
        select(Checkin.id)
        .where(
            Checkin.guild_id == guild_id,
            Checkin.user_id == user_id,
            Checkin.local_date == today,
        )
        .limit(1)
    )
    return found is not None


# --- Settings ----------------------------------------------------------------------------


async def _preference_row(session: AsyncSession, guild_id: int, user_id: int) -> PartnerPreference:
    """The member's own row, made (all off) if it is missing, and locked: a lock on a row
    that isn't there yet holds nothing, so two first changes at once would both insert."""
    await insert_missing(
        session,
        PartnerPreference,
        {
            "guild_id": guild_id,
            "user_id": user_id,
            "share_checkins": False,
            "share_milestones": False,
            "share_warning_signs": False,
            "share_help_now": False,
            "takes_nudges": True,
        },
    )
    row = await session.get(PartnerPreference, (guild_id, user_id), with_for_update=True)
    assert row is not None, "inserted above, or by whoever won the race"
    return row


async def _lock_members(session: AsyncSession, guild_id: int, user_ids: Iterable[int]) -> None:
    """Hold each member, in id order so two transactions never wait on each other, for
    whatever counts their partners: a transaction-scoped advisory lock on PostgreSQL. On
    SQLite a write that changes nothing makes the transaction the one writer before it
    reads. Nothing is stored about a member for it (an invitee never chose anything)."""
    members = sorted(set(user_ids))
    if session.get_bind().dialect.name == "postgresql":
        for user_id in members:
            key = f"partners:{guild_id}:{user_id}"
            await session.execute(select(func.pg_advisory_xact_lock(func.hashtextextended(key, 0))))
        return
    await session.execute(
        update(PartnerPreference)
        .where(PartnerPreference.guild_id == guild_id, PartnerPreference.user_id.in_(members))
        .values(user_id=PartnerPreference.user_id)
        .execution_options(synchronize_session=False)
    )


async def sharing(db: Database, guild_id: int, user_id: int) -> frozenset[Shared]:
    async with db.guild_session(guild_id) as session:
        return frozenset((await _preferences(session, guild_id, user_id)).shares)


async def change_sharing(
    db: Database, guild_id: int, user_id: int, changes: dict[Shared, bool], now: datetime
) -> frozenset[Shared]:
    """Apply the member's choices; a kind turned off takes back its signals still queued."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await _preference_row(session, guild_id, user_id)
        for kind, value in changes.items():
            setattr(row, SHARE_COLUMNS[kind].key, value)
        row.changed_at = now
        stopped = [kind for kind, value in changes.items() if not value]
        if stopped:
            partners = [other_of(p, user_id) for p in await partners_of(session, guild_id, user_id)]
            await withdraw(
                session,
                guild_id,
                [
                    signal_prefix(guild_id, user_id, partner, kind)
                    for partner in partners
                    for kind in stopped
                ],
                now,
            )
        await session.flush()
        return frozenset(kind for kind, column in SHARE_COLUMNS.items() if getattr(row, column.key))


async def set_nudges(
    db: Database,
    guild_id: int,
    user_id: int,
    allow: bool,
    sender: int | None,
    now: datetime,
) -> None:
    """Take or stop nudges: from everyone (`sender` None), or from one member."""
    async with db.guild_session(guild_id) as session, session.begin():
        if sender is None:
            row = await _preference_row(session, guild_id, user_id)
            row.takes_nudges = allow
            row.changed_at = now
            return
        if allow:
            await session.execute(
                delete(PartnerNudgeBlock).where(
                    PartnerNudgeBlock.guild_id == guild_id,
                    PartnerNudgeBlock.user_id == user_id,
                    PartnerNudgeBlock.blocked_user_id == sender,
                )
            )
        else:
            await insert_missing(
                session,
                PartnerNudgeBlock,
                {
                    "guild_id": guild_id,
                    "user_id": user_id,
                    "blocked_user_id": sender,
                    "blocked_at": now,
                },
            )


# --- Nudges ------------------------------------------------------------------------------


async def nudge(
    db: Database,
    guild_id: int,
    sender: int,
    recipient: int,
    template: int,
    now: datetime,
    limits: PartnerContent,
) -> Nudged:
    """Record a nudge about to be sent, or refuse it; `unsend` takes it back if the DM
    then fails, so only delivered nudges count towards the limit."""
    if not 0 <= template < len(limits.nudges):
        raise UserFacingError(texts.NUDGE_UNKNOWN)
    member = mention(recipient)
    async with db.guild_session(guild_id) as session, session.begin():
        # Locked, so two nudges at once are counted one after the other.
        pairing = await _pair(session, guild_id, sender, recipient, lock=True)
        if pairing is None or pairing.state != PAIRED:
            raise UserFacingError(texts.NUDGE_NOT_PARTNER)
        blocked = await session.get(PartnerNudgeBlock, (guild_id, recipient, sender))
        if (
            blocked is not None
            or not (await _preferences(session, guild_id, recipient)).takes_nudges
        ):
            raise UserFacingError(texts.NUDGE_NOT_TAKEN.format(member=member))
        recent = list(
            await session.scalars(
                select(PartnerNudge.sent_at)
                .where(
                    PartnerNudge.guild_id == guild_id,
                    PartnerNudge.user_id == sender,
                    PartnerNudge.recipient_user_id == recipient,
                    PartnerNudge.sent_at > now - NUDGE_WINDOW,
                )
                .order_by(PartnerNudge.sent_at)
            )
        )
        if len(recent) >= limits.nudges_per_day:
            count = texts.NUDGE_TIMES.get(len(recent), f"{len(recent)} times")
            next_at = recent[len(recent) - limits.nudges_per_day] + NUDGE_WINDOW
            raise UserFacingError(
                texts.NUDGE_LIMIT.format(member=member, count=count, next=timestamp(next_at))
            )
        row = PartnerNudge(
            guild_id=guild_id,
            user_id=sender,
            recipient_user_id=recipient,
            template=template,
            sent_at=now,
        )
        session.add(row)
        await session.flush()
        return Nudged(row.id, limits.nudges[template])


async def unsend(db: Database, guild_id: int, nudge_id: int) -> None:
    async with db.guild_session(guild_id) as session, session.begin():
        await session.execute(
            delete(PartnerNudge).where(
                PartnerNudge.guild_id == guild_id, PartnerNudge.id == nudge_id
            )
        )


# --- Signals -----------------------------------------------------------------------------


class PartnerQueue:
    """`core.partner_signals.PartnerSignals` for the bot: a signal becomes one outbox DM
    per partner of a member who shares its kind, and nothing for anyone else."""

    async def queue(self, session: AsyncSession, signals: Sequence[PartnerSignal]) -> int:
        # In the caller's transaction (the detector's, the milestones'), in a savepoint:
        # a failure here costs the partners their signal, never the caller its work.
        try:
            async with session.begin_nested():
                outgoing: list[Outgoing] = []
                for signal in signals:
                    outgoing += await _signal_messages(session, signal)
                await enqueue(session, outgoing)
        except Exception:
            log.exception("Queueing partner signals failed")
            return 0
        return len(outgoing)


async def _signal_messages(session: AsyncSession, signal: PartnerSignal) -> list[Outgoing]:
    guild_id, member = signal.guild_id, signal.user_id
    # The member's choice read by a write that changes nothing: it locks their row, so a
    # pairing ended or a choice turned off meanwhile waits for this transaction and then
    # takes back what it queued; and on SQLite it makes the transaction a writer before
    # it reads, since one that read first can't write after another connection did.
    shares = await session.scalar(
        update(PartnerPreference)
        .where(PartnerPreference.guild_id == guild_id, PartnerPreference.user_id == member)
        .values(user_id=PartnerPreference.user_id)
        .returning(SHARE_COLUMNS[signal.kind])
        .execution_options(synchronize_session=False)
    )
    if not shares:
        return []
    partners = [
        other_of(row, member)
        for row in await partners_of(session, guild_id, member, for_share=True)
    ]
    if not partners:
        return []
    gone = set(
        await session.scalars(
            select(Member.user_id).where(
                Member.guild_id == guild_id,
                Member.user_id.in_(partners),
                Member.left_server_at.is_not(None),
            )
        )
    )
    text = texts.SIGNALS[signal.kind].format(
        member=mention(member),
        days=counted(signal.days, texts.DAYS) if signal.days is not None else "",
        when=timestamp(signal.at),
    ) + texts.WHY.format(member=mention(member))
    return [
        Outgoing(
            kind=SIGNAL_KIND,
            dedupe_key=signal_prefix(guild_id, member, partner, signal.kind) + signal.occasion,
            guild_id=guild_id,
            body=message_body(text),
            not_before=signal.at,
            expires_at=signal.at + SIGNAL_KEPT_FOR[signal.kind],
            user_id=partner,
        )
        for partner in partners
        if partner not in gone
    ]


# --- Upkeep ------------------------------------------------------------------------------


async def purge_lapsed(
    db: Database, now: datetime, shards: tuple[Sequence[int], int] | None
) -> int:
    """Delete lapsed invitations and nudges past the daily window, over every server
    this process serves."""
    lapsed = delete(Partnership).where(Partnership.state != PAIRED, Partnership.expires_at <= now)
    old_nudges = delete(PartnerNudge).where(PartnerNudge.sent_at <= now - NUDGE_WINDOW)
    if served := shard_filter(Partnership.guild_id, shards):
        lapsed = lapsed.where(or_(*served))
    if served := shard_filter(PartnerNudge.guild_id, shards):
        old_nudges = old_nudges.where(or_(*served))
    async with db.all_guilds_session() as session, session.begin():
        removed = await session.execute(lapsed.execution_options(synchronize_session=False))
        await session.execute(old_nudges.execution_options(synchronize_session=False))
    return int(getattr(removed, "rowcount", 0) or 0)


def signal_rows_about(guild_id: int, user_id: int) -> Iterable[Any]:
    """The outbox rows about the member for their partners (signals, and notices that
    they accepted or ended), for the export and the erasure."""
    return (
        OutboxMessage.kind.in_((SIGNAL_KIND, ACCEPTED_KIND, ENDED_KIND)),
        OutboxMessage.dedupe_key.startswith(f"{SIGNAL_KEY}:{guild_id}:{user_id}:", autoescape=True),
    )
