"""/setup: admins configure channels, the specialist role, time zone and region."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

import discord
from discord import app_commands
from discord.ext import commands

from cogs.setup import service, texts
from cogs.setup.service import ItemState
from config.content import CrisisResources
from core.counting import counted
from core.errors import UserFacingError
from core.guild_settings import GuildSettingsStore, ServerConfig
from core.permissions import Audience, for_audience
from core.timezones import TimeZone

log = logging.getLogger(__name__)

_OverwriteTarget = discord.Role | discord.Member | discord.Object
_BOT_CHANNEL_PERMISSIONS = discord.PermissionOverwrite(
    view_channel=True, send_messages=True, embed_links=True, attach_files=True
)


def _guild(interaction: discord.Interaction) -> discord.Guild:
    if interaction.guild is None:
        raise app_commands.NoPrivateMessage()
    return interaction.guild


@dataclass
class _ChannelPlan:
    """What /setup channels will use, and what it must create first."""

    use: dict[str, discord.abc.Snowflake] = field(default_factory=dict)
    create_channels: list[str] = field(default_factory=list)
    create_role: bool = False


class SetupCog(commands.Cog):
    setup_group = app_commands.Group(
        name="setup",
        description=texts.GROUP_DESCRIPTION,
        default_permissions=discord.Permissions(manage_guild=True),
        guild_only=True,
        extras=for_audience(Audience.ADMINS),
    )

    def __init__(self, settings: GuildSettingsStore, crisis: CrisisResources) -> None:
        self._settings = settings
        self._crisis = crisis

    @setup_group.command(name="status", description="Show what is configured and what is missing")
    async def status(self, interaction: discord.Interaction) -> None:
        guild = _guild(interaction)
        config = await self._settings.get(guild.id)
        items = service.status_items(
            config, {c.id for c in guild.channels}, {r.id for r in guild.roles}
        )
        embed = discord.Embed(title=texts.STATUS_TITLE)
        for item in items:
            embed.add_field(name=item.label, value=_render_item(item), inline=False)
        embed.add_field(name=texts.STATUS_TIMEZONE, value=config.timezone, inline=True)
        region = self._crisis.region(config.region)
        embed.add_field(
            name=texts.STATUS_REGION,
            value=region.name
            if config.region
            else texts.STATUS_REGION_DEFAULT.format(name=region.name),
            inline=True,
        )
        embed.add_field(
            name=texts.STATUS_PAGING,
            value=texts.STATUS_PAGING_VALUE.format(
                ack=config.ack_timeout_seconds // 60,
                repeat=config.repeat_interval_seconds // 60,
                repeats=counted(config.max_repeats, texts.REPEATS),
                fallback=f"<#{config.fallback_channel_id}>"
                if config.fallback_channel_id
                else texts.STATUS_NO_FALLBACK,
                lines=", ".join(r.name for r in config.local_resources) or texts.STATUS_NO_LINES,
            ),
            inline=False,
        )
        embed.add_field(name=texts.STATUS_PRIVACY, value=_privacy(config), inline=False)
        # Meetings are a choice: their channel and role unset leave nothing missing.
        complete = all(
            item.state is ItemState.OK or (item.optional and item.state is ItemState.MISSING)
            for item in items
        )
        embed.description = texts.STATUS_ALL_SET if complete else texts.STATUS_TODO
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @setup_group.command(name="timezone", description="Set this server's time zone")
    @app_commands.describe(zone="An IANA time zone, such as America/Chicago")
    async def timezone(self, interaction: discord.Interaction, zone: TimeZone) -> None:
        guild = _guild(interaction)
        await self._settings.update(guild.id, interaction.user.id, timezone=zone)
        local = datetime.now(ZoneInfo(zone)).strftime("%H:%M")
        await interaction.response.send_message(
            texts.TIMEZONE_SET.format(zone=zone, local_time=local), ephemeral=True
        )

    @setup_group.command(name="region", description="Choose which crisis resources members see")
    @app_commands.describe(region="The country or region whose crisis lines to show")
    async def region(self, interaction: discord.Interaction, region: str) -> None:
        guild = _guild(interaction)
        code = service.validate_region(self._crisis, region)
        await self._settings.update(guild.id, interaction.user.id, region=code)
        await interaction.response.send_message(
            texts.REGION_SET.format(name=self._crisis.regions[code].name), ephemeral=True
        )

    @region.autocomplete("region")
    async def _region_autocomplete(
        self, interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [
            app_commands.Choice(name=label, value=code)
            for label, code in service.region_suggestions(self._crisis, current)
        ]

    @setup_group.command(
        name="channels",
        description="Pick the bot's channels and specialist role; missing ones are created",
    )
    @app_commands.describe(
        checkins="Where daily check-in prompts go",
        specialists="A private channel for peer specialists (hidden from everyone else)",
        milestones="Where members may choose to share milestones",
        specialist_role="The role held by trained peer specialists",
    )
    async def channels(
        self,
        interaction: discord.Interaction,
        checkins: discord.TextChannel | None = None,
        specialists: discord.TextChannel | None = None,
        milestones: discord.TextChannel | None = None,
        specialist_role: discord.Role | None = None,
    ) -> None:
        guild = _guild(interaction)
        config = await self._settings.get(guild.id)
        chosen = {
            "checkin_channel_id": checkins,
            "specialists_channel_id": specialists,
            "milestones_channel_id": milestones,
        }
        plan = _plan(guild, config_ids=config.__dict__, chosen=chosen, role=specialist_role)
        _validate(guild, plan)
        await interaction.response.defer(ephemeral=True, thinking=True)
        reason = texts.AUDIT_REASON.format(admin=interaction.user.id)
        created = await _create(guild, plan, reason)
        ids = {key: target.id for key, target in plan.use.items()}
        await self._settings.update(guild.id, interaction.user.id, **ids)
        summary = "; ".join(
            f"{label}: "
            + (texts.CREATED if key in created else texts.USING).format(
                mention=_mention(plan.use[key], key)
            )
            for key, label in (
                *service.CHANNEL_ITEMS,
                ("specialist_role_id", texts.LABEL_SPECIALIST_ROLE),
            )
        )
        await interaction.followup.send(
            texts.CHANNELS_SAVED.format(summary=summary), ephemeral=True
        )


def _privacy(config: ServerConfig) -> str:
    days = config.erase_after_days
    return texts.STATUS_PRIVACY_VALUE.format(
        erase=texts.STATUS_ERASE_AFTER.format(days=counted(days, texts.DAYS))
        if days
        else texts.STATUS_ERASE_AT_NEXT_CHECK,
        retention=counted(config.retention_days, texts.DAYS),
    )


def _render_item(item: service.StatusItem) -> str:
    if item.state is ItemState.OK:
        mention = f"<#{item.target_id}>" if item.kind == "channel" else f"<@&{item.target_id}>"
        return texts.STATE_OK.format(mention=mention)
    if item.state is ItemState.GONE:
        return texts.STATE_GONE.format(kind=item.kind)
    return texts.STATE_MISSING


def _mention(target: discord.abc.Snowflake, key: str) -> str:
    return f"<@&{target.id}>" if key == "specialist_role_id" else f"<#{target.id}>"


def _plan(
    guild: discord.Guild,
    config_ids: dict[str, object],
    chosen: dict[str, discord.TextChannel | None],
    role: discord.Role | None,
) -> _ChannelPlan:
    plan = _ChannelPlan()
    for key, channel in chosen.items():
        existing = config_ids.get(key)
        current = guild.get_channel(existing) if isinstance(existing, int) else None
        target = channel or current
        if target is None:
            plan.create_channels.append(key)
        else:
            plan.use[key] = target
    existing_role_id = config_ids.get("specialist_role_id")
    current_role = guild.get_role(existing_role_id) if isinstance(existing_role_id, int) else None
    if role or current_role:
        plan.use["specialist_role_id"] = role or current_role  # type: ignore[assignment]
    else:
        plan.create_role = True
    return plan


def _validate(guild: discord.Guild, plan: _ChannelPlan) -> None:
    me = guild.me
    for key, target in plan.use.items():
        if isinstance(target, discord.Role):
            if target.is_default() or target.managed:
                raise UserFacingError(texts.ROLE_NOT_ASSIGNABLE.format(role=target.mention))
            continue
        assert isinstance(target, discord.abc.GuildChannel)
        mine = target.permissions_for(me)
        if not (mine.view_channel and mine.send_messages):
            raise UserFacingError(texts.BOT_CANNOT_USE_CHANNEL.format(channel=target.mention))
        if (
            key == "specialists_channel_id"
            and target.permissions_for(guild.default_role).view_channel
        ):
            raise UserFacingError(texts.SPECIALISTS_CHANNEL_PUBLIC.format(channel=target.mention))
    if plan.create_channels and not me.guild_permissions.manage_channels:
        raise UserFacingError(texts.NEED_MANAGE_CHANNELS)
    if plan.create_role and not me.guild_permissions.manage_roles:
        raise UserFacingError(texts.NEED_MANAGE_ROLES)


_DEFAULT_NAMES = {
    "checkin_channel_id": texts.DEFAULT_CHECKIN_NAME,
    "specialists_channel_id": texts.DEFAULT_SPECIALISTS_NAME,
    "milestones_channel_id": texts.DEFAULT_MILESTONES_NAME,
}


async def _create(guild: discord.Guild, plan: _ChannelPlan, reason: str) -> set[str]:
    """Create what the plan lacks; on any refusal undo what was created, then refuse."""
    made: list[discord.abc.GuildChannel | discord.Role] = []
    created: set[str] = set()
    try:
        if plan.create_role:
            role = await guild.create_role(name=texts.DEFAULT_ROLE_NAME, reason=reason)
            made.append(role)
            plan.use["specialist_role_id"] = role
            created.add("specialist_role_id")
        for key in plan.create_channels:
            overwrites: dict[_OverwriteTarget, discord.PermissionOverwrite] = {
                guild.me: _BOT_CHANNEL_PERMISSIONS
            }
            if key == "specialists_channel_id":
                specialist_role = plan.use["specialist_role_id"]
                assert isinstance(specialist_role, discord.Role)
                overwrites[guild.default_role] = discord.PermissionOverwrite(view_channel=False)
                overwrites[specialist_role] = discord.PermissionOverwrite(
                    view_channel=True, send_messages=True, read_message_history=True
                )
                overwrites[guild.me] = discord.PermissionOverwrite(
                    view_channel=True,
                    send_messages=True,
                    embed_links=True,
                    create_private_threads=True,
                    send_messages_in_threads=True,
                    manage_threads=True,
                )
            channel = await guild.create_text_channel(
                _DEFAULT_NAMES[key], overwrites=overwrites, reason=reason
            )
            made.append(channel)
            plan.use[key] = channel
            created.add(key)
    except discord.HTTPException as error:
        log.warning("Creating setup items failed in guild %s: %s", guild.id, error.status)
        for item in reversed(made):
            try:
                await item.delete(reason=reason)
            except discord.HTTPException:
                log.warning("Could not undo a created setup item in guild %s", guild.id)
        what = "a channel" if plan.create_channels else "the role"
        raise UserFacingError(texts.CREATION_FAILED.format(what=what)) from error
    return created


def add_setup_subcommand(
    tree: app_commands.CommandTree[discord.Client],
    command: app_commands.Command[..., None] | app_commands.Group,  # type: ignore[type-arg]
) -> None:
    """Hang a feature's settings under /setup (so admins find them in one place).

    Features call this from their `setup()`; bot.py loads this package first.
    """
    group = tree.get_command("setup")
    if not isinstance(group, app_commands.Group):
        raise RuntimeError("the setup feature must be loaded before the features that use it")
    group.add_command(command)
