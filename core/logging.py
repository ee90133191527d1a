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
    # discord.py's gateway chatter at DEBUG would drown our own lines.
    quieter = max(logging.INFO, logging.getLevelName(level))
    logging.getLogger("discord").setLevel(quieter)
    # APScheduler logs every job run at INFO; our own jobs log what matters.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLevelName(level)))
    logging.getLogger("discord.client").addFilter(_no_voice_library_warning)


def describe_failure(error: BaseException) -> str:
    """What went wrong, for a log line: the kind of error and Discord's status and code,
    never text that could carry what a member wrote."""
    details = (getattr(error, "status", None), getattr(error, "code", None))
    return " ".join([type(error).__name__, *(str(d) for d in details if d)])


def _no_voice_library_warning(record: logging.LogRecord) -> bool:
    # The bot reads voice states but never joins voice, so the missing voice library
    # discord.py warns about at every start is expected, not a problem to act on.
    return "voice will NOT be supported" not in record.getMessage()
