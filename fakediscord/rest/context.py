"""What a REST handler gets (the parsed request) and gives back (status and JSON body)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from multidict import MultiMapping

from fakediscord import errors
from fakediscord.models import Application, Channel, Guild, Member
from fakediscord.permissions import Permission, has
from fakediscord.uploads import Upload

if TYPE_CHECKING:
    from fakediscord.state import World


@dataclass
class Reply:
    """A handler's answer: status and JSON body (None for 204)."""

    body: Any = None
    status: int = 200

    @classmethod
    def empty(cls) -> Reply:
        return cls(None, 204)


@dataclass
class RequestContext:
    """A parsed request: route parameters, JSON body or multipart payload, the bot if any."""

    world: World
    method: str
    template: str
    params: Mapping[str, str]
    query: MultiMapping[str]
    body: Any
    uploads: list[Upload] = field(default_factory=list)
    app: Application | None = None

    @property
    def bot(self) -> Application:
        """The authenticated application; routes that need one are checked before handling."""
        if self.app is None:
            raise errors.unauthorized()
        return self.app

    def snowflake(self, name: str, missing: Callable[[], errors.DiscordError]) -> int:
        """A route parameter as an id; a non-number is as unknown as a wrong number."""
        raw = self.params[name]
        if not raw.isdigit():
            raise missing()
        return int(raw)

    def json(self) -> dict[str, Any]:
        """The body as an object (an absent body is an empty one)."""
        if self.body is None:
            return {}
        if not isinstance(self.body, dict):
            raise errors.DiscordError(400, 50109, "The request body contains invalid JSON.")
        return self.body

    def flag(self, name: str) -> bool:
        """A boolean query parameter the way Discord reads them (true/1)."""
        return self.query.get(name, "").lower() in ("true", "1")

    # -- common lookups

    def channel(self) -> Channel:
        return self.world.channel_or_404(self.snowflake("channel_id", errors.unknown_channel))

    def guild(self) -> Guild:
        guild = self.world.guild_or_404(self.snowflake("guild_id", errors.unknown_guild))
        if self.bot.bot_user.id not in guild.members:
            raise errors.unknown_guild()
        return guild

    def bot_member(self, guild: Guild) -> Member:
        member = guild.members.get(self.bot.bot_user.id)
        if member is None:
            raise errors.missing_access()
        return member

    def require_guild_permissions(self, guild: Guild, needed: int) -> Member:
        """The bot's member, if it has `needed` guild-wide; else 403 Missing Permissions."""
        member = self.bot_member(guild)
        if not has(member.permissions, needed):
            raise errors.missing_permissions()
        return member

    def require_channel_permissions(self, channel: Channel, needed: int = 0) -> int:
        """The bot's permissions in a channel it can see; 50001 if it cannot, 50013 if short."""
        if channel.guild is None:
            if self.bot.bot_user not in channel.recipients:
                raise errors.missing_access()
            return 0
        member = self.bot_member(channel.guild)
        perms = member.permissions_in(channel)
        if not perms & Permission.VIEW_CHANNEL:
            raise errors.missing_access()
        if needed and not has(perms, needed):
            raise errors.missing_permissions()
        return perms


Handler = Callable[[RequestContext], Awaitable[Reply]]


@dataclass(frozen=True)
class Route:
    """One REST endpoint: `auth` is False for interaction callbacks and interaction webhooks."""

    method: str
    template: str
    handler: Handler
    auth: bool = True


class RouteTable:
    """The routes of one module, declared with `@routes("GET", "/users/@me")`."""

    def __init__(self) -> None:
        self.routes: list[Route] = []

    def __call__(
        self, method: str, template: str, *, auth: bool = True
    ) -> Callable[[Handler], Handler]:
        def register(handler: Handler) -> Handler:
            self.routes.append(Route(method, template, handler, auth))
            return handler

        return register
