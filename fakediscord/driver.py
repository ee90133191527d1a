"""Acting as a person: slash commands, autocomplete, buttons, selects, modals, messages, voice.

Every action checks what Discord's own client would let the person do (the command
exists and is visible to them, the options exist and have the right types, the
component is on a message they can see) and raises a clear error otherwise, so a
test cannot drive the bot through a path no real user could take.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Coroutine, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from fakediscord import factories
from fakediscord.factories import Json
from fakediscord.options import (
    CommandUnavailableError,
    Resolver,
    command_options,
)
from fakediscord.permissions import Permission, has, shown_names
from fakediscord.uploads import Upload

if TYPE_CHECKING:
    from fakediscord.models import (
        Application,
        Attachment,
        Channel,
        Guild,
        Member,
        Message,
        Role,
        ScheduledEvent,
        User,
    )
    from fakediscord.state import World

APPLICATION_COMMAND, COMPONENT, AUTOCOMPLETE, MODAL_SUBMIT = 2, 3, 4, 5


class ComponentError(LookupError):
    """The component is missing, disabled, of another kind, or the values are not allowed."""


@dataclass
class InteractionResponse:
    """The initial response to an interaction (callback types 4-9).

    For message responses, the reading properties follow the live message, so after the
    bot edits it (e.g. a deferred 'thinking…' reply) they show the edited state.
    """

    type: int
    message: Message | None = None
    modal: Json | None = None
    choices: list[Json] | None = None

    @property
    def content(self) -> str:
        return self.message.content if self.message else ""

    @property
    def embeds(self) -> list[Json]:
        return self.message.embeds if self.message else []

    @property
    def components(self) -> list[Json]:
        return self.message.components if self.message else []

    @property
    def attachments(self) -> list[Attachment]:
        return self.message.attachments if self.message else []

    @property
    def ephemeral(self) -> bool:
        return bool(self.message and self.message.ephemeral)

    @property
    def deferred(self) -> bool:
        """True for type 5 (thinking…) and 6 (deferred update)."""
        return self.type in (5, 6)


class UserInteraction:
    """An interaction a person started; waits for what the bot answers."""

    def __init__(
        self,
        world: World,
        *,
        app: Application,
        user: User,
        member: Member | None,
        channel: Channel,
        interaction_type: int,
        data: Json,
        command_name: str = "",
        message: Message | None = None,
        parent: UserInteraction | None = None,
    ) -> None:
        self._world = world
        self.id = world.new_id()
        self.token = "fake-" + secrets.token_urlsafe(48)
        self.app = app
        self.user = user
        self.member = member
        self.channel = channel
        self.type = interaction_type
        self.data = data
        self.command_name = command_name
        self.message = message
        self.parent = parent
        self.dispatched_at = 0.0
        self.response: InteractionResponse | None = None
        self.original: Message | None = None
        self.followups: list[Message] = []
        self.rejections: list[str] = []
        self.payload = self._build_payload()

    def __repr__(self) -> str:
        return f"<UserInteraction {self.describe()} id={self.id}>"

    @property
    def guild(self) -> Guild | None:
        return self.channel.guild

    def describe(self) -> str:
        kinds = {2: "/" + self.command_name, 3: "component", 4: "autocomplete", 5: "modal submit"}
        what = kinds.get(self.type, f"type {self.type}")
        if self.type in (3, 5):
            what += f" {self.data.get('custom_id')!r}"
        return f"{what} by {self.user.username}"

    def _build_payload(self) -> Json:
        bot = self.guild.members.get(self.app.bot_user.id) if self.guild else None
        return factories.interaction(
            self.id,
            self.type,
            application_id=self.app.id,
            token=self.token,
            channel_payload=self.channel.payload(),
            data=self.data,
            guild_id=self.guild.id if self.guild else None,
            member_payload=(
                self.member.payload(permissions_in=self.channel) if self.member else None
            ),
            user_payload=self.user.payload(),
            message_payload=self.message.payload() if self.message else None,
            app_permissions=bot.permissions_in(self.channel) if bot else 0,
        )

    def metadata_payload(self) -> Json:
        """`interaction_metadata` for messages that answer this interaction."""
        triggering = self.parent.metadata_payload() if self.parent else None
        return factories.interaction_metadata(
            self.id,
            self.type,
            self.user.payload(),
            guild_id=self.guild.id if self.guild else None,
            interacted_message_id=self.message.id if self.message and self.type == 3 else None,
            triggering=triggering if self.type == 5 else None,
        )

    def dispatch(self) -> UserInteraction:
        self.dispatched_at = asyncio.get_running_loop().time()
        self._world.gateway.interaction_create(self)
        self._world.interactions[self.id] = self
        self._world.notify()
        return self

    def age(self) -> float:
        return asyncio.get_running_loop().time() - self.dispatched_at

    # -- waiting

    def wait_for_response(self, timeout: float = 5.0) -> Coroutine[Any, Any, InteractionResponse]:
        """The initial response (the first accepted callback)."""
        return self._world.wait_until(
            lambda: self.response,
            within=timeout,
            what=f"the initial response to {self.describe()}",
            seen=self._seen,
        )

    def wait_for_followup(
        self, where: Callable[[Message], bool] | None = None, timeout: float = 5.0
    ) -> Coroutine[Any, Any, Message]:
        """A followup message (POST /webhooks/{app}/{token}) matching `where`."""

        def check() -> Message | None:
            return next((m for m in self.followups if where is None or where(m)), None)

        return self._world.wait_until(
            check, within=timeout, what=f"a followup to {self.describe()}", seen=self._seen
        )

    def wait_for_reply(
        self, where: Callable[[Message], bool] | None = None, timeout: float = 5.0
    ) -> Coroutine[Any, Any, Message]:
        """The first finished message answering this interaction: the original or a followup.

        A deferred 'thinking…' placeholder counts only once the bot has edited it.
        """

        def check() -> Message | None:
            candidates = [self.original] if self.original is not None else []
            candidates += self.followups
            for message in candidates:
                if message is None or message.loading or message.deleted:
                    continue
                untouched = self.response is not None and self.response.type == 6
                if message is self.message and untouched and message.edited_at is None:
                    continue
                if where is None or where(message):
                    return message
            return None

        return self._world.wait_until(
            check, within=timeout, what=f"a reply to {self.describe()}", seen=self._seen
        )

    def _seen(self) -> str:
        parts = []
        if self.response is None:
            parts.append("no initial response")
        else:
            parts.append(f"response type {self.response.type} {self.response.content!r}")
        parts += [f"followup {m.content!r}" for m in self.followups]
        parts += [f"rejected callback: {r}" for r in self.rejections]
        if not any(s.conn is not None for s in self._world.gateway.sessions_of(self.app)):
            parts.append(f"{self.app.name!r} has no live gateway connection")
        return "; ".join(parts)


class Person:
    """What a person can do in Discord's client. Mixed into `Member`."""

    _world: World
    user: User
    guild: Guild

    # -- application commands

    async def run_command(
        self,
        name: str,
        *,
        channel: Channel | None = None,
        app: Application | None = None,
        options: Mapping[str, Any] | None = None,
        **kwargs: Any,
    ) -> UserInteraction:
        """Run a slash command, e.g. `run_command("setup timezone", zone="UTC", channel=ch)`.

        Spaces separate a command from its subcommand group and subcommand. Options come
        as keyword arguments (underscores match hyphens) or in `options` for names that
        clash with the parameters here. `channel=None` runs it in a DM with the bot.
        """
        given = {**(options or {}), **kwargs}
        return self._command_interaction(name, channel, app, given, focused=None).dispatch()

    def autocomplete(
        self,
        name: str,
        *,
        focused: str,
        value: str,
        channel: Channel | None = None,
        app: Application | None = None,
        options: Mapping[str, Any] | None = None,
        timeout: float = 5.0,
        **kwargs: Any,
    ) -> Coroutine[Any, Any, list[Json]]:
        """Type `value` into option `focused` and return the choices the bot offers."""
        given = {**(options or {}), **kwargs, focused: value}
        return self._autocomplete(name, channel, app, given, focused, within=timeout)

    async def _autocomplete(
        self,
        name: str,
        channel: Channel | None,
        app: Application | None,
        given: dict[str, Any],
        focused: str,
        *,
        within: float,
    ) -> list[Json]:
        interaction = self._command_interaction(name, channel, app, given, focused=focused)
        response = await interaction.dispatch().wait_for_response(within)
        return list(response.choices or [])

    async def run_user_command(
        self, name: str, target: Member | User, *, channel: Channel, app: Application | None = None
    ) -> UserInteraction:
        """Run a user context-menu command on `target`."""
        resolver = Resolver(self._world, channel, self._member_in(channel))
        target_id = int(resolver.add(target))
        return self._context_interaction(name, 2, target_id, resolver.resolved, channel, app)

    async def run_message_command(
        self, name: str, message: Message, *, app: Application | None = None
    ) -> UserInteraction:
        """Run a message context-menu command on `message`."""
        self._require_visible(message)
        resolved = {"messages": {str(message.id): message.payload()}}
        return self._context_interaction(name, 3, message.id, resolved, message.channel, app)

    def _context_interaction(
        self,
        name: str,
        command_type: int,
        target_id: int,
        resolved: Json,
        channel: Channel,
        app: Application | None,
    ) -> UserInteraction:
        app, command = self._find_command(name, channel, app, command_type)
        data = factories.command_data(
            int(command["id"]),
            name,
            command_type=command_type,
            resolved=resolved,
            guild_id=int(command["guild_id"]) if "guild_id" in command else None,
        )
        data["target_id"] = str(target_id)
        return UserInteraction(
            self._world,
            app=app,
            user=self.user,
            member=self._member_in(channel),
            channel=channel,
            interaction_type=APPLICATION_COMMAND,
            data=data,
            command_name=name,
        ).dispatch()

    def _command_interaction(
        self,
        name: str,
        channel: Channel | None,
        app: Application | None,
        given: dict[str, Any],
        *,
        focused: str | None,
    ) -> UserInteraction:
        words = name.split()
        if not words:
            raise CommandUnavailableError("empty command name")
        if channel is None:
            channel = self._dm_with(app)
        app, command = self._find_command(words[0], channel, app, 1)
        resolver = Resolver(self._world, channel, self._member_in(channel))
        options = command_options(command, words, given, resolver, focused)
        data = factories.command_data(
            int(command["id"]),
            words[0],
            options=options,
            resolved=resolver.resolved,
            guild_id=int(command["guild_id"]) if "guild_id" in command else None,
        )
        return UserInteraction(
            self._world,
            app=app,
            user=self.user,
            member=self._member_in(channel),
            channel=channel,
            interaction_type=AUTOCOMPLETE if focused else APPLICATION_COMMAND,
            data=data,
            command_name=name,
        )

    def _dm_with(self, app: Application | None) -> Channel:
        if app is None:
            apps = list(self._world.applications.values())
            if len(apps) != 1:
                raise CommandUnavailableError("pass app= to say which bot's DM to use")
            app = apps[0]
        return self._world.dm_channel(self.user, app.bot_user)

    def _member_in(self, channel: Channel) -> Member | None:
        return self.guild.members.get(self.user.id) if channel.guild is not None else None

    def _find_command(
        self, name: str, channel: Channel, app: Application | None, command_type: int
    ) -> tuple[Application, Json]:
        guild = channel.guild
        if guild is not None and guild is not self.guild:
            raise CommandUnavailableError(f"{channel.name!r} is not in {self.guild.name!r}")
        apps = [app] if app is not None else list(self._world.applications.values())
        if guild is not None:
            apps = [a for a in apps if a.bot_user.id in guild.members]
        found = [(a, c) for a in apps if (c := a.find_command(name, guild, command_type))]
        if not found:
            known = sorted({n for a in apps for n in a.command_names(guild) + a.command_names()})
            raise CommandUnavailableError(
                f"no command {name!r} is synced for this place; synced commands: {known}"
            )
        if len(found) > 1:
            raise CommandUnavailableError(f"several bots have {name!r}; pass app=")
        app, command = found[0]
        self._check_command_allowed(command, channel)
        return app, command

    def _check_command_allowed(self, command: Json, channel: Channel) -> None:
        contexts = command.get("contexts")
        if channel.guild is None:
            allowed = 1 in contexts if contexts is not None else command.get("dm_permission", True)
            if not allowed:
                raise CommandUnavailableError(f"/{command['name']} cannot be used in DMs")
            return
        if contexts is not None and 0 not in contexts:
            raise CommandUnavailableError(f"/{command['name']} cannot be used in guilds")
        member = self._member_in(channel)
        assert member is not None
        perms = member.permissions_in(channel)
        if not perms & Permission.VIEW_CHANNEL:
            raise CommandUnavailableError(f"{member.name} cannot see #{channel.name}")
        if not has(perms, Permission.USE_APPLICATION_COMMANDS):
            raise CommandUnavailableError(f"{member.name} may not use commands in #{channel.name}")
        required = command.get("default_member_permissions")
        allowed = member.id in channel.guild.command_allowed.get(command["name"], set())
        if required is not None and not allowed and not has(perms, int(required)):
            raise CommandUnavailableError(
                f"/{command['name']} is only for members with {shown_names(int(required))}, "
                f"which {member.name} doesn't have, so Discord doesn't offer it to them"
            )

    # -- components and modals

    async def click(self, message: Message, custom_id: str) -> UserInteraction:
        """Press the button with this custom_id on a message."""
        component = self._component(message, custom_id, (2,))
        if component.get("style") in (5, 6):
            raise ComponentError(f"button {custom_id!r} is a link or premium button")
        data = factories.component_data(custom_id, 2)
        return self._component_interaction(message, data)

    async def select(
        self,
        message: Message,
        custom_id: str,
        values: Sequence[str | Member | User | Role | Channel],
    ) -> UserInteraction:
        """Pick values in a select menu: option values, or members/roles/channels for the others."""
        component = self._component(message, custom_id, (3, 5, 6, 7, 8))
        low, high = component.get("min_values", 1), component.get("max_values", 1)
        if not low <= len(values) <= high:
            raise ComponentError(f"select {custom_id!r} takes {low} to {high} values")
        kind = int(component["type"])
        resolver = Resolver(self._world, message.channel, self._member_in(message.channel))
        if kind == 3:
            allowed = [o["value"] for o in component.get("options", [])]
            strings = [str(v) for v in values]
            bad = [v for v in strings if v not in allowed]
            if bad:
                raise ComponentError(f"select {custom_id!r} has no options {bad}; it has {allowed}")
        else:
            strings = [resolver.add(v) for v in values]
        data = factories.component_data(custom_id, kind, strings)
        if resolver.resolved:
            data["resolved"] = resolver.resolved
        return self._component_interaction(message, data)

    def submit_modal(
        self,
        opened: UserInteraction,
        values: Mapping[str, str | Sequence[str]],
        *,
        timeout: float = 5.0,
    ) -> Coroutine[Any, Any, UserInteraction]:
        """Fill in and submit the modal that interaction `opened` answered with (waiting up to
        `timeout` for that answer)."""
        return self._submit_modal(opened, values, within=timeout)

    async def _submit_modal(
        self, opened: UserInteraction, values: Mapping[str, str | Sequence[str]], *, within: float
    ) -> UserInteraction:
        response = await opened.wait_for_response(within)
        if response.type != 9 or response.modal is None:
            raise ComponentError(
                f"{opened.describe()} was answered with type {response.type}, not a modal"
            )
        modal = response.modal
        submitted = _fill_modal(factories.components(modal.get("components", [])), dict(values))
        return UserInteraction(
            self._world,
            app=opened.app,
            user=self.user,
            member=opened.member,
            channel=opened.channel,
            interaction_type=MODAL_SUBMIT,
            data=factories.modal_data(modal["custom_id"], submitted),
            message=opened.message,
            parent=opened,
        ).dispatch()

    def _component(self, message: Message, custom_id: str, kinds: tuple[int, ...]) -> Json:
        self._require_visible(message)
        component = message.component(custom_id)
        if component is None:
            raise ComponentError(
                f"no component {custom_id!r} on the message; it has {message.custom_ids}"
            )
        if component.get("type") not in kinds:
            raise ComponentError(f"component {custom_id!r} is of type {component.get('type')}")
        if component.get("disabled"):
            raise ComponentError(f"component {custom_id!r} is disabled")
        return component

    def _component_interaction(self, message: Message, data: Json) -> UserInteraction:
        app = self._world.application_for_bot(message.author)
        if app is None:
            raise ComponentError("the message was not sent by a bot of this emulator")
        return UserInteraction(
            self._world,
            app=app,
            user=self.user,
            member=self._member_in(message.channel),
            channel=message.channel,
            interaction_type=COMPONENT,
            data=data,
            message=message,
        ).dispatch()

    def _require_visible(self, message: Message) -> None:
        if message.deleted:
            raise ComponentError("the message was deleted")
        if message.ephemeral:
            owner = message.interaction.user if message.interaction else None
            if owner is not self.user:
                raise ComponentError("that ephemeral message was shown to someone else")
            return
        channel = message.channel
        if channel.is_dm:
            if self.user not in channel.recipients:
                raise ComponentError("that DM is not this person's")
            return
        member = self._member_in(channel)
        if member is None or not member.can_see(channel):
            raise ComponentError(f"{self.user.username} cannot see #{channel.name}")

    # -- messages, voice, events

    async def send_message(
        self,
        channel: Channel,
        content: str = "",
        *,
        files: Sequence[Upload] = (),
        reply_to: Message | None = None,
    ) -> Message:
        """Post a message as this person (MESSAGE_CREATE to bots that may see it)."""
        if channel.guild is not None:
            member = self._member_in(channel)
            needed = (
                Permission.SEND_MESSAGES_IN_THREADS
                if channel.is_thread
                else Permission.SEND_MESSAGES
            )
            if member is None or not has(
                member.permissions_in(channel), Permission.VIEW_CHANNEL | needed
            ):
                raise PermissionError(f"{self.user.username} may not post in #{channel.name}")
        body: Json = {"content": content}
        if reply_to is not None:
            body["message_reference"] = {"message_id": str(reply_to.id)}
        uploads = [
            Upload(f.filename, f.data, f.content_type, f"files[{i}]") for i, f in enumerate(files)
        ]
        return self._world.post_message(channel, self.user, body, uploads)

    async def send_dm(self, bot: Application | User, content: str) -> Message:
        """Send a direct message to a bot (or another user)."""
        channel = self._world.dm_channel(self.user, _user_of(bot))
        return self._world.post_message(channel, self.user, {"content": content})

    def dm_channel(self, other: Application | User) -> Channel:
        """The DM channel between this person and a bot or user."""
        return self._world.dm_channel(self.user, _user_of(other))

    async def join_voice(self, channel: Channel, *, self_mute: bool = False) -> None:
        """Connect to a voice channel (VOICE_STATE_UPDATE)."""
        member = self._member_in(channel)
        if member is None or not has(
            member.permissions_in(channel), Permission.VIEW_CHANNEL | Permission.CONNECT
        ):
            raise PermissionError(f"{self.user.username} may not join #{channel.name}")
        self.guild.set_voice_state(member, channel, self_mute=self_mute)

    async def leave_voice(self) -> None:
        """Disconnect from voice (VOICE_STATE_UPDATE with a null channel)."""
        member = self.guild.members[self.user.id]
        if member.id in self.guild.voice_states:
            self.guild.set_voice_state(member, None)

    async def mark_interested(self, event: ScheduledEvent) -> None:
        """Click 'Interested' on a scheduled event (GUILD_SCHEDULED_EVENT_USER_ADD)."""
        if self.user.id not in event.subscribers:
            event.subscribers[self.user.id] = self.user
            self._world.gateway.event_user(
                self.guild, "GUILD_SCHEDULED_EVENT_USER_ADD", event, self.user.id
            )
            self._world.notify()

    async def unmark_interested(self, event: ScheduledEvent) -> None:
        """Take back 'Interested' (GUILD_SCHEDULED_EVENT_USER_REMOVE)."""
        if event.subscribers.pop(self.user.id, None) is not None:
            self._world.gateway.event_user(
                self.guild, "GUILD_SCHEDULED_EVENT_USER_REMOVE", event, self.user.id
            )
            self._world.notify()


def _user_of(target: Member | User | Application) -> User:
    from fakediscord import models

    if isinstance(target, models.Member):
        return target.user
    if isinstance(target, models.Application):
        return target.bot_user
    return target


def _fill_modal(components: list[Json], values: dict[str, str | Sequence[str]]) -> list[Json]:
    """Turn the modal's components into the submitted form, checking each answer."""
    submitted: list[Json] = []
    used: set[str] = set()

    def answer(component: Json) -> Json:
        custom_id = component.get("custom_id", "")
        if component["type"] == 4:
            value = values.get(custom_id, "")
            if not isinstance(value, str):
                raise ComponentError(f"text input {custom_id!r} takes a string")
            if custom_id in values:
                used.add(custom_id)
            if component.get("required", True) and not value:
                raise ComponentError(f"text input {custom_id!r} is required")
            low, high = component.get("min_length", 0), component.get("max_length", 4000)
            if value and not low <= len(value) <= high:
                raise ComponentError(f"text input {custom_id!r} takes {low}-{high} characters")
            return {"type": 4, "id": component["id"], "custom_id": custom_id, "value": value}
        if component["type"] != 3:
            raise ComponentError(
                f"filling modal components of type {component['type']} is not supported yet"
            )
        chosen = values.get(custom_id, [])
        if custom_id in values:
            used.add(custom_id)
        picked = [chosen] if isinstance(chosen, str) else list(chosen)
        allowed = [o["value"] for o in component.get("options", [])]
        if any(p not in allowed for p in picked):
            raise ComponentError(f"select {custom_id!r} allows only {allowed}")
        low = component.get("min_values", 1) if component.get("required", True) else 0
        if not low <= len(picked) <= component.get("max_values", 1):
            raise ComponentError(
                f"select {custom_id!r} takes {low}-{component['max_values']} values"
            )
        return {
            "type": component["type"],
            "id": component["id"],
            "custom_id": custom_id,
            "values": picked,
        }

    for component in components:
        if component["type"] == 1:
            submitted.append(
                {
                    "type": 1,
                    "id": component["id"],
                    "components": [answer(c) for c in component["components"]],
                }
            )
        elif component["type"] == 18:
            submitted.append(
                {"type": 18, "id": component["id"], "component": answer(component["component"])}
            )
        elif component["type"] == 10:
            submitted.append({"type": 10, "id": component["id"]})
    unknown = set(values) - used
    if unknown:
        raise ComponentError(f"the modal has no inputs {sorted(unknown)}")
    return submitted
