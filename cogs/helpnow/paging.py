"""Posting a request's pages: to the specialists channel with the people paged named,
else to a fallback channel naming nobody, and the owner told when the channels fail.

The escalation (`cogs.helpnow.escalation`) decides which page is owed and when; this
module only gets each page into a channel, within Discord's limits (`PageSender`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import TYPE_CHECKING

import discord

from cogs.helpnow import texts
from cogs.helpnow.policy import Target, TargetKind
from cogs.helpnow.sender import (
    SEND_DEADLINE_SECONDS,
    PageNotNeeded,
    PageSender,
    allowed_mentions_for,
)
from cogs.helpnow.service import HelpCase, HelpDesk
from cogs.helpnow.views import page_view, page_view_after
from core.guild_settings import ServerConfig
from core.logging import describe_failure
from core.messages import fits
from core.oncall import NOBODY, OnCallChain

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

# Owners hear about a broken specialists channel at most this often per server.
ADMIN_NOTICE_INTERVAL = timedelta(hours=1)
ADMIN_NOTICE_TOPIC = "helpnow:channels"
# Of the notes a request gathered, what a page shows (the records keep them all).
NOTE_SHOWN_MAX_LENGTH = 1200


@dataclass(frozen=True)
class PageNote:
    """What a page says happened to its request, in two wordings: `named` for the private
    specialists channel, `unnamed` for anywhere else (a fallback page never names the
    member)."""

    named: str
    unnamed: str


def with_note(content: str, note: str) -> str:
    """A page's text with a line added, when it still fits one message; else as it was,
    so the edit that takes a request's buttons away never fails on the note's length."""
    extended = f"{content}\n{note}"
    return extended if fits(extended) else content


class Pager:
    def __init__(self, bot: RecoveryBot, desk: HelpDesk) -> None:
        self.bot = bot
        self.desk = desk
        self._sender = PageSender(lambda public_ids: page_view(*public_ids))

    async def close(self, grace_seconds: float) -> None:
        await self._sender.close(grace_seconds)

    def chain(self, guild_id: int) -> OnCallChain:
        try:
            # Asked of the bot each time: whatever on-call source is loaded now.
            return self.bot.on_call.chain(guild_id, self.bot.clock.now())
        except Exception:
            # A fault in the rota must not stop a page: the role gets it instead.
            log.exception("On-call lookup failed in guild %s; paging the role", guild_id)
            return NOBODY

    async def page(
        self,
        case: HelpCase,
        target: Target,
        template: str,
        *,
        with_note: bool = False,
        note: str | None = None,
        specialist: int | None = None,
        repeat: int = 0,
        resent: bool = False,
        wanted: Callable[[], bool] | None = None,
    ) -> bool:
        """Post a page for `case` to `target`; False when no channel could take it.

        A page still queued when `wanted()` (by default: the request is still open) turns
        false is not posted, and counts as delivered: nobody needs it any more."""
        guild = self.bot.get_guild(case.guild_id)
        config = self.bot.guild_settings.cached(case.guild_id)
        if (
            target.kind is TargetKind.USER
            and target.id
            and guild is not None
            and not await self._still_a_specialist(guild, target.id, config.specialist_role_id)
        ):
            # Someone who left the role (or the server) must not get crisis pages; the
            # rota may not know yet, so the whole role is paged instead.
            log.info(
                "Paging the role: user %s is no longer a specialist in guild %s",
                target.id,
                case.guild_id,
            )
            role_id = config.specialist_role_id
            target = Target(TargetKind.ROLE, role_id) if role_id else Target(TargetKind.CHANNEL)
        values = {
            "target": target.mention(),
            "member": f"<@{case.member_user_id}>",
            "time": discord.utils.format_dt(case.created_at, "t"),
            "specialist": f"<@{specialist}>" if specialist else "",
            "repeat": str(repeat),
            "repeats": str(self.bot.guild_settings.cached(case.guild_id).max_repeats),
        }
        text = template.format(**values)
        if with_note:
            note = case.note
            text = f"{text}\n{texts.PAGE_NO_NOTE}" if not note else text
        if note:
            if len(note) > NOTE_SHOWN_MAX_LENGTH:
                # Notes of several /help-nows add up; the page must still fit one message.
                note = texts.NOTE_CUT + note[-NOTE_SHOWN_MAX_LENGTH:]
            # Pages share a message under load: markdown in one member's note (an unclosed
            # code block, a spoiler) must not swallow the pages after it.
            shown_note = discord.utils.escape_mentions(discord.utils.escape_markdown(note))
            text = f"{text}\n{texts.PAGE_NOTE.format(note=shown_note)}"
        if resent:
            text = f"{text}\n{texts.PAGE_RESENT}"
        specialists = (
            guild.get_channel(config.specialists_channel_id)
            if guild and config.specialists_channel_id
            else None
        )
        if isinstance(specialists, discord.TextChannel):
            try:
                message = await self._sender.send(
                    specialists,
                    case.public_id,
                    text,
                    target,
                    wanted or (lambda: self.desk.get(case.public_id) is not None),
                )
            except PageNotNeeded:
                return True
            except Exception as error:
                # Whatever stopped it (Discord refusing, the network failing), the
                # fallback channel and the owner are next.
                log.warning(
                    "Page to the specialists channel failed in guild %s (%s)",
                    case.guild_id,
                    describe_failure(error),
                )
            else:
                self.desk.page_posted(case, specialists.id, message.id)
                if self.desk.get(case.public_id) is None:
                    # Closed while its page was on the way: its buttons would only mislead.
                    meanwhile = PageNote(
                        texts.PAGE_CLOSED_MEANWHILE.format(member=values["member"]),
                        texts.PAGE_CLOSED_MEANWHILE_UNNAMED,
                    )
                    await self.annotate_pages(case, meanwhile, closed=True, only=message.id)
                return True
        mentions = allowed_mentions_for([target])
        return await self._page_fallback(guild, config, case, values, mentions, resent=resent)

    @staticmethod
    async def _still_a_specialist(guild: discord.Guild, user_id: int, role_id: int | None) -> bool:
        if role_id is None:
            return True
        try:
            # Fetched, not cached: without the members intent the cache misses role changes.
            member = await guild.fetch_member(user_id)
        except discord.NotFound:
            return False
        except discord.HTTPException:
            return True  # Discord is struggling; a page to the rota's person beats none
        return member.get_role(role_id) is not None

    async def _page_fallback(
        self,
        guild: discord.Guild | None,
        config: ServerConfig,
        case: HelpCase,
        values: dict[str, str],
        mentions: discord.AllowedMentions,
        *,
        resent: bool,
    ) -> bool:
        # Outside the private channel the page names nobody and carries no note.
        text = texts.PAGE_FALLBACK.format(**values)
        if resent:
            text = f"{text}\n{texts.PAGE_RESENT}"
        for channel_id in (config.fallback_channel_id, config.checkin_channel_id):
            channel = guild.get_channel(channel_id) if guild and channel_id else None
            if not isinstance(channel, discord.TextChannel):
                continue
            try:
                message = await asyncio.wait_for(
                    channel.send(text, view=page_view(case.public_id), allowed_mentions=mentions),
                    SEND_DEADLINE_SECONDS,
                )
            except Exception as error:
                log.warning(
                    "Fallback page failed in guild %s (%s)",
                    case.guild_id,
                    describe_failure(error),
                )
                continue
            self.desk.page_posted(case, channel.id, message.id)
            self.desk.record_fallback(case, channel.id)
            await self._tell_owner(guild, texts.ADMIN_CHANNEL_PROBLEM, channel)
            return True
        self.desk.record_fallback(case, None)
        log.error("No channel could take a help-now page in guild %s", case.guild_id)
        await self._tell_owner(guild, texts.ADMIN_NO_CHANNEL, None)
        return False

    async def _tell_owner(
        self, guild: discord.Guild | None, template: str, fallback: discord.TextChannel | None
    ) -> None:
        """Tell the owner of a problem with the server's channels, at most hourly."""
        if guild is None:
            return
        await self.bot.owner_notices.tell_now_and_then(
            guild.id,
            ADMIN_NOTICE_TOPIC,
            template.format(guild=guild.name, fallback=fallback.mention if fallback else ""),
            quiet_for=ADMIN_NOTICE_INTERVAL,
        )

    async def annotate_pages(
        self,
        case: HelpCase,
        note: PageNote,
        *,
        closed: bool,
        only: int | None = None,
        skip: int | None = None,
    ) -> None:
        """Add the note under every page of the request (or only under its page `only`;
        not under `skip`, already updated): at close its buttons go, once acknowledged
        its Acknowledge is disabled, so no page of it still asks for what is done.

        A page outside the private specialists channel (a fallback) gets the note that
        names nobody. Each page is its own attempt, with a deadline: one that can't be
        edited (gone, Discord failing) must not keep the others live."""
        if only is not None and case.page_channel_id is not None:
            pages = [(case.page_channel_id, only)]
        else:
            pages = [page for page in case.posted_pages if page[1] != skip]
        specialists = self.bot.guild_settings.cached(case.guild_id).specialists_channel_id
        for channel_id, page_id in pages:
            channel = self.bot.get_channel(channel_id)
            if not isinstance(channel, discord.TextChannel):
                continue
            text = note.named if channel_id == specialists else note.unnamed
            try:
                await asyncio.wait_for(
                    self._annotate(channel, page_id, case.public_id, text, closed=closed),
                    SEND_DEADLINE_SECONDS,
                )
            except Exception as error:
                log.warning(
                    "Could not update a page in guild %s (%s)",
                    case.guild_id,
                    describe_failure(error),
                )

    @staticmethod
    async def _annotate(
        channel: discord.TextChannel, page_id: int, public_id: str, text: str, *, closed: bool
    ) -> None:
        message = await channel.fetch_message(page_id)
        await message.edit(
            content=with_note(message.content, text),
            view=page_view_after(
                message.components, public_id, acknowledged=not closed, closed=closed
            ),
            allowed_mentions=discord.AllowedMentions.none(),
        )
