"""How any reply points a member to /help-now, in words true of the server it is read in.

/help-now always shows crisis lines; it pages someone only where the server has set up
specialists to page (`ServerConfig.pages_specialists`). A reply promises a page only
there, and never says what a person will do: the bot pages, nobody is promised.
"""

from __future__ import annotations

from core.guild_settings import ServerConfig

BUTTON_PAGES = (
    "If it's getting too much, the button below (or /help-now) shows crisis lines you can "
    "call or text now and pages the group's peer specialists."
)
BUTTON_LINES = (
    "If it's getting too much, the button below (or /help-now) shows crisis lines you can "
    "call or text now."
)
COMMAND_PAGES = (
    "/help-now in the server shows crisis lines you can call or text now and pages the "
    "group's peer specialists."
)
COMMAND_LINES = "/help-now in the server shows crisis lines you can call or text now."


def button_offer(config: ServerConfig) -> str:
    """Under a reply that carries the help button."""
    return BUTTON_PAGES if config.pages_specialists else BUTTON_LINES


def command_offer(config: ServerConfig) -> str:
    """In a reply without the button (a DM, an exercise)."""
    return COMMAND_PAGES if config.pages_specialists else COMMAND_LINES
