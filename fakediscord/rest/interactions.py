"""Interaction callbacks and the interaction webhook (followups, @original).

Discord's rules: the initial callback must come within `interaction_deadline` seconds
(3 s) of the dispatch, only once (else 40060); the token then works for followups and
edits for `followup_window` seconds (15 minutes). After a deferred 'thinking…' response,
the first followup replaces the placeholder instead of posting a new message.
"""

from __future__ import annotations

from typing import Any

from fakediscord import errors, factories, limits
from fakediscord.driver import (
    APPLICATION_COMMAND,
    AUTOCOMPLETE,
    COMPONENT,
    MODAL_SUBMIT,
    InteractionResponse,
    UserInteraction,
)
from fakediscord.factories import Json
from fakediscord.messaging import create_message, delete_message, edit_message
from fakediscord.models import EPHEMERAL, LOADING, Message
from fakediscord.rest.context import Reply, RequestContext, RouteTable

routes = RouteTable()

# Which callback types each interaction type accepts.
_ALLOWED = {
    APPLICATION_COMMAND: {4, 5, 9},
    COMPONENT: {4, 5, 6, 7, 9},
    AUTOCOMPLETE: {8},
    MODAL_SUBMIT: {4, 5, 6, 7},
}


def _invalid_type(kind: Any) -> errors.DiscordError:
    return errors.DiscordError(
        400,
        50035,
        "Invalid Form Body",
        {
            "type": {
                "_errors": [
                    {
                        "code": "INTERACTION_RESPONSE_TYPE_INVALID",
                        "message": f"Interaction response type {kind} is not valid here",
                    }
                ]
            }
        },
    )


@routes("POST", "/interactions/{interaction_id}/{interaction_token}/callback", auth=False)
async def create_response(ctx: RequestContext) -> Reply:
    world = ctx.world
    interaction = world.interactions.get(
        ctx.snowflake("interaction_id", errors.unknown_interaction)
    )
    if interaction is None or interaction.token != ctx.params["interaction_token"]:
        raise errors.unknown_interaction()
    body = ctx.json()
    kind = body.get("type")
    if interaction.response is not None:
        interaction.rejections.append("40060 already acknowledged")
        raise errors.already_acknowledged()
    age = interaction.age()
    if age > world.interaction_deadline:
        interaction.rejections.append(
            f"10062 after {age:.2f}s (deadline {world.interaction_deadline:g}s)"
        )
        raise errors.unknown_interaction()
    allowed = set(_ALLOWED.get(interaction.type, set()))
    if interaction.message is None:
        allowed -= {6, 7}
    if kind not in allowed:
        raise _invalid_type(kind)
    data: Json = body.get("data") or {}
    response = _respond(ctx, interaction, int(kind), data)
    interaction.response = response
    world.notify()
    if not ctx.flag("with_response"):
        return Reply.empty()
    return Reply(_callback_body(interaction, response))


def _respond(
    ctx: RequestContext, interaction: UserInteraction, kind: int, data: Json
) -> InteractionResponse:
    world, bot = ctx.world, interaction.app.bot_user
    if kind == 4:
        message = create_message(
            world,
            interaction.channel,
            bot,
            data,
            ctx.uploads,
            interaction=interaction,
            webhook_id=interaction.app.id,
            message_type=20 if interaction.type == APPLICATION_COMMAND else 0,
            prefix=("data",),
        )
        interaction.original = message
        return InteractionResponse(4, message=message)
    if kind == 5:
        message = create_message(
            world,
            interaction.channel,
            bot,
            {"flags": int(data.get("flags") or 0) & EPHEMERAL},
            interaction=interaction,
            webhook_id=interaction.app.id,
            message_type=20 if interaction.type == APPLICATION_COMMAND else 0,
            extra_flags=LOADING,
            placeholder=True,
        )
        interaction.original = message
        return InteractionResponse(5, message=message)
    if kind in (6, 7):
        target = interaction.message
        assert target is not None
        if kind == 7:
            edit_message(world, target, data, ctx.uploads, prefix=("data",))
        interaction.original = target
        return InteractionResponse(kind, message=target)
    if kind == 8:
        limits.check_choices(data).raise_if_any()
        return InteractionResponse(8, choices=list(data.get("choices") or []))
    limits.check_modal(data).raise_if_any()
    return InteractionResponse(9, modal=data)


def _callback_body(interaction: UserInteraction, response: InteractionResponse) -> Json:
    message = response.message
    if response.type in (4, 5) and message is not None:
        return factories.interaction_callback(
            interaction.id,
            interaction.type,
            response_message_id=message.id,
            loading=response.type == 5,
            ephemeral=message.ephemeral,
            resource_type=4 if response.type == 4 else None,
            resource_message=message.payload() if response.type == 4 else None,
        )
    if response.type == 7 and message is not None:
        return factories.interaction_callback(
            interaction.id, interaction.type, resource_type=7, resource_message=message.payload()
        )
    return factories.interaction_callback(interaction.id, interaction.type)


def _interaction(ctx: RequestContext) -> UserInteraction:
    """The interaction behind /webhooks/{application_id}/{token}, if its token still works."""
    app_id = ctx.snowflake("webhook_id", errors.unknown_webhook)
    token = ctx.params["webhook_token"]
    found = next(
        (i for i in ctx.world.interactions.values() if i.token == token and i.app.id == app_id),
        None,
    )
    if found is None:
        raise errors.unknown_webhook()
    if found.age() > ctx.world.followup_window:
        raise errors.invalid_webhook_token()
    if found.response is None:
        raise errors.unknown_webhook()
    return found


def _target(ctx: RequestContext, interaction: UserInteraction) -> Message:
    """The message a /messages/{id} or /messages/@original route names."""
    if "message_id" not in ctx.params:
        if interaction.original is None or interaction.original.deleted:
            raise errors.unknown_message()
        return interaction.original
    message_id = ctx.snowflake("message_id", errors.unknown_message)
    candidates = [interaction.original, *interaction.followups]
    for message in candidates:
        if message is not None and message.id == message_id and not message.deleted:
            return message
    raise errors.unknown_message()


@routes("POST", "/webhooks/{webhook_id}/{webhook_token}", auth=False)
async def execute_followup(ctx: RequestContext) -> Reply:
    interaction = _interaction(ctx)
    body = ctx.json()
    original = interaction.original
    if original is not None and original.loading and not original.deleted:
        # The first followup after a deferral fills in the 'thinking…' placeholder.
        message = edit_message(ctx.world, original, body, ctx.uploads)
    else:
        message = create_message(
            ctx.world,
            interaction.channel,
            interaction.app.bot_user,
            body,
            ctx.uploads,
            interaction=interaction,
            webhook_id=interaction.app.id,
        )
    interaction.followups.append(message)
    ctx.world.notify()
    return Reply(message.payload()) if ctx.flag("wait") else Reply.empty()


@routes("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False)
@routes("GET", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", auth=False)
async def get_webhook_message(ctx: RequestContext) -> Reply:
    return Reply(_target(ctx, _interaction(ctx)).payload())


@routes("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False)
@routes("PATCH", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", auth=False)
async def edit_webhook_message(ctx: RequestContext) -> Reply:
    message = _target(ctx, _interaction(ctx))
    edit_message(ctx.world, message, ctx.json(), ctx.uploads)
    return Reply(message.payload())


@routes("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/@original", auth=False)
@routes("DELETE", "/webhooks/{webhook_id}/{webhook_token}/messages/{message_id}", auth=False)
async def delete_webhook_message(ctx: RequestContext) -> Reply:
    message = _target(ctx, _interaction(ctx))
    delete_message(ctx.world, message)
    return Reply.empty()
