"""Sober-day counters: starting, showing, resetting and deleting them, their history, and
claiming the milestones the job celebrates. No Discord here.

Days are counted on the member's own calendar (`core.timezones.member_zone`): on the day
they give as `since` they have 0 days, the next day 1. Milestone N is reached at the
member's local midnight that starts day `since + N`. `now` always comes from the caller
(the bot's clock). Every refusal is raised inside the transaction that would write, before
anything is written, so a refused command changes nothing.
"""

from __future__ import annotations

import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.sober import texts
from core.errors import UserFacingError
from core.outbox import Outgoing, enqueue, shard_filter, withdraw
from core.partner_signals import NO_PARTNERS, PartnerSignal, PartnerSignals, Shared
from core.timezones import member_zone, member_zone_name, zone_or_utc
from db.engine import Database
from db.inserts import insert_for
from db.models import GuildSettings, SoberCounter, SoberPreference, SoberRun

NAME_LENGTH = 60
YEARS_BACK = 100
MAX_DAILY_COST_CENTS = 1_000_000
MILESTONE_KIND = "sober.milestone"
MILESTONE_POST_KIND = "sober.milestone_post"
# The dedupe keys of a milestone's messages start so, then "<counter id>:<since>:<days>".
MILESTONE_KEY = "sober:milestone"
MILESTONE_POST_KEY = "sober:milestone-post"
# A congratulation two days late is still welcome; later, it would only surprise.
MILESTONE_KEPT_FOR = timedelta(days=2)
CLAIM_CHUNK = 200
_WRITTEN_DATES = ("%d %B %Y", "%d %b %Y", "%B %d %Y", "%b %d %Y")
_AMOUNT = re.compile(r"(-?)(\d+)(?:[.,](\d{1,2}))?")


# --- Names, days and amounts as members type them -------------------------------------------


def tidy(name: str) -> str:
    """A substance as it is stored and shown: whitespace collapsed, at most 60 characters."""
    return " ".join(name.split())[:NAME_LENGTH].rstrip()


def normalise(name: str) -> str:
    """What makes two names one counter: "Alcohol" and "alcohol " are the same."""
    return unicodedata.normalize("NFKC", tidy(name)).casefold()


def parse_day(text: str, today: date) -> date:
    """A day as a member writes it ("2026-03-01", "3 March 2026", "March 3, 2026",
    "today", "yesterday"), read against their local `today`; a day still to come, more
    than 100 years back, or unreadable is refused."""
    words = " ".join(text.replace(",", " ").split()).casefold()
    relative = {"today": today, "yesterday": today - timedelta(days=1)}
    day = relative.get(words) or _calendar_day(words)
    if day is None:
        raise UserFacingError(texts.UNREADABLE_DAY.format(text=tidy(text)))
    return _checked_day(day, today)


def parse_cost(text: str) -> int:
    """A daily cost as typed ("12.50", "12,50", "$12", "7 €") in cents."""
    amount = "".join(c for c in text if not c.isspace() and unicodedata.category(c) != "Sc")
    found = _AMOUNT.fullmatch(amount)
    if found is None:
        raise UserFacingError(texts.UNREADABLE_COST.format(text=tidy(text)))
    minus, whole, fraction = found.groups()
    cents = int(whole) * 100 + int((fraction or "").ljust(2, "0"))
    _check_cost(-cents if minus else cents)
    return cents


def _calendar_day(words: str) -> date | None:
    try:
        return date.fromisoformat(words)
    except ValueError:
        pass
    for pattern in _WRITTEN_DATES:
        try:
            return datetime.strptime(words, pattern).date()
        except ValueError:
            continue
    return None


def _checked_day(day: date, today: date) -> date:
    if day > today:
        raise UserFacingError(texts.DAY_IN_THE_FUTURE)
    if day < _years_before(today, YEARS_BACK):
        raise UserFacingError(texts.DAY_TOO_LONG_AGO)
    return day


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February, in a year that has none
        return day.replace(year=day.year - years, day=28)


def _check_cost(cents: int) -> None:
    if not 0 <= cents <= MAX_DAILY_COST_CENTS:
        raise UserFacingError(
            texts.DAILY_COST_OUT_OF_RANGE.format(most=f"{MAX_DAILY_COST_CENTS // 100:,}")
        )


def _substance(text: str) -> str:
    name = tidy(text)
    if not name:
        raise UserFacingError(texts.NO_SUBSTANCE)
    return name


# --- Counting -------------------------------------------------------------------------------


def days_on(since: date, now: datetime, zone: ZoneInfo) -> int:
    """Whole days from `since` to the member's local date at `now`; 0 before `since` too
    (a member who moved west of the zone they started in)."""
    return max((now.astimezone(zone).date() - since).days, 0)


def milestone_at(since: date, days: int, zone: ZoneInfo) -> datetime:
    """The UTC instant of the member's local midnight starting day `since + days`.

    zoneinfo reads a midnight that daylight saving skips with the offset before the
    change, which is the first instant that day has."""
    return datetime.combine(since + timedelta(days=days), time(0), tzinfo=zone).astimezone(UTC)


# A year of days, leap days included: whole years fall on 365, 730, 1095, 1461, … as in
# config/content/milestones.toml.
DAYS_A_YEAR = 365.25


def next_milestone(milestones: Sequence[int], days: int) -> int:
    """The first milestone still ahead of `days` (N is reached once days >= N): the
    configured ones, and every whole year after them however long the count runs."""
    years = int(days / DAYS_A_YEAR) + 1
    while int(years * DAYS_A_YEAR) <= days:
        years += 1
    return min([n for n in milestones if n > days] + [int(years * DAYS_A_YEAR)])


def _aimed(
    since: date, days: int, zone: ZoneInfo, milestones: Sequence[int]
) -> tuple[int, datetime]:
    """`next_milestone_days` and `next_milestone_at` of a counter at `days`."""
    ahead = next_milestone(milestones, days)
    return ahead, milestone_at(since, ahead, zone)


# --- What members see -----------------------------------------------------------------------


@dataclass(frozen=True)
class Counter:
    id: int
    substance: str
    since: date
    days: int
    daily_cost_cents: int | None
    longest_days: int
    next_milestone: int
    saved_cents: int | None


@dataclass(frozen=True)
class Run:
    started_on: date
    # None for the current run, which goes on today.
    ended_on: date | None
    days: int


def _counter(
    row: SoberCounter,
    past: Sequence[SoberRun],
    zone: ZoneInfo,
    now: datetime,
    milestones: Sequence[int],
) -> Counter:
    days = days_on(row.since, now, zone)
    return Counter(
        id=row.id,
        substance=row.substance,
        since=row.since,
        days=days,
        daily_cost_cents=row.daily_cost_cents,
        longest_days=max([days, *((run.ended_on - run.started_on).days for run in past)]),
        next_milestone=next_milestone(milestones, days),
        saved_cents=None if row.daily_cost_cents is None else days * row.daily_cost_cents,
    )


async def _counters_of(session: AsyncSession, guild_id: int, user_id: int) -> list[SoberCounter]:
    found = await session.scalars(
        select(SoberCounter)
        .where(SoberCounter.guild_id == guild_id, SoberCounter.user_id == user_id)
        .order_by(SoberCounter.id)
    )
    return list(found.all())


async def _counter_named(
    session: AsyncSession, guild_id: int, user_id: int, substance: str
) -> SoberCounter:
    # The names are encrypted: compared here, never in SQL.
    wanted = normalise(substance)
    for counter in await _counters_of(session, guild_id, user_id):
        if normalise(counter.substance) == wanted:
            return counter
    raise UserFacingError(texts.NO_SUCH_COUNTER.format(substance=tidy(substance)))


async def _past_runs(
    session: AsyncSession, guild_id: int, counter_ids: Sequence[int]
) -> dict[int, list[SoberRun]]:
    runs: dict[int, list[SoberRun]] = defaultdict(list)
    found = await session.scalars(
        select(SoberRun)
        .where(SoberRun.guild_id == guild_id, SoberRun.counter_id.in_(counter_ids))
        .order_by(SoberRun.started_on, SoberRun.id)
    )
    for run in found.all():
        runs[run.counter_id].append(run)
    return runs


async def _write_preferences(
    session: AsyncSession, guild_id: int, user_id: int, share: bool | None = None
) -> None:
    """Write the member's preference row (the sharing choice, or as it is): the row then
    holds this member's other writes until the transaction ends, so two commands at once
    cannot both find a substance missing and both add it."""
    insert = insert_for(session.get_bind().dialect.name)
    statement = insert(SoberPreference).values(
        guild_id=guild_id, user_id=user_id, share_milestones=bool(share)
    )
    kept = (
        SoberPreference.share_milestones if share is None else statement.excluded.share_milestones
    )
    await session.execute(
        statement.on_conflict_do_update(
            index_elements=[SoberPreference.guild_id, SoberPreference.user_id],
            set_={"share_milestones": kept},
        )
    )


async def local_today(db: Database, guild_id: int, user_id: int, now: datetime) -> date:
    """The member's local date at `now`."""
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
    return now.astimezone(zone).date()


async def start(
    db: Database,
    guild_id: int,
    user_id: int,
    substance: str,
    since: date | None,
    now: datetime,
    milestones: Sequence[int],
    daily_cost_cents: int | None = None,
) -> Counter:
    """A new counter from `since` (the member's today if None); one per substance."""
    name = _substance(substance)
    if daily_cost_cents is not None:
        _check_cost(daily_cost_cents)
    async with db.guild_session(guild_id) as session, session.begin():
        await _write_preferences(session, guild_id, user_id)
        zone = await member_zone(session, guild_id, user_id)
        today = now.astimezone(zone).date()
        first_day = today if since is None else _checked_day(since, today)
        for existing in await _counters_of(session, guild_id, user_id):
            if normalise(existing.substance) == normalise(name):
                raise UserFacingError(texts.ALREADY_COUNTING.format(substance=existing.substance))
        # Milestones already behind the first day were before the counter: not celebrated.
        ahead, ahead_at = _aimed(first_day, days_on(first_day, now, zone), zone, milestones)
        counter = SoberCounter(
            guild_id=guild_id,
            user_id=user_id,
            substance=name,
            since=first_day,
            daily_cost_cents=daily_cost_cents,
            next_milestone_days=ahead,
            next_milestone_at=ahead_at,
            created_at=now,
            updated_at=now,
        )
        session.add(counter)
        await session.flush()
        return _counter(counter, [], zone, now, milestones)


async def show(
    db: Database, guild_id: int, user_id: int, now: datetime, milestones: Sequence[int]
) -> list[Counter]:
    """The member's counters, oldest first."""
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
        counters = await _counters_of(session, guild_id, user_id)
        runs = await _past_runs(session, guild_id, [c.id for c in counters])
    return [_counter(c, runs[c.id], zone, now, milestones) for c in counters]


async def find(
    db: Database,
    guild_id: int,
    user_id: int,
    substance: str,
    now: datetime,
    milestones: Sequence[int],
) -> Counter:
    """The member's counter of `substance`, however they write it; an unknown one is
    refused with the same words as reset and delete."""
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
        counter = await _counter_named(session, guild_id, user_id, substance)
        runs = await _past_runs(session, guild_id, [counter.id])
    return _counter(counter, runs[counter.id], zone, now, milestones)


async def reset(
    db: Database,
    guild_id: int,
    user_id: int,
    substance: str,
    on: date | None,
    now: datetime,
    milestones: Sequence[int],
) -> Counter:
    """Start the count again on `on` (the member's today if None), keeping the run that
    ended in the history."""
    name = _substance(substance)
    async with db.guild_session(guild_id) as session, session.begin():
        zone = await member_zone(session, guild_id, user_id)
        today = now.astimezone(zone).date()
        new_start = today if on is None else _checked_day(on, today)
        counter = await _counter_named(session, guild_id, user_id, name)
        if new_start < counter.since:
            began = f"{counter.since.day} {counter.since:%B %Y}"
            raise UserFacingError(
                texts.RESTART_BEFORE_START.format(substance=counter.substance, since=began)
            )
        session.add(
            SoberRun(
                guild_id=guild_id,
                user_id=user_id,
                counter_id=counter.id,
                started_on=counter.since,
                ended_on=new_start,
            )
        )
        counter.since = new_start
        counter.next_milestone_days, counter.next_milestone_at = _aimed(
            new_start, days_on(new_start, now, zone), zone, milestones
        )
        counter.updated_at = now
        # The run that ended is congratulated no more: a milestone of it still queued
        # (Discord slow, or refusing for a while) is withdrawn with the reset.
        await _withdraw_milestones(session, guild_id, counter.id, now)
        runs = await _past_runs(session, guild_id, [counter.id])
        return _counter(counter, runs[counter.id], zone, now, milestones)


async def delete(db: Database, guild_id: int, user_id: int, substance: str, now: datetime) -> None:
    """Remove the counter; its past runs go with it (the foreign key cascades), and so do
    its milestones still queued in the outbox."""
    name = _substance(substance)
    async with db.guild_session(guild_id) as session, session.begin():
        counter = await _counter_named(session, guild_id, user_id, name)
        counter_id = counter.id
        await session.delete(counter)
        await _withdraw_milestones(session, guild_id, counter_id, now)


def milestone_key_prefixes(counter_id: int) -> tuple[str, str]:
    """The start of the dedupe keys of every milestone message of this counter, its DMs
    and its posts, of every run (see `_congratulations`); the colon after the id keeps
    counter 12's messages out of counter 1's."""
    return (f"{MILESTONE_KEY}:{counter_id}:", f"{MILESTONE_POST_KEY}:{counter_id}:")


async def _withdraw_milestones(
    session: AsyncSession, guild_id: int, counter_id: int, now: datetime
) -> None:
    # The counter's change is written first: a milestone job claiming it at this moment
    # holds its row until it commits, and whatever it queued is then seen and withdrawn
    # (a job that comes after finds the counter gone or moved on, and queues nothing).
    await session.flush()
    await withdraw(session, guild_id, milestone_key_prefixes(counter_id), now)


async def history(
    db: Database, guild_id: int, user_id: int, substance: str | None, now: datetime
) -> list[tuple[str, list[Run]]]:
    """Per counter (one, or all the member's), its past runs oldest first, then the
    current one (`ended_on` None)."""
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
        if substance is None:
            counters = await _counters_of(session, guild_id, user_id)
        else:
            counters = [await _counter_named(session, guild_id, user_id, _substance(substance))]
        runs = await _past_runs(session, guild_id, [c.id for c in counters])
    return [
        (
            counter.substance,
            [
                *(
                    Run(run.started_on, run.ended_on, (run.ended_on - run.started_on).days)
                    for run in runs[counter.id]
                ),
                Run(counter.since, None, days_on(counter.since, now, zone)),
            ],
        )
        for counter in counters
    ]


async def set_sharing(db: Database, guild_id: int, user_id: int, on: bool) -> None:
    async with db.guild_session(guild_id) as session, session.begin():
        await _write_preferences(session, guild_id, user_id, share=on)


async def substances_of(db: Database, guild_id: int, user_id: int) -> list[str]:
    async with db.guild_session(guild_id) as session:
        return [c.substance for c in await _counters_of(session, guild_id, user_id)]


async def rezone(session: AsyncSession, guild_id: int, user_id: int) -> None:
    """The member's zone changed: their next milestones begin at the new zone's midnight.

    Inside the caller's transaction, the one that changes the zone, so the two are saved
    together or not at all (`cogs.me.settings.set_timezone`). Which milestone comes next
    stays: one reached in the old zone was celebrated, and one the new zone reaches at
    once is due now (the job celebrates it at its next run)."""
    zone = await member_zone(session, guild_id, user_id)
    for counter in await _counters_of(session, guild_id, user_id):
        if counter.next_milestone_days is not None:
            counter.next_milestone_at = milestone_at(
                counter.since, counter.next_milestone_days, zone
            )


# --- Milestones -----------------------------------------------------------------------------


@dataclass(frozen=True)
class MilestoneReached:
    guild_id: int
    user_id: int
    counter_id: int
    substance: str
    days: int
    # The member shares their milestones and the server has a milestones channel: a post
    # goes there too.
    share: bool


MilestoneBodies = Callable[[MilestoneReached], tuple[dict[str, Any], dict[str, Any] | None]]


async def claim_milestones(
    db: Database,
    now: datetime,
    milestones: Sequence[int],
    shards: tuple[Sequence[int], int] | None,
    body_for: MilestoneBodies,
    partners: PartnerSignals = NO_PARTNERS,
) -> list[MilestoneReached]:
    """The milestones reached by `now` on these shards' servers, each counter moved on to
    its next milestone and its congratulations queued in the outbox with it, in one
    transaction per chunk of counters.

    A counter that passed several milestones while the bot was down celebrates only the
    highest it reached. The member always gets a DM (the outbox gives up on closed DMs);
    the milestones channel a post only when `share`; their partners a line (the number of
    days, never the substance) when the member shares milestones with them."""
    reached: list[MilestoneReached] = []
    while True:
        claimed, more = await _claim_chunk(db, now, milestones, shards, body_for, partners)
        reached += claimed
        if not more:
            return reached


async def _claim_chunk(
    db: Database,
    now: datetime,
    milestones: Sequence[int],
    shards: tuple[Sequence[int], int] | None,
    body_for: MilestoneBodies,
    partners: PartnerSignals,
) -> tuple[list[MilestoneReached], bool]:
    due = (
        select(
            SoberCounter.id,
            SoberCounter.guild_id,
            SoberCounter.user_id,
            SoberCounter.substance,
            SoberCounter.since,
            SoberCounter.next_milestone_days,
            member_zone_name(SoberCounter.guild_id, SoberCounter.user_id).label("zone"),
            SoberPreference.share_milestones,
            GuildSettings.milestones_channel_id,
        )
        .outerjoin(
            SoberPreference,
            and_(
                SoberPreference.guild_id == SoberCounter.guild_id,
                SoberPreference.user_id == SoberCounter.user_id,
            ),
        )
        .outerjoin(GuildSettings, GuildSettings.guild_id == SoberCounter.guild_id)
        .where(SoberCounter.next_milestone_at <= now)
        .order_by(SoberCounter.next_milestone_at, SoberCounter.id)
        .limit(CLAIM_CHUNK)
    )
    if served := shard_filter(SoberCounter.guild_id, shards):
        due = due.where(or_(*served))
    claimed: list[MilestoneReached] = []
    outgoing: list[Outgoing] = []
    signals: list[PartnerSignal] = []
    async with db.all_guilds_session() as session, session.begin():
        rows = (await session.execute(due)).all()
        for row in rows:
            zone = zone_or_utc(row.zone)
            days = days_on(row.since, now, zone)
            ahead, ahead_at = _aimed(row.since, days, zone, milestones)
            # Moved on only if nobody else (a reset, another process) changed it meanwhile.
            moved = await session.scalar(
                update(SoberCounter)
                .where(
                    SoberCounter.id == row.id,
                    SoberCounter.since == row.since,
                    SoberCounter.next_milestone_days == row.next_milestone_days,
                )
                .values(next_milestone_days=ahead, next_milestone_at=ahead_at, updated_at=now)
                .returning(SoberCounter.id)
                .execution_options(synchronize_session=False)
            )
            # None reached: the member's zone moved west after the counter was aimed.
            highest = max(
                (n for n in milestones if row.next_milestone_days <= n <= days), default=None
            )
            if moved is None or highest is None:
                continue
            share = bool(row.share_milestones) and row.milestones_channel_id is not None
            milestone = MilestoneReached(
                row.guild_id, row.user_id, row.id, row.substance, highest, share
            )
            claimed.append(milestone)
            outgoing += _congratulations(
                milestone, row.since, row.milestones_channel_id, zone, now, body_for
            )
            signals.append(
                PartnerSignal(
                    row.guild_id,
                    row.user_id,
                    Shared.MILESTONES,
                    f"{row.id}:{row.since.isoformat()}:{highest}",
                    now,
                    days=highest,
                )
            )
        await enqueue(session, outgoing)
        await partners.queue(session, signals)
    return claimed, len(rows) == CLAIM_CHUNK


def _congratulations(
    milestone: MilestoneReached,
    since: date,
    channel_id: int | None,
    zone: ZoneInfo,
    now: datetime,
    body_for: MilestoneBodies,
) -> list[Outgoing]:
    # The run's first day is in the key: after a reset, the same counter reaches the
    # same milestone again, and that one is celebrated too.
    purpose = f"{milestone.counter_id}:{since.isoformat()}:{milestone.days}"
    expires_at = milestone_at(since, milestone.days, zone) + MILESTONE_KEPT_FOR
    private, post = body_for(milestone)
    messages = [
        Outgoing(
            kind=MILESTONE_KIND,
            dedupe_key=f"{MILESTONE_KEY}:{purpose}",
            guild_id=milestone.guild_id,
            body=private,
            not_before=now,
            expires_at=expires_at,
            user_id=milestone.user_id,
        )
    ]
    if milestone.share and post is not None:
        messages.append(
            Outgoing(
                kind=MILESTONE_POST_KIND,
                dedupe_key=f"{MILESTONE_POST_KEY}:{purpose}",
                guild_id=milestone.guild_id,
                body=post,
                not_before=now,
                expires_at=expires_at,
                channel_id=channel_id,
            )
        )
    return messages
