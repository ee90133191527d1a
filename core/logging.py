"""Logging, configured once for the whole process."""

from __future__ import annotations

import logging
import sys


def setup_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(
        logging.Formatter("%(asctime)s %(levelname)-7s %(name)s: %(message)s", "%Y-%m-%d %H:%M:%S")
    )
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    asked = logging.getLevelName(level)
    # Our own loggers follow `level`; these libraries never go below their floor.
    for name, floor in PRIVATE_BELOW.items():
        logging.getLogger(name).setLevel(max(floor, asked))
    # APScheduler logs every job run at INFO; our own jobs log what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, asked))
    logging.getLogger("discord.client").addFilter(_no_voice_library_warning)


# Nothing a member wrote or answered may reach the log, at any level, and below these
# levels these libraries log it; the floors hold even when the bot runs at DEBUG.
PRIVATE_BELOW: dict[str, int] = {
    # DEBUG repeats every gateway event (interaction data: modal answers, /help-now notes;
    # message content) and every HTTP request and response body (a page quotes the note).
    # Its INFO lines name connections and sessions only.
    "discord": logging.INFO,
    # DEBUG logs each call with its SQL parameters: mood, craving, sleep, triggers.
    "aiosqlite": logging.WARNING,
    # INFO logs statements (parameters are hidden by db.engine, not rows), DEBUG every
    # row read back, answers included.
    "sqlalchemy": logging.WARNING,
    # Logs only pool trouble today; held with the other drivers so that a future line
    # with a query's arguments stays out too.
    "asyncpg": logging.WARNING,
}


def describe_failure(error: BaseException) -> str:
    """What went wrong, for a log line: the kind of error and Discord's status and code,
    never text that could carry what a member wrote."""
    details = (getattr(error, "status", None), getattr(error, "code", None))
    return " ".join([type(error).__name__, *(str(d) for d in details if d)])


def _no_voice_library_warning(record: logging.LogRecord) -> bool:
    # The bot reads voice states but never joins voice, so the missing voice library
    # discord.py warns about at every start is expected, not a problem to act on.
    return "voice will NOT be supported" not in record.getMessage()
