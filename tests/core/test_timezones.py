from __future__ import annotations

from typing import Any, cast

import discord
import pytest
from discord import app_commands

from core.error_handler import message_for
from core.errors import UserFacingError
from core.timezones import TimeZoneTransformer, timezone_suggestions, validate_timezone

NO_INTERACTION = cast(discord.Interaction, None)


def test_known_time_zones_are_accepted_and_unknown_ones_explained() -> None:
    assert validate_timezone(" America/Chicago ") == "America/Chicago"
    assert validate_timezone("UTC") == "UTC"
    with pytest.raises(UserFacingError, match="Mars/Olympus_Mons"):
        validate_timezone("Mars/Olympus_Mons")
    with pytest.raises(UserFacingError):
        validate_timezone("US/Eastern")  # a legacy alias, not offered


def test_time_zone_suggestions_find_cities_and_stay_within_discords_limit() -> None:
    assert timezone_suggestions("lond")[0] == "Europe/London"
    assert "America/New_York" in timezone_suggestions("new york")
    assert len(timezone_suggestions("")) == 25
    assert len(timezone_suggestions("a")) <= 25


async def test_the_option_type_suggests_zones_and_gives_the_valid_name() -> None:
    transformer = TimeZoneTransformer()
    assert transformer.type is discord.AppCommandOptionType.string
    choices = await transformer.autocomplete(NO_INTERACTION, "lond")
    assert [(c.name, c.value) for c in choices][:1] == [("Europe/London", "Europe/London")]
    assert await transformer.transform(NO_INTERACTION, " Europe/London ") == "Europe/London"


async def test_an_unknown_zone_is_refused_in_one_clear_line() -> None:
    transformer = TimeZoneTransformer()
    with pytest.raises(UserFacingError) as refused:
        await transformer.transform(NO_INTERACTION, "Mars/Base")
    # discord.py wraps what a transformer raises; the person still sees our line.
    wrapped = app_commands.TransformerError(
        "Mars/Base", discord.AppCommandOptionType.string, cast(Any, transformer)
    )
    wrapped.__cause__ = refused.value
    text, unexpected = message_for(wrapped)
    assert text == (
        "“Mars/Base” isn't a time zone I know; pick one from the list, for example Europe/London."
    )
    assert not unexpected
