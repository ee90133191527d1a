"""/setup checkins: the daily prompt's channel, time, time zone and days, on or off."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands

from cogs.checkins import schedule, texts
from cogs.checkins.cog import OnOff
from cogs.checkins.jobs import CheckinJobs
from core.errors import UserFacingError
from core.timezones import TimeZone

if TYPE_CHECKING:
    from core.bot import RecoveryBot


def build_command(bot: RecoveryBot, jobs: CheckinJobs) -> app_commands.Command[Any, ..., None]:
    """The command, to hang under /setup; a changed schedule moves the group between jobs."""

    @app_commands.command(name="checkins", description=texts.SETUP_DESCRIPTION)
    @app_commands.describe(
        channel=texts.PARAM_CHANNEL,
        time=texts.PARAM_TIME,
        zone=texts.PARAM_ZONE,
        days=texts.PARAM_WEEKDAYS,
        enabled=texts.PARAM_ENABLED,
    )
    async def setup_checkins(
        interaction: discord.Interaction,
        channel: discord.TextChannel | None = None,
        time: str | None = None,
        zone: TimeZone | None = None,
        days: str | None = None,
        enabled: OnOff | None = None,
    ) -> None:
        guild = interaction.guild
        if guild is None:
            raise app_commands.NoPrivateMessage()
        hour, minute = schedule.parse_local_time(time) if time else (None, None)
        weekdays = schedule.parse_weekdays(days) if days else None
        configured = bot.guild_settings.cached(guild.id).checkin_channel_id
        target: discord.abc.GuildChannel | None = channel
        if channel is None and enabled != "off":
            # The prompt keeps its channel, or takes the one from /setup channels: the bot
            # must be able to post there too, or every prompt fails unseen.
            existing = await schedule.get_schedule(bot.db, guild.id)
            if existing is None or existing.enabled or enabled == "on":
                kept = existing.channel_id if existing else configured
                target = guild.get_channel(kept) if kept is not None else None
        if target is not None:
            mine = target.permissions_for(guild.me)
            if not (mine.view_channel and mine.send_messages):
                raise UserFacingError(texts.BOT_CANNOT_POST.format(channel=target.mention))
        state = await schedule.save_schedule(
            bot.db,
            guild.id,
            interaction.user.id,
            channel_id=channel.id if channel else None,
            hour=hour,
            minute=minute,
            timezone=zone,
            weekdays=weekdays,
            enabled=None if enabled is None else enabled == "on",
            default_channel_id=configured,
        )
        jobs.schedule_saved(state)
        upcoming = schedule.next_prompt_after(state, bot.clock.now())
        next_line = (
            texts.SETUP_NEXT.format(when=discord.utils.format_dt(upcoming, "F")) if upcoming else ""
        )
        await interaction.response.send_message(
            texts.SETUP_SAVED.format(
                state=texts.SETUP_STATE_ON if state.enabled else texts.SETUP_STATE_OFF,
                channel=f"<#{state.channel_id}>",
                time=f"{state.hour:02d}:{state.minute:02d}",
                zone=state.timezone,
                days=schedule.describe_weekdays(state.weekdays),
                next_line=next_line,
            ).strip(),
            ephemeral=True,
        )

    @setup_checkins.autocomplete("days")
    async def _days_autocomplete(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        needle = current.strip().lower()
        choices = [
            app_commands.Choice(name=name, value=value)
            for name, value in texts.WEEKDAY_SUGGESTIONS
            if needle in name.lower() or needle in value
        ]
        if needle and not any(choice.value == needle for choice in choices):
            choices.append(app_commands.Choice(name=current[:100], value=current[:100]))
        return choices

    return setup_checkins
