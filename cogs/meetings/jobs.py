"""Meetings' scheduled work: one job at the earliest moment anything is due on this
process's servers (a reminder, a start, an end, an event change to try again), which does
everything due then and sets itself for the next moment.

One job however many meetings there are: the occurrences' indexed `next_action_at` says
what is due, so start-up reads one minimum, and a bot that was down sends what is still
useful once (the latest reminder before a start, never one after it) and opens or closes
what it missed. The words are built here; the rules are the service's.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import discord

from cogs.meetings import service, texts, views
from cogs.meetings.events import MeetingEvents
from core.outbox import Refused, message_body
from core.pacing import bulk_requests
from core.scheduler import FeatureJobs
from core.times import timestamp
from db.models.meetings import LINK, TEXT

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OWNER = "meetings"
NEXT_KEY = "next"
# A safety net beside the exact job: another process's change, a clock that jumped.
SWEEP_KEY = "sweep"
SWEEP_SECONDS = 300
# After a failed run, the job tries again this much later.
RETRY_AFTER = timedelta(minutes=1)
# Something still due right after a run (a failure being retried) waits at least this.
SOONEST = timedelta(seconds=5)
REFUSED_NOTICE_TOPIC = "meetings:post-refused"
OWNER_QUIET_FOR = timedelta(days=1)


def where(info: service.MeetingInfo) -> str:
    plan = info.plan
    if plan.place == LINK:
        return texts.WHERE_LINK.format(link=plan.link)
    return texts.WHERE_CHANNEL.format(channel=f"<#{plan.channel_id}>")


class MeetingJobs:
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.scheduled = FeatureJobs(bot.scheduler, OWNER)
        self.events = MeetingEvents(bot)
        # Voice meetings under way, by (server, channel): voice events elsewhere cost nothing.
        self.rooms: dict[tuple[int, int], service.OpenRoom] = {}
        self._lock = asyncio.Lock()

    # --- Start and stop -------------------------------------------------------------------

    async def start(self) -> None:
        for kind in (service.REMINDER_KIND, service.OPENING_KIND, service.PROBLEM_KIND):
            self.bot.outbox.on_refused(kind, self.post_refused)
        self.scheduled.every(SWEEP_KEY, SWEEP_SECONDS, self.tick)
        try:
            await self.refresh_rooms()
            await self.reschedule()
        except Exception:
            # The sweep tries again in a few minutes; the bot starts meanwhile.
            log.exception("Rebuilding the meetings job failed")
            self.scheduled.at(NEXT_KEY, self.bot.clock.now() + RETRY_AFTER, self.tick)

    def stop(self) -> None:
        self.scheduled.cancel_all()
        for kind in (service.REMINDER_KIND, service.OPENING_KIND, service.PROBLEM_KIND):
            self.bot.outbox.forget_refused(kind)

    async def reschedule(self) -> None:
        """Set the job for the next moment something is due (or remove it: nothing is)."""
        due = await service.next_due(self.bot.db, self.bot.held_shards())
        if due is None:
            self.scheduled.cancel(NEXT_KEY)
            return
        soonest = self.bot.clock.now() + SOONEST
        self.scheduled.at(NEXT_KEY, max(due, soonest), self.tick, misfire_grace_seconds=None)

    async def refresh_rooms(self) -> None:
        rooms = await service.open_rooms(self.bot.db, self.bot.held_shards())
        self.rooms = {(room.guild_id, room.channel_id): room for room in rooms}

    # --- The job --------------------------------------------------------------------------

    async def tick(self) -> None:
        """Everything due now: reminders, starts, ends, then the Discord events' changes."""
        async with self._lock:
            try:
                await self._tick()
            except Exception:
                log.exception("The meetings job failed")
                self.scheduled.at(
                    NEXT_KEY,
                    self.bot.clock.now() + RETRY_AFTER,
                    self.tick,
                    misfire_grace_seconds=None,
                )

    async def _tick(self) -> None:
        now = self.bot.clock.now()
        shards = self.bot.held_shards()
        handled = await service.run_due(
            self.bot.db, now, shards, self.messages(), self.people_in_voice
        )
        if handled:
            self.bot.outbox.wake()
        if any(due.opened or due.closed for due in handled):
            await self.refresh_rooms()
            opened = {due.occurrence_id for due in handled if due.opened}
            if opened:
                log.info("Opened %d meetings", len(opened))
                # Who came or went between reading the room and the room being watched.
                await self.reconcile(opened)
        await self.sync_events(now)
        await self.reschedule()

    async def sync_events(self, now: datetime) -> dict[int, str | None]:
        """Every Discord event change due: what became of each, by occurrence."""
        outcomes: dict[int, str | None] = {}
        with bulk_requests():
            for guild_id, occurrence_id in await service.pending_events(
                self.bot.db, self.bot.held_shards(), now
            ):
                work = await service.event_work(self.bot.db, guild_id, occurrence_id, now)
                if work is not None:
                    outcomes[occurrence_id] = await self.events.apply(work)
        return outcomes

    async def sync_now(self) -> dict[int, str | None]:
        """After a command changed a meeting: its events now, the job set for what's next."""
        async with self._lock:
            outcomes = await self.sync_events(self.bot.clock.now())
            # An edit may have moved a meeting under way to another room.
            await self.refresh_rooms()
            await self.reschedule()
            return outcomes

    async def reconcile(self, occurrences: set[int] | None = None) -> None:
        """The rooms under way (or these occurrences') against who Discord shows in them."""
        now = self.bot.clock.now()
        for (guild_id, channel_id), room in list(self.rooms.items()):
            if occurrences is not None and room.occurrence_id not in occurrences:
                continue
            try:
                present = self.people_in_voice(guild_id, channel_id) or []
                await service.reconcile_room(self.bot.db, room, present, now)
            except Exception:
                log.exception("Reconciling a meeting's room failed in guild %s", guild_id)

    def people_in_voice(self, guild_id: int, channel_id: int) -> list[int] | None:
        """Who is in a voice channel now, by Discord's cache; None if it is gone."""
        guild = self.bot.get_guild(guild_id)
        channel = guild.get_channel(channel_id) if guild else None
        if not isinstance(channel, discord.VoiceChannel | discord.StageChannel):
            return None
        return [member.id for member in channel.members if not member.bot]

    # --- What the job posts ---------------------------------------------------------------

    def messages(self) -> service.Messages:
        def channels(guild_id: int) -> tuple[int | None, int | None]:
            config = self.bot.guild_settings.cached(guild_id)
            return config.meetings_channel_id, config.meetings_role_id

        return service.Messages(
            reminder=lambda info, occurrence, minutes: self.reminder_body(
                info, occurrence, channels(info.guild_id)[1]
            ),
            opening=self.opening_body,
            channels=channels,
        )

    @staticmethod
    def reminder_body(
        info: service.MeetingInfo, occurrence: service.Occurrence, role_id: int | None
    ) -> dict[str, Any]:
        text = texts.REMINDER.format(
            title=info.plan.title,
            starts=timestamp(occurrence.starts_at, "R"),
            at=timestamp(occurrence.starts_at, "F"),
            where=where(info),
        )
        if role_id is None:
            return message_body(text)
        return message_body(
            f"{text}\n{texts.REMINDER_ROLE.format(role=f'<@&{role_id}>')}",
            mentions=discord.AllowedMentions(
                everyone=False, users=False, roles=[discord.Object(role_id)]
            ),
        )

    @staticmethod
    def opening_body(info: service.MeetingInfo, occurrence: service.Occurrence) -> dict[str, Any]:
        plan = info.plan
        lines = [
            texts.OPENING.format(title=plan.title, where=where(info)),
            texts.OPENING_GUIDELINES,
            texts.OPENING_ROUND,
        ]
        if plan.topic:
            lines.append(texts.OPENING_TOPIC.format(topic=plan.topic))
        if plan.facilitator_user_id:
            lines.append(texts.OPENING_FACILITATOR.format(user_id=plan.facilitator_user_id))
        if plan.place in (TEXT, LINK):
            lines.append(texts.OPENING_HERE.format(ends=timestamp(occurrence.ends_at, "t")))
            return message_body("\n\n".join(lines), view=views.here_view(occurrence.id))
        lines.append(texts.OPENING_VOICE_COUNTED)
        return message_body("\n\n".join(lines))

    async def post_refused(self, refused: Refused) -> None:
        """The outbox tries again; someone must mend the channel."""
        log.warning(
            "A meetings post in guild %s was refused in channel %s (HTTP %s)",
            refused.guild_id,
            refused.channel_id,
            refused.status,
        )
        await self.bot.owner_notices.tell_of_refused_post(
            refused, texts.POST_REFUSED_OWNER, REFUSED_NOTICE_TOPIC, quiet_for=OWNER_QUIET_FOR
        )
