"""/oncall: who holds the pager, the weekly rotation, and its announcements.

Everything but `/oncall now` is for holders of the server's specialist role. Replies
are private. Changes of the person on call are announced in the specialists channel:
right away for takes, handoffs and schedule edits (a reply to what a specialist just
did), and through the paced outbox for scheduled shift changes. Those are scheduled by
moment, not by server: one job per instant at which some servers' shifts change, which
re-arms each of its servers for their next change.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING, cast

import discord
from apscheduler.triggers.date import DateTrigger
from discord import app_commands
from discord.ext import commands

from cogs.oncall import service, texts
from cogs.oncall.report import (
    REPORT_DEFAULT_DAYS,
    REPORT_MAX_DAYS,
    Report,
    build_report,
    format_duration,
)
from cogs.oncall.rota import (
    TAKE_DEFAULT_HOURS,
    TAKE_MAX_HOURS,
    TAKE_MIN_HOURS,
    Override,
    Shift,
    describe_shift,
)
from cogs.setup.service import AUTOCOMPLETE_LIMIT
from core.counting import counted
from core.errors import UserFacingError
from core.logging import describe_failure
from core.oncall import NOBODY_ON_CALL, OnCallChain
from core.outbox import Outgoing, Refused, enqueue, message_body
from core.permissions import (
    Audience,
    for_audience,
    has_specialist_role,
    require_specialist,
    specialist_role_id,
)
from core.scheduler import FeatureJobs, JobSpec, job_id
from core.times import timestamp
from core.timezones import TimeZone

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

MESSAGE_LIMIT = 2000
CHOICE_NAME_LIMIT = 100
# Shift ids are the Integer key of oncall_shifts: PostgreSQL refuses a larger number
# with an error instead of finding no shift.
SHIFT_ID_MAX = 2**31 - 1
NOW_BACKUPS_SHOWN = 3
JOBS_OWNER = "oncall"
CHANGE_PREFIX = "change:"
SHIFT_CHANGE_KIND = "oncall.shift_change"
# A shift-change announcement says who is on call now: an hour late it reads as news
# that no longer is, and once the next change has come it is wrong (the next one says
# what is true then). Past that it is dropped rather than posted.
SHIFT_CHANGE_STALE_AFTER = timedelta(hours=1)

_DAY_CHOICES = [app_commands.Choice(name=name, value=name.lower()) for name in texts.DAY_NAMES]


def change_key(instant: datetime) -> str:
    """The key of the job of one moment: "change:2026-12-07T09:00:00+00:00"."""
    return CHANGE_PREFIX + instant.astimezone(UTC).isoformat()


def change_job_id(instant: datetime) -> str:
    """The scheduler's id of that job: "oncall:change:<instant>"."""
    return job_id(JOBS_OWNER, change_key(instant))


def shift_change_dedupe_key(guild_id: int, instant: datetime) -> str:
    """One announcement per server per change, however often its job runs."""
    return f"oncall:change:{guild_id}:{instant.astimezone(UTC).isoformat()}"


@dataclass(frozen=True)
class Move:
    """What placing a server changed: a moment left with no server, a moment given its first."""

    emptied: datetime | None = None
    opened: datetime | None = None


class ChangeMoments:
    """Which servers' next shift change falls at which instant, both ways.

    Servers' rotas mostly change on the hour, so thousands of servers share a few
    instants: one job per instant, not per server.
    """

    def __init__(self) -> None:
        self._servers: dict[datetime, set[int]] = {}
        self._moment: dict[int, datetime] = {}

    def moment_of(self, guild_id: int) -> datetime | None:
        return self._moment.get(guild_id)

    def servers_at(self, instant: datetime) -> frozenset[int]:
        return frozenset(self._servers.get(instant, ()))

    def instants(self) -> list[datetime]:
        return sorted(self._servers)

    def place(self, guild_id: int, instant: datetime | None) -> Move:
        """Put the server at `instant` (None: its primary never changes again)."""
        before = self._moment.get(guild_id)
        if before == instant:
            return Move()
        emptied = None
        if before is not None:
            del self._moment[guild_id]
            left = self._servers[before]
            left.discard(guild_id)
            if not left:
                del self._servers[before]
                emptied = before
        if instant is None:
            return Move(emptied=emptied)
        self._moment[guild_id] = instant
        joined = self._servers.setdefault(instant, set())
        joined.add(guild_id)
        return Move(emptied=emptied, opened=instant if len(joined) == 1 else None)

    def take(self, instant: datetime) -> list[int]:
        """The servers due at `instant`, no longer placed anywhere."""
        servers = self._servers.pop(instant, set())
        for guild_id in servers:
            del self._moment[guild_id]
        return sorted(servers)


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


def mention(user_id: int) -> str:
    return f"<@{user_id}>"


def pinging(user_id: int | None) -> discord.AllowedMentions:
    """Only the person now holding the pager is pinged, never a role or everyone."""
    return discord.AllowedMentions(
        everyone=False, roles=False, users=[discord.Object(user_id)] if user_id else False
    )


def render_now(chain: OnCallChain, override: Override | None) -> str:
    if chain.primary is None:
        lines = [texts.NOW_NOBODY]
    else:
        primary = mention(chain.primary)
        if override is not None and override.user_id == chain.primary:
            primary += " " + texts.NOW_UNTIL.format(until=timestamp(override.end))
        lines = [texts.NOW_ON_CALL.format(primary=primary)]
    if chain.backups:
        shown = texts.BACKUP_JOINER.join(mention(u) for u in chain.backups[:NOW_BACKUPS_SHOWN])
        hidden = len(chain.backups) - NOW_BACKUPS_SHOWN
        if hidden > 0:
            shown += texts.MORE_BACKUPS.format(count=hidden)
        lines.append(texts.NOW_BACKUP.format(backups=shown))
    elif chain.primary is not None:
        lines.append(texts.NOW_NO_BACKUP)
    return "\n".join(lines)


def render_shift_line(shift: Shift) -> str:
    return texts.SHIFT_LINE.format(
        shift_id=shift.id,
        shift=describe_shift(shift),
        user=mention(shift.user_id),
        position=shift.position,
    )


def chunk_lines(lines: list[str], limit: int = MESSAGE_LIMIT) -> list[str]:
    """Join lines into as few messages as fit Discord's length limit."""
    chunks: list[str] = []
    current = ""
    for line in lines:
        candidate = f"{current}\n{line}" if current else line
        if len(candidate) > limit and current:
            chunks.append(current)
            current = line
        else:
            current = candidate
    if current:
        chunks.append(current)
    return chunks


def render_report(report: Report) -> discord.Embed:
    days = counted(report.days, texts.DAYS)
    embed = discord.Embed(title=texts.REPORT_TITLE.format(days=days))
    if report.requests == 0:
        embed.description = texts.REPORT_NONE.format(days=days)
        return embed
    embed.add_field(
        name=texts.REPORT_REQUESTS,
        value=texts.REPORT_REQUESTS_VALUE.format(
            requests=report.requests,
            acknowledged=report.acknowledged,
            resolved=report.resolved,
            safe=report.member_safe,
            still_open=report.still_open,
        ),
        inline=False,
    )
    for name, stats in (
        (texts.REPORT_ACK, report.time_to_acknowledge),
        (texts.REPORT_RESOLVE, report.time_to_resolve),
    ):
        if stats.median is None or stats.p90 is None:
            value = texts.REPORT_TIMES_NONE
        else:
            value = texts.REPORT_TIMES_VALUE.format(
                median=format_duration(stats.median),
                p90=format_duration(stats.p90),
                count=stats.count,
            )
        embed.add_field(name=name, value=value, inline=False)
    embed.add_field(
        name=texts.REPORT_ESCALATIONS,
        value=texts.REPORT_ESCALATIONS_VALUE.format(
            escalated_requests=counted(report.escalated_requests, texts.REQUESTS),
            escalation_steps=counted(report.escalation_steps, texts.ESCALATION_STEPS),
            backup_requests=counted(report.backup_requests, texts.TIMES),
            fallbacks=counted(report.fallbacks, texts.TIMES),
        ),
        inline=False,
    )
    people = [
        texts.REPORT_SPECIALIST_LINE.format(
            user=mention(person.user_id),
            count=person.acknowledged,
            median=format_duration(person.median_ack),
        )
        for person in report.per_specialist
    ]
    embed.add_field(
        name=texts.REPORT_PER_SPECIALIST,
        value=chunk_lines(people, limit=1024)[0] if people else texts.REPORT_NO_SPECIALISTS,
        inline=False,
    )
    return embed


class OnCallCog(commands.Cog):
    oncall_group = app_commands.Group(
        name="oncall",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )
    schedule_group = app_commands.Group(
        name="schedule",
        description=texts.SCHEDULE_DESCRIPTION,
        parent=oncall_group,
        extras=for_audience(Audience.SPECIALISTS),
    )

    def __init__(self, bot: RecoveryBot, rotation: service.Rotation) -> None:
        self.bot = bot
        self.jobs = FeatureJobs(bot.scheduler, JOBS_OWNER)
        self.rotation = rotation
        self.moments = ChangeMoments()

    async def cog_load(self) -> None:
        # /help-now asks the bot who is on call: while this feature is loaded, the rotation.
        self.bot.on_call = self.rotation
        self.bot.outbox.on_refused(SHIFT_CHANGE_KIND, self._shift_change_refused)
        # Rebuilt from the tables (through the warmed rotation) in one pass: each server
        # read once, then one job per distinct instant.
        now = self.bot.clock.now()
        for guild_id in self.rotation.guild_ids():
            if self.bot.serves_guild(guild_id):
                self.moments.place(guild_id, self._next_change(guild_id, now))
        self.jobs.replace_all(
            # In time order: APScheduler keeps its jobs sorted by time, so each one is
            # appended instead of inserted into the middle.
            {change_key(instant): self._change_job(instant) for instant in self.moments.instants()},
            prefix=CHANGE_PREFIX,
        )

    async def cog_unload(self) -> None:
        if self.bot.on_call is self.rotation:
            self.bot.on_call = NOBODY_ON_CALL
        self.jobs.cancel_all()
        self.bot.outbox.forget_refused(SHIFT_CHANGE_KIND)

    # Who may act.

    def _require_target_specialist(self, guild_id: int, member: discord.Member) -> None:
        if not has_specialist_role(member, specialist_role_id(self.bot, guild_id)):
            raise UserFacingError(texts.TARGET_NOT_SPECIALIST.format(user=member.mention))

    # Commands.

    @oncall_group.command(name="now", description=texts.NOW_DESCRIPTION)
    async def now(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        at = self.bot.clock.now()
        chain = self.rotation.chain(guild.id, at)
        override = self.rotation.active_override(guild.id, at)
        await interaction.response.send_message(render_now(chain, override), ephemeral=True)

    @oncall_group.command(
        name="take",
        description=texts.TAKE_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    @app_commands.describe(hours=texts.TAKE_HOURS_DESCRIPTION)
    async def take(
        self,
        interaction: discord.Interaction,
        hours: app_commands.Range[int, TAKE_MIN_HOURS, TAKE_MAX_HOURS] = TAKE_DEFAULT_HOURS,
    ) -> None:
        member = require_specialist(interaction)
        override = await self.rotation.take(member.guild.id, member.id, hours)
        self.arm(member.guild.id)
        until = timestamp(override.end)
        await interaction.response.send_message(texts.TOOK.format(until=until), ephemeral=True)
        await self.announce(
            member.guild.id,
            texts.ANNOUNCE_TAKE.format(user=mention(member.id), until=until),
            ping=member.id,
        )

    @oncall_group.command(
        name="handoff",
        description=texts.HANDOFF_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    @app_commands.describe(specialist=texts.HANDOFF_TARGET_DESCRIPTION)
    async def handoff(self, interaction: discord.Interaction, specialist: discord.Member) -> None:
        member = require_specialist(interaction)
        self._require_target_specialist(member.guild.id, specialist)
        override = await self.rotation.handoff(member.guild.id, member.id, specialist.id)
        self.arm(member.guild.id)
        until = timestamp(override.end)
        await interaction.response.send_message(
            texts.HANDED_OFF.format(user=mention(specialist.id), until=until), ephemeral=True
        )
        await self.announce(
            member.guild.id,
            texts.ANNOUNCE_HANDOFF.format(
                from_user=mention(member.id), user=mention(specialist.id), until=until
            ),
            ping=specialist.id,
        )

    @oncall_group.command(
        name="off",
        description=texts.OFF_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    async def off(self, interaction: discord.Interaction) -> None:
        member = require_specialist(interaction)
        await self.rotation.off(member.guild.id, member.id)
        self.arm(member.guild.id)
        chain = self.rotation.chain(member.guild.id, self.bot.clock.now())
        if chain.primary is None:
            now_text = texts.AFTER_OFF_NOBODY
        else:
            now_text = texts.AFTER_OFF_ON_CALL.format(user=mention(chain.primary))
        await interaction.response.send_message(texts.ENDED.format(now=now_text), ephemeral=True)
        await self.announce(
            member.guild.id,
            texts.ANNOUNCE_OFF.format(from_user=mention(member.id), now=now_text),
            ping=chain.primary,
        )

    @oncall_group.command(
        name="report",
        description=texts.REPORT_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    @app_commands.describe(days=texts.REPORT_DAYS_DESCRIPTION)
    async def report(
        self,
        interaction: discord.Interaction,
        days: app_commands.Range[int, 1, REPORT_MAX_DAYS] = REPORT_DEFAULT_DAYS,
    ) -> None:
        member = require_specialist(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        report = await build_report(self.bot.db, self.bot.clock, member.guild.id, days)
        await interaction.followup.send(embed=render_report(report), ephemeral=True)

    @schedule_group.command(name="add", description=texts.ADD_DESCRIPTION)
    @app_commands.describe(
        specialist=texts.ADD_SPECIALIST_DESCRIPTION,
        day=texts.ADD_DAY_DESCRIPTION,
        start=texts.ADD_START_DESCRIPTION,
        end=texts.ADD_END_DESCRIPTION,
        timezone=texts.ADD_TIMEZONE_DESCRIPTION,
        order=texts.ADD_ORDER_DESCRIPTION,
    )
    @app_commands.choices(day=_DAY_CHOICES)
    async def schedule_add(
        self,
        interaction: discord.Interaction,
        specialist: discord.Member,
        day: str,
        start: str,
        end: str,
        timezone: TimeZone | None = None,
        order: app_commands.Range[int, 0, service.MAX_POSITION] | None = None,
    ) -> None:
        member = require_specialist(interaction)
        guild_id = member.guild.id
        self._require_target_specialist(guild_id, specialist)
        zone = timezone or self.bot.guild_settings.cached(guild_id).timezone
        before = self.rotation.chain(guild_id, self.bot.clock.now()).primary
        shift = await self.rotation.add_shift(
            guild_id, member.id, specialist.id, day, start, end, zone, order
        )
        after = self._after_schedule_change(guild_id)
        await interaction.response.send_message(
            texts.SHIFT_ADDED.format(shift_id=shift.id, shift=describe_shift(shift)),
            ephemeral=True,
        )
        if after != before:
            await self.announce(guild_id, shift_change_text(after), ping=after)

    @schedule_group.command(name="remove", description=texts.REMOVE_DESCRIPTION)
    @app_commands.describe(shift=texts.REMOVE_SHIFT_DESCRIPTION)
    async def schedule_remove(
        self, interaction: discord.Interaction, shift: app_commands.Range[int, 1, SHIFT_ID_MAX]
    ) -> None:
        member = require_specialist(interaction)
        if not 1 <= shift <= SHIFT_ID_MAX:
            # Discord checks the range, but not against a definition synced before it had
            # one (until `sync-commands` runs again).
            raise UserFacingError(texts.NO_SUCH_SHIFT.format(shift_id=shift))
        guild_id = member.guild.id
        before = self.rotation.chain(guild_id, self.bot.clock.now()).primary
        removed = await self.rotation.remove_shift(guild_id, member.id, shift)
        after = self._after_schedule_change(guild_id)
        await interaction.response.send_message(
            texts.SHIFT_REMOVED.format(shift_id=removed.id, shift=describe_shift(removed)),
            ephemeral=True,
        )
        if after != before:
            await self.announce(guild_id, shift_change_text(after), ping=after)

    @schedule_remove.autocomplete("shift")
    async def _shift_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[int]]:
        if interaction.guild is None:
            return []
        try:
            require_specialist(interaction)  # the list is for specialists only
        except UserFacingError:
            return []
        needle = current.strip().lower().lstrip("#")
        choices: list[app_commands.Choice[int]] = []
        for shift in self.rotation.shifts(interaction.guild.id):
            person = interaction.guild.get_member(shift.user_id)
            name = texts.SHIFT_CHOICE.format(
                shift_id=shift.id,
                shift=describe_shift(shift),
                user=person.display_name
                if person
                else texts.UNKNOWN_USER.format(user_id=shift.user_id),
            )[:CHOICE_NAME_LIMIT]
            if needle in name.lower():
                choices.append(app_commands.Choice(name=name, value=shift.id))
        return choices[:AUTOCOMPLETE_LIMIT]

    @schedule_group.command(name="list", description=texts.LIST_DESCRIPTION)
    async def schedule_list(self, interaction: discord.Interaction) -> None:
        member = require_specialist(interaction)
        shifts = self.rotation.shifts(member.guild.id)
        if not shifts:
            await interaction.response.send_message(texts.SCHEDULE_EMPTY, ephemeral=True)
            return
        messages = chunk_lines([texts.SCHEDULE_TITLE, *map(render_shift_line, shifts)])
        await interaction.response.send_message(messages[0], ephemeral=True)
        for message in messages[1:]:
            await interaction.followup.send(message, ephemeral=True)

    # Announcements, and the scheduled jobs: one per moment at which shifts change.

    def _after_schedule_change(self, guild_id: int) -> int | None:
        """Re-arm the server; returns who is on call now (to announce if it changed)."""
        self.arm(guild_id)
        return self.rotation.chain(guild_id, self.bot.clock.now()).primary

    def _next_change(self, guild_id: int, after: datetime) -> datetime | None:
        when = self.rotation.next_change(guild_id, after)
        # In UTC, so one instant reached through different zones is one job and one key.
        return when.astimezone(UTC) if when is not None else None

    def _change_job(self, instant: datetime) -> JobSpec:
        return JobSpec(
            DateTrigger(run_date=instant, timezone=UTC),
            self.shift_changed,
            (instant,),
            # However late it runs (a suspended process, a blocked loop), it runs: a
            # missed one-shot job would be dropped and nothing would re-arm its servers.
            misfire_grace_seconds=None,
        )

    def arm(self, guild_id: int, after: datetime | None = None) -> datetime | None:
        """Move the server to the job of its next shift change; returns that instant."""
        when = self._next_change(guild_id, after or self.bot.clock.now())
        move = self.moments.place(guild_id, when)
        if move.emptied is not None:
            self.jobs.cancel(change_key(move.emptied))
        if move.opened is not None:
            self.jobs.add(change_key(move.opened), self._change_job(move.opened))
        return when

    async def shift_changed(self, instant: datetime) -> None:
        """The job of `instant`: announce the change in each of its servers."""
        at = max(self.bot.clock.now(), instant)
        servers = self.moments.take(instant)
        # The scheduler drops a one-shot job as it starts it; run any other way, the job
        # goes here, so no job is left for a moment without servers.
        self.jobs.cancel(change_key(instant))
        announcements: list[Outgoing] = []
        for guild_id in servers:
            try:
                # Re-armed first, so a slow or failing announcement never loses the next one.
                following = self.arm(guild_id, after=at)
                primary = self.rotation.chain(guild_id, at).primary
            except Exception as error:  # one server's rota must not cost the others theirs
                log.error(
                    "Could not work out the shift change in guild %s: %s",
                    guild_id,
                    describe_failure(error),
                )
                continue
            announcement = self._shift_change(guild_id, instant, at, primary, following)
            if announcement is not None:
                announcements.append(announcement)
        if not announcements:
            return
        # One transaction for the whole moment: thousands of servers changing on the
        # hour are one write, and the outbox paces the posts.
        try:
            async with self.bot.db.all_guilds_session() as session, session.begin():
                await enqueue(session, announcements)
        except Exception:
            log.exception(
                "Could not queue %d on-call shift-change announcements for %s",
                len(announcements),
                instant.isoformat(),
            )
            return
        self.bot.outbox.wake()

    def _shift_change(
        self,
        guild_id: int,
        instant: datetime,
        at: datetime,
        primary: int | None,
        following: datetime | None,
    ) -> Outgoing | None:
        channel_id = self.bot.guild_settings.cached(guild_id).specialists_channel_id
        if channel_id is None:
            log.info("No specialists channel for an on-call announcement in guild %s", guild_id)
            return None
        stale_at = at + SHIFT_CHANGE_STALE_AFTER
        if following is not None:
            stale_at = min(stale_at, following)
        return Outgoing(
            kind=SHIFT_CHANGE_KIND,
            dedupe_key=shift_change_dedupe_key(guild_id, instant),
            guild_id=guild_id,
            body=message_body(shift_change_text(primary), mentions=pinging(primary)),
            not_before=self.bot.clock.now(),
            expires_at=stale_at,
            channel_id=channel_id,
        )

    async def _shift_change_refused(self, refused: Refused) -> None:
        # As for an announcement posted at once: the cog tells nobody, it logs (ids only).
        log.warning(
            "Could not post an on-call announcement in channel %s of guild %s (HTTP %s)",
            refused.channel_id,
            refused.guild_id,
            refused.status,
        )

    async def announce(self, guild_id: int, text: str, *, ping: int | None) -> None:
        """Post in the specialists channel at once (the answer to a specialist's own
        command); a missing channel or permission is only logged."""
        channel_id = self.bot.guild_settings.cached(guild_id).specialists_channel_id
        if channel_id is None:
            log.info("No specialists channel for an on-call announcement in guild %s", guild_id)
            return
        try:
            channel = self.bot.get_channel(channel_id) or await self.bot.fetch_channel(channel_id)
            if not isinstance(channel, discord.abc.Messageable):
                log.warning(
                    "Specialists channel %s in guild %s takes no messages", channel_id, guild_id
                )
                return
            await channel.send(text, allowed_mentions=pinging(ping))
        except discord.HTTPException as error:
            log.warning(
                "Could not post an on-call announcement in channel %s of guild %s (HTTP %s)",
                channel_id,
                guild_id,
                error.status,
            )


def shift_change_text(primary: int | None) -> str:
    if primary is None:
        return texts.ANNOUNCE_SHIFT_CHANGE_NOBODY
    return texts.ANNOUNCE_SHIFT_CHANGE.format(user=mention(primary))


def rotation_of(bot: RecoveryBot) -> service.Rotation:
    """The loaded on-call feature's rotation: how the sandbox, the benchmarks and the tests
    set up a rota. Raises RuntimeError when the feature isn't loaded."""
    # By name, not isinstance: discord.py re-imports a feature's modules each time a bot
    # loads it.
    cog = bot.get_cog(OnCallCog.__cog_name__)
    if cog is None:
        raise RuntimeError("The on-call feature (cogs.oncall) isn't loaded: there is no rotation")
    return cast(OnCallCog, cog).rotation


def change_moments_of(bot: RecoveryBot) -> ChangeMoments:
    """The loaded on-call feature's index of shift-change moments (for the tests)."""
    cog = bot.get_cog(OnCallCog.__cog_name__)
    if cog is None:
        raise RuntimeError("The on-call feature (cogs.oncall) isn't loaded: there are no jobs")
    return cast(OnCallCog, cog).moments
