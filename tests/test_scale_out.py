"""Scale-out: two `python bot.py` processes, each holding one of two shards, against one
PostgreSQL database and one emulator holding several servers on both shards.

Every server's scheduled work (the daily check-in prompt, a member's reminder DM, a
sober-day milestone) and every step of a /help-now escalation must reach Discord exactly
once, whichever process holds the server; and a request whose process is SIGKILLed with
its next step pending gets that step, once, from the restarted process and never from
the other one.

"Exactly once" is counted in the emulator's traffic after a quiet point that proves
nothing more can come: every outbox row has settled and every claim has moved its row on
(scheduled work), or every request's chain has ended in the database with its owner told
(escalations). Every wait has a deadline and waits on an event, never on a fixed sleep.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from cryptography.fernet import MultiFernet
from sqlalchemy import func, select

from cogs.checkins import preferences, schedule
from cogs.checkins import texts as checkin_texts
from cogs.helpnow import texts as helpnow_texts
from cogs.helpnow.service import _TAKEN_STEP_GRACE, Status
from cogs.meetings import service as meetings
from cogs.meetings.recurrence import Recurrence
from cogs.sober import service as sober
from cogs.sober import texts as sober_texts
from core.bot import RecoveryBot
from db.engine import Database, create_engine
from db.keys import key_file_path
from db.migrate import upgrade_to_head
from db.models import HelpEvent, HelpRequest
from db.models.checkins import CheckinPreference, CheckinSchedule
from db.models.meetings import VOICE, WEEKLY
from db.models.outbox import QUEUED, OutboxMessage
from db.models.sober import SoberCounter
from fakediscord import FakeDiscord
from fakediscord.models import Application, Member, Message
from sandbox.community import BotRunner, Community, build_community
from tests.bot_process import BotProcess, BotProcesses
from tests.cogs.helpnow.desk_helpers import (
    BACKUP,
    ONCALL,
    POLICY,
    paged_request_in_two_desks,
    stepping_clock,
)
from tests.cogs.helpnow.desk_helpers import CHAIN as ON_CALL
from tests.cogs.helpnow.desk_helpers import ROLE as ROLE_ID
from tests.cogs.helpnow.helpers import mentioned, sam_on_call_riley_backup
from tests.cogs.meetings.helpers import MONDAY_BEFORE_DST
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

pytestmark = pytest.mark.postgres

SHARD_COUNT = 2
SERVERS_PER_SHARD = 2
# Generous for a loaded 2-core CI machine; the work itself takes well under a second.
ARRIVES_WITHIN = 30.0
# The shifted clock of the scheduled-work test starts this long before the quarter hour
# its prompts and reminders are due at: past the prompt's catch-up tolerance at start
# (cogs/checkins/schedule.py), so that the prompt comes from its cron job, and time for
# the processes to start. Their milestone job runs a minute in, before it.
LEAD = timedelta(seconds=75)
# The milestone job's first run is a minute after a process starts (cogs/sober/jobs.py).
MILESTONE_JOB_SECONDS = 60
UNANSWERED = helpnow_texts.ADMIN_UNANSWERED.split("{", 1)[0]
REMINDER = checkin_texts.REMINDER_DM[:40]
MILESTONE_DM = "🎉 Today you reach **7 days** without alcohol."
ROLE = "Peer specialist"


# --- The servers ----------------------------------------------------------------------------


def shard_of(guild_id: int) -> int:
    return (guild_id >> 22) % SHARD_COUNT


def guild_id_on(emu: FakeDiscord, shard: int) -> int:
    """A fresh snowflake on `shard`, dated a millisecond or two back so that no later
    id the emulator hands out can be the same."""
    fresh = emu.new_id()
    moment = fresh >> 22
    moment -= 2 if moment % SHARD_COUNT == shard else 1
    return (moment << 22) | (fresh & 0x3FFFFF)


def build_server(emu: FakeDiscord, app: Application, name: str, shard: int) -> Community:
    """A recovery group's server as the sandbox makes it, for one bot application
    holding several servers, on the shard asked for."""
    server = build_community(
        emu, app=app, name=name, people_suffix=f"-{name}", guild_id=guild_id_on(emu, shard)
    )
    assert shard_of(server.guild.id) == shard
    return server


@dataclass
class Deployment:
    """One bot application on servers of both shards, one database, and a process per
    shard, each with its own data folder and the same key."""

    emu: FakeDiscord
    app: Application
    database_url: str
    root: Path
    servers: list[Community]
    processes: dict[str, BotProcesses] = field(default_factory=dict)
    key: str = ""

    def on_shard(self, shard: int) -> list[Community]:
        return [s for s in self.servers if shard_of(s.guild.id) == shard]

    async def set_up(
        self,
        prepare: Callable[[RecoveryBot, Community], Awaitable[None]],
        clock: FakeClock | None = None,
    ) -> None:
        """Configure every server with an in-process bot that holds them all (it syncs the
        commands too), then stop it: the processes start on what it left."""
        runner = BotRunner(self.servers[0], self.database_url, self.root / "setup", clock=clock)
        bot = await runner.start()
        try:
            for server in self.servers:
                await prepare(bot, server)
        finally:
            await runner.stop(bot)
        self.key = key_file_path(runner.data_dir).read_text().strip()
        for shard in range(SHARD_COUNT):
            self.add_processes(f"shard-{shard}", str(shard))

    def add_processes(self, name: str, shard_ids: str) -> BotProcesses:
        """A deployment's processes holding `shard_ids` ("0", or "0,1"), with a data folder
        of their own and the one key."""
        processes = BotProcesses(
            self.emu,
            self.app,
            self.database_url,
            self.root / f"data-{name}",
            self.root / f"logs-{name}",
            extra_env={
                "SHARD_COUNT": str(SHARD_COUNT),
                "SHARD_IDS": shard_ids,
                # Each process generates no key of its own: one database, one key.
                "ENCRYPTION_KEY": self.key,
            },
        )
        self.processes[name] = processes
        return processes

    async def start_all(self) -> list[BotProcess]:
        return list(await asyncio.gather(*(p.start() for p in self.processes.values())))

    async def kill_all(self) -> None:
        for processes in self.processes.values():
            await processes.kill_all()

    def tails(self) -> str:
        return "\n".join(
            f"--- {name}, process {bot.number}:\n{bot.tail()}"
            for name, processes in self.processes.items()
            for bot in processes.started
        )


@pytest.fixture
async def deployment(
    emulator: FakeDiscord, postgres_url: str, tmp_path: Path
) -> AsyncIterator[Deployment]:
    app = emulator.create_application("Recovery bot")
    servers = [
        build_server(emulator, app, f"group-{shard}-{n}", shard)
        for n in range(SERVERS_PER_SHARD)
        for shard in range(SHARD_COUNT)
    ]
    deployed = Deployment(emulator, app, postgres_url, tmp_path, servers)
    try:
        yield deployed
    finally:
        await deployed.kill_all()


def database(url: str) -> Database:
    # Only unencrypted columns are read here: no key needed.
    return Database(create_engine(url))


def bot_posts(emu: FakeDiscord, server: Community, channel_name: str) -> list[Message]:
    channel = {
        "check-ins": server.checkins,
        "milestones": server.milestones,
        "specialists": server.specialists,
    }[channel_name]
    return [m for m in emu.messages_in(channel) if m.author.bot]


def dms_to(emu: FakeDiscord, person: Member, starting: str) -> list[Message]:
    return [m for m in emu.dms_of(person) if m.author.bot and m.content.startswith(starting)]


async def traffic(
    deployed: Deployment, what: str, check: Callable[[], bool], within: float = ARRIVES_WITHIN
) -> None:
    """Until the emulator's traffic satisfies `check`; the processes' output on timeout."""
    await deployed.emu.wait_until(
        lambda: True if check() else None, within=within, what=what, seen=deployed.tails
    )


# --- Scheduled work -------------------------------------------------------------------------


def next_quarter_hour(after: datetime) -> datetime:
    """The reminder job runs at every quarter hour (cogs/checkins/preferences.py)."""
    start = after.replace(second=0, microsecond=0)
    return start + timedelta(minutes=15 - start.minute % 15)


async def scheduled_work_settled(deployed: Deployment, day: datetime) -> bool | None:
    """Every server's prompt, reminder and milestone claimed (its row moved on) and every
    outbox row sent or given up: nothing is left that could still send anything."""
    db = database(deployed.database_url)
    guild_ids = [s.guild.id for s in deployed.servers]
    try:
        async with db.all_guilds_session() as session:
            prompted = await session.scalar(
                select(func.count()).where(
                    CheckinSchedule.guild_id.in_(guild_ids),
                    CheckinSchedule.last_prompt_date == day.date(),
                )
            )
            reminded = await session.scalar(
                select(func.count()).where(
                    CheckinPreference.guild_id.in_(guild_ids),
                    CheckinPreference.last_reminder_date == day.date(),
                )
            )
            moved_on = await session.scalar(
                select(func.count()).where(
                    SoberCounter.guild_id.in_(guild_ids), SoberCounter.next_milestone_days > 7
                )
            )
            waiting = await session.scalar(
                select(func.count()).where(OutboxMessage.state == QUEUED)
            )
    finally:
        await db.dispose()
    everyone = len(guild_ids)
    return True if (prompted, reminded, moved_on, waiting) == (everyone,) * 3 + (0,) else None


@pytest.mark.timeout(240)
async def test_prompt_reminder_and_milestone_reach_each_server_once_across_shards_and_an_overlap(
    deployment: Deployment,
) -> None:
    """A process per shard, and a third holding both shards again, as a deploy's overlap
    does: all three run every job at the same moments, so only the database's claims
    stand between a server and a second prompt, reminder or milestone."""
    emu = deployment.emu
    due = next_quarter_hour(datetime.now(UTC) + timedelta(minutes=1))
    # The setup bot's clock an hour early: nothing it schedules is due while it runs.
    setup_clock = FakeClock(due - timedelta(hours=1))

    async def prepare(bot: RecoveryBot, server: Community) -> None:
        guild_id = server.guild.id
        await BotRunner(server, deployment.database_url, deployment.root).configure(bot)
        await schedule.save_schedule(
            bot.db,
            guild_id,
            server.organiser.id,
            channel_id=server.checkins.id,
            hour=due.hour,
            minute=due.minute,
            timezone="UTC",
        )
        await preferences.set_reminders(bot.db, guild_id, server.bob.id, True, hour=due.hour)
        # Aimed at 7 days, due from the quarter hour's midnight: started the day before.
        await sober.start(
            bot.db,
            guild_id,
            server.alice.id,
            "alcohol",
            (due - timedelta(days=7)).date(),
            due - timedelta(days=1),
            bot.content.milestones.days,
        )
        await sober.set_sharing(bot.db, guild_id, server.alice.id, True)

    await deployment.set_up(prepare, clock=setup_clock)
    deployment.add_processes("overlap", ",".join(str(n) for n in range(SHARD_COUNT)))
    offset = (due - LEAD - datetime.now(UTC)).total_seconds()
    for processes in deployment.processes.values():
        processes.clock_offset = offset
    started = await deployment.start_all()
    assert all(datetime.now(UTC) + timedelta(seconds=offset) < due for _ in started), (
        "the processes took longer than the lead to start; raise LEAD"
    )
    servers = deployment.servers

    await traffic(
        deployment,
        "every server's milestone, posted and sent to the member",
        lambda: all(
            bot_posts(emu, s, "milestones") and dms_to(emu, s.alice, MILESTONE_DM) for s in servers
        ),
        within=MILESTONE_JOB_SECONDS + ARRIVES_WITHIN,
    )
    assert not any(bot_posts(emu, s, "check-ins") for s in servers), "a prompt came early"
    await traffic(
        deployment,
        "every server's prompt and every member's reminder",
        lambda: all(
            bot_posts(emu, s, "check-ins") and dms_to(emu, s.bob, REMINDER) for s in servers
        ),
        within=LEAD.total_seconds() + ARRIVES_WITHIN,
    )
    await wait_for(
        lambda: scheduled_work_settled(deployment, due),
        within=ARRIVES_WITHIN,
        what="every claim made and every outbox row settled",
    )

    for server in servers:
        name = server.guild.name
        prompts = bot_posts(emu, server, "check-ins")
        assert [m.content for m in prompts] == [checkin_texts.PROMPT_TEXT], name
        assert len(dms_to(emu, server.bob, REMINDER)) == 1, name
        posts = bot_posts(emu, server, "milestones")
        shared = sober_texts.MILESTONE_POST.format(user_id=server.alice.id, days="7 days")
        assert [m.content for m in posts] == [shared], name
        assert len(dms_to(emu, server.alice, MILESTONE_DM)) == 1, name
    for processes in deployment.processes.values():
        for bot in processes.started:
            processes.check_alive(bot)
            assert "Traceback" not in bot.output.read_text(), bot.tail()


# --- /help-now ------------------------------------------------------------------------------

FAST = {"ack_timeout_seconds": 1, "repeat_interval_seconds": 1, "max_repeats": 1}
# The server whose process is killed: its next step is due while that process is down.
KILLED_ACK_SECONDS = 3
# A server of the other shard paging meanwhile: its chain outlasts the killed server's due
# step, so its end is a moment by which the other process would have fired that step.
OUTLASTING = {"ack_timeout_seconds": 3, "repeat_interval_seconds": 2, "max_repeats": 1}
STEPS = ["sam", "riley", "role", "role repeat"]


def page_targets(emu: FakeDiscord, server: Community) -> list[str]:
    """Who each of the server's pages was for, in order of posting."""
    names = {server.sam.user.username: "sam", server.riley.user.username: "riley", ROLE: "role"}
    targets = []
    for page in bot_posts(emu, server, "specialists"):
        # The member is named in the page too: only who it pages counts.
        who = {names[name] for name in mentioned(page) if name in names}
        target = "+".join(sorted(who)) or "nobody"
        targets.append(f"{target} repeat" if "(repeat " in page.content else target)
    return targets


def owner_notices(emu: FakeDiscord, server: Community) -> list[Message]:
    return dms_to(emu, server.organiser, UNANSWERED)


async def chain_recorded(deployed: Deployment, server: Community, done: str) -> bool | None:
    """Whether the database holds the server's request with `done` recorded: "paged"
    (its first step out), or "finished" (its chain ended and its owner told)."""
    db = database(deployed.database_url)
    try:
        async with db.all_guilds_session() as session:
            if done == "paged":
                found = await session.scalar(
                    select(func.count()).where(
                        HelpEvent.guild_id == server.guild.id, HelpEvent.kind == "step_paged"
                    )
                )
            else:
                found = await session.scalar(
                    select(func.count()).where(
                        HelpRequest.guild_id == server.guild.id,
                        HelpRequest.next_step_at.is_(None),
                        HelpRequest.owner_told_at.is_not(None),
                    )
                )
    finally:
        await db.dispose()
    return True if found else None


async def ask_for_help(server: Community) -> None:
    asked = await server.alice.run_command("help-now", channel=server.checkins)
    await asked.wait_for_response(timeout=10)


async def whole_chain(deployed: Deployment, server: Community) -> None:
    await traffic(
        deployed,
        f"the whole chain and the owner's notice in {server.guild.name}",
        lambda: (
            len(page_targets(deployed.emu, server)) >= len(STEPS)
            and bool(owner_notices(deployed.emu, server))
        ),
    )
    await wait_for(
        lambda: chain_recorded(deployed, server, "finished"),
        within=ARRIVES_WITHIN,
        what=f"the end of the chain recorded in {server.guild.name}",
    )


@pytest.mark.timeout(180)
async def test_each_escalation_step_fires_once_and_a_killed_owners_pending_step_once_after_restart(
    deployment: Deployment,
) -> None:
    emu = deployment.emu
    killed_shard = 0
    killed, calm = deployment.on_shard(killed_shard)
    outlasting, other = deployment.on_shard(1 - killed_shard)
    policies = {
        killed.guild.id: FAST | {"ack_timeout_seconds": KILLED_ACK_SECONDS},
        outlasting.guild.id: OUTLASTING,
    }

    async def prepare(bot: RecoveryBot, server: Community) -> None:
        runner = BotRunner(server, deployment.database_url, deployment.root)
        await runner.configure(bot, **policies.get(server.guild.id, FAST))
        await sam_on_call_riley_backup(bot, server)

    await deployment.set_up(prepare)
    owner = deployment.processes[f"shard-{killed_shard}"]
    elsewhere = deployment.processes[f"shard-{1 - killed_shard}"]
    await owner.start()

    # The killed server's first page is out and recorded; its next step is pending.
    await ask_for_help(killed)
    await traffic(deployment, "the first page", lambda: page_targets(emu, killed) == ["sam"])
    await wait_for(
        lambda: chain_recorded(deployment, killed, "paged"),
        within=ARRIVES_WITHIN,
        what="the first page recorded",
    )
    await owner.kill(owner.started[0])
    # Started now, the other process loads the pending request with every open one, its
    # next step overdue or about to be. Meanwhile its own shard pages a chain that ends
    # after that step fell due: the other process had every chance to fire it.
    await elsewhere.start()
    await ask_for_help(outlasting)
    await whole_chain(deployment, outlasting)
    assert page_targets(emu, killed) == ["sam"], "the other process fired the killed one's step"

    await owner.start()
    await whole_chain(deployment, killed)
    # Both processes up: the other two servers, one on each shard, at the same time.
    await asyncio.gather(ask_for_help(calm), ask_for_help(other))
    await asyncio.gather(whole_chain(deployment, calm), whole_chain(deployment, other))

    for server in deployment.servers:
        name = server.guild.name
        assert page_targets(emu, server) == STEPS, name
        assert len(owner_notices(emu, server)) == 1, name
        assert not [
            m for m in bot_posts(emu, server, "specialists") if "Sent again because" in m.content
        ], name
    for processes in deployment.processes.values():
        for bot in processes.started:
            assert "Traceback" not in bot.output.read_text(), bot.tail()


# How long the request of the overlap test waits for its next step: time for the second
# process to start and load it from the database first.
OVERLAP_ACK_SECONDS = 8


@pytest.mark.timeout(120)
async def test_a_shard_held_twice_in_a_deploys_overlap_pages_each_step_of_an_open_request_once(
    deployment: Deployment,
) -> None:
    """A deploy starts the new process before the old one stops: both hold the shard, and
    the new one loads the open request from the database and arms its next step for the
    same moment as the old one. Only the database's claim keeps its steps single."""
    emu = deployment.emu
    server = deployment.on_shard(0)[0]

    async def prepare(bot: RecoveryBot, each: Community) -> None:
        runner = BotRunner(each, deployment.database_url, deployment.root)
        await runner.configure(bot, **FAST | {"ack_timeout_seconds": OVERLAP_ACK_SECONDS})
        await sam_on_call_riley_backup(bot, each)

    await deployment.set_up(prepare)
    await deployment.processes["shard-0"].start()
    await ask_for_help(server)
    await traffic(deployment, "the first page", lambda: page_targets(emu, server) == ["sam"])
    await wait_for(
        lambda: chain_recorded(deployment, server, "paged"),
        within=ARRIVES_WITHIN,
        what="the first page recorded",
    )
    await deployment.add_processes("shard-0-new", "0").start()
    await whole_chain(deployment, server)

    assert page_targets(emu, server) == STEPS
    assert len(owner_notices(emu, server)) == 1
    for processes in deployment.processes.values():
        for bot in processes.started:
            assert "Traceback" not in bot.output.read_text(), bot.tail()


# --- Two desks on one database: what two processes holding one request leave in it ----------


@pytest.fixture
async def shared_database(postgres_url: str, cipher: MultiFernet) -> AsyncIterator[Database]:
    engine = create_engine(postgres_url, cipher=cipher)
    await upgrade_to_head(engine)
    db = Database(engine)
    yield db
    await db.dispose()


async def row_of(db: Database, public_id: str) -> HelpRequest:
    async with db.all_guilds_session() as session:
        row = await session.scalar(select(HelpRequest).where(HelpRequest.public_id == public_id))
    assert row is not None
    return row


async def test_a_stale_copy_of_a_request_never_overwrites_the_newer_state_another_process_wrote(
    shared_database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    old, new, public_id = await paged_request_in_two_desks(shared_database, tmp_path, cipher, clock)
    new.acknowledge(public_id, ONCALL)
    assert await new.flush()
    # The old process's copy never heard of it: its own timer moves it on to the backup.
    clock.advance(seconds=POLICY.ack_timeout.total_seconds())
    escalated = old.page_owed(public_id, ON_CALL, ROLE_ID)
    assert escalated is not None
    assert escalated.target.id == BACKUP
    assert await old.flush()

    row = await row_of(shared_database, public_id)
    assert (row.status, row.acknowledged_by, row.next_step_at) == ("acknowledged", ONCALL, None)
    async with shared_database.all_guilds_session() as session:
        kinds = (await session.scalars(select(HelpEvent.kind).order_by(HelpEvent.id))).all()
    # What the old process did is still on the record, as it happened.
    assert kinds[-2:] == ["acknowledged", "escalated"]


async def test_of_two_processes_holding_a_request_only_one_moves_it_to_its_next_step(
    shared_database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    old, new, public_id = await paged_request_in_two_desks(shared_database, tmp_path, cipher, clock)
    clock.advance(seconds=POLICY.ack_timeout.total_seconds())
    assert old.escalation_due(public_id)
    assert new.escalation_due(public_id)

    assert await old.claim_escalation(public_id, ON_CALL)
    assert not await new.claim_escalation(public_id, ON_CALL)
    # The loser leaves the step's page to the winner, and looks again after a grace: a
    # winner that died before its page went out must not make the step lost.
    case = new.get(public_id)
    assert case is not None
    assert case.step == 1
    assert new.page_owed(public_id, ON_CALL, ROLE_ID) is None
    assert case.next_step_at == clock.now() + _TAKEN_STEP_GRACE
    backup = old.page_owed(public_id, ON_CALL, ROLE_ID)
    assert backup is not None
    assert backup.target.id == BACKUP


async def test_a_request_acknowledged_in_one_process_stops_escalating_in_the_other(
    shared_database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    old, new, public_id = await paged_request_in_two_desks(shared_database, tmp_path, cipher, clock)
    new.acknowledge(public_id, ONCALL)
    assert await new.flush()
    clock.advance(seconds=POLICY.ack_timeout.total_seconds())

    assert not await old.claim_escalation(public_id, ON_CALL)
    case = old.get(public_id)
    assert case is not None
    assert (case.status, case.acknowledged_by, case.next_step_at) == (
        Status.ACKNOWLEDGED,
        ONCALL,
        None,
    )
    assert old.page_owed(public_id, ON_CALL, ROLE_ID) is None


async def test_the_owner_hears_once_of_a_chain_two_processes_ended(
    shared_database: Database, tmp_path: Path, cipher: MultiFernet
) -> None:
    clock = stepping_clock()
    old, new, public_id = await paged_request_in_two_desks(shared_database, tmp_path, cipher, clock)
    told = []
    for desk in (old, new):
        case = desk.get(public_id)
        assert case is not None
        case.next_step_at = None  # both saw its last page go out
        told.append(await desk.claim_owner_notice(case))
    assert told == [True, False]


async def test_of_two_processes_syncing_a_meeting_at_once_only_one_makes_its_discord_event(
    shared_database: Database,
) -> None:
    guild_id, specialist = 4_194_304 * 1000, 900
    weekly = meetings.Plan(
        title="Tuesday circle",
        recurrence=Recurrence(
            WEEKLY, (1,), None, time(19, 0), ZoneInfo("America/New_York"), MONDAY_BEFORE_DST.date()
        ),
        duration_minutes=60,
        place=VOICE,
        channel_id=555,
    )
    now = MONDAY_BEFORE_DST
    info = await meetings.schedule(shared_database, guild_id, specialist, weekly, now)
    assert info.next is not None
    occurrence_id = info.next.id

    work = await meetings.event_work(shared_database, guild_id, occurrence_id, now)
    assert work is not None
    assert work.action == "create"
    assert await meetings.event_work(shared_database, guild_id, occurrence_id, now) is None
    # A process that died with the change in hand leaves it to the next one in time.
    later = now + meetings.EVENT_CLAIM
    again = await meetings.event_work(shared_database, guild_id, occurrence_id, later)
    assert again is not None
    assert again.action == "create"
