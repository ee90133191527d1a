"""Discord's JSON errors, raised by handlers and turned into responses by the server."""

from __future__ import annotations

from typing import Any


class DiscordError(Exception):
    """An error response the emulator gives, shaped like Discord's."""

    def __init__(
        self, status: int, code: int, message: str, errors: dict[str, Any] | None = None
    ) -> None:
        super().__init__(f"{status} {code}: {message}")
        self.status = status
        self.code = code
        self.message = message
        self.errors = errors

    def body(self) -> dict[str, Any]:
        """The JSON body Discord would send."""
        body: dict[str, Any] = {"message": self.message, "code": self.code}
        if self.errors is not None:
            body["errors"] = self.errors
        return body


def not_found(what: str, code: int) -> DiscordError:
    """A 404 like `Unknown Channel` (10003)."""
    return DiscordError(404, code, f"Unknown {what}")


UNKNOWN_CHANNEL = 10003
UNKNOWN_GUILD = 10004
UNKNOWN_MEMBER = 10007
UNKNOWN_MESSAGE = 10008
UNKNOWN_OVERWRITE = 10009
UNKNOWN_ROLE = 10011
UNKNOWN_USER = 10013
UNKNOWN_WEBHOOK = 10015
UNKNOWN_APPLICATION_COMMAND = 10063
UNKNOWN_INTERACTION = 10062
UNKNOWN_EVENT = 10070


def unknown_channel() -> DiscordError:
    return not_found("Channel", UNKNOWN_CHANNEL)


def unknown_guild() -> DiscordError:
    return not_found("Guild", UNKNOWN_GUILD)


def unknown_member() -> DiscordError:
    return not_found("Member", UNKNOWN_MEMBER)


def unknown_message() -> DiscordError:
    return not_found("Message", UNKNOWN_MESSAGE)


def unknown_role() -> DiscordError:
    return not_found("Role", UNKNOWN_ROLE)


def unknown_user() -> DiscordError:
    return not_found("User", UNKNOWN_USER)


def unknown_webhook() -> DiscordError:
    return not_found("Webhook", UNKNOWN_WEBHOOK)


def unknown_interaction() -> DiscordError:
    return not_found("interaction", UNKNOWN_INTERACTION)


def unknown_command() -> DiscordError:
    return not_found("application command", UNKNOWN_APPLICATION_COMMAND)


def unknown_event() -> DiscordError:
    return not_found("Guild Scheduled Event", UNKNOWN_EVENT)


def missing_access() -> DiscordError:
    return DiscordError(403, 50001, "Missing Access")


def missing_permissions() -> DiscordError:
    return DiscordError(403, 50013, "Missing Permissions")


def cannot_dm() -> DiscordError:
    return DiscordError(403, 50007, "Cannot send messages to this user")


def cannot_edit_other_users_message() -> DiscordError:
    return DiscordError(403, 50005, "Cannot edit a message authored by another user")


def empty_message() -> DiscordError:
    return DiscordError(400, 50006, "Cannot send an empty message")


def already_acknowledged() -> DiscordError:
    return DiscordError(400, 40060, "Interaction has already been acknowledged.")


def unauthorized() -> DiscordError:
    return DiscordError(401, 0, "401: Unauthorized")


def invalid_webhook_token() -> DiscordError:
    return DiscordError(401, 50027, "Invalid Webhook Token")


def route_not_found() -> DiscordError:
    return DiscordError(404, 0, "404: Not Found")


class FormErrors:
    """Collects field errors into Discord's nested `errors` object for 50035 responses."""

    def __init__(self) -> None:
        self._errors: dict[str, Any] = {}

    def add(self, path: tuple[str | int, ...], code: str, message: str) -> None:
        """Record an error at a field path such as ("embeds", 0, "title")."""
        node = self._errors
        for part in path:
            node = node.setdefault(str(part), {})
        node.setdefault("_errors", []).append({"code": code, "message": message})

    def max_length(self, path: tuple[str | int, ...], value: object, limit: int) -> None:
        """Record BASE_TYPE_MAX_LENGTH when a string is longer than `limit`."""
        if isinstance(value, str) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def max_items(self, path: tuple[str | int, ...], value: object, limit: int) -> None:
        """Record BASE_TYPE_MAX_LENGTH when a list has more than `limit` items."""
        if isinstance(value, list) and len(value) > limit:
            self.add(path, "BASE_TYPE_MAX_LENGTH", f"Must be {limit} or fewer in length.")

    def __bool__(self) -> bool:
        return bool(self._errors)

    def raise_if_any(self) -> None:
        """Raise 400 Invalid Form Body if anything was recorded."""
        if self._errors:
            raise DiscordError(400, 50035, "Invalid Form Body", self._errors)
