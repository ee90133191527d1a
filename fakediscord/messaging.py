"""Creating, editing and deleting messages from request bodies, shared by REST and the driver."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from fakediscord import errors, limits
from fakediscord.models import EPHEMERAL, LOADING, Attachment, Channel, Message, Role, User
from fakediscord.permissions import Permission
from fakediscord.uploads import Upload

if TYPE_CHECKING:
    from fakediscord.driver import UserInteraction
    from fakediscord.state import World

_USER_MENTION = re.compile(r"<@!?(\d+)>")
_ROLE_MENTION = re.compile(r"<@&(\d+)>")
# Flags a sender may set on a message; the rest belong to Discord.
_SETTABLE_FLAGS = (1 << 2) | (1 << 6) | (1 << 12) | (1 << 15)


def create_message(
    world: World,
    channel: Channel,
    author: User,
    body: Mapping[str, Any],
    uploads: Sequence[Upload] = (),
    *,
    interaction: UserInteraction | None = None,
    webhook_id: int | None = None,
    message_type: int = 0,
    extra_flags: int = 0,
    prefix: tuple[str | int, ...] = (),
    placeholder: bool = False,
) -> Message:
    """Validate a message body against Discord's limits and post it (MESSAGE_CREATE).

    A `placeholder` is the empty 'thinking…' message of a deferred interaction. With
    `enforce_nonce`, a nonce the author already used in the channel within the world's
    `nonce_window` gives back that message instead, and nothing is created or dispatched.
    """
    limits.check_message(body, prefix).raise_if_any()
    if not placeholder and not _has_substance(body, uploads):
        raise errors.empty_message()
    nonce = body.get("nonce")
    # Nonces belong to Create Message; interaction replies and webhook posts have none.
    keeps_nonce = interaction is None and webhook_id is None
    if keeps_nonce and nonce is not None and body.get("enforce_nonce") is True:
        earlier = world.message_with_nonce(channel, author, nonce)
        if earlier is not None:
            return earlier
    message_id = world.new_id()
    reference = _reference(world, channel, body)
    message = Message(
        message_id,
        channel,
        author,
        content=str(body.get("content") or ""),
        embeds=list(body.get("embeds") or []),
        components=list(body.get("components") or []),
        flags=_flags(body, interaction is not None) | extra_flags,
        type=19 if reference is not None and message_type == 0 else message_type,
        tts=bool(body.get("tts")),
        nonce=nonce,
        webhook_id=webhook_id,
        application_id=interaction.app.id if interaction is not None else None,
        interaction=interaction,
        reference=reference,
    )
    message.attachments = _attachments(world, message, body, uploads, keep=())
    _apply_mentions(world, message, body)
    world.add_message(message)
    if keeps_nonce:
        world.remember_nonce(message)
    world.gateway.message_event("MESSAGE_CREATE", message)
    world.notify()
    return message


def edit_message(
    world: World,
    message: Message,
    body: Mapping[str, Any],
    uploads: Sequence[Upload] = (),
    *,
    prefix: tuple[str | int, ...] = (),
) -> Message:
    """Apply an edit body (MESSAGE_UPDATE). An edit of a 'thinking…' message completes it."""
    merged = {
        "content": message.content,
        "embeds": message.embeds,
        "components": message.components,
        "flags": message.flags,
    }
    merged.update({k: v for k, v in body.items() if k in merged and v is not None})
    limits.check_message(merged, prefix).raise_if_any()
    if "content" in body:
        message.content = str(body.get("content") or "")
    if "embeds" in body:
        message.embeds = list(body.get("embeds") or [])
    if "components" in body:
        message.components = list(body.get("components") or [])
    if body.get("flags") is not None:
        settable = int(body["flags"]) & _SETTABLE_FLAGS & ~(1 << 6)
        message.flags = (message.flags & ~(_SETTABLE_FLAGS & ~(1 << 6))) | settable
    if "attachments" in body or uploads:
        message.attachments = _attachments(world, message, body, uploads, keep=message.attachments)
    if "content" in body or "allowed_mentions" in body:
        _apply_mentions(world, message, body)
    if message.loading:
        message.flags &= ~LOADING
    else:
        message.edited_at = world.clock()
    world.gateway.message_event("MESSAGE_UPDATE", message)
    world.notify()
    return message


def delete_message(world: World, message: Message) -> None:
    """Delete a message (MESSAGE_DELETE); it stays readable in the emulator's records."""
    message.deleted = True
    world.gateway.message_deleted(message)
    world.notify()


def _flags(body: Mapping[str, Any], answers_interaction: bool) -> int:
    flags = int(body.get("flags") or 0) & _SETTABLE_FLAGS
    # Only interaction replies can be ephemeral; Discord ignores the flag elsewhere.
    return flags if answers_interaction else flags & ~EPHEMERAL


def _has_substance(body: Mapping[str, Any], uploads: Sequence[Upload]) -> bool:
    return bool(
        body.get("content")
        or body.get("embeds")
        or body.get("components")
        or body.get("sticker_ids")
        or body.get("poll")
        or uploads
    )


def _reference(world: World, channel: Channel, body: Mapping[str, Any]) -> Message | None:
    ref = body.get("message_reference")
    if not isinstance(ref, Mapping) or ref.get("message_id") is None:
        return None
    target = world.messages.get(int(ref["message_id"]))
    if target is None or target.deleted or target.channel is not channel:
        if ref.get("fail_if_not_exists", True):
            raise errors.DiscordError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "message_reference": {
                        "_errors": [
                            {
                                "code": "MESSAGE_REFERENCE_UNKNOWN_MESSAGE",
                                "message": "Unknown message",
                            }
                        ]
                    }
                },
            )
        return None
    return target


def _attachments(
    world: World,
    message: Message,
    body: Mapping[str, Any],
    uploads: Sequence[Upload],
    *,
    keep: Sequence[Attachment],
) -> list[Attachment]:
    by_index = {u.index: u for u in uploads if u.index is not None}
    declared = body.get("attachments")
    result: list[Attachment] = []
    used: set[int] = set()
    if isinstance(declared, list):
        kept = {a.id: a for a in keep}
        for entry in declared:
            if not isinstance(entry, Mapping) or entry.get("id") is None:
                continue
            entry_id = int(entry["id"])
            if entry_id in kept:
                result.append(kept[entry_id])
            elif entry_id in by_index:
                used.add(entry_id)
                upload = by_index[entry_id]
                result.append(
                    world.new_attachment(
                        message.channel,
                        upload,
                        filename=entry.get("filename"),
                        description=entry.get("description"),
                        ephemeral=message.ephemeral,
                    )
                )
    else:
        result = list(keep)
    for upload in uploads:
        if upload.index not in used:
            result.append(
                world.new_attachment(message.channel, upload, ephemeral=message.ephemeral)
            )
    return result


def _apply_mentions(world: World, message: Message, body: Mapping[str, Any]) -> None:
    """Fill `mentions`, `mention_roles`, `mention_everyone` from content and allowed_mentions."""
    allowed = body.get("allowed_mentions")
    parse: set[str] = {"users", "roles", "everyone"}
    allowed_users: set[int] = set()
    allowed_roles: set[int] = set()
    replied_user = True
    if isinstance(allowed, Mapping):
        parse = set(allowed.get("parse") or [])
        allowed_users = {int(u) for u in allowed.get("users") or []}
        allowed_roles = {int(r) for r in allowed.get("roles") or []}
        replied_user = bool(allowed.get("replied_user", False))
    content = message.content
    users: list[User] = []
    for raw in _USER_MENTION.findall(content):
        user = world.users.get(int(raw))
        if (
            user is not None
            and ("users" in parse or user.id in allowed_users)
            and user not in users
        ):
            users.append(user)
    if message.reference is not None and replied_user and message.reference.author not in users:
        users.append(message.reference.author)
    roles: list[Role] = []
    guild = message.guild
    if guild is not None:
        for raw in _ROLE_MENTION.findall(content):
            role = guild.roles.get(int(raw))
            if (
                role is not None
                and ("roles" in parse or role.id in allowed_roles)
                and role not in roles  # Discord lists a role mentioned twice once
            ):
                roles.append(role)
    everyone = False
    if "everyone" in parse and ("@everyone" in content or "@here" in content):
        everyone = _may_mention_everyone(message)
    message.mentions = users
    message.mention_roles = roles
    message.mention_everyone = everyone


def _may_mention_everyone(message: Message) -> bool:
    guild = message.guild
    if guild is None:
        return False
    member = guild.members.get(message.author.id)
    if member is None:
        return message.webhook_id is not None
    return bool(member.permissions_in(message.channel) & Permission.MENTION_EVERYONE)
