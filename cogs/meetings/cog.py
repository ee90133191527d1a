"""/meeting: schedules for the peer specialists, the list, reminders and attendance for
members, and the report. The Discord layer only: the rules are in `service`, the job in
`jobs`, the Discord events in `events`, the words in `texts`.

Every reply is private. Logs carry ids, never a title a specialist typed or anything
about a member's attendance.
"""

from __future__ import annotations

import asyncio
import io
import logging
from datetime import date, time, timedelta
from typing import TYPE_CHECKING, Any, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs.meetings import chart, recurrence, service, texts, views
from cogs.meetings.jobs import MeetingJobs, where
from cogs.meetings.recurrence import Recurrence
from cogs.meetings.signs import MissedMeetings
from core.counting import counted
from core.errors import UserFacingError
from core.permissions import Audience, for_audience, guild_of
from core.times import read_time_of_day, timestamp
from core.timezones import TimeZone, zone_or_utc
from db.models.meetings import FORTNIGHTLY, LINK, MONTHLY, STAGE, TEXT, VOICE, WEEKLY

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]
Every = Literal["week", "two weeks", "month"]
CADENCE: dict[str, str] = {"week": WEEKLY, "two weeks": FORTNIGHTLY, "month": MONTHLY}
MeetingChannel = discord.VoiceChannel | discord.StageChannel | discord.TextChannel
SUGGESTIONS = 25
# Days further than this from today are refused: a meeting's schedule looks a year ahead.
DAYS_AHEAD = timedelta(days=366)
# The largest meeting id a database column holds.
MAX_ID = 2**31 - 1
# What /meeting schedule and /meeting edit both ask for (`start` is shown as "time").
DETAILS = {
    "title": texts.PARAM_TITLE,
    "days": texts.PARAM_DAYS,
    "start": texts.PARAM_TIME,
    "zone": texts.PARAM_ZONE,
    "duration": texts.PARAM_DURATION,
    "every": texts.PARAM_EVERY,
    "channel": texts.PARAM_CHANNEL,
    "link": texts.PARAM_LINK,
    "facilitator": texts.PARAM_FACILITATOR,
    "description": texts.PARAM_DESCRIPTION,
    "topic": texts.PARAM_TOPIC,
    "reminders": texts.PARAM_REMINDERS,
    "min_minutes": texts.PARAM_MIN_MINUTES,
}
ECHO = 60


def _echo(text: str) -> str:
    return " ".join(text.split())[:ECHO]


def read_time(text: str) -> time:
    found = read_time_of_day(text)
    if found is None:
        raise UserFacingError(texts.UNREADABLE_TIME.format(text=_echo(text)))
    return time(*found)


def read_day(text: str, today: date) -> date:
    words = text.strip().casefold()
    relative = {"today": today, "tomorrow": today + timedelta(days=1)}
    if words in relative:
        return relative[words]
    try:
        day = date.fromisoformat(words)
    except ValueError:
        raise UserFacingError(texts.UNREADABLE_DAY.format(text=_echo(text))) from None
    if abs(day - today) > DAYS_AHEAD:
        raise UserFacingError(texts.DAY_TOO_FAR)
    return day


def read_title(text: str) -> str:
    title = " ".join(text.split()).strip("\u200b\u200c\u200d\u2060\ufeff ")
    if not title:
        raise UserFacingError(texts.TITLE_EMPTY)
    return title


def read_link(text: str) -> str:
    link = text.strip()
    if not link.startswith("https://") or any(c.isspace() for c in link) or len(link) <= 8:
        raise UserFacingError(texts.BAD_LINK)
    return link


def minutes_words(minutes: tuple[int, ...]) -> str:
    parts = []
    for value in minutes:
        if value % (24 * 60) == 0:
            parts.append(counted(value // (24 * 60), ("day", "days")))
        elif value % 60 == 0:
            parts.append(counted(value // 60, ("hour", "hours")))
        else:
            parts.append(counted(value, ("minute", "minutes")))
    return recurrence.LIST_AND.join(parts)


def run_words(record: service.Record) -> list[str]:
    """The member's current run, attended or missed, in plain words (none for no run)."""
    if record.streak == 1:
        return [texts.ATTENDANCE_LAST_ONE]
    if record.streak:
        return [texts.ATTENDANCE_STREAK.format(count=counted(record.streak, texts.MEETINGS))]
    if record.missed_in_a_row == 1:
        return [texts.ATTENDANCE_MISSED_ONE]
    if record.missed_in_a_row:
        count = counted(record.missed_in_a_row, texts.MEETINGS)
        return [texts.ATTENDANCE_MISSED.format(count=count)]
    return []


class MeetingCog(commands.Cog):
    meeting = app_commands.Group(
        name="meeting",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )

    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.jobs = MeetingJobs(bot)
        # One member's voice changes are recorded in the order Discord sent them (a lock
        # per member who ever used voice: small, and never dropped while one waits).
        self._voice_order: dict[tuple[int, int], asyncio.Lock] = {}
        self.missed = MissedMeetings(bot.content.checkins.warning_signs.missed_meetings)

    async def cog_load(self) -> None:
        views.controls.register(self.bot, self)
        self.bot.sign_sources.register(self.missed)
        await self.jobs.start()

    async def cog_unload(self) -> None:
        self.jobs.stop()
        self.bot.sign_sources.unregister(self.missed)
        views.controls.unregister(self.bot)

    @commands.Cog.listener()
    async def on_ready(self) -> None:
        # After a start or a reconnect, voice changes may have been missed meanwhile.
        await self.jobs.reconcile()

    @commands.Cog.listener()
    async def on_resumed(self) -> None:
        await self.jobs.reconcile()

    # --- Reading what was typed -----------------------------------------------------------

    def _place(
        self,
        interaction: discord.Interaction,
        channel: MeetingChannel | None,
        link: str | None,
    ) -> tuple[str, int | None, str | None]:
        if channel is not None and link is not None:
            raise UserFacingError(texts.BOTH_PLACES)
        if link is not None:
            return LINK, None, read_link(link)
        if channel is None:
            raise UserFacingError(texts.NO_PLACE)
        guild = interaction.guild
        me = guild.me if guild else None
        if me is None:
            raise UserFacingError(texts.CHANNEL_KIND)
        seen = channel.permissions_for(me)
        if isinstance(channel, discord.TextChannel):
            if not (seen.view_channel and seen.send_messages):
                raise UserFacingError(
                    texts.CHANNEL_HIDDEN.format(channel=channel.mention, need=texts.NEED_SEND)
                )
            return TEXT, channel.id, None
        if not (seen.view_channel and seen.connect):
            raise UserFacingError(
                texts.CHANNEL_HIDDEN.format(channel=channel.mention, need=texts.NEED_CONNECT)
            )
        return (STAGE if isinstance(channel, discord.StageChannel) else VOICE), channel.id, None

    async def _meeting_id(self, guild_id: int, text: str) -> int:
        typed = text.strip()
        if typed.isdecimal() and typed.isascii() and int(typed) <= MAX_ID:
            return int(typed)
        wanted = " ".join(text.split()).casefold()
        for info in await service.upcoming(self.bot.db, guild_id):
            if info.plan.title.casefold() == wanted:
                return info.id
        raise UserFacingError(texts.NO_SUCH_MEETING.format(text=_echo(text)))

    async def suggest_meetings(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        if interaction.guild_id is None:
            return []
        needle = current.casefold()
        found = await service.upcoming(self.bot.db, interaction.guild_id)
        return [
            app_commands.Choice(
                name=f"{info.plan.title} · {recurrence.describe(info.plan.recurrence)}"[:100],
                value=str(info.id),
            )
            for info in found
            if needle in info.plan.title.casefold()
        ][:SUGGESTIONS]

    def _describe(self, plan: service.Plan) -> dict[str, Any]:
        info = service.MeetingInfo(0, 0, plan, False)
        return {
            "title": plan.title,
            "schedule": recurrence.describe(plan.recurrence),
            "zone": plan.recurrence.zone.key,
            "minutes": plan.duration_minutes,
            "where": where(info),
        }

    def _outcome_lines(
        self, guild_id: int, info: service.MeetingInfo, problem: str | None
    ) -> list[str]:
        lines: list[str] = []
        if info.next is not None:
            lines.append(
                texts.NEXT_ONE.format(
                    when=timestamp(info.next.starts_at, "F"),
                    relative=timestamp(info.next.starts_at, "R"),
                )
            )
        config = self.bot.guild_settings.cached(guild_id)
        posts_in = service.post_channel(info.plan, config.meetings_channel_id)
        too_early = service.reminders_too_early(info.plan, self.bot.clock.now())
        if not info.plan.reminder_minutes:
            lines.append(texts.REMINDERS_NONE)
        elif posts_in is None:
            lines.append(texts.REMINDERS_NO_CHANNEL)
        else:
            sent = tuple(m for m in info.plan.reminder_minutes if m not in too_early)
            if sent:
                lines.append(
                    texts.REMINDERS_WHERE.format(
                        reminders=minutes_words(sent), channel=f"<#{posts_in}>"
                    )
                )
            if too_early:
                lines.append(texts.REMINDERS_TOO_EARLY.format(reminders=minutes_words(too_early)))
        if info.next is not None and info.next.state == "planned":
            lines.append(
                texts.EVENT_MADE
                if problem is None and info.next.discord_event_id is not None
                else texts.EVENT_NOT_MADE.format(reason=problem or texts.REASON_OUTAGE)
            )
        return lines

    # --- /meeting schedule ----------------------------------------------------------------

    @meeting.command(
        name="schedule",
        description=texts.SCHEDULE_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    @app_commands.describe(**DETAILS, starting=texts.PARAM_STARTING)
    @app_commands.rename(start="time")
    async def schedule(
        self,
        interaction: discord.Interaction,
        title: app_commands.Range[str, 1, 100],
        days: app_commands.Range[str, 1, 100],
        start: app_commands.Range[str, 1, 20],
        zone: TimeZone,
        duration: app_commands.Range[int, 10, 480] = 60,
        every: Every = "week",
        channel: MeetingChannel | None = None,
        link: app_commands.Range[str, 1, 100] | None = None,
        facilitator: discord.Member | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
        topic: app_commands.Range[str, 1, 300] | None = None,
        reminders: app_commands.Range[str, 1, 60] | None = None,
        starting: app_commands.Range[str, 1, 40] | None = None,
        min_minutes: app_commands.Range[int, 1, 240] | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        now = self.bot.clock.now()
        # Everything typed is read and checked before anything is written.
        cadence = CADENCE[every]
        weekdays, month_week = recurrence.parse_days(days, cadence)
        zone_info = zone_or_utc(zone)
        today = now.astimezone(zone_info).date()
        first_day = read_day(starting, today) if starting else today
        if first_day < today:
            raise UserFacingError(texts.STARTING_PAST)
        place, channel_id, place_link = self._place(interaction, channel, link)
        plan = service.Plan(
            title=read_title(title),
            recurrence=Recurrence(
                cadence, weekdays, month_week, read_time(start), zone_info, first_day
            ),
            duration_minutes=duration,
            place=place,
            channel_id=channel_id,
            link=place_link,
            description=description.strip() if description else None,
            topic=" ".join(topic.split()) if topic else None,
            facilitator_user_id=facilitator.id if facilitator else None,
            reminder_minutes=recurrence.parse_reminders(reminders)
            if reminders is not None
            else service.Plan.reminder_minutes,
            min_present_minutes=min_minutes or service.Plan.min_present_minutes,
        )
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await service.schedule(self.bot.db, guild_id, interaction.user.id, plan, now)
        log.info("Meeting %s scheduled in guild %s", info.id, guild_id)
        problems = await self.jobs.sync_now()
        info = await service.find(self.bot.db, guild_id, info.id)
        problem = problems.get(info.next.id) if info.next else None
        lines = [
            texts.SCHEDULED.format(**self._describe(plan)),
            *self._outcome_lines(guild_id, info, problem),
        ]
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    # --- /meeting list --------------------------------------------------------------------

    @meeting.command(name="list", description=texts.LIST_DESCRIPTION)
    async def list_meetings(self, interaction: discord.Interaction) -> None:
        found = await service.upcoming(self.bot.db, guild_of(interaction))
        if not found:
            await interaction.response.send_message(texts.LIST_EMPTY, ephemeral=True)
            return
        lines = [texts.LIST_HEADER]
        for info in found:
            words = self._describe(info.plan)
            if info.next is None:
                lines.append(texts.LIST_NO_NEXT.format(**words))
            elif info.next.state == "open":
                lines.append(
                    texts.LIST_UNDER_WAY.format(until=timestamp(info.next.ends_at, "t"), **words)
                )
            else:
                lines.append(
                    texts.LIST_LINE.format(
                        when=timestamp(info.next.starts_at, "F"),
                        relative=timestamp(info.next.starts_at, "R"),
                        **words,
                    )
                )
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True)

    # --- /meeting edit, cancel, skip ------------------------------------------------------

    @meeting.command(
        name="edit", description=texts.EDIT_DESCRIPTION, extras=for_audience(Audience.SPECIALISTS)
    )
    @app_commands.describe(**DETAILS, meeting=texts.PARAM_MEETING)
    @app_commands.rename(start="time")
    @app_commands.autocomplete(meeting=suggest_meetings)
    async def edit(
        self,
        interaction: discord.Interaction,
        meeting: app_commands.Range[str, 1, 100],
        title: app_commands.Range[str, 1, 100] | None = None,
        days: app_commands.Range[str, 1, 100] | None = None,
        start: app_commands.Range[str, 1, 20] | None = None,
        zone: TimeZone | None = None,
        duration: app_commands.Range[int, 10, 480] | None = None,
        every: Every | None = None,
        channel: MeetingChannel | None = None,
        link: app_commands.Range[str, 1, 100] | None = None,
        facilitator: discord.Member | None = None,
        description: app_commands.Range[str, 1, 1000] | None = None,
        topic: app_commands.Range[str, 1, 300] | None = None,
        reminders: app_commands.Range[str, 1, 60] | None = None,
        min_minutes: app_commands.Range[int, 1, 240] | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        now = self.bot.clock.now()
        meeting_id = await self._meeting_id(guild_id, meeting)
        current = await service.find(self.bot.db, guild_id, meeting_id)
        plan = current.plan
        changes: dict[str, Any] = {}
        if days is not None or start is not None or zone is not None or every is not None:
            rec = plan.recurrence
            cadence = CADENCE[every] if every is not None else rec.cadence
            if days is not None:
                weekdays, month_week = recurrence.parse_days(days, cadence)
            elif cadence != rec.cadence and MONTHLY in (cadence, rec.cadence):
                # Weekdays read for one cadence don't carry over to or from a monthly one.
                weekdays, month_week = recurrence.parse_days("", cadence)
            else:
                weekdays, month_week = rec.weekdays, rec.month_week
            changes["recurrence"] = Recurrence(
                cadence,
                weekdays,
                month_week,
                read_time(start) if start is not None else rec.local_time,
                zone_or_utc(zone) if zone is not None else rec.zone,
                rec.first_day,
                rec.skipped_days,
            )
        if channel is not None or link is not None:
            place, channel_id, place_link = self._place(interaction, channel, link)
            changes.update(place=place, channel_id=channel_id, link=place_link)
        for name, value in (
            ("title", read_title(title) if title else None),
            ("duration_minutes", duration),
            ("facilitator_user_id", facilitator.id if facilitator else None),
            ("description", description.strip() if description else None),
            ("topic", " ".join(topic.split()) if topic else None),
            ("min_present_minutes", min_minutes),
        ):
            if value is not None:
                changes[name] = value
        if reminders is not None:
            changes["reminder_minutes"] = recurrence.parse_reminders(reminders)
        if not changes:
            raise UserFacingError(texts.NOTHING_TO_CHANGE)
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await service.edit(
            self.bot.db, guild_id, interaction.user.id, meeting_id, changes, now
        )
        log.info("Meeting %s edited in guild %s", meeting_id, guild_id)
        problems = await self.jobs.sync_now()
        info = await service.find(self.bot.db, guild_id, meeting_id)
        problem = problems.get(info.next.id) if info.next else None
        lines = [
            texts.EDITED.format(**self._describe(info.plan)),
            *self._outcome_lines(guild_id, info, problem),
        ]
        await interaction.followup.send("\n".join(lines), ephemeral=True)

    @meeting.command(
        name="cancel",
        description=texts.CANCEL_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    @app_commands.describe(meeting=texts.PARAM_MEETING)
    @app_commands.autocomplete(meeting=suggest_meetings)
    async def cancel(
        self, interaction: discord.Interaction, meeting: app_commands.Range[str, 1, 100]
    ) -> None:
        guild_id = guild_of(interaction)
        meeting_id = await self._meeting_id(guild_id, meeting)
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await service.cancel(
            self.bot.db, guild_id, interaction.user.id, meeting_id, self.bot.clock.now()
        )
        log.info("Meeting %s cancelled in guild %s", meeting_id, guild_id)
        await self.jobs.sync_now()
        text = texts.CANCELLED.format(title=info.plan.title)
        if info.next is not None and info.next.state == "open":
            text += texts.CANCELLED_UNDER_WAY
        await interaction.followup.send(text, ephemeral=True)

    @meeting.command(
        name="skip", description=texts.SKIP_DESCRIPTION, extras=for_audience(Audience.SPECIALISTS)
    )
    @app_commands.describe(meeting=texts.PARAM_MEETING, day=texts.PARAM_DAY)
    @app_commands.autocomplete(meeting=suggest_meetings)
    async def skip(
        self,
        interaction: discord.Interaction,
        meeting: app_commands.Range[str, 1, 100],
        day: app_commands.Range[str, 1, 40] | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        now = self.bot.clock.now()
        meeting_id = await self._meeting_id(guild_id, meeting)
        current = await service.find(self.bot.db, guild_id, meeting_id)
        zone = current.plan.recurrence.zone
        if day is not None:
            skipped = read_day(day, now.astimezone(zone).date())
        elif current.next is not None and current.next.state == "planned":
            skipped = current.next.starts_at.astimezone(zone).date()
        else:
            raise UserFacingError(texts.NOTHING_TO_SKIP)
        await interaction.response.defer(ephemeral=True, thinking=True)
        info = await service.skip(
            self.bot.db, guild_id, interaction.user.id, meeting_id, skipped, now
        )
        log.info("A day of meeting %s skipped in guild %s", meeting_id, guild_id)
        await self.jobs.sync_now()
        text = texts.SKIPPED.format(title=info.plan.title, day=skipped.isoformat())
        if info.next is not None:
            text += texts.SKIPPED_NEXT.format(when=timestamp(info.next.starts_at, "F"))
        await interaction.followup.send(text, ephemeral=True)

    # --- /meeting remind, attendance, share -----------------------------------------------

    @meeting.command(name="remind", description=texts.REMIND_DESCRIPTION)
    @app_commands.describe(state=texts.PARAM_STATE)
    async def remind(self, interaction: discord.Interaction, state: OnOff) -> None:
        guild_id = guild_of(interaction)
        role_id = self.bot.guild_settings.cached(guild_id).meetings_role_id
        guild = interaction.guild
        role = guild.get_role(role_id) if guild and role_id else None
        member = interaction.user
        if role is None or not isinstance(member, discord.Member):
            raise UserFacingError(texts.NO_REMINDER_ROLE)
        has = any(r.id == role.id for r in member.roles)
        wanted = state == "on"
        if has == wanted:
            text = texts.REMIND_ALREADY_ON if wanted else texts.REMIND_ALREADY_OFF
            await interaction.response.send_message(text, ephemeral=True)
            return
        try:
            if wanted:
                await member.add_roles(role, reason="/meeting remind on")
            else:
                await member.remove_roles(role, reason="/meeting remind off")
        except discord.HTTPException as error:
            log.warning(
                "Changing the reminder role failed in guild %s (HTTP %s)", guild_id, error.status
            )
            raise UserFacingError(texts.ROLE_REFUSED) from None
        await interaction.response.send_message(
            texts.REMIND_ON if wanted else texts.REMIND_OFF, ephemeral=True
        )

    @meeting.command(name="attendance", description=texts.ATTENDANCE_DESCRIPTION)
    async def attendance(self, interaction: discord.Interaction) -> None:
        guild_id = guild_of(interaction)
        record = await service.record_of(
            self.bot.db, guild_id, interaction.user.id, self.bot.clock.now()
        )
        if not record.history:
            await interaction.response.send_message(texts.ATTENDANCE_EMPTY, ephemeral=True)
            return
        lines = [texts.ATTENDANCE_HEADER]
        lines += run_words(record)
        for item in record.history[-15:]:
            line = texts.ATTENDANCE_LINE_HERE if item.attended else texts.ATTENDANCE_LINE_AWAY
            lines.append(line.format(when=timestamp(item.starts_at, "d"), title=item.title))
        lines.append(
            texts.ATTENDANCE_SHARING_ON if record.sharing else texts.ATTENDANCE_SHARING_OFF
        )
        await interaction.response.send_message("\n".join(lines)[:2000], ephemeral=True)

    @meeting.command(name="share", description=texts.SHARE_DESCRIPTION)
    @app_commands.describe(state=texts.PARAM_STATE)
    async def share(self, interaction: discord.Interaction, state: OnOff) -> None:
        guild_id = guild_of(interaction)
        await service.set_sharing(
            self.bot.db, guild_id, interaction.user.id, state == "on", self.bot.clock.now()
        )
        await interaction.response.send_message(
            texts.SHARE_ON if state == "on" else texts.SHARE_OFF, ephemeral=True
        )

    # --- /meeting report ------------------------------------------------------------------

    @meeting.command(
        name="report",
        description=texts.REPORT_DESCRIPTION,
        extras=for_audience(Audience.SPECIALISTS),
    )
    async def report(self, interaction: discord.Interaction) -> None:
        guild_id = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        found = await service.report(
            self.bot.db, guild_id, interaction.user.id, self.bot.clock.now()
        )
        if not found.counts:
            await interaction.followup.send(texts.REPORT_EMPTY, ephemeral=True)
            return
        png = await asyncio.to_thread(chart.report_png, found.counts)
        lines = [texts.REPORT_CAPTION.format(days=service.HISTORY_DAYS)]
        if found.missing:
            lines.append(texts.REPORT_MISSING_HEADER)
            lines += [
                texts.REPORT_MISSING_LINE.format(
                    user_id=user_id, count=counted(count, texts.MEETINGS)
                )
                for user_id, count in found.missing
            ]
        else:
            lines.append(texts.REPORT_NOBODY_MISSING)
        await interaction.followup.send(
            "\n".join(lines)[:2000],
            file=discord.File(io.BytesIO(png), filename="meetings.png"),
            ephemeral=True,
        )

    # --- The "I'm here" button ------------------------------------------------------------

    async def here(self, interaction: discord.Interaction, occurrence_id: int) -> None:
        guild_id = guild_of(interaction)
        answer, title = await service.mark_here(
            self.bot.db, guild_id, occurrence_id, interaction.user.id, self.bot.clock.now()
        )
        text = {
            service.HereAnswer.RECORDED: texts.HERE_RECORDED,
            service.HereAnswer.ALREADY: texts.HERE_ALREADY,
            service.HereAnswer.NOT_YET: texts.HERE_NOT_YET,
            service.HereAnswer.OVER: texts.HERE_OVER,
            service.HereAnswer.GONE: texts.HERE_GONE,
        }[answer]
        await interaction.response.send_message(text.format(title=title), ephemeral=True)

    # --- What Discord tells us ------------------------------------------------------------

    @commands.Cog.listener()
    async def on_voice_state_update(
        self, member: discord.Member, before: discord.VoiceState, after: discord.VoiceState
    ) -> None:
        if member.bot:
            return
        left = before.channel.id if before.channel else None
        joined = after.channel.id if after.channel else None
        if left == joined:
            return  # muted, deafened, streaming: still in the same room
        guild_id = member.guild.id
        key = (guild_id, member.id)
        lock = self._voice_order.setdefault(key, asyncio.Lock())
        try:
            async with lock:
                now = self.bot.clock.now()
                if left is not None and (room := self.jobs.rooms.get((guild_id, left))):
                    await service.voice_left(self.bot.db, room, member.id, now)
                if joined is not None and (room := self.jobs.rooms.get((guild_id, joined))):
                    await service.voice_joined(self.bot.db, room, member.id, now)
        except Exception:
            log.exception("Recording a meeting's voice attendance failed in guild %s", guild_id)

    @commands.Cog.listener()
    async def on_scheduled_event_delete(self, event: discord.ScheduledEvent) -> None:
        gone = await service.event_gone(self.bot.db, event.guild_id, event.id, self.bot.clock.now())
        if gone is None:
            return  # not a meeting's, or the bot removed it itself
        if event.channel_id is not None and self.bot.get_channel(event.channel_id) is None:
            return  # its channel was deleted: that notice says it all
        log.info("A meeting's Discord event was deleted by hand in guild %s", event.guild_id)
        info = await service.find_any(self.bot.db, event.guild_id, gone.meeting_id)
        await self.jobs.events.tell_specialists(info, gone, "deleted", texts.PROBLEM_EVENT_DELETED)

    @commands.Cog.listener()
    async def on_guild_channel_delete(self, channel: discord.abc.GuildChannel) -> None:
        found = await service.meetings_in_channel(self.bot.db, channel.guild.id, channel.id)
        for info in found:
            log.info("The channel of meeting %s was deleted in guild %s", info.id, channel.guild.id)
            await self.jobs.events.tell_specialists(
                info, info.next, "channel-deleted", texts.PROBLEM_CHANNEL_DELETED
            )
