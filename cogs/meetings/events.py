"""Each occurrence's Discord scheduled event, so members see the meeting in Discord's own
events list and can mark interest: made when the occurrence is planned, changed when
the meeting is, started and ended with it, deleted when it is skipped.

A change Discord refuses (no Manage Events, a deleted channel) is tried again later and
the specialists are told once per occurrence and problem; the schedule is kept either
way. An event someone deleted by hand stays deleted.
"""

from __future__ import annotations

import contextlib
import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

import discord

from cogs.meetings import service, texts
from cogs.meetings.service import EventWork
from core.logging import describe_failure
from core.outbox import Outgoing, message_body
from core.times import timestamp
from db.models.meetings import (
    EVENT_ACTIVE,
    EVENT_COMPLETED,
    EVENT_NONE,
    EVENT_SCHEDULED,
    STAGE,
    TEXT,
    VOICE,
)

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

# Discord's numbers.
ENTITY_STAGE, ENTITY_VOICE, ENTITY_EXTERNAL = 1, 2, 3
GUILD_ONLY = 2
EVENT_CANCELED = 4
UNKNOWN_EVENT = 10070
PROBLEM_LASTS = timedelta(days=1)
# What a status change sets, by action.
STATUS_OF = {"start": EVENT_ACTIVE, "end": EVENT_COMPLETED, "cancel": EVENT_CANCELED}


def payload(bot: RecoveryBot, work: EventWork) -> dict[str, Any]:
    """The event's details as Discord's create and modify take them."""
    plan, occurrence = work.info.plan, work.occurrence
    body: dict[str, Any] = {
        "name": plan.title,
        "privacy_level": GUILD_ONLY,
        "scheduled_start_time": occurrence.starts_at.isoformat(),
        "scheduled_end_time": occurrence.ends_at.isoformat(),
        # An empty description is not one Discord takes: none at all instead.
        "description": description(plan) or None,
    }
    # Discord wants the other kind's field cleared when an event changes kind.
    if plan.place in (VOICE, STAGE):
        body["entity_type"] = ENTITY_VOICE if plan.place == VOICE else ENTITY_STAGE
        body["channel_id"] = str(plan.channel_id)
        body["entity_metadata"] = None
    else:
        body["entity_type"] = ENTITY_EXTERNAL
        body["channel_id"] = None
        body["entity_metadata"] = {"location": location(bot, work)}
    return body


def description(plan: service.Plan) -> str:
    parts = [plan.description or ""]
    if plan.topic:
        parts.append(texts.EVENT_TOPIC.format(topic=plan.topic))
    return "\n\n".join(part for part in parts if part)[:1000]


def location(bot: RecoveryBot, work: EventWork) -> str:
    plan = work.info.plan
    if plan.place == TEXT and plan.channel_id is not None:
        channel = bot.get_channel(plan.channel_id)
        name = getattr(channel, "name", None)
        return texts.EVENT_IN_CHANNEL.format(channel=name or plan.channel_id)[:100]
    return (plan.link or "")[:100]


class MeetingEvents:
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot

    async def apply(self, work: EventWork) -> str | None:
        """Make one change on Discord and record how it went: None if it was made, else
        why not, in words for the specialist who asked."""
        guild_id, occurrence = work.guild_id, work.occurrence
        http = self.bot.http
        # Every action but "create" is on an event that exists (service.event_wanted).
        event_id = occurrence.discord_event_id or 0
        now = self.bot.clock.now()
        try:
            if work.action == "create":
                made = await http.create_guild_scheduled_event(guild_id, **payload(self.bot, work))
                await self._made(work, int(made["id"]))
            elif work.action == "update":
                await http.edit_scheduled_event(guild_id, event_id, **payload(self.bot, work))
                await service.event_done(
                    self.bot.db, work, now, event_id=event_id, status=occurrence.event_status
                )
            elif work.action == "delete":
                await http.delete_scheduled_event(guild_id, event_id)
                await service.event_done(self.bot.db, work, now, event_id=None, status=EVENT_NONE)
            else:
                await self._set_status(work)
        except discord.NotFound as error:
            if error.code == UNKNOWN_EVENT or work.action == "delete":
                await self._event_deleted(work)
                return None if work.action == "delete" else texts.REASON_DELETED
            return await self._failed(work, error, refused=True)
        except discord.HTTPException as error:
            return await self._failed(work, error, refused=400 <= error.status < 500)
        except Exception as error:  # a network failure: the job tries again soon
            return await self._failed(work, error, refused=False)
        log.info("Meeting event %s done in guild %s", work.action, guild_id)
        return None

    async def _made(self, work: EventWork, event_id: int) -> None:
        """Remember a new event. If that fails, the event is taken back, or the next try
        would make a second one that nothing ever starts or ends."""
        try:
            await service.event_done(
                self.bot.db, work, self.bot.clock.now(), event_id=event_id, status=EVENT_SCHEDULED
            )
        except Exception:
            with contextlib.suppress(discord.HTTPException):
                await self.bot.http.delete_scheduled_event(work.guild_id, event_id)
            raise

    async def _set_status(self, work: EventWork) -> None:
        target = STATUS_OF[work.action]
        try:
            await self.bot.http.edit_scheduled_event(
                work.guild_id, work.occurrence.discord_event_id or 0, status=target
            )
        except discord.HTTPException as error:
            # Someone already started or ended it by hand: Discord shows what we wanted.
            if error.status != 400:
                raise
        event_id = None if target == EVENT_CANCELED else work.occurrence.discord_event_id
        status = EVENT_NONE if target == EVENT_CANCELED else target
        await service.event_done(
            self.bot.db, work, self.bot.clock.now(), event_id=event_id, status=status
        )

    async def _event_deleted(self, work: EventWork) -> None:
        log.info("A meeting's Discord event was deleted in guild %s", work.guild_id)
        # Gone while it was still to come or under way: someone may not have meant it.
        tell = work.action not in ("delete", "cancel", "end")
        text = self.problem_text(work.info, work.occurrence, texts.PROBLEM_EVENT_DELETED)
        scope = f"o{work.occurrence_id}"
        problem = self.notice(work.guild_id, scope, "deleted", text) if tell else None
        await service.event_failed(
            self.bot.db, work, self.bot.clock.now(), refused=True, deleted=True, problem=problem
        )
        if tell and problem is None:
            await self.tell_owner(work.info, text)

    async def _failed(self, work: EventWork, error: Exception, *, refused: bool) -> str:
        log.warning(
            "A meeting event %s failed in guild %s (%s)",
            work.action,
            work.guild_id,
            describe_failure(error),
        )
        forbidden = isinstance(error, discord.Forbidden)
        kind, template, reason = (
            ("permission", texts.PROBLEM_NO_PERMISSION, texts.REASON_PERMISSION)
            if forbidden
            else ("channel", texts.PROBLEM_CHANNEL, texts.REASON_CHANNEL)
        )
        text = self.problem_text(work.info, work.occurrence, template)
        problem = (
            self.notice(work.guild_id, f"o{work.occurrence_id}", kind, text) if refused else None
        )
        await service.event_failed(
            self.bot.db, work, self.bot.clock.now(), refused=refused, deleted=False, problem=problem
        )
        if refused and problem is None:
            await self.tell_owner(work.info, text)
        return reason if refused else texts.REASON_OUTAGE

    # --- Telling the specialists ------------------------------------------------------------

    def notice(self, guild_id: int, scope: str, kind: str, text: str) -> Outgoing | None:
        """A problem notice for the specialists' channel, sent once per `scope` ("o<id>" for an
        occurrence, "m<id>" for a meeting) and kind; None when the server has no such channel."""
        channel = self.bot.guild_settings.cached(guild_id).specialists_channel_id
        if channel is None:
            return None
        now = self.bot.clock.now()
        return Outgoing(
            kind=service.PROBLEM_KIND,
            dedupe_key=f"meetings:{scope}:problem:{kind}",
            guild_id=guild_id,
            body=message_body(text),
            not_before=now,
            expires_at=now + PROBLEM_LASTS,
            channel_id=channel,
        )

    @staticmethod
    def problem_text(
        info: service.MeetingInfo, occurrence: service.Occurrence | None, template: str
    ) -> str:
        plan = info.plan
        return template.format(
            title=plan.title,
            when=timestamp(occurrence.starts_at, "F") if occurrence else "",
            channel=f"<#{plan.channel_id}>" if plan.channel_id else texts.NO_CHANNEL,
        )

    async def tell_specialists(
        self,
        info: service.MeetingInfo,
        occurrence: service.Occurrence | None,
        kind: str,
        template: str,
    ) -> None:
        """A problem seen outside the job (a channel or event deleted by hand)."""
        text = self.problem_text(info, occurrence, template)
        scope = f"o{occurrence.id}" if occurrence else f"m{info.id}"
        problem = self.notice(info.guild_id, scope, kind, text)
        if problem is None:
            await self.tell_owner(info, text)
            return
        await service.queue(self.bot.db, info.guild_id, [problem])
        self.bot.outbox.wake()

    async def tell_owner(self, info: service.MeetingInfo, text: str) -> None:
        """Without a specialists' channel, the owner hears of it (once a day at most)."""
        await self.bot.owner_notices.tell_now_and_then(
            info.guild_id, f"meetings:event:{info.id}", text, quiet_for=PROBLEM_LASTS
        )
