"""/help-now: the Discord side of the crisis path.

Order matters here. The request is recorded first, in the desk's journal on local disk
(no database, a fraction of a millisecond), so a bot that dies at any later moment still
pages after its restart. The member's reply, built from memory, and the page to the
specialists then go out side by side: a reply Discord is slow to take never holds up
the page. The database copy of the records follows when it can.

Silence is impossible by construction: every page a request owes is derived from its
recorded state (`HelpDesk.page_owed`), one task per request posts them
(`HelpNowCog._drive`), and a watchdog (`check_escalations`) re-arms any open request
found with nothing scheduled.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, Literal, cast

import discord
from apscheduler.triggers.date import DateTrigger
from apscheduler.triggers.interval import IntervalTrigger
from discord import app_commands
from discord.ext import commands

from cogs.helpnow import texts, views
from cogs.helpnow.crisis import PageState, crisis_messages
from cogs.helpnow.policy import Chain, Policy, Target, TargetKind, repeat_of
from cogs.helpnow.sender import (
    SEND_DEADLINE_SECONDS,
    PageNotNeeded,
    PageSender,
    allowed_mentions_for,
)
from cogs.helpnow.service import (
    AlreadyAcknowledged,
    HelpCase,
    HelpDesk,
    OnCallSource,
    RequestClosed,
    Status,
    StepPage,
    new_public_id,
    to_chain,
)
from cogs.helpnow.views import (
    RESOLVE_FORM_PREFIX,
    ResolveModal,
    member_view,
    page_view,
    page_view_after,
)
from core.error_handler import report_interaction_error
from core.forms import submitted_form_id, submitted_values
from core.guild_settings import ServerConfig
from core.permissions import NOT_A_SPECIALIST, is_specialist
from core.scheduler import SHUTDOWN_GRACE_SECONDS

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

JOURNAL_JOB_ID = "helpnow:journal"
WATCHDOG_JOB_ID = "helpnow:watchdog"
# Owners hear about a broken specialists channel at most this often per server.
ADMIN_NOTICE_INTERVAL = timedelta(hours=1)
NOTE_MAX_LENGTH = 500
INTERACTION_ALREADY_ANSWERED = 40060
# Of the notes a request gathered, what a page shows (the records keep them all).
NOTE_SHOWN_MAX_LENGTH = 1200
# Discord takes an interaction's reply only within 3 s of the interaction; discord.py's
# retries of a failing reply (about 25 s of them) can't succeed past that.
REPLY_PATIENCE_SECONDS = 4.0
REPLY_HEAD_START_SECONDS = 0.5


def policy_of(config: ServerConfig) -> Policy:
    return Policy(
        ack_timeout=timedelta(seconds=config.ack_timeout_seconds),
        repeat_interval=timedelta(seconds=config.repeat_interval_seconds),
        max_repeats=config.max_repeats,
    )


class HelpNowCog(commands.Cog, name="HelpNowCog"):
    def __init__(
        self,
        bot: RecoveryBot,
        desk: HelpDesk,
        rotation: OnCallSource,
        *,
        journal_retry_seconds: float = 2.0,
        watchdog_seconds: float = 30.0,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.rotation = rotation
        self.journal_retry_seconds = journal_retry_seconds
        self.watchdog_seconds = watchdog_seconds
        self._case_locks: dict[str, asyncio.Lock] = {}
        self._admin_noticed: dict[int, datetime] = {}
        self._drivers: dict[str, asyncio.Task[None]] = {}
        self._closing = False
        self._sender = PageSender(lambda public_ids: page_view(*public_ids))

    async def cog_load(self) -> None:
        views.register(self.bot, self)
        for case in await self.desk.load():
            if self.bot.serves_guild(case.guild_id):
                self._schedule(case)
        # At start nothing is wrong yet: this only drives requests whose chain ended
        # while the bot was down, so their owner still hears of them.
        self.check_escalations()
        self.bot.scheduler.add_job(
            self.desk.flush,
            IntervalTrigger(seconds=self.journal_retry_seconds),
            id=JOURNAL_JOB_ID,
            replace_existing=True,
        )
        self.bot.scheduler.add_job(
            self._watchdog,
            IntervalTrigger(seconds=self.watchdog_seconds),
            id=WATCHDOG_JOB_ID,
            replace_existing=True,
        )

    async def cog_unload(self) -> None:
        self._closing = True
        for job_id in (JOURNAL_JOB_ID, WATCHDOG_JOB_ID):
            if self.bot.scheduler.get_job(job_id):
                self.bot.scheduler.remove_job(job_id)
        for case in self.desk.open_cases():
            self._unschedule(case.public_id)
        views.unregister(self.bot)
        drivers = [task for task in self._drivers.values() if not task.done()]
        if drivers:
            # A page cut off here is still owed in the journal: the next start sends it.
            _, late = await asyncio.wait(drivers, timeout=SHUTDOWN_GRACE_SECONDS)
            for task in late:
                task.cancel()
        await self._sender.close(SHUTDOWN_GRACE_SECONDS)
        await self.desk.flush()

    # -- the member's side ---------------------------------------------------------

    @app_commands.command(name="help-now", description=texts.COMMAND_DESCRIPTION)
    @app_commands.guild_only()
    @app_commands.describe(note=texts.NOTE_DESCRIPTION)
    async def help_now(
        self,
        interaction: discord.Interaction,
        note: app_commands.Range[str, 1, NOTE_MAX_LENGTH] | None = None,
    ) -> None:
        await self.start_help(interaction, note)

    async def start_help(self, interaction: discord.Interaction, note: str | None) -> None:
        guild_id = interaction.guild_id
        assert guild_id is not None, "guild_only"
        config = self.bot.guild_settings.cached(guild_id)
        chain = self._chain(guild_id)
        if self.desk.open_case_of(guild_id, interaction.user.id) is not None:
            state = PageState.REPAGED
        elif not (config.specialists_channel_id or config.specialist_role_id):
            state = PageState.NOT_SET_UP
        else:
            state = PageState.PAGED_ONCALL if chain.primary else PageState.PAGED_ROLE
        cleaned = (note.strip() or None) if note else None
        # Nothing is awaited before this: a second /help-now from the same member always
        # finds this request, and it is on disk before anything is sent.
        opened = self.desk.open(
            public_id=new_public_id(),
            guild_id=guild_id,
            member_user_id=interaction.user.id,
            origin_channel_id=interaction.channel_id,
            note=cleaned,
            chain=chain,
            role_id=config.specialist_role_id,
            policy=policy_of(config),
        )
        case = opened.case
        first, *more = crisis_messages(
            self.bot.content.crisis, config.region, config.local_resources, state
        )
        reply = asyncio.create_task(self._reply(interaction, first, more, case.public_id))
        paging: asyncio.Task[Any]
        if opened.is_new:
            paging = self._drive(case.public_id, after=reply)
        else:
            template = (
                texts.PAGE_AGAIN_ACKNOWLEDGED
                if case.status is Status.ACKNOWLEDGED
                else texts.PAGE_AGAIN
            )
            paging = asyncio.create_task(
                self._repage(
                    case, opened.target, template, cleaned, self._drivers.get(case.public_id)
                )
            )
        await asyncio.wait([reply, paging])
        if paging.cancelled():
            return  # the bot is stopping; the page is still owed in the journal
        delivered = case.page_message_id is not None if opened.is_new else paging.result()
        # A request the member closed before its page went out needs no apology.
        still_open = self.desk.get(case.public_id) is not None
        if not delivered and still_open and interaction.response.is_done():
            await interaction.followup.send(texts.PAGE_FAILED, ephemeral=True)

    async def _reply(
        self, interaction: discord.Interaction, first: str, more: list[str], public_id: str
    ) -> bool:
        """Send the member's crisis reply; False when another bot process answered first."""
        try:
            await asyncio.wait_for(
                interaction.response.send_message(
                    first, view=member_view(public_id), ephemeral=True
                ),
                REPLY_PATIENCE_SECONDS,
            )
            for text in more:
                await interaction.followup.send(text, ephemeral=True)
        except (discord.HTTPException, TimeoutError) as error:
            if getattr(error, "code", None) == INTERACTION_ALREADY_ANSWERED:
                log.info(
                    "Another bot process answered a /help-now in guild %s", interaction.guild_id
                )
                return False
            # Too late for Discord's 3-second window (a busy event loop), or Discord
            # refused the reply: the member did not get it; the page goes out all the same.
            log.warning(
                "The /help-now reply failed in guild %s (%s); paging anyway",
                interaction.guild_id,
                _failure(error),
            )
        return True

    # -- buttons -----------------------------------------------------------------

    # The buttons reach these through `views.HelpNowActions`; each lets the press through
    # `_request_for` first.

    async def mark_safe(self, interaction: discord.Interaction, public_id: str) -> None:
        if case := await self._request_for(interaction, public_id, "member"):
            await self._member_safe(interaction, case)

    async def open_thread(self, interaction: discord.Interaction, public_id: str) -> None:
        if case := await self._request_for(interaction, public_id, "member"):
            await self._member_thread(interaction, case)

    async def acknowledge(self, interaction: discord.Interaction, public_id: str) -> None:
        if case := await self._request_for(interaction, public_id, "specialist"):
            await self._acknowledge(interaction, case)

    async def request_backup(self, interaction: discord.Interaction, public_id: str) -> None:
        if case := await self._request_for(interaction, public_id, "specialist"):
            await self._backup(interaction, case)

    async def open_resolve_form(self, interaction: discord.Interaction, public_id: str) -> None:
        if await self._request_for(interaction, public_id, "specialist"):
            await interaction.response.send_modal(ResolveModal(public_id))

    async def _request_for(
        self,
        interaction: discord.Interaction,
        public_id: str,
        by: Literal["member", "specialist"],
    ) -> HelpCase | None:
        """The open request a button (or the Resolved form) names, when this person may
        act on it; otherwise None, with a kind reply sent. Every press and submit passes
        here: the request is of this server; the member's buttons are the member's own;
        the specialists' are pressed by a specialist; a closed request is said to be."""
        case = self.desk.get(public_id)
        if case is not None and case.guild_id != interaction.guild_id:
            # Discord only delivers ids that are on the clicked message; a crisis record
            # still never answers to a button from another server.
            log.warning("A help-now button named a request of another guild; refused")
            await interaction.response.send_message(texts.NOT_THIS_SERVER, ephemeral=True)
            return None
        if by == "specialist" and not is_specialist(interaction):
            await interaction.response.send_message(NOT_A_SPECIALIST, ephemeral=True)
            return None
        if case is None:
            await interaction.response.send_message(texts.ALREADY_CLOSED, ephemeral=True)
            return None
        if by == "member" and interaction.user.id != case.member_user_id:
            await interaction.response.send_message(texts.NOT_YOUR_REQUEST, ephemeral=True)
            return None
        return case

    async def _member_safe(self, interaction: discord.Interaction, case: HelpCase) -> None:
        self.desk.close(case.public_id, interaction.user.id, Status.SAFE)
        self._unschedule(case.public_id)
        self._forget_lock(case.public_id)
        await interaction.response.send_message(texts.SAFE_THANKS, ephemeral=True)
        time = discord.utils.format_dt(case.closed_at or self.bot.clock.now(), "t")
        specialists = self.bot.guild_settings.cached(case.guild_id).specialists_channel_id
        # A page that fell back to a public channel never names the member.
        note = (
            texts.MEMBER_SAFE.format(member=f"<@{case.member_user_id}>", time=time)
            if case.page_channel_id is not None and case.page_channel_id == specialists
            else texts.MEMBER_SAFE_UNNAMED.format(time=time)
        )
        await self._close_page(case, note)

    async def _member_thread(self, interaction: discord.Interaction, case: HelpCase) -> None:
        had_thread = case.thread_id is not None
        await interaction.response.defer(ephemeral=True, thinking=True)
        thread = await self._ensure_thread(case)
        if thread is None:
            await interaction.followup.send(texts.THREAD_FAILED, ephemeral=True)
            return
        template = texts.THREAD_EXISTS if had_thread else texts.THREAD_OPENED
        await interaction.followup.send(template.format(thread=thread.mention), ephemeral=True)

    async def _acknowledge(self, interaction: discord.Interaction, case: HelpCase) -> None:
        try:
            self.desk.acknowledge(case.public_id, interaction.user.id)
        except AlreadyAcknowledged as already:
            await interaction.response.send_message(
                texts.ACK_ALREADY.format(specialist=f"<@{already.specialist_id}>"), ephemeral=True
            )
            return
        self._unschedule(case.public_id)
        stamp = texts.ACKNOWLEDGED.format(
            member=f"<@{case.member_user_id}>",
            specialist=interaction.user.mention,
            time=discord.utils.format_dt(case.acknowledged_at or self.bot.clock.now(), "t"),
        )
        original = interaction.message.content if interaction.message else ""
        components = interaction.message.components if interaction.message else []
        try:
            await interaction.response.edit_message(
                content=f"{original}\n{stamp}",
                view=page_view_after(components, case.public_id, acknowledged=True),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            # The escalation already stopped for this press: without the thread nobody
            # would be brought together with the member.
            log.warning(
                "Could not update an acknowledged page in guild %s (%s)",
                case.guild_id,
                _failure(error),
            )
        thread = await self._ensure_thread(case, specialist_id=interaction.user.id)
        if not interaction.response.is_done():
            return  # no reply can reach the specialist; the thread pings them instead
        member = f"<@{case.member_user_id}>"
        reply = (
            texts.ACK_DONE.format(member=member, thread=thread.mention)
            if thread
            else texts.ACK_NO_THREAD.format(member=member)
        )
        await interaction.followup.send(reply, ephemeral=True)

    async def _backup(self, interaction: discord.Interaction, case: HelpCase) -> None:
        config = self.bot.guild_settings.cached(case.guild_id)
        try:
            self.desk.request_backup(
                case.public_id,
                interaction.user.id,
                self._chain(case.guild_id),
                config.specialist_role_id,
            )
        except RequestClosed:
            await interaction.response.send_message(texts.ALREADY_CLOSED, ephemeral=True)
            return
        self._drive(case.public_id)
        await interaction.response.send_message(texts.BACKUP_PAGED, ephemeral=True)

    @commands.Cog.listener()
    async def on_interaction(self, interaction: discord.Interaction) -> None:
        """Every submit of the Resolved form, whenever and by whichever process it was
        opened (the form is inert: see `core.forms`)."""
        form = submitted_form_id(interaction)
        if form is None or not form.startswith(RESOLVE_FORM_PREFIX):
            return
        public_id = form.removeprefix(RESOLVE_FORM_PREFIX)
        outcome = submitted_values(cast(Mapping[str, Any], interaction.data)).get("outcome", "")
        try:
            await self.resolve(interaction, public_id, outcome)
        except Exception as error:  # every failure gets the kind reply and a log line
            await report_interaction_error(interaction, error)

    async def resolve(self, interaction: discord.Interaction, public_id: str, outcome: str) -> None:
        if not await self._request_for(interaction, public_id, "specialist"):
            return
        try:
            case = self.desk.close(public_id, interaction.user.id, Status.RESOLVED, outcome.strip())
        except RequestClosed:
            await interaction.response.send_message(texts.ALREADY_CLOSED, ephemeral=True)
            return
        self._unschedule(public_id)
        self._forget_lock(public_id)
        await interaction.response.send_message(texts.RESOLVED_DONE, ephemeral=True)
        note = texts.RESOLVED.format(
            member=f"<@{case.member_user_id}>",
            specialist=interaction.user.mention,
            time=discord.utils.format_dt(case.closed_at or self.bot.clock.now(), "t"),
        )
        await self._close_page(case, note)

    # -- paging ------------------------------------------------------------------

    def _chain(self, guild_id: int) -> Chain:
        try:
            return to_chain(self.rotation.chain(guild_id, self.bot.clock.now()))
        except Exception:
            # A fault in the rota must not stop a page: the role gets it instead.
            log.exception("On-call lookup failed in guild %s; paging the role", guild_id)
            return Chain(primary=None, backups=())

    async def _repage(
        self,
        case: HelpCase,
        target: Target,
        template: str,
        note: str | None,
        first_page: asyncio.Task[None] | None,
    ) -> bool:
        if first_page is not None:
            # "Asked again" must not reach the specialists before the page it follows.
            await asyncio.wait([first_page])
        try:
            return await self._page(case, target, template, note=note)
        except Exception:
            log.exception("A help-now re-page failed in guild %s", case.guild_id)
            return False

    async def _page(
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
                    _failure(error),
                )
            else:
                self.desk.page_posted(case, specialists.id, message.id)
                if self.desk.get(case.public_id) is None:
                    # Closed while its page was on the way: its buttons would only mislead.
                    note = texts.PAGE_CLOSED_MEANWHILE.format(member=values["member"])
                    await self._close_page(case, note, message.id)
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
                    _failure(error),
                )
                continue
            self.desk.page_posted(case, channel.id, message.id)
            self.desk.record_fallback(case, channel.id)
            await self._tell_admins(guild, texts.ADMIN_CHANNEL_PROBLEM, channel)
            return True
        self.desk.record_fallback(case, None)
        log.error("No channel could take a help-now page in guild %s", case.guild_id)
        await self._tell_admins(guild, texts.ADMIN_NO_CHANNEL, None)
        return False

    async def _tell_admins(
        self, guild: discord.Guild | None, template: str, fallback: discord.TextChannel | None
    ) -> None:
        """Tell the owner of a problem with the server's channels, at most hourly."""
        if guild is None:
            return
        now = self.bot.clock.now()
        last = self._admin_noticed.get(guild.id)
        if last and now - last < ADMIN_NOTICE_INTERVAL:
            return
        self._admin_noticed[guild.id] = now
        await self._tell_owner(
            guild, template.format(guild=guild.name, fallback=fallback.mention if fallback else "")
        )

    async def _tell_owner(self, guild: discord.Guild | None, text: str) -> None:
        if guild is None or guild.owner_id is None:
            log.error("A help-now notice for a server's owner could not be sent: no owner known")
            return
        try:
            dm = await self.bot.create_dm(discord.Object(guild.owner_id))
            await dm.send(text)
        except Exception as error:
            log.error(
                "Could not tell the owner of guild %s (%s)",
                guild.id,
                _failure(error),
            )

    async def _close_page(self, case: HelpCase, note: str, message_id: int | None = None) -> None:
        """Add `note` under the request's page (or the page `message_id` of it) and take
        its buttons away."""
        message_id = message_id or case.page_message_id
        if case.page_channel_id is None or message_id is None:
            return
        channel = self.bot.get_channel(case.page_channel_id)
        if not isinstance(channel, discord.TextChannel):
            return
        try:
            message = await channel.fetch_message(message_id)
            await message.edit(
                content=f"{message.content}\n{note}",
                view=page_view_after(message.components, case.public_id, closed=True),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            log.warning(
                "Could not update a page in guild %s (HTTP %s)", case.guild_id, error.status
            )

    async def _ensure_thread(
        self, case: HelpCase, *, specialist_id: int | None = None
    ) -> discord.Thread | None:
        """The request's private thread (opened on first use) with the member in it."""
        lock = self._case_locks.setdefault(case.public_id, asyncio.Lock())
        async with lock:
            guild = self.bot.get_guild(case.guild_id)
            if guild is None:
                return None
            thread = guild.get_thread(case.thread_id) if case.thread_id else None
            try:
                if thread is None:
                    thread = await self._open_thread(guild, case)
                    if thread is None:
                        return None
                if specialist_id is not None:
                    await thread.add_user(discord.Object(specialist_id))
                    await thread.send(
                        texts.THREAD_SPECIALIST_JOINED.format(specialist=f"<@{specialist_id}>"),
                        allowed_mentions=discord.AllowedMentions.none(),
                    )
            except discord.HTTPException as error:
                log.warning(
                    "Private thread failed in guild %s (HTTP %s)", case.guild_id, error.status
                )
                return None
            return thread

    async def _open_thread(self, guild: discord.Guild, case: HelpCase) -> discord.Thread | None:
        config = self.bot.guild_settings.cached(case.guild_id)
        parent = None
        for channel_id in (case.origin_channel_id, config.checkin_channel_id):
            candidate = guild.get_channel(channel_id) if channel_id else None
            if isinstance(candidate, discord.TextChannel):
                parent = candidate
                break
        if parent is None:
            return None
        thread = await parent.create_thread(
            name=texts.THREAD_NAME.format(short_id=case.public_id[:6]),
            type=discord.ChannelType.private_thread,
            invitable=False,
        )
        try:
            await thread.add_user(discord.Object(case.member_user_id))
        except discord.HTTPException:
            # The member left the server (or can't be added): a thread without them
            # would only mislead the specialist, so it goes.
            await thread.delete()
            raise
        await thread.send(
            texts.THREAD_WELCOME.format(member=f"<@{case.member_user_id}>"),
            allowed_mentions=discord.AllowedMentions(users=[discord.Object(case.member_user_id)]),
        )
        self.desk.set_thread(case, thread.id)
        return thread

    # -- escalation --------------------------------------------------------------

    def _schedule(self, case: HelpCase) -> None:
        if self._closing:
            return
        if self.desk.get(case.public_id) is None or case.next_step_at is None:
            self._unschedule(case.public_id)
            return
        self.bot.scheduler.add_job(
            self._on_due,
            DateTrigger(run_date=case.next_step_at),
            args=[case.public_id],
            id=_step_job_id(case.public_id),
            replace_existing=True,
            # A step that came due while the bot was down still runs, once, at start.
            misfire_grace_time=None,
        )

    def _unschedule(self, public_id: str) -> None:
        job = self.bot.scheduler.get_job(_step_job_id(public_id))
        if job is not None:
            job.remove()

    def _forget_lock(self, public_id: str) -> None:
        # Only once the request is closed, and never while a thread is being opened:
        # a fresh lock then would let a second thread be opened beside the first.
        lock = self._case_locks.get(public_id)
        if lock is not None and not lock.locked():
            del self._case_locks[public_id]

    async def _on_due(self, public_id: str) -> None:
        # The job only hands over and returns at once: a job still running when the next
        # step comes due would make APScheduler skip that step.
        self._drive(public_id)

    def _drive(
        self, public_id: str, *, after: asyncio.Task[bool] | None = None
    ) -> asyncio.Task[None]:
        """The task posting what the request owes; one per request at a time."""
        running = self._drivers.get(public_id)
        if running is not None and not running.done():
            return running
        task = asyncio.get_running_loop().create_task(self._post_owed(public_id, after))
        self._drivers[public_id] = task
        return task

    async def _post_owed(self, public_id: str, reply: asyncio.Task[bool] | None = None) -> None:
        try:
            await self._post_owed_pages(public_id, reply)
        finally:
            # Every way out, early ones included: a finished driver is never kept.
            if self._drivers.get(public_id) is asyncio.current_task():
                del self._drivers[public_id]

    async def _post_owed_pages(self, public_id: str, reply: asyncio.Task[bool] | None) -> None:
        if reply is not None:
            # The member's reply has the loop to itself until it is out, or until a short
            # head start is over when Discord is slow to take it: the page never waits longer.
            await asyncio.wait([reply], timeout=REPLY_HEAD_START_SECONDS)
            if reply.done() and not reply.cancelled() and reply.result() is False:
                # Two processes got this interaction (one shard held twice, in a deploy's
                # overlap); the one whose reply Discord took pages, so one chain runs.
                self.desk.withdraw(public_id)
                return
        case = self.desk.get(public_id)
        if case is None:
            return
        if self.bot.get_guild(case.guild_id) is None:
            # Only at start, before Discord has sent the server: a member who asks while
            # the bot waits for the rest of its servers is paged without waiting too.
            await self.bot.wait_until_ready()
        try:
            config = self.bot.guild_settings.cached(case.guild_id)
            while (
                page := self.desk.page_owed(
                    public_id, self._chain(case.guild_id), config.specialist_role_id
                )
            ) is not None:
                await self._post_step(page)
                config = self.bot.guild_settings.cached(case.guild_id)
            if self.desk.chain_finished(case) and case.owner_told_at is None:
                self.desk.owner_told(case)
                await self._tell_owner(
                    self.bot.get_guild(case.guild_id),
                    texts.ADMIN_UNANSWERED.format(guild=self._guild_name(case.guild_id)),
                )
        except Exception:
            log.exception("Help-now escalation failed in guild %s", case.guild_id)
        finally:
            # Whatever happened, the request's next step stays scheduled.
            self._schedule(case)

    async def _post_step(self, page: StepPage) -> None:
        case = page.case
        config = self.bot.guild_settings.cached(case.guild_id)
        first = case.page_message_id is None and page.backup_for is None
        if page.backup_for is not None:
            template = texts.PAGE_BACKUP
        elif first:
            template = texts.PAGE
        elif repeat_of(page.step):
            template = texts.PAGE_REPEATED
        else:
            template = texts.PAGE_ESCALATED
        try:
            await self._page(
                case,
                page.target,
                template,
                with_note=first,
                specialist=page.backup_for,
                repeat=repeat_of(page.step),
                resent=page.resent,
                # An escalation is not needed once someone acknowledged; a backup asked for is.
                wanted=lambda: (
                    self.desk.get(case.public_id) is not None
                    and (case.status is Status.OPEN or page.backup_for is not None)
                ),
            )
        except Exception:
            # Counted as sent all the same: the chain goes on to its next target rather
            # than retrying this one forever.
            log.exception("A help-now page failed in guild %s", case.guild_id)
        self.desk.step_paged(page, policy_of(config))

    def _guild_name(self, guild_id: int) -> str:
        guild = self.bot.get_guild(guild_id)
        return guild.name if guild else str(guild_id)

    def _driving(self, public_id: str) -> bool:
        task = self._drivers.get(public_id)
        return task is not None and not task.done()

    async def _watchdog(self) -> None:
        self.check_escalations()

    def check_escalations(self) -> list[str]:
        """Hold the invariant: every open, unacknowledged request this process serves has
        its next step scheduled, or is being paged now, or has finished its chain with
        the owner told. Repairs any that has not, and returns their ids."""
        repaired = []
        for case in self.desk.open_cases():
            if (
                case.status is not Status.OPEN
                or not self.bot.serves_guild(case.guild_id)
                or self._driving(case.public_id)
            ):
                continue
            if case.next_step_at is not None:
                job = self.bot.scheduler.get_job(_step_job_id(case.public_id))
                if job is not None and job.next_run_time is not None:
                    continue
                log.error(
                    "A help-now request in guild %s had no next step scheduled; re-armed",
                    case.guild_id,
                )
                self._schedule(case)
            elif case.owner_told_at is None:
                # Its last page went out just before a restart: the owner is still owed.
                self._drive(case.public_id)
            else:
                continue
            repaired.append(case.public_id)
        return repaired


def _failure(error: BaseException) -> str:
    """What went wrong, for a log line: the kind of error and Discord's status, never text
    that could carry what a member wrote."""
    details = (getattr(error, "status", None), getattr(error, "code", None))
    return " ".join([type(error).__name__, *(str(d) for d in details if d)])


def _step_job_id(public_id: str) -> str:
    return f"helpnow:step:{public_id}"
