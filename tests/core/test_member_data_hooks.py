"""Every feature's member-data hooks on a seeded database, without the bot (issue 9).

The e2e test drives them through the emulator; this one pins the exact export (every
key, in order, every value) and exactly which rows an erasure leaves. The hooks run in
a session that spans every server (`all_guilds_session`), so a query that forgot its
`guild_id` would read or delete the other server's rows and fail here: the scoping
must be the hooks' own, not only the guild session's.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta
from typing import Any, cast

from sqlalchemy import select

from cogs.checkins.member_data import CheckinMemberData
from cogs.cope.member_data import CopeMemberData
from cogs.helpnow.escalation import Escalation
from cogs.helpnow.journal import Entry, EventRecord
from cogs.helpnow.member_data import HelpNowMemberData
from cogs.helpnow.service import HelpDesk
from cogs.oncall.member_data import OnCallMemberData
from cogs.plan.member_data import PlanMemberData
from cogs.plan.memory import PlanMemory
from cogs.setup.member_data import SetupMemberData
from cogs.sober.member_data import SoberMemberData
from core.member_data import CoreMemberData, MemberData
from db.base import Base
from db.engine import Database
from db.models import (
    AuditEntry,
    Checkin,
    CheckinPreference,
    CheckinSchedule,
    CheckinSignal,
    GuildSettings,
    HelpEvent,
    HelpRequest,
    JournalEntry,
    Member,
    OnCallOverride,
    OnCallShift,
    OutboxMessage,
    PlanLook,
    RecoveryPlan,
    SoberCounter,
    SoberPreference,
    SoberRun,
)

GUILD = 111_000_000_000_000_001
OTHER = 222_000_000_000_000_002
ALICE = 333_000_000_000_000_003
BOB = 444_000_000_000_000_004
SAM = 555_000_000_000_000_005


def at(day: int, hour: int = 12) -> datetime:
    return datetime(2024, 5, day, hour, tzinfo=UTC)


class _Desk:
    """The desk's one read an export makes: what the journal holds, not yet in the db."""

    def pending_of(self, guild_id: int, member_user_id: int) -> list[Entry]:
        if (guild_id, member_user_id) != (GUILD, ALICE):
            return []
        return [
            # Newer than the database's copy of alice-1: its values win, its events add.
            Entry(
                GUILD,
                {
                    "public_id": "alice-1",
                    "status": "resolved",
                    "note": "at the bus stop",
                    "outcome": "talked it through",
                    "created_at": at(2, 9),
                    "acknowledged_at": at(2, 10),
                    "closed_at": at(2, 11),
                },
                [EventRecord("e-journal", "closed", at(2, 11), ALICE)],
            ),
            # Not in the database at all yet (no outcome recorded).
            Entry(
                GUILD,
                {"public_id": "alice-3", "status": "open", "note": "again", "created_at": at(4)},
                [EventRecord("e-new", "paged", at(4), None, f"user:{SAM}")],
            ),
        ]


def hooks() -> list[MemberData]:
    return [
        CoreMemberData(),
        SetupMemberData(),
        CheckinMemberData(),
        # Export and erase never reach the escalation (only forgetting does).
        HelpNowMemberData(cast(HelpDesk, _Desk()), cast(Escalation, object())),
        OnCallMemberData(),
        SoberMemberData(),
        PlanMemberData(PlanMemory()),
        CopeMemberData(),
    ]


def _rows(guild_id: int) -> list[Base]:
    """One server's rows: alice's record, bob's, and the ones naming alice in a role."""
    n = guild_id // 10**17 * 100  # ids and keys unique across both servers
    alice_id = "alice-1" if guild_id == GUILD else f"alice-1-{guild_id}"
    rows: list[Base] = [
        GuildSettings(guild_id=guild_id, timezone="UTC"),
        CheckinSchedule(
            guild_id=guild_id, channel_id=1, prompt_hour=9, prompt_minute=0, timezone="UTC"
        ),
        Member(
            guild_id=guild_id,
            user_id=ALICE,
            timezone="Europe/Paris",
            share_signals_with_specialists=True,
            share_signals_with_partner=False,
            consent_updated_at=at(1, 8),
            created_at=at(1, 7),
            updated_at=at(1, 8),
        ),
        Member(guild_id=guild_id, user_id=BOB, timezone="America/Chicago"),
        # A reminder queued for alice's DMs, one for bob's, and a prompt to a channel.
        *(
            OutboxMessage(
                guild_id=guild_id,
                kind=kind,
                dedupe_key=f"{kind}:{guild_id}:{user}",
                user_id=user,
                channel_id=None if user else 1,
                body="{}",
                state="sent" if user == ALICE else "queued",
                not_before=at(3, 20),
                expires_at=at(3, 23),
                created_at=at(3, 20),
                done_at=at(3, 20) if user == ALICE else None,
            )
            for kind, user in (
                ("checkins.reminder", ALICE),
                ("checkins.reminder", BOB),
                ("checkins.prompt", None),
            )
        ),
        CheckinPreference(
            guild_id=guild_id,
            user_id=ALICE,
            reminders_enabled=True,
            reminder_hour=21,
            share_enabled=False,
            last_reminder_date=date(2024, 5, 3),
        ),
        CheckinPreference(guild_id=guild_id, user_id=BOB),
        # Alice's request, answered by sam; bob's, answered by alice.
        HelpRequest(
            id=n + 1,
            guild_id=guild_id,
            public_id=alice_id,
            member_user_id=ALICE,
            status="acknowledged",
            note="at the bus stop",
            created_at=at(2, 9),
            acknowledged_at=at(2, 10),
            acknowledged_by=SAM,
        ),
        HelpRequest(
            id=n + 2,
            guild_id=guild_id,
            public_id=f"bob-1-{guild_id}",
            member_user_id=BOB,
            status="resolved",
            note="bob's note",
            outcome="bob's outcome",
            created_at=at(1),
            acknowledged_by=ALICE,
            closed_by=ALICE,
        ),
        OnCallOverride(
            guild_id=guild_id,
            specialist_user_id=ALICE,
            starts_at=at(2, 18),
            ends_at=at(2, 22),
            ended_early_at=None,
            created_by=ALICE,
        ),
    ]
    # (hour on May 1st, actor, subject, action, details), in id order.
    for hour, actor, subject, action, details in (
        (8, ALICE, ALICE, "consent.specialist_signals", {"on": True}),
        (9, SAM, ALICE, "checkin.signal_shared", {"kind": "low_mood"}),
        (10, ALICE, BOB, "oncall.shift_added", {"weekday": 1}),
        (11, ALICE, None, "setup.changed", {}),
        (12, BOB, BOB, "consent.specialist_signals", {"on": False}),
        (13, SAM, ALICE, "plan.viewed", {}),  # sam read her plan
        (14, ALICE, BOB, "plan.viewed", {}),  # she, as a specialist, read bob's
    ):
        rows.append(
            AuditEntry(
                guild_id=guild_id,
                created_at=at(1, hour),
                actor_user_id=actor,
                subject_user_id=subject,
                action=action,
                details=details,
            )
        )
    # (who, day, mood, craving, sleep, triggers, note), out of date order on purpose.
    for who, day, mood, craving, sleep, triggers, note in (
        (ALICE, 3, 4, 1, 7.5, [], None),
        (ALICE, 2, 2, 4, 5.0, ["stress", "other"], "drove past the old street"),
        (BOB, 2, 3, 3, 6.0, [], "bob's check-in"),
    ):
        rows.append(
            Checkin(
                guild_id=guild_id,
                user_id=who,
                local_date=date(2024, 5, day),
                mood=mood,
                craving=craving,
                sleep_hours=sleep,
                triggers=triggers,
                note=note,
                created_at=at(day),
                updated_at=at(day, 13 if triggers else 12),
            )
        )
    for who, kind, detected, nudged in ((ALICE, "low_mood", 3, True), (BOB, "missed", 2, False)):
        rows.append(
            CheckinSignal(
                guild_id=guild_id,
                user_id=who,
                kind=kind,
                episode_start=date(2024, 5, 1),
                detected_on=date(2024, 5, detected),
                nudge_delivered=nudged,
                shared_with_specialists=False,
            )
        )
    # (request, day, hour, kind, actor, target)
    for number, (request, day, hour, kind, actor, target) in enumerate(
        (
            (n + 1, 2, 9, "opened", ALICE, None),
            (n + 1, 2, 10, "acknowledged", SAM, f"user:{SAM}"),
            (n + 2, 1, 13, "acknowledged", ALICE, f"user:{ALICE}"),
        )
    ):
        rows.append(
            HelpEvent(
                guild_id=guild_id,
                key=f"e{n + number}",
                request_id=request,
                at=at(day, hour),
                kind=kind,
                actor_user_id=actor,
                target=target,
            )
        )
    for who, by, weekday, minutes, zone in (
        (ALICE, SAM, 1, (540, 1020), "Europe/Paris"),
        (SAM, ALICE, 2, (0, 1440), "UTC"),
    ):
        rows.append(
            OnCallShift(
                guild_id=guild_id,
                specialist_user_id=who,
                weekday=weekday,
                start_minute=minutes[0],
                end_minute=minutes[1],
                timezone=zone,
                created_by=by,
                created_at=at(1, 6),
            )
        )
    # Alice counts two substances (one reset twice), bob one; alice shares her milestones,
    # and a post about her 14 days, and one about bob's 7, wait in the outbox.
    for number, who, substance, since, cost, ahead in (
        (1, ALICE, "alcohol", date(2024, 4, 20), 1250, 30),
        (2, ALICE, "Nicotine", date(2024, 5, 2), None, 7),
        (3, BOB, "alcohol", date(2024, 5, 1), None, 7),
    ):
        rows.append(
            SoberCounter(
                id=n + number,
                guild_id=guild_id,
                user_id=who,
                substance=substance,
                since=since,
                daily_cost_cents=cost,
                next_milestone_days=ahead,
                next_milestone_at=datetime.combine(
                    since + timedelta(days=ahead), time(0), tzinfo=UTC
                ),
                created_at=at(1, 6),
                updated_at=at(3, 6),
            )
        )
    for number, who, started, ended in (
        (1, ALICE, date(2024, 3, 1), date(2024, 4, 20)),  # out of date order on purpose
        (1, ALICE, date(2024, 1, 1), date(2024, 2, 10)),
        (3, BOB, date(2024, 4, 1), date(2024, 5, 1)),
    ):
        rows.append(
            SoberRun(
                guild_id=guild_id,
                user_id=who,
                counter_id=n + number,
                started_on=started,
                ended_on=ended,
            )
        )
    rows += [
        SoberPreference(guild_id=guild_id, user_id=ALICE, share_milestones=True),
        SoberPreference(guild_id=guild_id, user_id=BOB, share_milestones=False),
    ]
    for number, days in ((1, 14), (3, 7)):
        rows.append(
            OutboxMessage(
                guild_id=guild_id,
                kind="sober.milestone_post",
                dedupe_key=f"sober:milestone-post:{n + number}:2024-04-20:{days}",
                channel_id=2,
                body="{}",
                state="queued",
                not_before=at(4),
                expires_at=at(6),
                created_at=at(4),
            )
        )
    # Alice's plan, shared, read twice by sam (out of order on purpose); bob's plan,
    # read once by alice as a specialist: that look is bob's record, not hers.
    rows += [
        RecoveryPlan(
            guild_id=guild_id,
            user_id=ALICE,
            routine="walk at 7, meeting on Thursday",
            supports="Dana (sponsor): 555-0101",
            coping_picked="grounding\nhalt",
            coping_own="play the guitar",
            signs_picked="Skipping check-ins",
            triggers_picked="Loneliness",
            signs_own=None,
            emergency_call="Dana, 555-0101",
            emergency_go="the Tuesday meeting",
            emergency_do=None,
            shared=True,
            shared_changed_at=at(1, 14),
            created_at=at(1, 13),
            updated_at=at(1, 14),
        ),
        RecoveryPlan(
            guild_id=guild_id,
            user_id=BOB,
            routine="bob's routine",
            shared=True,
            shared_changed_at=at(1, 15),
        ),
        PlanLook(guild_id=guild_id, user_id=ALICE, viewer_id=SAM, looked_at=at(3, 9)),
        PlanLook(guild_id=guild_id, user_id=ALICE, viewer_id=SAM, looked_at=at(2, 9)),
        PlanLook(guild_id=guild_id, user_id=BOB, viewer_id=ALICE, looked_at=at(2, 10)),
    ]
    # Two entries alice kept (out of order on purpose), one of bob's.
    for who, strategy, text, day in (
        (ALICE, "journaling", "a hard day at work", 3),
        (ALICE, "journaling", "called Dana after", 2),
        (BOB, "journaling", "bob's entry", 2),
    ):
        rows.append(
            JournalEntry(
                guild_id=guild_id, user_id=who, strategy_id=strategy, text=text, written_at=at(day)
            )
        )
    return rows


async def seed(database: Database) -> None:
    for guild_id in (GUILD, OTHER):
        async with database.guild_session(guild_id) as session, session.begin():
            for row in _rows(guild_id):
                session.add(row)
                await session.flush()  # in order: the audit and events by id


async def everything(database: Database) -> dict[str, list[tuple[Any, ...]]]:
    """Every table's rows, in both servers, by table name."""
    tables: dict[str, list[tuple[Any, ...]]] = {}
    async with database.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            tables[table.name] = sorted(
                (tuple(row) for row in (await connection.execute(select(table))).all()),
                key=repr,
            )
    return tables


EXPECTED_EXPORT: dict[str, Any] = {
    "core": {
        "settings": {
            "timezone": "Europe/Paris",
            "share_signals_with_specialists": True,
            "share_signals_with_partner": False,
            "consent_updated_at": "2024-05-01T08:00:00+00:00",
            "keep_checkin_notes": True,
            "privacy_notice_version": None,
            "privacy_notice_at": None,
            "presence_checked_at": None,
            "left_server_at": None,
            "created_at": "2024-05-01T07:00:00+00:00",
            "updated_at": "2024-05-01T08:00:00+00:00",
        },
        "messages_to_me": [
            {
                "kind": "checkins.reminder",
                "state": "sent",
                "created_at": "2024-05-03T20:00:00+00:00",
                "done_at": "2024-05-03T20:00:00+00:00",
            }
        ],
        "audit_about_me": [
            {
                "at": "2024-05-01T08:00:00+00:00",
                "action": "consent.specialist_signals",
                "by_me": True,
                "details": {"on": True},
            },
            {
                "at": "2024-05-01T09:00:00+00:00",
                "action": "checkin.signal_shared",
                "by_me": False,
                "details": {"kind": "low_mood"},
            },
            {
                "at": "2024-05-01T13:00:00+00:00",
                "action": "plan.viewed",
                "by_me": False,
                "details": {},
            },
        ],
        "audit_my_actions": [
            {"at": "2024-05-01T10:00:00+00:00", "action": "oncall.shift_added"},
            {"at": "2024-05-01T11:00:00+00:00", "action": "setup.changed"},
            {"at": "2024-05-01T14:00:00+00:00", "action": "plan.viewed"},
        ],
    },
    "setup": {},
    "checkins": {
        "checkins": [
            {
                "local_date": "2024-05-02",
                "mood": 2,
                "craving": 4,
                "sleep_hours": 5.0,
                "triggers": ["stress", "other"],
                "note": "drove past the old street",
                "created_at": "2024-05-02T12:00:00+00:00",
                "updated_at": "2024-05-02T13:00:00+00:00",
            },
            {
                "local_date": "2024-05-03",
                "mood": 4,
                "craving": 1,
                "sleep_hours": 7.5,
                "triggers": [],
                "note": None,
                "created_at": "2024-05-03T12:00:00+00:00",
                "updated_at": "2024-05-03T12:00:00+00:00",
            },
        ],
        "preferences": {
            "reminders_enabled": True,
            "reminder_hour": 21,
            "share_enabled": False,
            "last_reminder_date": "2024-05-03",
        },
        "warning_signs": [
            {
                "kind": "low_mood",
                "episode_start": "2024-05-01",
                "detected_on": "2024-05-03",
                "nudge_delivered": True,
                "shared_with_specialists": False,
            }
        ],
    },
    "helpnow": {
        "requests": [
            {
                "status": "resolved",
                "note": "at the bus stop",
                "outcome": "talked it through",
                "created_at": "2024-05-02T09:00:00+00:00",
                "acknowledged_at": "2024-05-02T10:00:00+00:00",
                "closed_at": "2024-05-02T11:00:00+00:00",
                "events": [
                    {"kind": "opened", "at": "2024-05-02T09:00:00+00:00", "by_me": True},
                    {"kind": "acknowledged", "at": "2024-05-02T10:00:00+00:00", "by_me": False},
                    {"kind": "closed", "at": "2024-05-02T11:00:00+00:00", "by_me": True},
                ],
            },
            {
                "status": "open",
                "note": "again",
                "outcome": None,
                "created_at": "2024-05-04T12:00:00+00:00",
                "acknowledged_at": None,
                "closed_at": None,
                "events": [{"kind": "paged", "at": "2024-05-04T12:00:00+00:00", "by_me": False}],
            },
        ],
        "as_specialist": [{"kind": "acknowledged", "at": "2024-05-01T13:00:00+00:00"}],
    },
    "oncall": {
        "shifts": [
            {
                "weekday": 1,
                "start_minute": 540,
                "end_minute": 1020,
                "timezone": "Europe/Paris",
                "position": 0,
                "created_at": "2024-05-01T06:00:00+00:00",
            }
        ],
        "pager_holds": [
            {
                "starts_at": "2024-05-02T18:00:00+00:00",
                "ends_at": "2024-05-02T22:00:00+00:00",
                "ended_early_at": None,
            }
        ],
    },
    "sober": {
        "counters": [
            {
                "substance": "alcohol",
                "since": "2024-04-20",
                "daily_cost_cents": 1250,
                "next_milestone_days": 30,
                "next_milestone_at": "2024-05-20T00:00:00+00:00",
                "created_at": "2024-05-01T06:00:00+00:00",
                "updated_at": "2024-05-03T06:00:00+00:00",
                "past_runs": [
                    {"started_on": "2024-01-01", "ended_on": "2024-02-10"},
                    {"started_on": "2024-03-01", "ended_on": "2024-04-20"},
                ],
            },
            {
                "substance": "Nicotine",
                "since": "2024-05-02",
                "daily_cost_cents": None,
                "next_milestone_days": 7,
                "next_milestone_at": "2024-05-09T00:00:00+00:00",
                "created_at": "2024-05-01T06:00:00+00:00",
                "updated_at": "2024-05-03T06:00:00+00:00",
                "past_runs": [],
            },
        ],
        "preferences": {"share_milestones": True},
        "milestone_posts": [
            {"state": "queued", "created_at": "2024-05-04T12:00:00+00:00", "done_at": None}
        ],
    },
    "plan": {
        "plan": {
            "routine": "walk at 7, meeting on Thursday",
            "supports": "Dana (sponsor): 555-0101",
            "coping_picked": "grounding\nhalt",
            "coping_own": "play the guitar",
            "signs_picked": "Skipping check-ins",
            "triggers_picked": "Loneliness",
            "signs_own": None,
            "emergency_call": "Dana, 555-0101",
            "emergency_go": "the Tuesday meeting",
            "emergency_do": None,
            "shared": True,
            "shared_changed_at": "2024-05-01T14:00:00+00:00",
            "created_at": "2024-05-01T13:00:00+00:00",
            "updated_at": "2024-05-01T14:00:00+00:00",
        },
        # When, never who: sam's id is not in her export.
        "looks_by_peer_specialists": [
            {"looked_at": "2024-05-02T09:00:00+00:00"},
            {"looked_at": "2024-05-03T09:00:00+00:00"},
        ],
    },
    "cope": {
        "journal_entries": [
            {
                "strategy_id": "journaling",
                "text": "called Dana after",
                "written_at": "2024-05-02T12:00:00+00:00",
            },
            {
                "strategy_id": "journaling",
                "text": "a hard day at work",
                "written_at": "2024-05-03T12:00:00+00:00",
            },
        ]
    },
}


async def test_the_export_is_exactly_the_members_own_data_in_that_server(
    database: Database,
) -> None:
    await seed(database)

    async with database.all_guilds_session() as session, session.begin():
        export = {hook.name: await hook.export_member(session, GUILD, ALICE) for hook in hooks()}

    # The same keys in the same order, the same values (the notes decrypted).
    assert json.dumps(export, indent=1) == json.dumps(EXPECTED_EXPORT, indent=1)


async def test_a_member_with_no_data_in_that_server_exports_empty_parts(
    database: Database,
) -> None:
    await seed(database)

    async with database.all_guilds_session() as session, session.begin():
        export = {hook.name: await hook.export_member(session, GUILD, 1) for hook in hooks()}

    assert export == {
        "core": {
            "settings": None,
            "messages_to_me": [],
            "audit_about_me": [],
            "audit_my_actions": [],
        },
        "setup": {},
        "checkins": {"checkins": [], "preferences": None, "warning_signs": []},
        "helpnow": {"requests": [], "as_specialist": []},
        "oncall": {"shifts": [], "pager_holds": []},
        "sober": {"counters": [], "preferences": None, "milestone_posts": []},
        "plan": {"plan": None, "looks_by_peer_specialists": []},
        "cope": {"journal_entries": []},
    }


async def test_erase_deletes_the_members_record_in_that_server_and_nothing_else(
    database: Database,
) -> None:
    await seed(database)
    before = await everything(database)

    async with database.all_guilds_session() as session, session.begin():
        for hook in hooks():
            await hook.erase_member(session, GUILD, ALICE)

    after = await everything(database)
    gone = {name: [row for row in rows if row not in after[name]] for name, rows in before.items()}
    assert all(row in before[name] for name, rows in after.items() for row in rows)
    columns = {table.name: table.c for table in Base.metadata.sorted_tables}

    def where(name: str, row: tuple[Any, ...], column: str) -> Any:
        return row[list(columns[name].keys()).index(column)]

    # Nothing of the other server.
    assert all(where(name, row, "guild_id") == GUILD for name, rows in gone.items() for row in rows)
    assert {name: len(rows) for name, rows in gone.items() if rows} == {
        "members": 1,
        "outbox_messages": 2,  # her DM, the post about her; bob's and the prompt stay
        "audit_log": 3,  # about her; her actions on others stay
        "checkins": 2,
        "checkin_preferences": 1,
        "checkin_signals": 1,
        "help_requests": 1,  # hers; bob's, that she answered, stays
        "help_events": 2,  # of her request, whoever acted
        "sober_counters": 2,
        "sober_runs": 2,
        "sober_preferences": 1,
        "recovery_plans": 1,
        "plan_looks": 2,  # sam's looks at her plan; hers at bob's stay
        "journal_entries": 2,
    }
    assert all(where("members", row, "user_id") == ALICE for row in gone["members"])
    assert all(where("audit_log", row, "subject_user_id") == ALICE for row in gone["audit_log"])
    for name in (
        "checkins",
        "checkin_preferences",
        "checkin_signals",
        "sober_counters",
        "sober_runs",
        "sober_preferences",
        "recovery_plans",
        "plan_looks",
        "journal_entries",
    ):
        assert all(where(name, row, "user_id") == ALICE for row in gone[name])
    # Her read of bob's plan, as a specialist, is bob's record: kept.
    kept_looks = [
        (where("plan_looks", row, "user_id"), where("plan_looks", row, "viewer_id"))
        for row in after["plan_looks"]
        if where("plan_looks", row, "guild_id") == GUILD
    ]
    assert kept_looks == [(BOB, ALICE)]
    assert [where("help_requests", row, "public_id") for row in gone["help_requests"]] == [
        "alice-1"
    ]
    # The post about her milestone goes with her counters; the one about bob's stays.
    assert sorted(
        where("outbox_messages", row, "dedupe_key") for row in gone["outbox_messages"]
    ) == [
        f"checkins.reminder:{GUILD}:{ALICE}",
        "sober:milestone-post:101:2024-04-20:14",
    ]
