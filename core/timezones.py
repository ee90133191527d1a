"""The one time-zone option type: suggestions while typing, and one refusal for a bad name.

Commands take `zone: TimeZone` (or `TimeZone | None`); the value they get is a valid
IANA name such as "Europe/London", which is what the database stores. Services that
take a zone from elsewhere check it with `validate_timezone`, the same rule.
"""

from __future__ import annotations

import zoneinfo
from functools import cache

import discord
from discord import app_commands

from core.errors import UserFacingError

# Discord shows at most 25 autocomplete suggestions.
SUGGESTION_LIMIT = 25
UNKNOWN_TIMEZONE = (
    "“{name}” isn't a time zone I know; pick one from the list, for example Europe/London."
)


@cache
def _all_zones() -> tuple[str, ...]:
    # Legacy aliases ("US/Eastern", "EST5EDT") only confuse people choosing a zone.
    regional = sorted(
        zone
        for zone in zoneinfo.available_timezones()
        if "/" in zone and not zone.startswith(("Etc/", "SystemV/", "US/", "posix/", "right/"))
    )
    return (*regional, "UTC")


def validate_timezone(name: str) -> str:
    """The IANA name, trimmed; a `UserFacingError` if it isn't one we offer."""
    cleaned = name.strip()
    if cleaned not in _all_zones():
        raise UserFacingError(UNKNOWN_TIMEZONE.format(name=cleaned[:64]))
    return cleaned


def timezone_suggestions(query: str) -> list[str]:
    """Zones starting with the query, then cities starting with it, then any containing it."""
    needle = query.strip().lower().replace(" ", "_")
    if not needle:
        return list(_all_zones()[:SUGGESTION_LIMIT])
    starts = [z for z in _all_zones() if z.lower().startswith(needle)]
    city_starts = [
        z
        for z in _all_zones()
        if z.lower().rsplit("/", 1)[-1].startswith(needle) and z not in starts
    ]
    contains = [
        z for z in _all_zones() if needle in z.lower() and z not in starts and z not in city_starts
    ]
    return (starts + city_starts + contains)[:SUGGESTION_LIMIT]


class TimeZoneTransformer(app_commands.Transformer):
    """A string option with zone suggestions; transforms to the validated IANA name.

    A bad name raises `UserFacingError`, which discord.py wraps in a `TransformerError`
    (the error handler shows the person the `UNKNOWN_TIMEZONE` line).
    """

    async def transform(self, interaction: discord.Interaction, value: str, /) -> str:
        return validate_timezone(value)

    async def autocomplete(
        self, interaction: discord.Interaction, value: int | float | str, /
    ) -> list[app_commands.Choice[int | float | str]]:
        return [app_commands.Choice(name=z, value=z) for z in timezone_suggestions(str(value))]


TimeZone = app_commands.Transform[str, TimeZoneTransformer]
