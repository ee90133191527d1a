"""/setup help-now local lines: what an admin may add, and what they read back."""

from __future__ import annotations

import dataclasses

import pytest

from cogs.helpnow import settings, texts
from cogs.helpnow.crisis import PageState, crisis_messages, local_line
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core.errors import UserFacingError
from core.guild_settings import LocalResource, ServerConfig
from core.messages import DISCORD_MESSAGE_LIMIT

CRISIS = load_content(DEFAULT_CONTENT_DIR).crisis
UK = ServerConfig(guild_id=1, region="UK")
HONESTY = {
    PageState.PAGED_ONCALL: texts.PAGED,
    PageState.PAGED_ROLE: texts.PAGED_ROLE_NO_ONCALL,
    PageState.REPAGED: texts.REPAGED,
    PageState.NOT_SET_UP: texts.NOT_SET_UP,
}

# Texts a member would see as nothing, or as stray symbols.
UNREADABLE = [
    "   ",
    "\u200b\u200b",  # zero-width spaces
    "\u2060\ufeff",  # word joiner, zero-width no-break space
    "**",
    "__",
    "``",
    "~~ || > #",
    "\u3164",  # Hangul filler: a 'letter' that renders blank
    " * \u200b _ ",
]


def _add_until_refused(config: ServerConfig, name: str, how: str) -> ServerConfig:
    for i in range(settings.MAX_LOCAL_RESOURCES):
        try:
            updated = settings.add_resource(CRISIS, config, f"{name} {i}", how, always_open=True)
        except UserFacingError:
            break
        config = dataclasses.replace(config, local_resources=updated)
    return config


def test_lines_accepted_in_one_region_stay_in_the_first_message_of_every_region() -> None:
    # Accepted while the server was in the UK; then /setup region changes (issue 8, item 5).
    config = _add_until_refused(UK, "Clinic " + "n" * 60, "Call " + "5" * 190)
    assert config.local_resources
    for code in CRISIS.regions:
        for state in PageState:
            first = crisis_messages(CRISIS, code, config.local_resources, state)[0]
            assert len(first) <= DISCORD_MESSAGE_LIMIT
            assert all(local_line(r) in first for r in config.local_resources)
            assert HONESTY[state] in first


def test_a_line_that_would_crowd_the_first_message_is_refused_and_nothing_changes() -> None:
    config = _add_until_refused(UK, "Clinic " + "n" * 60, "Call " + "5" * 190)
    assert len(config.local_resources) < settings.MAX_LOCAL_RESOURCES
    with pytest.raises(UserFacingError) as refused:
        settings.add_resource(
            CRISIS, config, "One more " + "n" * 60, "Call " + "5" * 190, always_open=True
        )
    assert refused.value.message == texts.RESOURCE_CROWDS_FIRST_MESSAGE


@pytest.mark.parametrize("blank", UNREADABLE)
@pytest.mark.parametrize("field", ["name", "how"])
def test_a_line_members_could_not_read_is_refused(field: str, blank: str) -> None:
    given = {"name": "Riverside Clinic", "how": "Call 555-0100", field: blank}
    with pytest.raises(UserFacingError) as refused:
        settings.add_resource(CRISIS, UK, given["name"], given["how"])
    assert refused.value.message == texts.RESOURCE_UNREADABLE


def test_a_readable_line_is_saved_on_one_line_with_spaces_tidied() -> None:
    updated = settings.add_resource(CRISIS, UK, "  Riverside \n Clinic ", " Call\t555-0100 ")
    assert updated == (LocalResource("Riverside Clinic", "Call 555-0100"),)


@pytest.mark.parametrize("name", ["x" * 10_000, "*" * 10_000, "@everyone " * 1000])
def test_the_unknown_line_reply_fits_discord_whatever_name_was_typed(name: str) -> None:
    full = tuple(
        LocalResource("*" * settings.RESOURCE_NAME_MAX + str(i), "Call 555-0100")
        for i in range(settings.MAX_LOCAL_RESOURCES)
    )
    config = dataclasses.replace(UK, local_resources=full)
    with pytest.raises(UserFacingError) as refused:
        settings.remove_resource(config, name)
    assert len(refused.value.message) <= DISCORD_MESSAGE_LIMIT
    assert "@everyone" not in refused.value.message


def test_an_echoed_name_is_short_and_shows_markdown_literally() -> None:
    assert settings.echo("**Clinic**") == "\\*\\*Clinic\\*\\*"
    assert len(settings.echo("y" * 500)) == settings.ECHO_MAX
    assert settings.echo("y" * 500).endswith("…")


def test_remove_line_matches_the_saved_name_regardless_of_case_and_spacing() -> None:
    config = dataclasses.replace(UK, local_resources=(LocalResource("Riverside Clinic", "x1"),))
    assert settings.remove_resource(config, "  riverside   CLINIC ") == ()
