"""Every JSON payload the emulator sends is built here, so no required field is ever missing.

Ids are accepted as ints and written as strings, as Discord does. Responses built from
these functions are checked against Discord's OpenAPI description; gateway payloads
(not in that description) rely on these functions alone.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any

from fakediscord.snowflake import snowflake_time

Json = dict[str, Any]


def iso(moment: datetime | None) -> str | None:
    """Discord's timestamp format, or None."""
    return None if moment is None else moment.isoformat(timespec="microseconds")


def _sid(value: int | None) -> str | None:
    return None if value is None else str(value)


def user(
    user_id: int,
    username: str,
    *,
    global_name: str | None = None,
    bot: bool = False,
    avatar: str | None = None,
) -> Json:
    """A user object (UserResponse)."""
    payload: Json = {
        "id": str(user_id),
        "username": username,
        "discriminator": "0",
        "global_name": global_name,
        "avatar": avatar,
        "avatar_decoration_data": None,
        "banner": None,
        "accent_color": None,
        "public_flags": 0,
        "flags": 0,
        "primary_guild": None,
        "collectibles": None,
    }
    if bot:
        payload["bot"] = True
    return payload


def current_user(user_payload: Json) -> Json:
    """The private view of the bot user from GET /users/@me (UserPIIResponse)."""
    return {
        **user_payload,
        "mfa_enabled": False,
        "locale": "en-US",
        "verified": True,
        "email": None,
        "premium_type": 0,
    }


def application(
    app_id: int,
    name: str,
    bot_user: Json,
    owner: Json,
    *,
    flags: int = 0,
    description: str = "",
) -> Json:
    """The private application object (GET /applications/@me, /oauth2/applications/@me)."""
    return {
        "id": str(app_id),
        "name": name,
        "icon": None,
        "description": description,
        "type": None,
        "bot": bot_user,
        "rpc_origins": [],
        "bot_public": True,
        "bot_require_code_grant": False,
        "integration_types_config": {"0": {}},
        "verify_key": "0" * 64,
        "flags": flags,
        "flags_new": str(flags),
        "max_participants": None,
        "tags": [],
        "redirect_uris": [],
        "interactions_endpoint_url": None,
        "role_connections_verification_url": None,
        "owner": owner,
        "approximate_guild_count": 0,
        "approximate_user_install_count": 0,
        "approximate_user_authorization_count": 0,
        "explicit_content_filter": 0,
        "team": None,
        "eligible_oauth2_scopes": ["bot", "applications.commands"],
    }


def role(
    role_id: int,
    name: str,
    *,
    permissions: int,
    position: int,
    color: int = 0,
    hoist: bool = False,
    managed: bool = False,
    mentionable: bool = False,
    bot_id: int | None = None,
) -> Json:
    """A guild role (GuildRoleResponse)."""
    payload: Json = {
        "id": str(role_id),
        "name": name,
        "description": None,
        "permissions": str(permissions),
        "position": position,
        "color": color,
        "colors": {"primary_color": color, "secondary_color": None, "tertiary_color": None},
        "hoist": hoist,
        "managed": managed,
        "mentionable": mentionable,
        "icon": None,
        "unicode_emoji": None,
        "flags": 0,
    }
    if bot_id is not None:
        payload["tags"] = {"bot_id": str(bot_id)}
    return payload


def member(
    user_payload: Json,
    *,
    roles: Iterable[int],
    joined_at: datetime,
    nick: str | None = None,
    communication_disabled_until: datetime | None = None,
    mute: bool = False,
    deaf: bool = False,
    permissions: int | None = None,
) -> Json:
    """A guild member with its user (GuildMemberResponse); `permissions` is for interactions."""
    payload: Json = {
        "user": user_payload,
        "roles": [str(r) for r in roles],
        "joined_at": iso(joined_at),
        "nick": nick,
        "avatar": None,
        "banner": None,
        "communication_disabled_until": iso(communication_disabled_until),
        "flags": 0,
        "pending": False,
        "premium_since": None,
        "mute": mute,
        "deaf": deaf,
    }
    if permissions is not None:
        payload["permissions"] = str(permissions)
    return payload


def overwrite(target_id: int, target_type: int, allow: int, deny: int) -> Json:
    """A channel permission overwrite (type 0 role, 1 member)."""
    return {"id": str(target_id), "type": target_type, "allow": str(allow), "deny": str(deny)}


def guild_channel(
    channel_id: int,
    channel_type: int,
    *,
    guild_id: int,
    name: str,
    position: int,
    overwrites: Sequence[Json] = (),
    parent_id: int | None = None,
    topic: str | None = None,
    nsfw: bool = False,
    last_message_id: int | None = None,
    rate_limit_per_user: int = 0,
    bitrate: int = 64000,
    user_limit: int = 0,
) -> Json:
    """A text, voice, category, announcement, stage or forum channel (GuildChannelResponse)."""
    payload: Json = {
        "id": str(channel_id),
        "type": channel_type,
        "guild_id": str(guild_id),
        "name": name,
        "position": position,
        "permission_overwrites": list(overwrites),
        "parent_id": _sid(parent_id),
        "flags": 0,
    }
    if channel_type in (0, 5, 15):
        payload.update(
            topic=topic,
            nsfw=nsfw,
            last_message_id=_sid(last_message_id),
            rate_limit_per_user=rate_limit_per_user,
            default_thread_rate_limit_per_user=0,
        )
    if channel_type in (2, 13):
        payload.update(
            bitrate=bitrate,
            user_limit=user_limit,
            rtc_region=None,
            nsfw=nsfw,
            last_message_id=_sid(last_message_id),
            rate_limit_per_user=rate_limit_per_user,
        )
    return payload


def thread(
    thread_id: int,
    thread_type: int,
    *,
    guild_id: int,
    parent_id: int,
    owner_id: int,
    name: str,
    created_at: datetime,
    archived: bool = False,
    locked: bool = False,
    invitable: bool = True,
    auto_archive_duration: int = 1440,
    message_count: int = 0,
    member_count: int = 0,
    last_message_id: int | None = None,
    rate_limit_per_user: int = 0,
    own_member: Json | None = None,
) -> Json:
    """A public (11) or private (12) thread (ThreadResponse)."""
    metadata: Json = {
        "archived": archived,
        "archive_timestamp": iso(created_at),
        "auto_archive_duration": auto_archive_duration,
        "locked": locked,
        "create_timestamp": iso(created_at),
    }
    if thread_type == 12:
        metadata["invitable"] = invitable
    payload: Json = {
        "id": str(thread_id),
        "type": thread_type,
        "guild_id": str(guild_id),
        "parent_id": str(parent_id),
        "owner_id": str(owner_id),
        "name": name,
        "flags": 0,
        "last_message_id": _sid(last_message_id),
        "rate_limit_per_user": rate_limit_per_user,
        "thread_metadata": metadata,
        "message_count": message_count,
        "member_count": member_count,
        "total_message_sent": message_count,
        "applied_tags": [],
    }
    if own_member is not None:
        payload["member"] = own_member
    return payload


def thread_member(
    thread_id: int, user_id: int, *, joined_at: datetime, member_payload: Json | None = None
) -> Json:
    """A thread member (ThreadMemberResponse); `member` is included when asked for."""
    payload: Json = {
        "id": str(thread_id),
        "user_id": str(user_id),
        "join_timestamp": iso(joined_at),
        "flags": 0,
    }
    if member_payload is not None:
        payload["member"] = member_payload
    return payload


def dm_channel(channel_id: int, recipients: Sequence[Json], last_message_id: int | None) -> Json:
    """A direct-message channel (PrivateChannelResponse)."""
    return {
        "id": str(channel_id),
        "type": 1,
        "flags": 0,
        "recipients": list(recipients),
        "last_message_id": _sid(last_message_id),
        "last_pin_timestamp": None,
    }


def guild(guild_id: int, name: str, *, owner_id: int, roles: Sequence[Json]) -> Json:
    """The REST guild object (GuildWithCountsResponse minus the counts)."""
    return {
        "id": str(guild_id),
        "name": name,
        "icon": None,
        "description": None,
        "home_header": None,
        "splash": None,
        "discovery_splash": None,
        "features": [],
        "banner": None,
        "owner_id": str(owner_id),
        "application_id": None,
        "region": "deprecated",
        "afk_channel_id": None,
        "afk_timeout": 300,
        "system_channel_id": None,
        "system_channel_flags": 0,
        "widget_enabled": False,
        "widget_channel_id": None,
        "verification_level": 0,
        "roles": list(roles),
        "default_message_notifications": 1,
        "mfa_level": 0,
        "explicit_content_filter": 0,
        "max_presences": None,
        "max_members": 500000,
        "max_stage_video_channel_users": 50,
        "max_video_channel_users": 25,
        "vanity_url_code": None,
        "premium_tier": 0,
        "premium_subscription_count": 0,
        "preferred_locale": "en-US",
        "rules_channel_id": None,
        "safety_alerts_channel_id": None,
        "public_updates_channel_id": None,
        "premium_progress_bar_enabled": False,
        "nsfw": False,
        "nsfw_level": 0,
        "emojis": [],
        "stickers": [],
        "incidents_data": None,
    }


def guild_create(
    rest_guild: Json,
    *,
    joined_at: datetime,
    member_count: int,
    members: Sequence[Json],
    channels: Sequence[Json],
    threads: Sequence[Json],
    voice_states: Sequence[Json],
    scheduled_events: Sequence[Json],
) -> Json:
    """The GUILD_CREATE dispatch: the REST guild plus the gateway-only fields."""
    return {
        **rest_guild,
        "joined_at": iso(joined_at),
        "large": False,
        "unavailable": False,
        "member_count": member_count,
        "members": list(members),
        "channels": list(channels),
        "threads": list(threads),
        "voice_states": list(voice_states),
        "presences": [],
        "stage_instances": [],
        "guild_scheduled_events": list(scheduled_events),
        "soundboard_sounds": [],
        "lazy": True,
    }


def unavailable_guild(guild_id: int) -> Json:
    """A guild as listed in READY or GUILD_DELETE."""
    return {"id": str(guild_id), "unavailable": True}


def voice_state(
    guild_id: int,
    channel_id: int | None,
    user_id: int,
    session_id: str,
    *,
    member_payload: Json | None = None,
    self_mute: bool = False,
    self_deaf: bool = False,
    mute: bool = False,
    deaf: bool = False,
) -> Json:
    """A voice state (VoiceStateResponse); a null channel means the user left voice."""
    payload: Json = {
        "guild_id": str(guild_id),
        "channel_id": _sid(channel_id),
        "user_id": str(user_id),
        "session_id": session_id,
        "deaf": deaf,
        "mute": mute,
        "self_deaf": self_deaf,
        "self_mute": self_mute,
        "self_stream": False,
        "self_video": False,
        "suppress": False,
        "request_to_speak_timestamp": None,
    }
    if member_payload is not None:
        payload["member"] = member_payload
    return payload


def attachment(
    attachment_id: int,
    filename: str,
    *,
    size: int,
    url: str,
    content_type: str | None,
    description: str | None = None,
    width: int | None = None,
    height: int | None = None,
    ephemeral: bool = False,
) -> Json:
    """A message attachment (MessageAttachmentResponse)."""
    payload: Json = {
        "id": str(attachment_id),
        "filename": filename,
        "size": size,
        "url": url,
        "proxy_url": url,
    }
    if content_type is not None:
        payload["content_type"] = content_type
    if description is not None:
        payload["description"] = description
    if width is not None and height is not None:
        payload["width"] = width
        payload["height"] = height
    if ephemeral:
        payload["ephemeral"] = True
    return payload


def embed(raw: Mapping[str, Any]) -> Json:
    """An embed as Discord echoes it back: typed `rich` by default, every field's `inline` set."""
    payload = dict(raw)
    payload.setdefault("type", "rich")
    if isinstance(payload.get("fields"), list):
        payload["fields"] = [{"inline": False, **f} for f in payload["fields"]]
    return payload


_COMPONENT_DEFAULTS: dict[int, Json] = {
    3: {"min_values": 1, "max_values": 1},
    5: {"min_values": 1, "max_values": 1},
    6: {"min_values": 1, "max_values": 1},
    7: {"min_values": 1, "max_values": 1},
    8: {"min_values": 1, "max_values": 1},
    4: {"min_length": 0, "max_length": 4000},
    14: {"spacing": 1, "divider": True},
    17: {"accent_color": None, "spoiler": False},
    11: {"description": None, "spoiler": False},
}


def components(raw: Sequence[Mapping[str, Any]]) -> list[Json]:
    """Components as Discord echoes them: every one numbered (`id`) and defaults filled in."""
    counter = [0]
    used = _collect_ids(raw)

    def number(component: Mapping[str, Any]) -> Json:
        out = dict(_COMPONENT_DEFAULTS.get(int(component.get("type", 0)), {}))
        out.update(component)
        if "id" not in out:
            counter[0] += 1
            while counter[0] in used:
                counter[0] += 1
            out["id"] = counter[0]
        if "components" in out:
            out["components"] = [number(child) for child in out["components"]]
        for key in ("accessory", "component"):
            if isinstance(out.get(key), Mapping):
                out[key] = number(out[key])
        return out

    return [number(c) for c in raw]


def _collect_ids(raw: Sequence[Mapping[str, Any]]) -> set[int]:
    found: set[int] = set()
    for component in raw:
        if isinstance(component.get("id"), int):
            found.add(component["id"])
        found |= _collect_ids(component.get("components", []))
        for key in ("accessory", "component"):
            if isinstance(component.get(key), Mapping):
                found |= _collect_ids([component[key]])
    return found


def message(
    message_id: int,
    channel_id: int,
    author: Json,
    *,
    content: str = "",
    guild_id: int | None = None,
    member_payload: Json | None = None,
    message_type: int = 0,
    embeds: Sequence[Json] = (),
    component_list: Sequence[Json] = (),
    attachments: Sequence[Json] = (),
    mentions: Sequence[Json] = (),
    mention_roles: Sequence[int] = (),
    mention_everyone: bool = False,
    flags: int = 0,
    edited_at: datetime | None = None,
    tts: bool = False,
    pinned: bool = False,
    nonce: str | int | None = None,
    webhook_id: int | None = None,
    application_id: int | None = None,
    interaction_metadata: Json | None = None,
    interaction: Json | None = None,
    message_reference: Json | None = None,
    referenced_message: Json | None = None,
    thread_payload: Json | None = None,
) -> Json:
    """A message (MessageResponse); `member_payload` without `user` is added in guild dispatches."""
    payload: Json = {
        "id": str(message_id),
        "channel_id": str(channel_id),
        "type": message_type,
        "author": author,
        "content": content,
        "timestamp": iso(snowflake_time(message_id)),
        "edited_timestamp": iso(edited_at),
        "tts": tts,
        "mention_everyone": mention_everyone,
        "mentions": list(mentions),
        "mention_roles": [str(r) for r in mention_roles],
        "mention_channels": [],
        "attachments": list(attachments),
        "embeds": list(embeds),
        "components": list(component_list),
        "reactions": [],
        "pinned": pinned,
        "flags": flags,
        "stickers": [],
        "sticker_items": [],
    }
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    if member_payload is not None:
        payload["member"] = {k: v for k, v in member_payload.items() if k != "user"}
    if nonce is not None:
        payload["nonce"] = nonce
    if webhook_id is not None:
        payload["webhook_id"] = str(webhook_id)
    if application_id is not None:
        payload["application_id"] = str(application_id)
    if interaction_metadata is not None:
        payload["interaction_metadata"] = interaction_metadata
    if interaction is not None:
        payload["interaction"] = interaction
    if message_reference is not None:
        payload["message_reference"] = message_reference
        payload["referenced_message"] = referenced_message
    if thread_payload is not None:
        payload["thread"] = thread_payload
    return payload


def message_reference(message_id: int, channel_id: int, guild_id: int | None) -> Json:
    """A reply's reference to the message it answers (type 0 = default reply)."""
    ref: Json = {"type": 0, "message_id": str(message_id), "channel_id": str(channel_id)}
    if guild_id is not None:
        ref["guild_id"] = str(guild_id)
    return ref


def interaction_metadata(
    interaction_id: int,
    interaction_type: int,
    user_payload: Json,
    *,
    guild_id: int | None,
    interacted_message_id: int | None = None,
    triggering: Json | None = None,
) -> Json:
    """`interaction_metadata` of a message that answers an interaction."""
    owners = {"0": str(guild_id)} if guild_id is not None else {"1": user_payload["id"]}
    payload: Json = {
        "id": str(interaction_id),
        "type": interaction_type,
        "user": user_payload,
        "authorizing_integration_owners": owners,
    }
    if interacted_message_id is not None:
        payload["interacted_message_id"] = str(interacted_message_id)
    if triggering is not None:
        payload["triggering_interaction_metadata"] = triggering
    return payload


def message_interaction(interaction_id: int, name: str, user_payload: Json) -> Json:
    """The older `interaction` field of a command's reply (type 2 = application command)."""
    return {"id": str(interaction_id), "type": 2, "name": name, "user": user_payload}


def message_delete(message_id: int, channel_id: int, guild_id: int | None) -> Json:
    """The MESSAGE_DELETE dispatch."""
    payload: Json = {"id": str(message_id), "channel_id": str(channel_id)}
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload


def partial_channel(channel: Json) -> Json:
    """The channel as an interaction carries it (channel minus nothing that matters)."""
    return dict(channel)


def interaction(
    interaction_id: int,
    interaction_type: int,
    *,
    application_id: int,
    token: str,
    channel_payload: Json,
    data: Json | None = None,
    guild_id: int | None = None,
    member_payload: Json | None = None,
    user_payload: Json | None = None,
    message_payload: Json | None = None,
    app_permissions: int = 0,
    locale: str = "en-US",
) -> Json:
    """An INTERACTION_CREATE payload.

    Types: 2 application command, 3 component, 4 autocomplete, 5 modal submit. Guild
    interactions carry `member` (with `permissions`), DM interactions carry `user`.
    """
    payload: Json = {
        "id": str(interaction_id),
        "type": interaction_type,
        "application_id": str(application_id),
        "token": token,
        "version": 1,
        "channel": partial_channel(channel_payload),
        "channel_id": channel_payload["id"],
        "app_permissions": str(app_permissions),
        "locale": locale,
        "entitlements": [],
        "entitlement_sku_ids": [],
        "attachment_size_limit": 10 * 1024 * 1024,
        "context": 0 if guild_id is not None else 1,
    }
    if data is not None:
        payload["data"] = data
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
        payload["guild_locale"] = "en-US"
        payload["guild"] = {"id": str(guild_id), "locale": "en-US", "features": []}
        payload["member"] = member_payload
        payload["authorizing_integration_owners"] = {"0": str(guild_id)}
    else:
        payload["user"] = user_payload
        assert user_payload is not None
        payload["authorizing_integration_owners"] = {"1": user_payload["id"]}
    if message_payload is not None:
        payload["message"] = message_payload
    return payload


def command_data(
    command_id: int,
    name: str,
    *,
    command_type: int = 1,
    options: Sequence[Json] = (),
    resolved: Json | None = None,
    guild_id: int | None = None,
) -> Json:
    """`data` of an application-command or autocomplete interaction."""
    payload: Json = {"id": str(command_id), "name": name, "type": command_type}
    if options:
        payload["options"] = list(options)
    if resolved:
        payload["resolved"] = resolved
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload


def component_data(
    custom_id: int | str, component_type: int, values: Sequence[str] | None = None
) -> Json:
    """`data` of a component interaction: a button (2) or a select (3, 5-8) with values."""
    payload: Json = {"custom_id": str(custom_id), "component_type": component_type}
    if values is not None:
        payload["values"] = list(values)
    return payload


def modal_data(custom_id: str, submitted: Sequence[Json]) -> Json:
    """`data` of a modal submit: the modal's custom_id and its filled-in components."""
    return {"custom_id": custom_id, "components": list(submitted)}


def interaction_callback(
    interaction_id: int,
    interaction_type: int,
    *,
    response_message_id: int | None = None,
    loading: bool = False,
    ephemeral: bool = False,
    resource_type: int | None = None,
    resource_message: Json | None = None,
) -> Json:
    """The body of POST .../callback?with_response=true, which discord.py 2.5+ parses."""
    inner: Json = {"id": str(interaction_id), "type": interaction_type}
    if response_message_id is not None:
        inner["response_message_id"] = str(response_message_id)
        inner["response_message_loading"] = loading
        inner["response_message_ephemeral"] = ephemeral
    body: Json = {"interaction": inner}
    if resource_type is not None and resource_message is not None:
        body["resource"] = {"type": resource_type, "message": resource_message}
    return body


def application_command(
    command_id: int,
    application_id: int,
    definition: Mapping[str, Any],
    *,
    version: int,
    guild_id: int | None = None,
) -> Json:
    """A stored command as Discord returns it (ApplicationCommandResponse)."""
    command_type = int(definition.get("type", 1))
    payload: Json = {
        "id": str(command_id),
        "application_id": str(application_id),
        "version": str(version),
        "type": command_type,
        "name": definition["name"],
        "name_localizations": definition.get("name_localizations"),
        "description": definition.get("description", "") if command_type == 1 else "",
        "description_localizations": definition.get("description_localizations"),
        "default_member_permissions": _sid(
            None
            if definition.get("default_member_permissions") is None
            else int(definition["default_member_permissions"])
        ),
        "dm_permission": definition.get("dm_permission", True),
        "nsfw": definition.get("nsfw", False),
        "contexts": definition.get("contexts"),
        "integration_types": definition.get("integration_types") or [0],
    }
    if definition.get("options"):
        payload["options"] = [dict(o) for o in definition["options"]]
    if guild_id is not None:
        payload["guild_id"] = str(guild_id)
    return payload


def scheduled_event(
    event_id: int,
    guild_id: int,
    *,
    name: str,
    creator: Json,
    entity_type: int,
    start: datetime,
    end: datetime | None = None,
    channel_id: int | None = None,
    location: str | None = None,
    description: str | None = None,
    status: int = 1,
    user_count: int = 0,
) -> Json:
    """A guild scheduled event: entity type 1 stage, 2 voice (needs a channel), 3 external."""
    return {
        "id": str(event_id),
        "guild_id": str(guild_id),
        "name": name,
        "description": description,
        "channel_id": _sid(channel_id),
        "creator_id": creator["id"],
        "creator": creator,
        "image": None,
        "scheduled_start_time": iso(start),
        "scheduled_end_time": iso(end),
        "status": status,
        "entity_type": entity_type,
        "entity_id": None,
        "entity_metadata": {"location": location} if entity_type == 3 else None,
        "recurrence_rule": None,
        "privacy_level": 2,
        "user_count": user_count,
        "guild_scheduled_event_exceptions": [],
    }


def scheduled_event_user(event_id: int, user_payload: Json, member_payload: Json | None) -> Json:
    """One entry of GET .../scheduled-events/{id}/users (response 1 = interested)."""
    payload: Json = {
        "guild_scheduled_event_id": str(event_id),
        "user_id": user_payload["id"],
        "user": user_payload,
        "response": 1,
    }
    if member_payload is not None:
        payload["member"] = member_payload
    return payload


def scheduled_event_user_change(event_id: int, user_id: int, guild_id: int) -> Json:
    """GUILD_SCHEDULED_EVENT_USER_ADD / _REMOVE dispatches."""
    return {
        "guild_scheduled_event_id": str(event_id),
        "user_id": str(user_id),
        "guild_id": str(guild_id),
    }


def gateway_hello(heartbeat_interval_ms: int) -> Json:
    """Opcode 10."""
    return {"op": 10, "d": {"heartbeat_interval": heartbeat_interval_ms}, "s": None, "t": None}


def ready(
    *,
    user_payload: Json,
    application_id: int,
    application_flags: int,
    guild_ids: Iterable[int],
    session_id: str,
    resume_gateway_url: str,
    shard: tuple[int, int],
) -> Json:
    """The READY dispatch; guilds are listed unavailable and follow as GUILD_CREATE."""
    return {
        "v": 10,
        "user": user_payload,
        "guilds": [unavailable_guild(g) for g in guild_ids],
        "session_id": session_id,
        "session_type": "normal",
        "resume_gateway_url": resume_gateway_url,
        "shard": list(shard),
        "application": {"id": str(application_id), "flags": application_flags},
        "private_channels": [],
        "relationships": [],
        "presences": [],
        "guild_join_requests": [],
        "geo_ordered_rtc_regions": ["local"],
        "user_settings": {},
        "_trace": ["fakediscord"],
    }


def gateway_bot(url: str, shards: int) -> Json:
    """GET /gateway/bot."""
    return {
        "url": url,
        "shards": shards,
        "session_start_limit": {
            "total": 1000,
            "remaining": 1000,
            "reset_after": 86_400_000,
            "max_concurrency": 1,
        },
    }


def error(code: int, message: str, errors: Mapping[str, Any] | None = None) -> Json:
    """An error body."""
    body: Json = {"code": code, "message": message}
    if errors is not None:
        body["errors"] = dict(errors)
    return body


def rate_limited(retry_after: float, *, is_global: bool) -> Json:
    """The body of a 429."""
    return {
        "message": "You are being rate limited.",
        "retry_after": round(retry_after, 3),
        "global": is_global,
        "code": 0,
    }
