"""/privacy: what the bot keeps about a member, their choices, and their rights over it.

The Discord layer only: each part's rules live beside it with no discord import.
"""

from __future__ import annotations

import asyncio
import io
import logging
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from cogs.privacy import consent, consent_views, rights, rights_views, texts
from cogs.privacy.leaving_jobs import LeavingJobs
from core.counting import counted
from core.errors import UserFacingError
from core.logging import describe_failure
from core.member_data import STORED_EVENT
from core.messages import pack
from core.permissions import Audience, for_audience, guild_of, require_owner

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

# consent: how long a stop waits for notices being sent (one read, one write, one message).
NOTICE_STOP_WAIT_SECONDS = 5.0


class PrivacyCog(commands.Cog):
    privacy = app_commands.Group(
        name="privacy",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )

    def __init__(self, bot: RecoveryBot, notices_seen: consent.NoticesSeen) -> None:
        self.bot = bot
        self.notices_seen = notices_seen
        self.notices_in_flight: set[asyncio.Task[Any]] = set()  # consent: awaited at unload

    # -- rights: export, delete, access-log -------------------------------------------

    async def cog_load(self) -> None:
        rights_views.controls.register(self.bot, self)
        consent_views.controls.register(self.bot, self)
        self.leaving = LeavingJobs.start_for(self.bot)

    async def cog_unload(self) -> None:
        rights_views.controls.unregister(self.bot)
        consent_views.controls.unregister(self.bot)
        await self.notices_sent()
        self.leaving.stop()

    @privacy.command(name="export", description=texts.EXPORT_DESCRIPTION)
    async def export(self, interaction: discord.Interaction) -> None:
        guild_id = guild_of(interaction)
        # Every feature's rows, decrypted: more than Discord's 3 seconds on a big history.
        await interaction.response.defer(ephemeral=True, thinking=True)
        now = self.bot.clock.now()
        data = await rights.export_member(
            self.bot.member_data,
            self.bot.db,
            guild_id=guild_id,
            guild_name=interaction.guild.name if interaction.guild else "",
            user_id=interaction.user.id,
            now=now,
        )
        await interaction.followup.send(
            texts.EXPORT_READY,
            file=discord.File(io.BytesIO(data), filename=rights.file_name(now)),
            ephemeral=True,
        )

    @privacy.command(name="delete", description=texts.DELETE_DESCRIPTION)
    async def delete(self, interaction: discord.Interaction) -> None:
        guild_id = guild_of(interaction)
        # What the erasure would stop (an open /help-now request) comes first.
        warnings = self.bot.member_data.erasure_warnings(guild_id, interaction.user.id)
        await interaction.response.send_message(
            "\n\n".join([*warnings, texts.DELETE_CONFIRM]),
            view=rights_views.confirm_erase_view(interaction.user.id),
            ephemeral=True,
        )

    @privacy.command(name="access-log", description=texts.ACCESS_LOG_DESCRIPTION)
    async def access_log(self, interaction: discord.Interaction) -> None:
        guild_id = guild_of(interaction)
        await interaction.response.defer(ephemeral=True, thinking=True)
        looks = await rights.access_log(
            self.bot.member_data, self.bot.db, guild_id=guild_id, user_id=interaction.user.id
        )
        if not looks:
            messages = [texts.ACCESS_LOG_EMPTY]
        else:
            lines = [
                texts.ACCESS_LOG_TITLE.format(looks=counted(len(looks), texts.LOOKS)),
                *(
                    texts.ACCESS_LOG_LINE.format(
                        when=discord.utils.format_dt(look.at, "f"),
                        viewer=f"<@{look.viewer_user_id}>",
                        what=look.what,
                    )
                    for look in looks
                ),
            ]
            messages = pack(["\n".join(lines)])
        for message in messages:
            # The mentions name who looked; nobody is pinged by being listed.
            await interaction.followup.send(
                message, ephemeral=True, allowed_mentions=discord.AllowedMentions.none()
            )

    # The confirmation's buttons (rights_views.RightsActions).

    async def confirm_erase(self, interaction: discord.Interaction, owner_id: int) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOUR_ERASURE)
        guild_id = guild_of(interaction)
        # Only the confirmation the bot showed this member after their own /privacy
        # delete erases: a copy of its button posted elsewhere never does.
        asked = interaction.message.interaction_metadata if interaction.message else None
        if asked is None or asked.user.id != owner_id:
            raise UserFacingError(texts.NOT_ASKED_HERE)
        await interaction.response.defer()
        try:
            done = await rights.erase_member(
                self.bot.member_data, self.bot.db, guild_id=guild_id, user_id=owner_id
            )
        except Exception as error:  # all or nothing: nothing was erased, and they are told
            log.error(
                "Member data erasure failed in guild %s, nothing erased (%s)",
                guild_id,
                describe_failure(error),
                exc_info=error,
            )
            await interaction.edit_original_response(content=texts.ERASE_FAILED, view=None)
            return
        # The confirmation becomes the answer, so it cannot be pressed twice.
        await interaction.edit_original_response(content=rights.erased_text(done), view=None)

    async def keep_data(self, interaction: discord.Interaction, owner_id: int) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOUR_ERASURE)
        await interaction.response.edit_message(content=texts.KEPT_DATA, view=None)

    # -- consent: the notice at first use, /privacy settings -----------------------------
    # The rules (which commands, the version, the choices) are in consent.py; the buttons
    # in consent_views.py (ConsentActions, below).

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[Any, ..., Any] | app_commands.ContextMenu,
    ) -> None:
        # Dispatched once the command's callback returned, so its answer went first.
        await self.after_answer(interaction, command.qualified_name)

    @commands.Cog.listener(f"on_{STORED_EVENT}")
    async def on_member_data_stored(self, interaction: discord.Interaction) -> None:
        await self.after_answer(interaction, None)

    async def after_answer(self, interaction: discord.Interaction, command: str | None) -> None:
        """After an interaction was answered (a slash command, by name, or None for a
        submit that stored data): the notice as a private follow-up, if it is due and
        this member hasn't seen its current version. Never raises: it is an extra."""
        guild_id, user_id = interaction.guild_id, interaction.user.id
        if command is not None and not consent.asks_for_notice(command):
            return
        if interaction.response.type is discord.InteractionResponseType.modal:
            return  # a form stores nothing until its submit, which tells us itself
        if guild_id is None or interaction.user.bot or not interaction.response.is_done():
            return
        version = consent.NOTICE_VERSION
        task = asyncio.current_task()
        if task is not None:
            self.notices_in_flight.add(task)
        try:
            claimed = await consent.claim_notice(
                self.bot.db, self.notices_seen, guild_id, user_id, self.bot.clock.now(), version
            )
            if claimed is None:
                return
            try:
                await interaction.followup.send(
                    consent_views.notice_text(claimed.choices),
                    view=consent_views.choices_view(user_id, claimed.choices, version, notice=True),
                    ephemeral=True,
                )
            except discord.HTTPException:
                # Not seen, so not marked seen: it is offered again next time.
                await consent.release_notice(self.bot.db, guild_id, user_id, claimed, version)
                raise
            self.notices_seen.add(guild_id, user_id, version)
            log.info("Privacy notice %s shown in guild %s", version, guild_id)
        except Exception as error:  # the command itself went through: only log
            log.warning(
                "Could not show the privacy notice in guild %s (%s)",
                guild_id,
                describe_failure(error),
            )
        finally:
            if task is not None:
                self.notices_in_flight.discard(task)

    async def notices_sent(self) -> None:
        """At a stop: the notices on their way get a moment to finish, so none is cut
        off between being marked shown and being sent."""
        if self.notices_in_flight:
            await asyncio.wait(set(self.notices_in_flight), timeout=NOTICE_STOP_WAIT_SECONDS)

    @privacy.command(name="settings", description=texts.SETTINGS_DESCRIPTION)
    async def settings(self, interaction: discord.Interaction) -> None:
        guild_id = guild_of(interaction)
        choices = await consent.choices_of(self.bot.db, guild_id, interaction.user.id)
        await interaction.response.send_message(
            consent_views.settings_text(choices),
            view=consent_views.choices_view(interaction.user.id, choices, consent.NOTICE_VERSION),
            ephemeral=True,
        )

    # The choices' buttons (consent_views.ConsentActions).

    async def change_choice(
        self,
        interaction: discord.Interaction,
        owner_id: int,
        choice: consent.Choice,
        value: bool,
        notice_version: int,
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOUR_CHOICES)
        guild_id = guild_of(interaction)
        choices, changed = await consent.set_choice(
            self.bot.db,
            guild_id,
            owner_id,
            choice,
            value,
            notice_version=notice_version,
            now=self.bot.clock.now(),
        )
        if changed:
            log.info("Privacy choice %s changed in guild %s", choice.value, guild_id)
        done = texts.CHANGED[(choice.value, value)] if changed else texts.UNCHANGED
        await interaction.response.edit_message(
            content=consent_views.settings_text(choices, done),
            view=consent_views.choices_view(
                owner_id,
                choices,
                notice_version,
                offer_note_deletion=changed and choice is consent.Choice.KEEP_NOTES and not value,
            ),
        )

    async def accept_notice(
        self, interaction: discord.Interaction, owner_id: int, notice_version: int
    ) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOUR_CHOICES)
        await consent.acknowledge_notice(
            self.bot.db,
            guild_of(interaction),
            owner_id,
            notice_version=notice_version,
            now=self.bot.clock.now(),
        )
        await interaction.response.edit_message(content=texts.NOTICE_OK, view=None)

    async def delete_notes(self, interaction: discord.Interaction, owner_id: int) -> None:
        require_owner(interaction, owner_id, texts.NOT_YOUR_CHOICES)
        guild_id = guild_of(interaction)
        deleted = await consent.delete_checkin_notes(self.bot.db, guild_id, owner_id)
        log.info("Check-in notes deleted by their member in guild %s", guild_id)
        choices = await consent.choices_of(self.bot.db, guild_id, owner_id)
        done = (
            texts.NOTES_DELETED.format(notes=counted(deleted, texts.NOTES))
            if deleted
            else texts.NO_NOTES_TO_DELETE
        )
        await interaction.response.edit_message(
            content=consent_views.settings_text(choices, done),
            view=consent_views.choices_view(owner_id, choices, consent.NOTICE_VERSION),
        )

    # -- leaving: a member who left, the bot removed, retention ------------------------
    # The jobs and their rules are in leaving_jobs.py and leaving.py; here only what
    # Discord tells the bot about its own membership.

    @commands.Cog.listener()
    async def on_guild_remove(self, guild: discord.Guild) -> None:
        # Not an outage (that is on_guild_unavailable): the bot was kicked or left.
        await self.leaving.bot_removed(guild.id)

    @commands.Cog.listener()
    async def on_guild_join(self, guild: discord.Guild) -> None:
        await self.leaving.bot_added(guild.id)

    @commands.Cog.listener()
    async def on_guild_available(self, guild: discord.Guild) -> None:
        # Discord may announce a server the bot is added back to as "available" (its
        # GUILD_CREATE says unavailable: false), not as joined.
        if self.bot.guild_settings.cached(guild.id).bot_removed_at is not None:
            await self.leaving.bot_added(guild.id)
