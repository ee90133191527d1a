"""/partner: two members who chose each other, and the invitation's buttons.

The Discord layer only: who is asking, what they picked, what to show. The rules live in
`service`, the words in `texts`. Every reply is private; the only messages to another
member are the invitation and a nudge (sent here, since whoever asked must hear at once
whether they arrived) and the notices and signals the outbox sends. Logs carry ids and
what happened, never what anyone shares.
"""

from __future__ import annotations

import logging
import random
from datetime import timedelta
from typing import TYPE_CHECKING, Literal

import discord
from discord import app_commands
from discord.ext import commands

from cogs.checkins.posting import SEND_FAILED, status
from cogs.partners import service, texts, views
from cogs.partners.service import mention
from cogs.privacy.consent import asks_for_notice
from core.errors import UserFacingError
from core.partner_signals import NO_PARTNERS, Shared
from core.permissions import Audience, for_audience, guild_of
from core.scheduler import FeatureJobs
from core.times import timestamp

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OnOff = Literal["on", "off"]
PURGE_KEY = "purge"
PURGE_EVERY = timedelta(hours=1)
# Invitations to one member shown with their buttons at once; more wait their turn.
MAX_SHOWN = 5


def _shared_words(kinds: frozenset[Shared]) -> str:
    named = [texts.SHARED_NAMES[kind] for kind in Shared if kind in kinds]
    return ", ".join(named) if named else texts.NOTHING_SHARED


class PartnersCog(commands.Cog):
    partner = app_commands.Group(
        name="partner",
        description=texts.GROUP_DESCRIPTION,
        guild_only=True,
        extras=for_audience(Audience.MEMBERS),
    )

    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.limits = bot.content.partners
        self.queue = service.PartnerQueue()
        self.jobs = FeatureJobs(bot.scheduler, "partners")

    async def cog_load(self) -> None:
        views.controls.register(self.bot, self)
        self.bot.partners = self.queue
        self.jobs.every(PURGE_KEY, PURGE_EVERY.total_seconds(), self.purge)

    async def cog_unload(self) -> None:
        self.jobs.cancel_all()
        if self.bot.partners is self.queue:
            self.bot.partners = NO_PARTNERS
        views.controls.unregister(self.bot)

    async def purge(self) -> None:
        removed = await service.purge_lapsed(
            self.bot.db, self.bot.clock.now(), self.bot.held_shards()
        )
        if removed:
            log.info("Purged %d lapsed partner invitations", removed)

    # --- /partner invite ------------------------------------------------------------------

    @partner.command(name="invite", description=texts.INVITE_DESCRIPTION)
    @app_commands.describe(member=texts.PARAM_MEMBER)
    async def invite(self, interaction: discord.Interaction, member: discord.Member) -> None:
        guild_id = guild_of(interaction)
        if member.bot:
            raise UserFacingError(texts.NOT_A_BOT)
        await interaction.response.defer(ephemeral=True, thinking=True)
        invitation = await service.invite(
            self.bot.db,
            guild_id,
            interaction.user.id,
            member.id,
            self.bot.clock.now(),
            self.limits,
        )
        server = discord.utils.escape_markdown(interaction.guild.name if interaction.guild else "")
        expires = timestamp(invitation.expires_at)
        text = texts.INVITATION.format(
            member=mention(interaction.user.id), server=server, expires=expires
        )
        try:
            await member.send(text, view=views.invitation_view(guild_id, invitation.id))
            reply = texts.INVITED
        except Exception as error:  # closed DMs, or Discord unreachable: shown later
            log.info("Partner invitation %s not sent by DM (HTTP %s)", invitation.id, status(error))
            await service.owe_notice(self.bot.db, guild_id, invitation.id)
            reply = texts.INVITED_NO_DM
        log.info("Partner invitation %s made in guild %s", invitation.id, guild_id)
        await interaction.followup.send(
            reply.format(member=mention(member.id), expires=expires), ephemeral=True
        )

    # --- The invitation's buttons ---------------------------------------------------------

    async def answer(
        self, interaction: discord.Interaction, guild_id: int, invitation_id: int, accept: bool
    ) -> None:
        inviter = await service.answer(
            self.bot.db,
            guild_id,
            invitation_id,
            interaction.user.id,
            accept,
            self.bot.clock.now(),
            self.limits,
        )
        words = texts.ACCEPTED if accept else texts.DECLINED
        log.info(
            "Partner invitation %s %s in guild %s",
            invitation_id,
            "accepted" if accept else "declined",
            guild_id,
        )
        # The answer replaces the invitation, so its buttons can't be pressed again.
        await interaction.response.edit_message(
            content=words.format(member=mention(inviter)), view=None
        )
        if accept:
            self.bot.outbox.wake()

    @commands.Cog.listener()
    async def on_app_command_completion(
        self,
        interaction: discord.Interaction,
        command: app_commands.Command[commands.Cog, ..., object] | app_commands.ContextMenu,
    ) -> None:
        """An invitation that could not be sent by DM, shown after the invitee's command."""
        guild_id = interaction.guild_id
        # Never between a member in crisis and help, nor in the middle of an exercise:
        # after the same commands as the privacy notice.
        if guild_id is None or not asks_for_notice(command.qualified_name):
            return
        # After a form, the command's token carries no more messages (its submit does).
        if interaction.response.type in (None, discord.InteractionResponseType.modal):
            return
        now = self.bot.clock.now()
        try:
            if not await service.owes_notice(self.bot.db, guild_id, interaction.user.id, now):
                return
            claimed = await service.claim_owed_notices(
                self.bot.db, guild_id, interaction.user.id, now
            )
        except Exception:
            log.exception("Reading owed partner invitations failed in guild %s", guild_id)
            return
        for invitation in claimed[:MAX_SHOWN]:
            try:
                await interaction.followup.send(
                    self._invitation_text(interaction, invitation),
                    view=views.invitation_view(guild_id, invitation.id),
                    ephemeral=True,
                )
            except Exception:  # the member's own command went through; shown next time
                log.warning("An owed partner invitation could not be shown in guild %s", guild_id)
                await service.owe_notice(self.bot.db, guild_id, invitation.id)
        for invitation in claimed[MAX_SHOWN:]:
            await service.owe_notice(self.bot.db, guild_id, invitation.id)

    def _invitation_text(
        self, interaction: discord.Interaction, invitation: service.Invitation
    ) -> str:
        server = discord.utils.escape_markdown(interaction.guild.name if interaction.guild else "")
        return f"{texts.INVITATION_WAITING}\n\n" + texts.INVITATION.format(
            member=mention(invitation.inviter_user_id),
            server=server,
            expires=timestamp(invitation.expires_at),
        )

    # --- /partner list --------------------------------------------------------------------

    @partner.command(name="list", description=texts.LIST_DESCRIPTION)
    async def list_partners(self, interaction: discord.Interaction) -> None:
        guild_id = guild_of(interaction)
        found = await service.overview(
            self.bot.db, guild_id, interaction.user.id, self.bot.clock.now()
        )
        lines: list[str] = []
        if found.partners:
            lines.append(texts.LIST_PARTNERS)
            for partner in found.partners:
                line = "• " + texts.LIST_PARTNER.format(
                    member=mention(partner.user_id),
                    since=timestamp(partner.since, "D"),
                    their=_shared_words(partner.shares),
                )
                if partner.checked_in_today is not None:
                    line += " " + (
                        texts.CHECKED_IN_TODAY
                        if partner.checked_in_today
                        else texts.NOT_CHECKED_IN_TODAY
                    )
                lines.append(line)
        if found.sent:
            lines.append(texts.LIST_SENT)
            lines += [
                "• "
                + texts.LIST_SENT_ONE.format(
                    member=mention(i.invitee_user_id), expires=timestamp(i.expires_at)
                )
                for i in found.sent
            ]
        if found.received:
            lines.append(texts.LIST_RECEIVED)
            lines += [
                "• "
                + texts.LIST_RECEIVED_ONE.format(
                    member=mention(i.inviter_user_id), expires=timestamp(i.expires_at)
                )
                for i in found.received[:MAX_SHOWN]
            ]
            if len(found.received) > MAX_SHOWN:
                lines.append(texts.LIST_MORE.format(count=len(found.received) - MAX_SHOWN))
        if not lines:
            lines.append(texts.LIST_EMPTY)
        else:
            lines.append(texts.LIST_YOU_SHARE.format(shared=_shared_words(found.shares)))
        if not found.takes_nudges:
            lines.append(texts.LIST_NO_NUDGES)
        await interaction.response.send_message("\n".join(lines), ephemeral=True)
        # Each invitation to the member with its own buttons, so it can be answered here.
        for invitation in found.received[:MAX_SHOWN]:
            await interaction.followup.send(
                self._invitation_text(interaction, invitation),
                view=views.invitation_view(guild_id, invitation.id),
                ephemeral=True,
            )

    # --- /partner end ---------------------------------------------------------------------

    @partner.command(name="end", description=texts.END_DESCRIPTION)
    @app_commands.describe(member=texts.PARAM_PARTNER)
    async def end(self, interaction: discord.Interaction, member: discord.User) -> None:
        guild_id = guild_of(interaction)
        ended = await service.end(
            self.bot.db, guild_id, interaction.user.id, member.id, self.bot.clock.now()
        )
        log.info(
            "Partner %s ended in guild %s",
            "pairing" if ended.was_paired else "invitation",
            guild_id,
        )
        if ended.was_paired:
            words = texts.ENDED
        else:
            words = texts.DECLINED if ended.declined else texts.WITHDRAWN
        await interaction.response.send_message(
            words.format(member=mention(member.id)), ephemeral=True
        )
        if ended.was_paired:
            self.bot.outbox.wake()

    # --- /partner settings ----------------------------------------------------------------

    @partner.command(name="settings", description=texts.SETTINGS_DESCRIPTION)
    @app_commands.describe(
        checkins=texts.PARAM_CHECKINS,
        milestones=texts.PARAM_MILESTONES,
        warning_signs=texts.PARAM_WARNING_SIGNS,
        help_now=texts.PARAM_HELP_NOW,
    )
    @app_commands.rename(warning_signs="warning-signs", help_now="help-now")
    async def settings(
        self,
        interaction: discord.Interaction,
        checkins: OnOff | None = None,
        milestones: OnOff | None = None,
        warning_signs: OnOff | None = None,
        help_now: OnOff | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        given = {
            Shared.CHECKINS: checkins,
            Shared.MILESTONES: milestones,
            Shared.WARNING_SIGNS: warning_signs,
            Shared.HELP_NOW: help_now,
        }
        changes = {kind: value == "on" for kind, value in given.items() if value is not None}
        if not changes:
            shared = await service.sharing(self.bot.db, guild_id, interaction.user.id)
            await interaction.response.send_message(
                texts.SETTINGS.format(shared=_shared_words(shared)), ephemeral=True
            )
            return
        shared = await service.change_sharing(
            self.bot.db, guild_id, interaction.user.id, changes, self.bot.clock.now()
        )
        log.info("Partner sharing changed in guild %s", guild_id)
        await interaction.response.send_message(
            texts.SETTINGS_CHANGED.format(shared=_shared_words(shared)), ephemeral=True
        )

    # --- /partner nudge, /partner nudges --------------------------------------------------

    async def suggest_nudge(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        typed = current.casefold()
        return [
            app_commands.Choice(name=text, value=str(number))
            for number, text in enumerate(self.limits.nudges)
            if typed in text.casefold()
        ][:25]

    @partner.command(name="nudge", description=texts.NUDGE_DESCRIPTION)
    @app_commands.describe(member=texts.PARAM_PARTNER, message=texts.PARAM_MESSAGE)
    @app_commands.autocomplete(message=suggest_nudge)
    async def nudge(
        self,
        interaction: discord.Interaction,
        member: discord.Member,
        message: app_commands.Range[str, 1, 100] | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        if message is None:
            template = random.randrange(len(self.limits.nudges))
        elif message.isdecimal():
            template = int(message)
        else:
            # Typed rather than picked: the nudge it names, if it is one of them.
            named = [n for n, text in enumerate(self.limits.nudges) if text == message.strip()]
            template = named[0] if named else -1
        await interaction.response.defer(ephemeral=True, thinking=True)
        nudged = await service.nudge(
            self.bot.db,
            guild_id,
            interaction.user.id,
            member.id,
            template,
            self.bot.clock.now(),
            self.limits,
        )
        words = {"member": mention(member.id), "text": nudged.text}
        try:
            await member.send(
                texts.NUDGE.format(member=mention(interaction.user.id), text=nudged.text)
            )
        except SEND_FAILED as error:
            log.info("Partner nudge %s not delivered (HTTP %s)", nudged.id, status(error))
            await service.unsend(self.bot.db, guild_id, nudged.id)
            await interaction.followup.send(texts.NUDGE_UNDELIVERED.format(**words), ephemeral=True)
            return
        log.info("Partner nudge %s sent in guild %s", nudged.id, guild_id)
        await interaction.followup.send(texts.NUDGE_SENT.format(**words), ephemeral=True)

    @partner.command(name="nudges", description=texts.NUDGES_DESCRIPTION)
    @app_commands.describe(allow=texts.PARAM_ALLOW, member=texts.PARAM_FROM)
    async def nudges(
        self,
        interaction: discord.Interaction,
        allow: OnOff,
        member: discord.User | None = None,
    ) -> None:
        guild_id = guild_of(interaction)
        if member is not None and member.id == interaction.user.id:
            raise UserFacingError(texts.NOT_YOURSELF)
        await service.set_nudges(
            self.bot.db,
            guild_id,
            interaction.user.id,
            allow == "on",
            member.id if member else None,
            self.bot.clock.now(),
        )
        if member is None:
            words = texts.NUDGES_ON_ALL if allow == "on" else texts.NUDGES_OFF_ALL
        else:
            words = texts.NUDGES_ON_ONE if allow == "on" else texts.NUDGES_OFF_ONE
        await interaction.response.send_message(
            words.format(member=mention(member.id) if member else ""), ephemeral=True
        )
