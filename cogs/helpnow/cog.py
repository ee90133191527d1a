"""/help-now: the Discord side of the crisis path.

Order matters here. The request is recorded first, in the desk's journal on local disk
(no database, a fraction of a millisecond), so a bot that dies at any later moment still
pages after its restart. The member's reply, built from memory, and the page to the
specialists then go out side by side: a reply Discord is slow to take never holds up
the page. The database copy of the records follows when it can.

The cog is the Discord side: the command, the buttons and the private thread. What is
owed to a request, and when, is the escalation's (`cogs.helpnow.escalation`); getting a
page into a channel is the pager's (`cogs.helpnow.paging`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from datetime import datetime
from typing import TYPE_CHECKING, Any, Literal, cast

import discord
from discord import app_commands
from discord.ext import commands

from cogs.helpnow import texts, views
from cogs.helpnow.crisis import PageState, crisis_messages
from cogs.helpnow.escalation import Escalation, policy_of
from cogs.helpnow.paging import PageNote, Pager, with_note
from cogs.helpnow.policy import Target
from cogs.helpnow.service import (
    AlreadyAcknowledged,
    HelpCase,
    HelpDesk,
    RequestClosed,
    Status,
    new_public_id,
)
from cogs.helpnow.views import (
    RESOLVE_FORM_PREFIX,
    ResolveModal,
    member_view,
    page_view_after,
)
from core.error_handler import report_interaction_error
from core.forms import submitted_form_id, submitted_values
from core.logging import describe_failure
from core.partner_signals import PartnerSignal, Shared, tell_partners
from core.permissions import NOT_A_SPECIALIST, Audience, for_audience, is_specialist

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

NOTE_MAX_LENGTH = 500
INTERACTION_ALREADY_ANSWERED = 40060
# Discord takes an interaction's reply only within 3 s of the interaction; discord.py's
# retries of a failing reply (about 25 s of them) can't succeed past that.
REPLY_PATIENCE_SECONDS = 4.0


class HelpNowCog(commands.Cog, name="HelpNowCog"):
    def __init__(
        self,
        bot: RecoveryBot,
        desk: HelpDesk,
        *,
        journal_retry_seconds: float = 2.0,
        watchdog_seconds: float = 30.0,
    ) -> None:
        self.bot = bot
        self.desk = desk
        self.pager = Pager(bot, desk)
        self.escalation = Escalation(
            bot,
            desk,
            self.pager,
            journal_retry_seconds=journal_retry_seconds,
            watchdog_seconds=watchdog_seconds,
        )
        self._case_locks: dict[str, asyncio.Lock] = {}

    async def cog_load(self) -> None:
        views.controls.register(self.bot, self)
        await self.escalation.start()

    async def cog_unload(self) -> None:
        views.controls.unregister(self.bot)
        await self.escalation.stop()

    # -- the member's side ---------------------------------------------------------

    @app_commands.command(
        name="help-now",
        description=texts.COMMAND_DESCRIPTION,
        extras=for_audience(Audience.MEMBERS),
    )
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
        chain = self.pager.chain(guild_id)
        if self.desk.open_case_of(guild_id, interaction.user.id) is not None:
            state = PageState.REPAGED
        elif not config.pages_specialists:
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
        # From memory, like everything before the reply: the plan shows with the database down.
        plan = self.bot.plans.highlights(guild_id, interaction.user.id)
        first, *more = crisis_messages(
            self.bot.content.crisis,
            config.region,
            config.local_resources,
            state,
            emergency_plan=plan.emergency if plan else None,
        )
        view = member_view(case.public_id, with_thread=config.pages_specialists)
        reply = asyncio.create_task(self._reply(interaction, first, more, view))
        paging: asyncio.Task[Any]
        if opened.is_new:
            paging = self.escalation.drive(case.public_id, after=reply)
        else:
            template = (
                texts.PAGE_AGAIN_ACKNOWLEDGED
                if case.status is Status.ACKNOWLEDGED
                else texts.PAGE_AGAIN
            )
            paging = asyncio.create_task(
                self._repage(
                    case, opened.target, template, cleaned, self.escalation.driver(case.public_id)
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
        # Last, so nothing of it can delay the member; and only by the process whose
        # reply reached them, so two processes answering one request tell partners once.
        if opened.is_new and not reply.cancelled() and reply.result():
            await self._tell_partners(case)

    async def _tell_partners(self, case: HelpCase) -> None:
        """Only after the member's reply and the first page: a partner who shares this is
        told that help was asked for (never the note), through the outbox, as bulk."""
        signal = PartnerSignal(
            case.guild_id, case.member_user_id, Shared.HELP_NOW, case.public_id, case.created_at
        )
        try:
            if await tell_partners(self.bot.db, self.bot.partners, signal):
                self.bot.outbox.wake()
        except Exception:  # the request stands whatever happens here
            log.exception("Telling partners of a /help-now failed in guild %s", case.guild_id)

    async def _reply(
        self, interaction: discord.Interaction, first: str, more: list[str], view: discord.ui.View
    ) -> bool:
        """Send the member's crisis reply; False when another bot process answered first."""
        try:
            await asyncio.wait_for(
                interaction.response.send_message(first, view=view, ephemeral=True),
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
                describe_failure(error),
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
            if by == "specialist":
                await self._closed_page_pressed(interaction, public_id)
            else:
                await interaction.response.send_message(texts.ALREADY_CLOSED, ephemeral=True)
            return None
        if by == "member" and interaction.user.id != case.member_user_id:
            await interaction.response.send_message(texts.NOT_YOUR_REQUEST, ephemeral=True)
            return None
        return case

    async def _closed_page_pressed(self, interaction: discord.Interaction, public_id: str) -> None:
        """A specialist pressed a page of a closed request: a page from before a restart,
        or one whose edit failed at close. Its buttons go now, so nobody else is misled."""
        await interaction.response.send_message(texts.PAGE_ALREADY_CLOSED, ephemeral=True)
        message = interaction.message
        if message is None or message.flags.ephemeral:
            return
        try:
            await message.edit(
                content=with_note(message.content, texts.PAGE_FOUND_CLOSED),
                view=page_view_after(message.components, public_id, closed=True),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            log.warning(
                "Could not update a closed request's page in guild %s (%s)",
                interaction.guild_id,
                describe_failure(error),
            )

    async def _member_safe(self, interaction: discord.Interaction, case: HelpCase) -> None:
        self.desk.close(case.public_id, interaction.user.id, Status.SAFE)
        self.escalation.stop_steps(case.public_id)
        self._forget_lock(case.public_id)
        await interaction.response.send_message(texts.SAFE_THANKS, ephemeral=True)
        note = self._page_note(
            case, texts.MEMBER_SAFE, texts.MEMBER_SAFE_UNNAMED, case.closed_at, specialist=""
        )
        await self.pager.annotate_pages(case, note, closed=True)

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
        self.escalation.stop_steps(case.public_id)
        stamp = self._page_note(
            case,
            texts.ACKNOWLEDGED,
            texts.ACKNOWLEDGED_UNNAMED,
            case.acknowledged_at,
            specialist=interaction.user.mention,
        )
        specialists = self.bot.guild_settings.cached(case.guild_id).specialists_channel_id
        here = stamp.named if interaction.channel_id == specialists else stamp.unnamed
        original = interaction.message.content if interaction.message else ""
        components = interaction.message.components if interaction.message else []
        pressed = interaction.message.id if interaction.message else None
        try:
            await interaction.response.edit_message(
                content=with_note(original, here),
                view=page_view_after(components, case.public_id, acknowledged=True),
                allowed_mentions=discord.AllowedMentions.none(),
            )
        except discord.HTTPException as error:
            pressed = None  # it is updated with the request's other pages below
            # The escalation already stopped for this press: without the thread nobody
            # would be brought together with the member.
            log.warning(
                "Could not update an acknowledged page in guild %s (%s)",
                case.guild_id,
                describe_failure(error),
            )
        thread = await self._ensure_thread(case, specialist_id=interaction.user.id)
        # Without an answered press no reply can reach the specialist; the thread pings them.
        if interaction.response.is_done():
            member = f"<@{case.member_user_id}>"
            reply = (
                texts.ACK_DONE.format(member=member, thread=thread.mention)
                if thread
                else texts.ACK_NO_THREAD.format(member=member)
            )
            await interaction.followup.send(reply, ephemeral=True)
        # Closed meanwhile (the thread takes a moment): its pages already say so.
        if self.desk.get(case.public_id) is not None:
            await self.pager.annotate_pages(case, stamp, closed=False, skip=pressed)

    async def _backup(self, interaction: discord.Interaction, case: HelpCase) -> None:
        config = self.bot.guild_settings.cached(case.guild_id)
        try:
            self.desk.request_backup(
                case.public_id,
                interaction.user.id,
                self.pager.chain(case.guild_id),
                config.specialist_role_id,
            )
        except RequestClosed:
            await self._closed_page_pressed(interaction, case.public_id)
            return
        self.escalation.drive(case.public_id)
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
            await interaction.response.send_message(texts.PAGE_ALREADY_CLOSED, ephemeral=True)
            return
        self.escalation.stop_steps(public_id)
        self._forget_lock(public_id)
        await interaction.response.send_message(texts.RESOLVED_DONE, ephemeral=True)
        note = self._page_note(
            case,
            texts.RESOLVED,
            texts.RESOLVED_UNNAMED,
            case.closed_at,
            specialist=interaction.user.mention,
        )
        await self.pager.annotate_pages(case, note, closed=True)

    def _page_note(
        self, case: HelpCase, named: str, unnamed: str, at: datetime | None, *, specialist: str
    ) -> PageNote:
        """What happened to the request, for its pages: naming the member only in the
        private specialists channel (`PageNote`)."""
        time = discord.utils.format_dt(at or self.bot.clock.now(), "t")
        member = f"<@{case.member_user_id}>"
        return PageNote(
            named.format(member=member, specialist=specialist, time=time),
            unnamed.format(specialist=specialist, time=time),
        )

    # -- paging ------------------------------------------------------------------

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
            return await self.pager.page(case, target, template, note=note)
        except Exception:
            log.exception("A help-now re-page failed in guild %s", case.guild_id)
            return False

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

    def _forget_lock(self, public_id: str) -> None:
        # Only once the request is closed, and never while a thread is being opened:
        # a fresh lock then would let a second thread be opened beside the first.
        lock = self._case_locks.get(public_id)
        if lock is not None and not lock.locked():
            del self._case_locks[public_id]
