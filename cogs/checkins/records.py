"""Recording a check-in, streaks, and looking back: a member's own history and the
group's participation (counts only). No Discord here.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Date,
    Select,
    and_,
    bindparam,
    extract,
    func,
    literal,
    select,
    update,
)
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from cogs.checkins import texts
from cogs.checkins.common import rowcount
from cogs.checkins.form import CheckinValues, RawCheckin, chosen_triggers, parse_checkin
from config.content import CheckinContent
from core.errors import UserFacingError
from core.timezones import group_zone, member_zone, zone_or_utc
from db.engine import Database
from db.inserts import insert_for
from db.models import GuildSettings, Member
from db.models.checkins import EVERY_DAY, Checkin, CheckinPreference, CheckinSchedule

# --- Recording ------------------------------------------------------------------------------


@dataclass(frozen=True)
class CheckinOutcome:
    local_date: date
    created: bool
    streak: int
    triggers: tuple[str, ...]
    high_craving: bool
    low_mood: bool
    # Where to post the "checked in" line: set only for a member who opted in, on their
    # first check-in of the day.
    share_channel_id: int | None
    # A note was typed but not stored: the member chose not to keep notes (/privacy
    # settings). Notes stored before that choice are left as they are.
    note_not_kept: bool = False


async def record_checkin(
    db: Database,
    guild_id: int,
    user_id: int,
    raw: RawCheckin,
    content: CheckinContent,
    now: datetime,
    *,
    keep_note_if_empty: bool = False,
) -> CheckinOutcome:
    """Store today's check-in (or update it); refused values change nothing.

    `keep_note_if_empty`: the form did not show the stored note, so an empty note field
    leaves it as it is. A member who turned check-in notes off (`members.keep_checkin_notes`,
    /privacy settings) has no note stored, and one kept from before left as it is.

    Two statements, one read and one write: a burst of a whole group submitting at once
    is bound by the work per statement (bench/checkin_submit.py), so everything the
    reply needs, the recent days for the streak included, is read in one."""
    values = parse_checkin(raw, content)
    async with db.guild_session(guild_id) as session, session.begin():
        connection = await session.connection()
        member = await _submitting_member(connection, guild_id, user_id, now)
        note_not_kept = not member.keeps_notes and values.note is not None
        if not member.keeps_notes:
            values = replace(values, note=None)
        keep_note = (keep_note_if_empty and not values.note) or not member.keeps_notes
        created = await _upsert(connection, guild_id, user_id, member.today, values, now, keep_note)
        recent = (member.read_from, {*member.recent, member.today})
        streak = await _streak(session, user_id, member.today, member.weekdays, recent)
    signs = content.warning_signs
    return CheckinOutcome(
        local_date=member.today,
        created=created,
        streak=streak,
        triggers=values.triggers,
        high_craving=values.craving >= signs.high_craving_at_least,
        low_mood=values.mood <= signs.low_mood_at_most,
        share_channel_id=member.share_channel_id if created else None,
        note_not_kept=note_not_kept,
    )


@dataclass(frozen=True)
class _SubmittingMember:
    today: date
    weekdays: frozenset[int]
    keeps_notes: bool
    # The check-in channel, for a member who shares their check-ins.
    share_channel_id: int | None
    read_from: date
    recent: frozenset[date]  # their check-in days from `read_from` on, today excluded


def _member_rows_statement(*checkin_columns: Any) -> Select[Any]:
    """One row per check-in of the member since `:since` (one row of NULLs when none),
    each carrying what a check-in needs to know about the member and the group: their
    zone, the schedule, their choices. Every lookup names its server: it runs below the
    session's server filter."""
    guild, user = bindparam("guild_id", type_=BigInteger), bindparam("user_id", type_=BigInteger)

    def lookup(column: Any, *where: Any) -> Any:
        return select(column).where(*where).scalar_subquery()

    schedule = (CheckinSchedule.guild_id == guild,)
    member = (Member.guild_id == guild, Member.user_id == user)
    preference = (CheckinPreference.guild_id == guild, CheckinPreference.user_id == user)
    anchor = select(literal(1).label("one")).subquery()
    return (
        select(
            *checkin_columns,
            lookup(Member.timezone, *member).label("own_zone"),
            lookup(CheckinSchedule.timezone, *schedule).label("schedule_zone"),
            lookup(GuildSettings.timezone, GuildSettings.guild_id == guild).label("server_zone"),
            lookup(CheckinSchedule.weekdays, *schedule).label("weekdays"),
            lookup(CheckinSchedule.channel_id, *schedule).label("channel_id"),
            lookup(Member.keep_checkin_notes, *member).label("keeps_notes"),
            lookup(CheckinPreference.share_enabled, *preference).label("shares"),
        )
        .select_from(anchor)
        .outerjoin(
            Checkin,
            and_(
                Checkin.guild_id == guild,
                Checkin.user_id == user,
                Checkin.local_date >= bindparam("since", type_=Date),
            ),
        )
    )


# Built once: a statement object reused keeps its compiled form and cache key.
_SUBMITTING_MEMBER = _member_rows_statement(Checkin.local_date)
_TODAYS_ANSWERS = _member_rows_statement(
    Checkin.local_date,
    Checkin.mood,
    Checkin.craving,
    Checkin.sleep_hours,
    Checkin.triggers,
    Checkin.note,
)


async def _submitting_member(
    connection: AsyncConnection, guild_id: int, user_id: int, now: datetime
) -> _SubmittingMember:
    # A day either side of UTC's covers every zone's today; the window is cut to the
    # member's own today once their zone is known.
    since = now.date() - timedelta(days=STREAK_FIRST_DAYS)
    rows = (
        await connection.execute(
            _SUBMITTING_MEMBER, {"guild_id": guild_id, "user_id": user_id, "since": since}
        )
    ).all()
    first = rows[0]
    today = _local_today(first, now)
    read_from = today - timedelta(days=STREAK_FIRST_DAYS - 1)
    scheduled = first.schedule_zone is not None
    return _SubmittingMember(
        today=today,
        weekdays=frozenset(first.weekdays) if scheduled else frozenset(EVERY_DAY),
        keeps_notes=first.keeps_notes is not False,
        share_channel_id=first.channel_id if (scheduled and first.shares) else None,
        read_from=read_from,
        recent=frozenset(
            row.local_date
            for row in rows
            if row.local_date is not None and read_from <= row.local_date < today
        ),
    )


def _local_today(row: Any, now: datetime) -> date:
    # As `member_zone`: the member's own zone, else the group's check-in zone, else the
    # server's.
    return now.astimezone(zone_or_utc(row.own_zone or row.schedule_zone or row.server_zone)).date()


@functools.cache
def _upsert_for(dialect: str, keep_note: bool) -> Any:
    insert = insert_for(dialect)
    columns = (
        "guild_id",
        "user_id",
        "local_date",
        "mood",
        "craving",
        "sleep_hours",
        "triggers",
        "note",
        "created_at",
        "updated_at",
    )
    values_statement = insert(Checkin).values({name: bindparam(name) for name in columns})
    excluded = values_statement.excluded
    changed = ["mood", "craving", "sleep_hours", "triggers", "updated_at"]
    if not keep_note:
        changed.append("note")
    return values_statement.on_conflict_do_update(
        index_elements=[Checkin.guild_id, Checkin.user_id, Checkin.local_date],
        set_={name: excluded[name] for name in changed},
    ).returning(Checkin.created_at)


async def _upsert(
    connection: AsyncConnection,
    guild_id: int,
    user_id: int,
    local_date: date,
    values: CheckinValues,
    now: datetime,
    keep_note: bool = False,
) -> bool:
    """Insert or update the day's row in one statement; True when it was new."""
    statement = _upsert_for(connection.dialect.name, keep_note)
    created_at = (
        await connection.execute(
            statement,
            {
                "guild_id": guild_id,
                "user_id": user_id,
                "local_date": local_date,
                "mood": values.mood,
                "craving": values.craving,
                "sleep_hours": values.sleep_hours,
                "triggers": list(values.triggers),
                "note": values.note,
                "created_at": now,
                "updated_at": now,
            },
        )
    ).scalar_one()
    return bool(created_at == now)


async def todays_answers(
    db: Database, guild_id: int, user_id: int, content: CheckinContent, now: datetime
) -> RawCheckin | None:
    """Today's check-in as the form shows it, so a second one the same day starts from
    the first (and an empty note field does not silently erase the note)."""
    # Yesterday in UTC on: every zone's today, read in the one statement with the zone.
    since = now.date() - timedelta(days=1)
    async with db.guild_session(guild_id) as session:
        connection = await session.connection()
        rows = (
            await connection.execute(
                _TODAYS_ANSWERS, {"guild_id": guild_id, "user_id": user_id, "since": since}
            )
        ).all()
    today = _local_today(rows[0], now)
    row = next((row for row in rows if row.local_date == today), None)
    if row is None:
        return None
    return RawCheckin(
        mood=str(row.mood),
        craving=str(row.craving),
        sleep=f"{row.sleep_hours:g}",
        # Only names the form still lists: it can show no other as picked.
        triggers=chosen_triggers(row.triggers, content),
        note=row.note or "",
    )


async def set_triggers(
    db: Database,
    guild_id: int,
    user_id: int,
    triggers: Sequence[str],
    content: CheckinContent,
    now: datetime,
) -> tuple[str, ...]:
    """Replace today's triggers (picked from the menu after a check-in)."""
    kept = chosen_triggers(triggers, content)
    async with db.guild_session(guild_id) as session:
        zone = await member_zone(session, guild_id, user_id)
    today = now.astimezone(zone).date()
    async with db.guild_session(guild_id) as session, session.begin():
        result = await session.execute(
            update(Checkin)
            .where(Checkin.user_id == user_id, Checkin.local_date == today)
            .values(triggers=list(kept), updated_at=now)
            .execution_options(synchronize_session=False)
        )
    if rowcount(result) == 0:
        raise UserFacingError(texts.NO_CHECKIN_TODAY)
    return kept


# --- Streaks --------------------------------------------------------------------------------


def streak_length(dates: set[date], today: date, weekdays: frozenset[int]) -> int:
    """Check-ins on consecutive local days up to today (or yesterday, if today is still
    open). Days the group has no check-in scheduled neither break nor add to it.

    The definition: `_streak` gets the same from the database without reading every
    date (tests/cogs/checkins/test_streak_property.py holds the two equal)."""
    if not dates:
        return 0
    earliest = min(dates)
    day = today if today in dates else today - timedelta(days=1)
    count = 0
    while day >= earliest:
        if day in dates:
            count += 1
        elif day.weekday() in weekdays:
            break
        day -= timedelta(days=1)
    return count


async def member_streak(db: Database, guild_id: int, user_id: int, now: datetime) -> int:
    async with db.guild_session(guild_id) as session:
        _, today, weekdays = await _member_day(session, guild_id, user_id, now)
        return await _streak(session, user_id, today, weekdays)


async def _member_day(
    session: AsyncSession, guild_id: int, user_id: int, now: datetime
) -> tuple[CheckinSchedule | None, date, frozenset[int]]:
    """The group's schedule, the member's local date and the group's check-in weekdays,
    with the schedule and the member's own zone read in one statement."""
    own_zone = select(Member.timezone).where(Member.user_id == user_id).scalar_subquery()
    found = (
        await session.execute(
            select(CheckinSchedule, own_zone).where(CheckinSchedule.guild_id == guild_id)
        )
    ).one_or_none()
    if found is None:
        zone = await member_zone(session, guild_id, user_id)
        return None, now.astimezone(zone).date(), frozenset(EVERY_DAY)
    schedule, own = found
    # As `member_zone`: the member's own zone, else the group's check-in zone.
    zone = zone_or_utc(own or schedule.timezone)
    return schedule, now.astimezone(zone).date(), frozenset(schedule.weekdays)


# Nearly every streak ends within the member's last weeks: those days are read first.
# Older days are looked at only while the streak runs through all of them, and then
# counted in SQL rather than read, in bands that grow fourfold, a few to a statement;
# only the band where the streak ends is read, to find the day it ends on.
STREAK_FIRST_DAYS = 64
STREAK_BAND_GROWTH = 4
STREAK_BANDS_PER_STATEMENT = 3


async def _streak(
    session: AsyncSession,
    user_id: int,
    today: date,
    weekdays: frozenset[int],
    recent: tuple[date, set[date]] | None = None,
) -> int:
    """`streak_length` of the member's check-ins, reading back from today only as far as
    the streak goes. `recent`: the first day and the dates of check-ins from it to today,
    when the caller has read them already."""
    if not weekdays:
        # No day can break the streak: it is every check-in up to today.
        everything = select(func.count()).select_from(Checkin).where(*_up_to(user_id, today))
        return int(await session.scalar(everything) or 0)
    if recent is None:
        first = today - timedelta(days=STREAK_FIRST_DAYS - 1)
        dates = set(
            await session.scalars(
                select(Checkin.local_date).where(
                    *_up_to(user_id, today), Checkin.local_date >= first
                )
            )
        )
    else:
        first, dates = recent
    start = today if today in dates else today - timedelta(days=1)  # today is still open
    streak, broken = _walk_back(dates, start, first, weekdays)
    size, last = (today - first).days + 1, first - timedelta(days=1)
    while not broken:
        bands = []
        for _ in range(STREAK_BANDS_PER_STATEMENT):
            size *= STREAK_BAND_GROWTH
            bands.append((last - timedelta(days=size - 1), last))
            last -= timedelta(days=size)
        counts = await _band_counts(session, user_id, bands, weekdays)
        for (band_first, band_last), (checked, on_schedule, oldest) in zip(
            bands, counts, strict=True
        ):
            if oldest is None:
                return streak  # the band is longer than a week: a scheduled day was missed
            if on_schedule != _scheduled_days(oldest, band_last, weekdays):
                # A scheduled day in the band has no check-in: find the newest such day.
                dates = set(
                    await session.scalars(
                        select(Checkin.local_date).where(
                            Checkin.user_id == user_id,
                            Checkin.local_date >= oldest,
                            Checkin.local_date <= band_last,
                        )
                    )
                )
                return streak + _walk_back(dates, band_last, oldest, weekdays)[0]
            streak += checked
            if _scheduled_days(band_first, oldest - timedelta(days=1), weekdays):
                return streak  # every day from the oldest on, and one missed before it
    return streak


def _up_to(user_id: int, today: date) -> tuple[Any, ...]:
    # Built only where a statement needs it: a submit's streak (its days already read)
    # usually needs none, and building these conditions was a few per cent of a submit.
    return (Checkin.user_id == user_id, Checkin.local_date <= today)


def _walk_back(
    dates: set[date], day: date, stop: date, weekdays: frozenset[int]
) -> tuple[int, bool]:
    """`streak_length`'s walk from `day` back to `stop`: the check-ins it meets, and
    whether a scheduled day without one ended it."""
    count = 0
    while day >= stop:
        if day in dates:
            count += 1
        elif day.weekday() in weekdays:
            return count, True
        day -= timedelta(days=1)
    return count, False


def _scheduled_days(first: date, last: date, weekdays: frozenset[int]) -> int:
    days = (last - first).days + 1
    if days <= 0:
        return 0
    weeks, rest = divmod(days, 7)
    extra = sum(1 for ahead in range(rest) if (first + timedelta(days=ahead)).weekday() in weekdays)
    return weeks * len(weekdays) + extra


async def _band_counts(
    session: AsyncSession,
    user_id: int,
    bands: Sequence[tuple[date, date]],
    weekdays: frozenset[int],
) -> list[tuple[int, int, date | None]]:
    """For each band of days (newest first): the member's check-ins in it, how many of
    them on a scheduled weekday, and the oldest, in one statement."""
    every_day = len(weekdays) == 7
    statement = _band_statement(len(bands), None if every_day else weekdays)
    values: dict[str, object] = {"user_id": user_id}
    for n, (first, last) in enumerate(bands):
        values |= {f"first_{n}": first, f"last_{n}": last}
    row = (await session.execute(statement, values)).one()
    width = 2 if every_day else 3
    figures = []
    for n in range(len(bands)):
        checked, oldest, *scheduled_ones = row[width * n : width * (n + 1)]
        on_schedule = scheduled_ones[0] if scheduled_ones else checked
        figures.append((int(checked), int(on_schedule), oldest))
    return figures


@functools.cache
def _band_statement(bands: int, weekdays: frozenset[int] | None) -> Select[*tuple[Any, ...]]:
    """`_band_counts`'s statement (built once: a third of its cost was building it).

    One scalar subquery a figure, each a range of the (guild, member, date) index: one
    pass computing them all would test every band on every row, several times slower.
    `weekdays` None: every day is scheduled, so every check-in is on one."""
    columns: list[Any] = []
    for n in range(bands):
        inside = (
            Checkin.user_id == bindparam("user_id"),
            Checkin.local_date >= bindparam(f"first_{n}"),
            Checkin.local_date <= bindparam(f"last_{n}"),
        )
        columns += [
            select(func.count()).select_from(Checkin).where(*inside).scalar_subquery(),
            select(func.min(Checkin.local_date)).where(*inside).scalar_subquery(),
        ]
        if weekdays is not None:
            # SQL numbers the days of the week from Sunday (0), weekday() from Monday.
            dows = sorted((day + 1) % 7 for day in weekdays)
            scheduled = extract("dow", Checkin.local_date).in_(dows)
            on_schedule = select(func.count()).select_from(Checkin).where(*inside, scheduled)
            columns.append(on_schedule.scalar_subquery())
    return select(*columns)


# --- Looking back ---------------------------------------------------------------------------


@dataclass(frozen=True)
class HistoryPoint:
    local_date: date
    mood: int
    craving: int
    sleep_hours: float
    triggers: tuple[str, ...]


@dataclass(frozen=True)
class History:
    points: list[HistoryPoint]
    streak: int
    days: int


async def history(db: Database, guild_id: int, user_id: int, days: int, now: datetime) -> History:
    """The member's own check-ins of the last `days` local days (never the note)."""
    async with db.guild_session(guild_id) as session:
        _, today, weekdays = await _member_day(session, guild_id, user_id, now)
        first = today - timedelta(days=days - 1)
        # Read far enough back for most streaks too, to spare the streak a statement.
        read_from = min(first, today - timedelta(days=STREAK_FIRST_DAYS - 1))
        rows = (
            await session.execute(
                select(
                    Checkin.local_date,
                    Checkin.mood,
                    Checkin.craving,
                    Checkin.sleep_hours,
                    Checkin.triggers,
                )
                .where(Checkin.user_id == user_id, Checkin.local_date >= read_from)
                .order_by(Checkin.local_date)
            )
        ).all()
        recent = {row[0] for row in rows if row[0] <= today}
        streak = await _streak(session, user_id, today, weekdays, (read_from, recent))
    points = [
        HistoryPoint(day, mood, craving, sleep, tuple(triggers or ()))
        for day, mood, craving, sleep, triggers in rows
        if day >= first
    ]
    return History(points, streak, days)


@dataclass(frozen=True)
class Participation:
    per_day: list[tuple[date, int]]
    members: int
    days: int

    @property
    def average(self) -> float:
        return sum(count for _, count in self.per_day) / max(len(self.per_day), 1)


async def participation(db: Database, guild_id: int, days: int, now: datetime) -> Participation:
    """How many members checked in each day: counts only, nobody's answers or names."""
    async with db.guild_session(guild_id) as session:
        zone = zone_or_utc(await group_zone(session, guild_id))
        today = now.astimezone(zone).date()
        first = today - timedelta(days=days - 1)
        counts = dict(
            (
                await session.execute(
                    select(Checkin.local_date, func.count(func.distinct(Checkin.user_id)))
                    .where(Checkin.local_date >= first, Checkin.local_date <= today)
                    .group_by(Checkin.local_date)
                )
            ).all()
        )
        members = await session.scalar(
            select(func.count(func.distinct(Checkin.user_id))).where(
                Checkin.local_date >= first, Checkin.local_date <= today
            )
        )
    per_day = [
        (first + timedelta(days=offset), int(counts.get(first + timedelta(days=offset), 0)))
        for offset in range(days)
    ]
    return Participation(per_day, int(members or 0), days)
