"""Slash-command options as Discord's client builds them: typed, checked, with `resolved`.

Options are checked against the synced command definition the way Discord's client
would refuse them: unknown names, missing required options, wrong types, values outside
choices, lengths or ranges, and channels of a type the option does not take.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from fakediscord.factories import Json
from fakediscord.uploads import Upload

if TYPE_CHECKING:
    from fakediscord.models import Channel, Member
    from fakediscord.state import World

SUB_COMMAND, SUB_COMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = range(3, 12)
# Discord takes integers and numbers only between -2^53 and 2^53 (what a double holds
# exactly), even for an option that declares no min_value or max_value.
NUMERIC_LIMIT = 2**53


class CommandUnavailableError(LookupError):
    """The person could not run this command: it does not exist or is hidden from them."""


class CommandInputError(ValueError):
    """The options given are not what the command accepts."""


class Resolver:
    """Collects the `resolved` objects of an interaction, as seen by the person acting."""

    def __init__(self, world: World, channel: Channel, actor: Member | None) -> None:
        self.world = world
        self.channel = channel
        self.actor = actor
        self.resolved: Json = {}

    def add(self, value: Any) -> str:
        """Put a member, user, role or channel into `resolved`; return its id as Discord does."""
        # Imported here: models imports the driver, which imports this module.
        from fakediscord import models

        guild = self.channel.guild
        if isinstance(value, models.Member):
            self._user(value.user, value)
        elif isinstance(value, models.User):
            self._user(value, guild.members.get(value.id) if guild else None)
        elif isinstance(value, models.Role):
            self.resolved.setdefault("roles", {})[str(value.id)] = value.payload()
        elif isinstance(value, models.Channel):
            data = value.payload()
            perms = self.actor.permissions_in(value) if self.actor and value.guild else 0
            data["permissions"] = str(perms)
            self.resolved.setdefault("channels", {})[str(value.id)] = data
        elif not isinstance(value, int | str):
            raise CommandInputError(f"cannot use {value!r} as a mention")
        return str(value if isinstance(value, int | str) else value.id)

    def _user(self, user: Any, member: Member | None) -> None:
        self.resolved.setdefault("users", {})[str(user.id)] = user.payload()
        if member is not None:
            data = member.payload(permissions_in=self.channel)
            data.pop("user", None)
            self.resolved.setdefault("members", {})[str(user.id)] = data

    def upload(self, upload: Upload) -> str:
        """An attachment option: the file as Discord's client uploads it before the command."""
        attachment = self.world.new_attachment(self.channel, upload, ephemeral=True)
        self.resolved.setdefault("attachments", {})[str(attachment.id)] = attachment.payload()
        return str(attachment.id)


def command_options(
    command: Json,
    words: list[str],
    given: dict[str, Any],
    resolver: Resolver,
    focused: str | None,
) -> list[Json]:
    """Walk the subcommand group and subcommand named in `words`, then build the options."""
    defined: list[Json] = command.get("options") or []
    path = [command["name"]]
    wrappers: list[Json] = []
    nesting = (SUB_COMMAND, SUB_COMMAND_GROUP)
    for word in words[1:]:
        sub = next((o for o in defined if o["name"] == word and o["type"] in nesting), None)
        if sub is None:
            subs = [o["name"] for o in defined if o["type"] in nesting]
            raise CommandUnavailableError(
                f"/{' '.join(path)} has no subcommand {word!r}; it has {subs}"
            )
        path.append(word)
        wrappers.append({"type": sub["type"], "name": word})
        defined = sub.get("options") or []
    if any(o["type"] in nesting for o in defined):
        subs = [o["name"] for o in defined]
        raise CommandUnavailableError(f"/{' '.join(path)} needs a subcommand: one of {subs}")
    leaf = _leaf_options(defined, given, resolver, focused, "/" + " ".join(path))
    for wrapper in reversed(wrappers):
        wrapper["options"] = leaf
        leaf = [wrapper]
    return leaf


def _leaf_options(
    defined: list[Json],
    given: dict[str, Any],
    resolver: Resolver,
    focused: str | None,
    where: str,
) -> list[Json]:
    by_name = {o["name"]: o for o in defined}
    normalised: dict[str, Any] = {}
    for key, value in given.items():
        name = key if key in by_name else key.replace("_", "-")
        if name not in by_name:
            raise CommandInputError(f"{where} has no option {key!r}; options: {sorted(by_name)}")
        normalised[name] = value
    out = []
    for option in defined:
        name = option["name"]
        if name not in normalised:
            # While typing (autocomplete), required options may still be empty.
            if option.get("required") and focused is None:
                raise CommandInputError(f"{where} needs option {name!r}")
            continue
        if name == focused:
            if not option.get("autocomplete"):
                raise CommandInputError(f"option {name!r} of {where} has no autocomplete")
            value = str(normalised[name])
            out.append({"name": name, "type": option["type"], "value": value, "focused": True})
            continue
        value = _option_value(option, normalised[name], resolver, where)
        out.append({"name": name, "type": option["type"], "value": value})
    return out


def _option_value(option: Json, value: Any, resolver: Resolver, where: str) -> Any:
    kind, name = option["type"], option["name"]

    def wrong(expected: str) -> CommandInputError:
        return CommandInputError(f"option {name!r} of {where} takes {expected}, not {value!r}")

    if kind == STRING:
        if not isinstance(value, str):
            raise wrong("a string")
        if not option.get("min_length", 0) <= len(value) <= option.get("max_length", 6000):
            raise CommandInputError(f"option {name!r} of {where}: length out of bounds")
    elif kind in (INTEGER, NUMBER):
        numeric = (int,) if kind == INTEGER else (int, float)
        if isinstance(value, bool) or not isinstance(value, numeric):
            raise wrong("an integer" if kind == INTEGER else "a number")
        low, high = option.get("min_value"), option.get("max_value")
        if abs(value) > NUMERIC_LIMIT:
            raise CommandInputError(
                f"option {name!r} of {where}: {value} is out of Discord's range"
            )
        if (low is not None and value < low) or (high is not None and value > high):
            raise CommandInputError(
                f"option {name!r} of {where}: {value} is out of [{low}, {high}]"
            )
    elif kind == BOOLEAN:
        if not isinstance(value, bool):
            raise wrong("a bool")
    elif kind == ATTACHMENT:
        if not isinstance(value, Upload):
            raise wrong("an Upload")
        return resolver.upload(value)
    else:
        _check_mentionable(option, value, wrong, where)
        return resolver.add(value)
    allowed = [c["value"] for c in option.get("choices") or []]
    if allowed and value not in allowed:
        raise CommandInputError(
            f"option {name!r} of {where} must be one of {allowed}, not {value!r}"
        )
    return value


def _check_mentionable(
    option: Json, value: Any, wrong: Callable[[str], CommandInputError], where: str
) -> None:
    # Imported here: models imports the driver, which imports this module.
    from fakediscord import models

    accepted: dict[int, tuple[type, ...]] = {
        USER: (models.Member, models.User),
        CHANNEL: (models.Channel,),
        ROLE: (models.Role,),
        MENTIONABLE: (models.Member, models.User, models.Role),
    }
    kind = option["type"]
    if not isinstance(value, accepted[kind]):
        raise wrong(" or ".join(t.__name__ for t in accepted[kind]))
    types = option.get("channel_types")
    if isinstance(value, models.Channel) and types and value.type not in types:
        raise CommandInputError(
            f"option {option['name']!r} of {where} does not take channels of type {value.type}"
        )
