"""Meetings' rules and records: schedules, the next occurrence of each, what falls due
when (reminders, the start, the end), and who was there. No Discord here: the job and
the cog pass in what Discord said (who is in a voice channel) and act on what comes back
(the Discord event to create, start, end or delete, through `events`).

Every query is scoped to its server, by a server's session or, for the job that spans
servers, by the shard rule in the query itself.
"""

from __future__ import annotations

import itertools
import logging
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.meetings import attendance, texts
from cogs.meetings.recurrence import Recurrence, falls_on, next_start, starts_between
from core.errors import UserFacingError
from core.outbox import Outgoing, enqueue, shard_filter, withdraw
from core.timezones import zone_or_utc
from db.engine import Database
from db.models import AuditEntry
from db.models.meetings import (
    CLOSED,
    EVENT_ACTIVE,
    EVENT_NONE,
    EVENT_SCHEDULED,
    OPEN,
    PLANNED,
    SKIPPED,
    STAGE,
    TEXT,
    VOICE,
    Meeting,
    MeetingAttendance,
    MeetingOccurrence,
    MeetingPreference,
)

log = logging.getLogger(__name__)

VOICE_PLACES = frozenset({VOICE, STAGE})
# Occurrences the job reads per query (each is then handled in its own transaction).
CLAIM_CHUNK = 100
# A Discord event change that failed is tried again this much later: a refusal
# (permissions, a deleted channel) waits for a person; an outage passes sooner.
REFUSED_RETRY = timedelta(minutes=10)
# A past occurrence's event is ended, cancelled or deleted until this long after its end.
EVENT_KEPT_IN_STEP_FOR = timedelta(hours=6)
FAILED_RETRY = timedelta(minutes=1)
# How long one process has to make a Discord event change before another may try it: a
# process that died meanwhile leaves it to the next one after this.
EVENT_CLAIM = timedelta(minutes=2)
# The oldest reminder still worth sending after an outage: the latest one due, and only
# before the meeting starts.
REMINDER_KIND = "meetings.reminder"
OPENING_KIND = "meetings.opening"
PROBLEM_KIND = "meetings.problem"
# The job runs within seconds of a start or an end; later than this, the bot was away
# and could not see who was there.
WATCHED_WITHIN = timedelta(minutes=5)
# Missed in a row before the report (with consent) names a member.
MISSED_IN_A_ROW = 3
# Visits in the window that make a member one of a meeting's regulars.
REGULAR_AT_LEAST = 2
# The audit line of a specialist's report naming a member (the member's access log).
VIEWED = "meetings.attendance_viewed"
# How far back /meeting attendance and the report look.
HISTORY_DAYS = 120

ShardSet = tuple[Sequence[int], int] | None


# --- What a meeting is ----------------------------------------------------------------------


@dataclass(frozen=True)
class Plan:
    """A meeting as a specialist described it, already read and checked."""

    title: str
    recurrence: Recurrence
    duration_minutes: int
    place: str
    channel_id: int | None = None
    link: str | None = None
    description: str | None = None
    topic: str | None = None
    facilitator_user_id: int | None = None
    reminder_minutes: tuple[int, ...] = (24 * 60, 15)
    min_present_minutes: int = 10


@dataclass(frozen=True)
class Occurrence:
    id: int
    meeting_id: int
    starts_at: datetime
    ends_at: datetime
    state: str
    discord_event_id: int | None
    event_status: int
    event_deleted: bool


@dataclass(frozen=True)
class MeetingInfo:
    id: int
    guild_id: int
    plan: Plan
    cancelled: bool
    next: Occurrence | None = None


def recurrence_of(meeting: Meeting) -> Recurrence:
    hour, minute = (int(part) for part in meeting.local_time.split(":"))
    return Recurrence(
        cadence=meeting.cadence,
        weekdays=tuple(meeting.weekdays),
        month_week=meeting.month_week,
        local_time=time(hour, minute),
        zone=zone_or_utc(meeting.timezone),
        first_day=meeting.first_day,
        skipped_days=frozenset(date.fromisoformat(day) for day in meeting.skipped_days),
    )


def plan_of(meeting: Meeting) -> Plan:
    return Plan(
        title=meeting.title,
        recurrence=recurrence_of(meeting),
        duration_minutes=meeting.duration_minutes,
        place=meeting.place,
        channel_id=meeting.channel_id,
        link=meeting.link,
        description=meeting.description,
        topic=meeting.topic,
        facilitator_user_id=meeting.facilitator_user_id,
        reminder_minutes=tuple(meeting.reminder_minutes),
        min_present_minutes=meeting.min_present_minutes,
    )


def _occurrence(row: MeetingOccurrence) -> Occurrence:
    return Occurrence(
        row.id,
        row.meeting_id,
        row.starts_at,
        row.ends_at,
        row.state,
        row.discord_event_id,
        row.event_status,
        row.event_deleted,
    )


def _info(meeting: Meeting, next_row: MeetingOccurrence | None) -> MeetingInfo:
    return MeetingInfo(
        meeting.id,
        meeting.guild_id,
        plan_of(meeting),
        meeting.cancelled_at is not None,
        _occurrence(next_row) if next_row else None,
    )


def _columns(plan: Plan) -> dict[str, Any]:
    rec = plan.recurrence
    return {
        "title": plan.title,
        "description": plan.description,
        "topic": plan.topic,
        "cadence": rec.cadence,
        "weekdays": list(rec.weekdays),
        "month_week": rec.month_week,
        "local_time": rec.local_time.strftime("%H:%M"),
        "timezone": rec.zone.key,
        "first_day": rec.first_day,
        "skipped_days": sorted(day.isoformat() for day in rec.skipped_days),
        "duration_minutes": plan.duration_minutes,
        "place": plan.place,
        "channel_id": plan.channel_id,
        "link": plan.link,
        "facilitator_user_id": plan.facilitator_user_id,
        "reminder_minutes": list(plan.reminder_minutes),
        "min_present_minutes": plan.min_present_minutes,
    }


# --- When something is due ------------------------------------------------------------------


def reminder_times(row: MeetingOccurrence, reminders: Sequence[int]) -> dict[int, datetime]:
    """Each reminder not yet handled, by its minutes before the start, and when it is due."""
    done = set(row.reminders_done)
    return {
        minutes: row.starts_at - timedelta(minutes=minutes)
        for minutes in reminders
        if minutes not in done
    }


def next_action(row: MeetingOccurrence, reminders: Sequence[int], now: datetime) -> datetime | None:
    """The earliest moment the job has something to do for this occurrence."""
    moments: list[datetime] = []
    if row.state == PLANNED:
        moments += [when for when in reminder_times(row, reminders).values()]
        moments.append(row.starts_at)
    elif row.state == OPEN:
        moments.append(row.ends_at)
    if event_wanted(row, now) is not None:
        moments.append(row.event_retry_at or now)
    return min(moments) if moments else None


def event_wanted(row: MeetingOccurrence, now: datetime) -> str | None:
    """What the occurrence's Discord event still needs: "create", "update", "start",
    "end", "cancel", "delete", or None when Discord already shows it right.

    An event someone deleted by hand is left deleted (the bot does not fight a person);
    specialists are told instead. An event can't be made for a meeting already under way,
    and one past is left as it is some hours after (a refusal is not retried for ever).
    """
    if row.event_deleted:
        return None
    if row.state in (CLOSED, SKIPPED) and row.ends_at < now - EVENT_KEPT_IN_STEP_FOR:
        return None
    has_event = row.discord_event_id is not None
    if row.state == PLANNED:
        if not has_event:
            return "create"
        return "update" if row.event_outdated else None
    if row.state == OPEN:
        return "start" if has_event and row.event_status == EVENT_SCHEDULED else None
    if row.state == CLOSED and has_event:
        if row.event_status == EVENT_ACTIVE:
            return "end"
        return "cancel" if row.event_status == EVENT_SCHEDULED else None
    if row.state == SKIPPED and has_event:
        return "delete"
    return None


# --- Scheduling -----------------------------------------------------------------------------


def reminders_too_early(plan: Plan, now: datetime) -> tuple[int, ...]:
    """The reminders that fall before the meeting ahead has ended, so can never be sent:
    only the next occurrence is planned, and the one after it only once that closes."""
    starts = starts_between(plan.recurrence, now, now + timedelta(days=400), limit=12)
    gaps = [later - earlier for earlier, later in itertools.pairwise(starts)]
    if not gaps:
        return ()
    room = min(gaps) - timedelta(minutes=plan.duration_minutes)
    return tuple(m for m in plan.reminder_minutes if timedelta(minutes=m) > room)


def _first_start(plan: Plan, now: datetime) -> datetime:
    start = next_start(plan.recurrence, now)
    if start is None:
        raise UserFacingError(texts.NEVER_OCCURS)
    return start


def _new_occurrence(meeting: Meeting, start: datetime, now: datetime) -> MeetingOccurrence:
    row = MeetingOccurrence(
        guild_id=meeting.guild_id,
        meeting_id=meeting.id,
        starts_at=start,
        ends_at=start + timedelta(minutes=meeting.duration_minutes),
        state=PLANNED,
        observed=True,
        reminders_done=[],
        event_status=EVENT_NONE,
        event_outdated=False,
        event_deleted=False,
    )
    # Reminders already past when the occurrence is made (a meeting set up for tonight)
    # are not sent late: only those still ahead.
    row.reminders_done = [
        minutes for minutes in meeting.reminder_minutes if start - timedelta(minutes=minutes) <= now
    ]
    row.next_action_at = next_action(row, meeting.reminder_minutes, now)
    return row


def _audit(
    session: AsyncSession,
    guild_id: int,
    actor: int,
    action: str,
    now: datetime,
    subject: int | None = None,
    **details: Any,
) -> None:
    session.add(
        AuditEntry(
            guild_id=guild_id,
            actor_user_id=actor,
            subject_user_id=subject,
            action=action,
            created_at=now,
            details=details,
        )
    )


async def schedule(
    db: Database, guild_id: int, user_id: int, plan: Plan, now: datetime
) -> MeetingInfo:
    """A new meeting and its first occurrence (its Discord event is made by `events`)."""
    start = _first_start(plan, now)
    async with db.guild_session(guild_id) as session, session.begin():
        meeting = Meeting(guild_id=guild_id, created_by=user_id, **_columns(plan))
        session.add(meeting)
        await session.flush()
        occurrence = _new_occurrence(meeting, start, now)
        session.add(occurrence)
        await session.flush()
        _audit(session, guild_id, user_id, "meetings.scheduled", now, meeting_id=meeting.id)
        return _info(meeting, occurrence)


async def _meeting(session: AsyncSession, meeting_id: int) -> Meeting:
    meeting = await session.get(Meeting, meeting_id)
    if meeting is None or meeting.cancelled_at is not None:
        raise UserFacingError(texts.MEETING_GONE)
    return meeting


async def _current(
    session: AsyncSession, meeting_id: int, *, lock: bool = False
) -> MeetingOccurrence | None:
    """The meeting's occurrence still to come or under way (one at most); with `lock`,
    held until the transaction ends, so a command and the job never change it at once."""
    query = (
        select(MeetingOccurrence)
        .where(
            MeetingOccurrence.meeting_id == meeting_id,
            MeetingOccurrence.state.in_((PLANNED, OPEN)),
        )
        .order_by(MeetingOccurrence.starts_at)
        .limit(1)
    )
    return await session.scalar(query.with_for_update() if lock else query)


async def find_any(db: Database, guild_id: int, meeting_id: int) -> MeetingInfo:
    """A meeting, also one cancelled since (a notice about its last occurrence)."""
    async with db.guild_session(guild_id) as session:
        meeting = await session.get(Meeting, meeting_id)
        if meeting is None:
            raise UserFacingError(texts.MEETING_GONE)
        return _info(meeting, await _current(session, meeting_id))


async def queue(db: Database, guild_id: int, messages: Sequence[Outgoing]) -> None:
    async with db.guild_session(guild_id) as session, session.begin():
        await enqueue(session, messages)


async def find(db: Database, guild_id: int, meeting_id: int) -> MeetingInfo:
    async with db.guild_session(guild_id) as session:
        meeting = await _meeting(session, meeting_id)
        return _info(meeting, await _current(session, meeting_id))


async def upcoming(db: Database, guild_id: int) -> list[MeetingInfo]:
    """Every meeting still scheduled, soonest first."""
    async with db.guild_session(guild_id) as session:
        meetings = (
            await session.scalars(select(Meeting).where(Meeting.cancelled_at.is_(None)))
        ).all()
        current = {
            row.meeting_id: row
            for row in (
                await session.scalars(
                    select(MeetingOccurrence).where(MeetingOccurrence.state.in_((PLANNED, OPEN)))
                )
            ).all()
        }
    found = [_info(meeting, current.get(meeting.id)) for meeting in meetings]
    far = datetime.max.replace(tzinfo=ZoneInfo("UTC"))
    return sorted(found, key=lambda m: (m.next.starts_at if m.next else far, m.id))


def _past_reminders(
    starts_at: datetime, reminders: Sequence[int], now: datetime, done: Sequence[int] = ()
) -> list[int]:
    """The reminders handled: those done, and those already past (never sent late)."""
    return sorted(set(done) | {m for m in reminders if starts_at - timedelta(minutes=m) <= now})


async def _move(session: AsyncSession, row: MeetingOccurrence, plan: Plan, now: datetime) -> None:
    """A planned occurrence onto the meeting's new schedule, reminded of afresh."""
    start = _first_start(plan, now)
    ends = start + timedelta(minutes=plan.duration_minutes)
    if (start, ends) == (row.starts_at, row.ends_at):
        return
    row.starts_at, row.ends_at = start, ends
    row.reminders_done = _past_reminders(start, plan.reminder_minutes, now)
    # A reminder queued for the old time must not go out with it.
    await withdraw(session, row.guild_id, [reminder_key(row.id)], now)


async def edit(
    db: Database,
    guild_id: int,
    user_id: int,
    meeting_id: int,
    changes: dict[str, Any],
    now: datetime,
) -> MeetingInfo:
    """Change a meeting's details. A planned occurrence moves to the new schedule (its
    Discord event follows); one under way keeps its times and the change starts after it."""
    async with db.guild_session(guild_id) as session, session.begin():
        meeting = await _meeting(session, meeting_id)
        plan = replace(plan_of(meeting), **changes)
        if "recurrence" in changes or "duration_minutes" in changes:
            _first_start(plan, now)
        for column, value in _columns(plan).items():
            setattr(meeting, column, value)
        current = await _current(session, meeting_id, lock=True)
        # One about to start (the job opens it any second) keeps its time.
        if current is not None and current.state == PLANNED and current.starts_at > now:
            if "recurrence" in changes or "duration_minutes" in changes:
                await _move(session, current, plan, now)
            elif "reminder_minutes" in changes:
                current.reminders_done = _past_reminders(
                    current.starts_at, plan.reminder_minutes, now, current.reminders_done
                )
            current.event_outdated = current.discord_event_id is not None
            current.event_retry_at = None
            current.next_action_at = next_action(current, plan.reminder_minutes, now)
        _audit(
            session,
            guild_id,
            user_id,
            "meetings.edited",
            now,
            meeting_id=meeting_id,
            changed=sorted(changes),
        )
        await session.flush()
        return _info(meeting, current)


async def cancel(
    db: Database, guild_id: int, user_id: int, meeting_id: int, now: datetime
) -> MeetingInfo:
    """No more occurrences: the planned one is skipped (its event deleted), one under way
    runs to its end, and reminders not yet sent are withdrawn."""
    async with db.guild_session(guild_id) as session, session.begin():
        meeting = await _meeting(session, meeting_id)
        meeting.cancelled_at = now
        current = await _current(session, meeting_id, lock=True)
        if current is not None and current.state == PLANNED:
            await _skip_row(session, current, meeting, now)
        _audit(session, guild_id, user_id, "meetings.cancelled", now, meeting_id=meeting_id)
        return _info(meeting, current)


async def _skip_row(
    session: AsyncSession, row: MeetingOccurrence, meeting: Meeting, now: datetime
) -> None:
    row.state = SKIPPED
    row.event_retry_at = None
    row.next_action_at = next_action(row, meeting.reminder_minutes, now)
    await withdraw(session, meeting.guild_id, [reminder_key(row.id)], now)


async def skip(
    db: Database, guild_id: int, user_id: int, meeting_id: int, day: date, now: datetime
) -> MeetingInfo:
    """Leave out one day of the schedule. The planned occurrence on that day is skipped
    (its event deleted) and the one after it planned; a later day is remembered."""
    async with db.guild_session(guild_id) as session, session.begin():
        meeting = await _meeting(session, meeting_id)
        rec = recurrence_of(meeting)
        today = now.astimezone(rec.zone).date()
        if day < today:
            raise UserFacingError(texts.SKIP_PAST)
        if day < rec.first_day or not falls_on(replace(rec, skipped_days=frozenset()), day):
            raise UserFacingError(texts.SKIP_NOT_A_MEETING_DAY.format(day=day.isoformat()))
        if day.isoformat() in meeting.skipped_days:
            raise UserFacingError(texts.SKIP_ALREADY.format(day=day.isoformat()))
        current = await _current(session, meeting_id, lock=True)
        plain = replace(rec, skipped_days=frozenset())
        that_day = next_start(
            plain, datetime.combine(day, time(0), rec.zone) - timedelta(seconds=1)
        )
        if that_day is not None and that_day <= now:
            # Today's meeting already began: it is under way, or over.
            under_way = current is not None and current.starts_at == that_day
            raise UserFacingError(texts.SKIP_UNDER_WAY if under_way else texts.SKIP_PAST)
        # Days already past are dropped: the list stays within the schedule's horizon.
        kept = [d for d in meeting.skipped_days if date.fromisoformat(d) >= today]
        meeting.skipped_days = sorted([*kept, day.isoformat()])
        if current is not None and current.state == PLANNED and _local_day(current, rec) == day:
            await _skip_row(session, current, meeting, now)
            await session.flush()
            current = await _plan_next(session, meeting, current.starts_at, now)
        _audit(session, guild_id, user_id, "meetings.skipped", now, meeting_id=meeting_id)
        await session.flush()
        return _info(meeting, current)


def _local_day(row: MeetingOccurrence, rec: Recurrence) -> date:
    return row.starts_at.astimezone(rec.zone).date()


async def _plan_next(
    session: AsyncSession, meeting: Meeting, after: datetime, now: datetime
) -> MeetingOccurrence | None:
    """The meeting's next occurrence after `after` (and after now), planned."""
    if meeting.cancelled_at is not None:
        return None
    start = next_start(recurrence_of(meeting), max(after, now))
    if start is None:
        return None
    row = _new_occurrence(meeting, start, now)
    session.add(row)
    await session.flush()
    return row


# --- The job: reminders, starts, ends -------------------------------------------------------


def reminder_key(
    occurrence_id: int, minutes: int | str = "", starts_at: datetime | None = None
) -> str:
    """The dedupe key of one reminder of one start: a meeting moved to another time is
    reminded of again. Without `minutes`, the prefix of all the occurrence's reminders."""
    if minutes == "":
        return f"meetings:{occurrence_id}:reminder:"
    stamp = int(starts_at.timestamp()) if starts_at else 0
    return f"meetings:{occurrence_id}:reminder:{minutes}:{stamp}"


@dataclass(frozen=True)
class Due:
    """What one occurrence needed when the job ran, for the Discord side to act on."""

    guild_id: int
    occurrence_id: int
    meeting_id: int
    reminded: bool = False
    opened: bool = False
    closed: bool = False
    next_id: int | None = None


@dataclass(frozen=True)
class Messages:
    """How the job words what it queues (the job's, so this module stays Discord-free)."""

    reminder: Callable[[MeetingInfo, Occurrence, int], dict[str, Any]]
    opening: Callable[[MeetingInfo, Occurrence], dict[str, Any]]
    # The server's channels: (meetings channel, role to mention) by server.
    channels: Callable[[int], tuple[int | None, int | None]]


# People in a meeting's voice channel right now, by channel (the job reads Discord's
# cache); None when there is no such channel.
VoicePresence = Callable[[int, int], Sequence[int] | None]


def post_channel(plan: Plan, meetings_channel: int | None) -> int | None:
    """Where reminders and the opening round go: the meetings channel, or a text
    meeting's own channel when the server has none."""
    if meetings_channel is not None:
        return meetings_channel
    return plan.channel_id if plan.place == TEXT else None


async def run_due(
    db: Database,
    now: datetime,
    shards: ShardSet,
    messages: Messages,
    in_voice: VoicePresence,
) -> list[Due]:
    """Everything due by `now` on these shards' servers: reminders queued, meetings
    opened (with who is already in the room) and closed (with attendance decided and the
    next occurrence planned), each occurrence in a transaction of its own.

    Each is claimed as it is handled (`FOR UPDATE SKIP LOCKED` on PostgreSQL: another
    process passes it by), and one that fails is set aside for a while, not left at the
    head of the queue holding up every server's meetings behind it."""
    handled: list[Due] = []
    seen: set[int] = set()
    while True:
        due_query = (
            select(MeetingOccurrence.id)
            .where(MeetingOccurrence.next_action_at <= now)
            .order_by(MeetingOccurrence.next_action_at, MeetingOccurrence.id)
            .limit(CLAIM_CHUNK)
        )
        if served := shard_filter(MeetingOccurrence.guild_id, shards):
            due_query = due_query.where(or_(*served))
        if seen:
            due_query = due_query.where(MeetingOccurrence.id.not_in(seen))
        async with db.all_guilds_session() as session:
            ids = list((await session.scalars(due_query)).all())
        if not ids:
            return handled
        seen.update(ids)
        for occurrence_id in ids:
            try:
                done = await _advance_one(db, occurrence_id, now, messages, in_voice)
            except Exception:
                log.exception("Meeting occurrence %s could not be moved on", occurrence_id)
                await _set_aside(db, occurrence_id, now)
                continue
            if done is not None:
                handled.append(done)


async def _advance_one(
    db: Database, occurrence_id: int, now: datetime, messages: Messages, in_voice: VoicePresence
) -> Due | None:
    async with db.all_guilds_session() as session, session.begin():
        claimed = await session.scalar(
            select(MeetingOccurrence.id)
            .where(MeetingOccurrence.id == occurrence_id, MeetingOccurrence.next_action_at <= now)
            .with_for_update(skip_locked=True)
        )
        if claimed is None:
            return None  # another process has it, or a command moved it meanwhile
        outgoing: list[Outgoing] = []
        done = await _advance(session, occurrence_id, now, messages, in_voice, outgoing)
        await enqueue(session, outgoing)
        return done


async def _set_aside(db: Database, occurrence_id: int, now: datetime) -> None:
    try:
        async with db.all_guilds_session() as session, session.begin():
            await session.execute(
                update(MeetingOccurrence)
                .where(MeetingOccurrence.id == occurrence_id)
                .values(next_action_at=now + REFUSED_RETRY)
                .execution_options(synchronize_session=False)
            )
    except Exception:
        # The database itself is failing: the job's next run finds the same row due.
        log.exception("Meeting occurrence %s could not be set aside", occurrence_id)


async def _advance(
    session: AsyncSession,
    occurrence_id: int,
    now: datetime,
    messages: Messages,
    in_voice: VoicePresence,
    outgoing: list[Outgoing],
) -> Due | None:
    row = await session.get(MeetingOccurrence, occurrence_id, populate_existing=True)
    if row is None or row.next_action_at is None or row.next_action_at > now:
        return None  # another process or a command moved it meanwhile
    meeting = await session.get(Meeting, row.meeting_id)
    if meeting is None:
        return None
    info = _info(meeting, row)
    channel, _role = messages.channels(row.guild_id)
    where = post_channel(info.plan, channel)
    opened = closed = reminded = False
    next_row: MeetingOccurrence | None = None
    if row.state == PLANNED and now < row.starts_at:
        reminders = _reminders(info, row, now, where, messages)
        outgoing += reminders
        reminded = bool(reminders)
    elif row.state == PLANNED:
        # Reminders not sent by the start are no longer useful.
        row.reminders_done = sorted(set(row.reminders_done) | set(meeting.reminder_minutes))
        if now < row.ends_at:
            _open(session, row, meeting, now, in_voice)
            opened = True
            # A text meeting opens where its members gather; others in the meetings channel.
            room = meeting.channel_id if meeting.place == TEXT else where
            if room is not None:
                outgoing.append(_opening(info, row, room, messages))
        else:
            # The bot was away for the whole meeting: nobody's absence was seen.
            row.state, row.observed, row.closed_at = CLOSED, False, now
            closed = True
    if row.state == OPEN and now >= row.ends_at:
        await _close(session, row, meeting, now)
        closed = True
    if closed:
        next_row = await _plan_next(session, meeting, row.starts_at, now)
    row.next_action_at = next_action(row, meeting.reminder_minutes, now)
    if not (reminded or opened or closed):
        return None  # only its Discord event is due: the job's event sync makes it
    return Due(
        row.guild_id,
        row.id,
        meeting.id,
        reminded=reminded,
        opened=opened,
        closed=closed,
        next_id=next_row.id if next_row else None,
    )


def _reminders(
    info: MeetingInfo, row: MeetingOccurrence, now: datetime, where: int | None, messages: Messages
) -> list[Outgoing]:
    due = {
        m: when
        for m, when in reminder_times(row, info.plan.reminder_minutes).items()
        if when <= now
    }
    if not due:
        return []
    row.reminders_done = sorted(set(row.reminders_done) | set(due))
    if where is None:
        return []
    # After an outage only the latest reminder due is sent: two at once say the same.
    minutes = min(due)
    occurrence = _occurrence(row)
    return [
        Outgoing(
            kind=REMINDER_KIND,
            dedupe_key=reminder_key(row.id, minutes, row.starts_at),
            guild_id=row.guild_id,
            body=messages.reminder(info, occurrence, minutes),
            not_before=now,
            expires_at=row.starts_at,
            channel_id=where,
        )
    ]


def _opening(info: MeetingInfo, row: MeetingOccurrence, where: int, messages: Messages) -> Outgoing:
    return Outgoing(
        kind=OPENING_KIND,
        dedupe_key=f"meetings:{row.id}:opening",
        guild_id=row.guild_id,
        body=messages.opening(info, _occurrence(row)),
        not_before=row.starts_at,
        expires_at=row.ends_at,
        channel_id=where,
    )


def _open(
    session: AsyncSession,
    row: MeetingOccurrence,
    meeting: Meeting,
    now: datetime,
    in_voice: VoicePresence,
) -> None:
    row.state, row.opened_at = OPEN, now
    # Opened late (the bot was away at the start): who came and went before is unknown,
    # so nobody's absence from it counts.
    if now - row.starts_at > WATCHED_WITHIN:
        row.observed = False
    if meeting.place in VOICE_PLACES and meeting.channel_id is not None:
        present = in_voice(row.guild_id, meeting.channel_id)
        if present is None:
            row.observed = False  # its room is gone: nobody could be there
            return
        # Who is already in the room counts from now (the start, unless late).
        for user_id in present:
            _start_stay(session, None, row.guild_id, row.id, user_id, now)


async def _close(
    session: AsyncSession, row: MeetingOccurrence, meeting: Meeting, now: datetime
) -> None:
    row.state, row.closed_at = CLOSED, now
    if now - row.ends_at > WATCHED_WITHIN:
        row.observed = False  # the bot was away at the end: who left when is unknown
    required = attendance.required_seconds(meeting.duration_minutes, meeting.min_present_minutes)
    present = (
        await session.scalars(
            select(MeetingAttendance).where(MeetingAttendance.occurrence_id == row.id)
        )
    ).all()
    for entry in present:
        _end_stay(entry, row.starts_at, row.ends_at, row.ends_at)
        entry.attended = attendance.attended(
            entry.seconds_present, entry.here_at is not None, required
        )


def _end_stay(
    entry: MeetingAttendance, starts_at: datetime, ends_at: datetime, until: datetime
) -> None:
    """Add a stay going on until `until` to the member's time, counting only what fell
    inside the meeting's window."""
    if entry.in_voice_since is None:
        return
    stay = attendance.Stay(entry.in_voice_since, until)
    entry.seconds_present += attendance.seconds_within([stay], starts_at, ends_at, until)
    entry.in_voice_since = None


def _attendance(
    guild_id: int, occurrence_id: int, user_id: int, **seen: datetime
) -> MeetingAttendance:
    return MeetingAttendance(
        guild_id=guild_id,
        occurrence_id=occurrence_id,
        user_id=user_id,
        seconds_present=0,
        **seen,
    )


def _start_stay(
    session: AsyncSession,
    entry: MeetingAttendance | None,
    guild_id: int,
    occurrence_id: int,
    user_id: int,
    since: datetime,
) -> None:
    """A member in the room from `since`: a new row, or a new stay on theirs."""
    if entry is None:
        session.add(_attendance(guild_id, occurrence_id, user_id, in_voice_since=since))
    elif entry.in_voice_since is None:
        entry.in_voice_since = since


async def next_due(db: Database, shards: ShardSet) -> datetime | None:
    """When the job next has something to do on these shards' servers."""
    query = select(func.min(MeetingOccurrence.next_action_at))
    if served := shard_filter(MeetingOccurrence.guild_id, shards):
        query = query.where(or_(*served))
    async with db.all_guilds_session() as session:
        moment: datetime | None = await session.scalar(query)
    return moment


# --- Who is there ---------------------------------------------------------------------------


@dataclass(frozen=True)
class OpenRoom:
    """A voice or stage meeting under way: its channel and occurrence."""

    guild_id: int
    channel_id: int
    occurrence_id: int
    starts_at: datetime
    ends_at: datetime


async def open_rooms(db: Database, shards: ShardSet) -> list[OpenRoom]:
    """The voice meetings under way on these shards' servers (the cog keeps them in
    memory, so a voice event in any other channel costs no query)."""
    query = (
        select(
            MeetingOccurrence.guild_id,
            Meeting.channel_id,
            MeetingOccurrence.id,
            MeetingOccurrence.starts_at,
            MeetingOccurrence.ends_at,
        )
        .join(Meeting, Meeting.id == MeetingOccurrence.meeting_id)
        .where(
            MeetingOccurrence.state == OPEN,
            Meeting.place.in_(VOICE_PLACES),
            Meeting.channel_id.is_not(None),
        )
    )
    if served := shard_filter(MeetingOccurrence.guild_id, shards):
        query = query.where(or_(*served))
    async with db.all_guilds_session() as session:
        rows = (await session.execute(query)).all()
    return [
        OpenRoom(guild_id, channel_id, occurrence_id, starts_at, ends_at)
        for guild_id, channel_id, occurrence_id, starts_at, ends_at in rows
        if channel_id is not None
    ]


async def voice_joined(db: Database, room: OpenRoom, user_id: int, now: datetime) -> None:
    """A member came into an open meeting's voice channel."""
    if now >= room.ends_at:
        return
    async with db.guild_session(room.guild_id) as session, session.begin():
        entry = await session.get(MeetingAttendance, (room.occurrence_id, user_id))
        if entry is None or entry.attended is None:
            _start_stay(
                session, entry, room.guild_id, room.occurrence_id, user_id, max(now, room.starts_at)
            )


async def voice_left(db: Database, room: OpenRoom, user_id: int, now: datetime) -> None:
    """A member left an open meeting's voice channel: the stay is added up."""
    async with db.guild_session(room.guild_id) as session, session.begin():
        entry = await session.get(MeetingAttendance, (room.occurrence_id, user_id))
        if entry is not None and entry.attended is None:
            _end_stay(entry, room.starts_at, room.ends_at, now)


async def reconcile_room(
    db: Database, room: OpenRoom, present: Sequence[int], now: datetime
) -> None:
    """After a restart: who Discord shows in the room now against what was recorded.
    A stay recorded as going on by someone no longer there ends now (the bot can't
    know when they left while it was away); someone there with no stay starts one."""
    async with db.guild_session(room.guild_id) as session, session.begin():
        entries = {
            entry.user_id: entry
            for entry in (
                await session.scalars(
                    select(MeetingAttendance).where(
                        MeetingAttendance.occurrence_id == room.occurrence_id
                    )
                )
            ).all()
        }
        for user_id, entry in entries.items():
            if user_id not in present:
                _end_stay(entry, room.starts_at, room.ends_at, now)
        for user_id in present:
            _start_stay(
                session,
                entries.get(user_id),
                room.guild_id,
                room.occurrence_id,
                user_id,
                max(now, room.starts_at),
            )


class HereAnswer:
    RECORDED = "recorded"
    ALREADY = "already"
    NOT_YET = "not_yet"
    OVER = "over"
    GONE = "gone"


async def mark_here(
    db: Database, guild_id: int, occurrence_id: int, user_id: int, now: datetime
) -> tuple[str, str]:
    """A member pressed "I'm here": recorded while the meeting is under way. Returns the
    answer and the meeting's title."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(MeetingOccurrence, occurrence_id)
        meeting = await session.get(Meeting, row.meeting_id) if row else None
        if row is None or meeting is None:
            return HereAnswer.GONE, ""
        if row.state == PLANNED:
            return HereAnswer.NOT_YET, meeting.title
        if row.state != OPEN or now >= row.ends_at:
            return HereAnswer.OVER, meeting.title
        entry = await session.get(MeetingAttendance, (occurrence_id, user_id))
        if entry is not None and entry.here_at is not None:
            return HereAnswer.ALREADY, meeting.title
        if entry is None:
            session.add(_attendance(guild_id, occurrence_id, user_id, here_at=now))
        else:
            entry.here_at = now
        return HereAnswer.RECORDED, meeting.title


# --- Records --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Attended:
    meeting_id: int
    title: str
    starts_at: datetime
    attended: bool


@dataclass(frozen=True)
class Record:
    """A member's attendance: each closed occurrence of their meetings since they first
    came, newest last, and their current run (there, or away)."""

    history: tuple[Attended, ...]
    streak: int
    missed_in_a_row: int
    sharing: bool


@dataclass(frozen=True)
class _Held:
    id: int
    meeting_id: int
    title: str
    zone: str
    starts_at: datetime
    # False when the bot could not watch it (down over its window): an absence from it
    # is nobody's, though someone counted as there still was.
    observed: bool


@dataclass(frozen=True)
class _Window:
    """The closed occurrences of the last HISTORY_DAYS, oldest first, and who was at
    each: what every record, the report and the warning sign are read from, in two
    queries however many members and meetings there are."""

    held: list[_Held]
    present: dict[int, set[int]]  # occurrence id -> members counted there

    def histories(self) -> dict[int, dict[int, list[Attended]]]:
        """Per member and meeting: that meeting's occurrences from the member's first
        visit on (a meeting never come to is not one "missed")."""
        firsts: dict[tuple[int, int], datetime] = {}
        by_meeting: dict[int, list[_Held]] = defaultdict(list)
        for occurrence in self.held:
            by_meeting[occurrence.meeting_id].append(occurrence)
            for user_id in self.present.get(occurrence.id, ()):
                firsts.setdefault((user_id, occurrence.meeting_id), occurrence.starts_at)
        found: dict[int, dict[int, list[Attended]]] = defaultdict(dict)
        for (user_id, meeting_id), first in firsts.items():
            found[user_id][meeting_id] = [
                Attended(meeting_id, o.title, o.starts_at, user_id in self.present.get(o.id, ()))
                for o in by_meeting[meeting_id]
                if o.starts_at >= first and (o.observed or user_id in self.present.get(o.id, ()))
            ]
        return found


async def _window(session: AsyncSession, now: datetime, user_id: int | None = None) -> _Window:
    since = now - timedelta(days=HISTORY_DAYS)
    held = [
        _Held(*row)
        for row in (
            await session.execute(
                select(
                    MeetingOccurrence.id,
                    MeetingOccurrence.meeting_id,
                    Meeting.title,
                    Meeting.timezone,
                    MeetingOccurrence.starts_at,
                    MeetingOccurrence.observed,
                )
                .join(Meeting, Meeting.id == MeetingOccurrence.meeting_id)
                .where(MeetingOccurrence.state == CLOSED, MeetingOccurrence.starts_at >= since)
                .order_by(MeetingOccurrence.starts_at, MeetingOccurrence.id)
            )
        ).all()
    ]
    came = (
        select(MeetingAttendance.occurrence_id, MeetingAttendance.user_id)
        .join(MeetingOccurrence, MeetingOccurrence.id == MeetingAttendance.occurrence_id)
        .where(MeetingAttendance.attended.is_(True), MeetingOccurrence.starts_at >= since)
    )
    if user_id is not None:
        came = came.where(MeetingAttendance.user_id == user_id)
    present: dict[int, set[int]] = defaultdict(set)
    for occurrence_id, member in (await session.execute(came)).all():
        present[occurrence_id].add(member)
    return _Window(held, present)


def _pasts(history: Sequence[Attended]) -> list[attendance.Past]:
    return [attendance.Past(item.starts_at, item.attended) for item in history]


def _regular(meetings: dict[int, list[Attended]]) -> dict[int, list[Attended]]:
    """The meetings a member comes to: at least REGULAR_AT_LEAST visits in the window.
    One tried once and left is not a run of absences from then on."""
    return {
        meeting_id: history
        for meeting_id, history in meetings.items()
        if sum(item.attended for item in history) >= REGULAR_AT_LEAST
    }


def _missed_runs(meetings: dict[int, list[Attended]]) -> list[tuple[int, Attended]]:
    """For each of the member's regular meetings missed lately: how many in a row, and
    the first of them (which stays the same for as long as the run lasts)."""
    runs: list[tuple[int, Attended]] = []
    for history in _regular(meetings).values():
        missed = attendance.missed_in_a_row(_pasts(history))
        if missed:
            runs.append((missed, history[-missed]))
    return runs


def _merged(meetings: dict[int, list[Attended]]) -> list[Attended]:
    return sorted(
        (item for items in meetings.values() for item in items), key=lambda i: i.starts_at
    )


async def record_of(db: Database, guild_id: int, user_id: int, now: datetime) -> Record:
    async with db.guild_session(guild_id) as session:
        meetings = (await _window(session, now, user_id)).histories().get(user_id, {})
        sharing = await _sharing(session, user_id)
    # The run is told over the meetings they come to, once there are any.
    counted = _regular(meetings) or meetings
    history = sorted(
        (item for items in meetings.values() for item in items), key=lambda i: i.starts_at
    )
    pasts = _pasts(
        sorted((i for items in counted.values() for i in items), key=lambda i: i.starts_at)
    )
    return Record(
        tuple(history),
        attendance.streak(pasts),
        attendance.missed_in_a_row(pasts),
        sharing,
    )


async def _sharing(session: AsyncSession, user_id: int) -> bool:
    preference = await session.scalar(
        select(MeetingPreference).where(MeetingPreference.user_id == user_id)
    )
    return bool(preference and preference.share_attendance)


async def set_sharing(
    db: Database, guild_id: int, user_id: int, share: bool, now: datetime
) -> None:
    """The member's consent for the specialists to see their attendance, with an audit
    line per change (the member can see it in their access log)."""
    async with db.guild_session(guild_id) as session, session.begin():
        preference = await session.scalar(
            select(MeetingPreference).where(MeetingPreference.user_id == user_id)
        )
        if preference is None:
            preference = MeetingPreference(guild_id=guild_id, user_id=user_id)
            session.add(preference)
        elif preference.share_attendance == share:
            return
        preference.share_attendance, preference.changed_at = share, now
        _audit(session, guild_id, user_id, "meetings.attendance_sharing", now, user_id, share=share)


@dataclass(frozen=True)
class Report:
    """Counts per meeting over time, and the consenting members missing several in a row."""

    counts: dict[str, list[tuple[datetime, int]]]
    missing: list[tuple[int, int]] = field(default_factory=list)  # (user id, missed in a row)


async def report(db: Database, guild_id: int, viewer_id: int, now: datetime) -> Report:
    async with db.guild_session(guild_id) as session, session.begin():
        window = await _window(session, now)
        titles: dict[int, str] = {}
        for occurrence in window.held:
            name = occurrence.title
            # Two meetings of one name stay two lines.
            if name in titles.values() and titles.get(occurrence.meeting_id) != name:
                name = f"{name} ({occurrence.meeting_id})"
            titles.setdefault(occurrence.meeting_id, name)
        counts: dict[str, list[tuple[datetime, int]]] = {}
        for occurrence in window.held:
            if occurrence.observed:
                counts.setdefault(titles[occurrence.meeting_id], []).append(
                    (occurrence.starts_at, len(window.present.get(occurrence.id, ())))
                )
        sharing = set(
            (
                await session.scalars(
                    select(MeetingPreference.user_id).where(
                        MeetingPreference.share_attendance.is_(True)
                    )
                )
            ).all()
        )
        missing: list[tuple[int, int]] = []
        for user_id, meetings in window.histories().items():
            runs = [missed for missed, _ in _missed_runs(meetings)]
            if user_id in sharing and runs and max(runs) >= MISSED_IN_A_ROW:
                missing.append((user_id, max(runs)))
        # Each member named is a look at their health data: recorded where they see it.
        for user_id, _ in missing:
            _audit(session, guild_id, viewer_id, VIEWED, now, user_id)
    return Report(counts, sorted(missing, key=lambda item: (-item[1], item[0])))


@dataclass(frozen=True)
class Missing:
    """A member away from one of their regular meetings `threshold` or more times in a
    row: since the local day of the first one missed, and whether they share attendance."""

    user_id: int
    since: date
    sharing: bool


async def missing_members(session: AsyncSession, threshold: int, now: datetime) -> list[Missing]:
    """For the warning-sign detector (which asks its own consent as well)."""
    window = await _window(session, now)
    sharing = set(
        (
            await session.scalars(
                select(MeetingPreference.user_id).where(
                    MeetingPreference.share_attendance.is_(True)
                )
            )
        ).all()
    )
    zones = {o.meeting_id: o.zone for o in window.held}
    found: list[Missing] = []
    for user_id, meetings in window.histories().items():
        runs = [(missed, first) for missed, first in _missed_runs(meetings) if missed >= threshold]
        if runs:
            first = min((item for _, item in runs), key=lambda item: item.starts_at)
            day = first.starts_at.astimezone(zone_or_utc(zones.get(first.meeting_id))).date()
            found.append(Missing(user_id, day, user_id in sharing))
    return found


# --- The Discord event's fate ---------------------------------------------------------------


@dataclass(frozen=True)
class EventWork:
    """One occurrence's Discord event change to make, with what Discord needs to know."""

    guild_id: int
    occurrence_id: int
    action: str
    info: MeetingInfo
    occurrence: Occurrence


async def event_work(
    db: Database, guild_id: int, occurrence_id: int, now: datetime
) -> EventWork | None:
    """The occurrence's Discord event change due now, claimed for `EVENT_CLAIM`: two
    processes holding one shard (a deploy's overlap) would otherwise both make the
    event, and the one recorded last leaves the other's in the server's list for ever,
    never started nor ended. `event_done` or `event_failed` ends the claim."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.get(MeetingOccurrence, occurrence_id)
        if row is None:
            return None
        action = event_wanted(row, now)
        meeting = await session.get(Meeting, row.meeting_id)
        if action is None or meeting is None:
            return None
        claimed = await session.scalar(
            update(MeetingOccurrence)
            .where(
                MeetingOccurrence.id == occurrence_id,
                or_(
                    MeetingOccurrence.event_retry_at.is_(None),
                    MeetingOccurrence.event_retry_at <= now,
                ),
            )
            .values(event_retry_at=now + EVENT_CLAIM)
            .returning(MeetingOccurrence.id)
            .execution_options(synchronize_session=False)
        )
        if claimed is None:
            return None  # another process is making this change now
        return EventWork(guild_id, occurrence_id, action, _info(meeting, row), _occurrence(row))


async def pending_events(db: Database, shards: ShardSet, now: datetime) -> list[tuple[int, int]]:
    """(server, occurrence) of every Discord event change due to be tried now."""
    query = select(MeetingOccurrence.guild_id, MeetingOccurrence.id).where(
        MeetingOccurrence.event_deleted.is_(False),
        or_(MeetingOccurrence.event_retry_at.is_(None), MeetingOccurrence.event_retry_at <= now),
        or_(
            MeetingOccurrence.state.in_((PLANNED, OPEN)),
            MeetingOccurrence.ends_at >= now - EVENT_KEPT_IN_STEP_FOR,
        ),
        or_(
            and_(MeetingOccurrence.state == PLANNED, MeetingOccurrence.discord_event_id.is_(None)),
            and_(
                MeetingOccurrence.discord_event_id.is_not(None),
                or_(
                    MeetingOccurrence.event_outdated.is_(True),
                    and_(
                        MeetingOccurrence.state == OPEN,
                        MeetingOccurrence.event_status == EVENT_SCHEDULED,
                    ),
                    and_(
                        MeetingOccurrence.state == CLOSED,
                        MeetingOccurrence.event_status.in_((EVENT_SCHEDULED, EVENT_ACTIVE)),
                    ),
                    MeetingOccurrence.state == SKIPPED,
                ),
            ),
        ),
    )
    if served := shard_filter(MeetingOccurrence.guild_id, shards):
        query = query.where(or_(*served))
    async with db.all_guilds_session() as session:
        return [(g, o) for g, o in (await session.execute(query)).all()]


async def event_done(
    db: Database,
    work: EventWork,
    now: datetime,
    *,
    event_id: int | None,
    status: int,
) -> None:
    """Discord confirmed the change: remember the event as it now is."""
    async with db.guild_session(work.guild_id) as session, session.begin():
        row = await session.get(MeetingOccurrence, work.occurrence_id)
        meeting = await session.get(Meeting, row.meeting_id) if row else None
        if row is None or meeting is None:
            return
        row.discord_event_id, row.event_status = event_id, status
        if work.action == "update":
            row.event_outdated = False
        row.event_retry_at = None
        row.next_action_at = next_action(row, meeting.reminder_minutes, now)


async def event_failed(
    db: Database,
    work: EventWork,
    now: datetime,
    *,
    refused: bool,
    deleted: bool,
    problem: Outgoing | None,
) -> None:
    """Discord refused or failed the change: try again later (sooner after an outage);
    an event someone deleted is left alone. `problem` tells the specialists, once."""
    async with db.guild_session(work.guild_id) as session, session.begin():
        row = await session.get(MeetingOccurrence, work.occurrence_id)
        meeting = await session.get(Meeting, row.meeting_id) if row else None
        if row is None or meeting is None:
            return
        if deleted:
            row.event_deleted, row.discord_event_id, row.event_status = True, None, EVENT_NONE
            row.event_retry_at = None
        else:
            row.event_retry_at = now + (REFUSED_RETRY if refused else FAILED_RETRY)
        row.next_action_at = next_action(row, meeting.reminder_minutes, now)
        if problem is not None:
            await enqueue(session, [problem])


async def event_gone(
    db: Database, guild_id: int, event_id: int, now: datetime
) -> Occurrence | None:
    """Someone deleted a meeting's Discord event by hand (GUILD_SCHEDULED_EVENT_DELETE):
    the meeting itself stays scheduled; returns the occurrence it was, if any."""
    async with db.guild_session(guild_id) as session, session.begin():
        row = await session.scalar(
            select(MeetingOccurrence).where(MeetingOccurrence.discord_event_id == event_id)
        )
        if row is None or row.state == SKIPPED:
            return None
        meeting = await session.get(Meeting, row.meeting_id)
        row.event_deleted, row.discord_event_id, row.event_status = True, None, EVENT_NONE
        row.event_retry_at = None
        if meeting is not None:
            row.next_action_at = next_action(row, meeting.reminder_minutes, now)
        return _occurrence(row)


async def meetings_in_channel(db: Database, guild_id: int, channel_id: int) -> list[MeetingInfo]:
    """The scheduled meetings held in a channel (one that was just deleted, say)."""
    async with db.guild_session(guild_id) as session:
        meetings = (
            await session.scalars(
                select(Meeting).where(
                    Meeting.channel_id == channel_id, Meeting.cancelled_at.is_(None)
                )
            )
        ).all()
        return [_info(meeting, await _current(session, meeting.id)) for meeting in meetings]
