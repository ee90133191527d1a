"""Nothing a member wrote or answered reaches the log, even at LOG_LEVEL=DEBUG (issue 10).

The real bot runs in process with `setup_logging("DEBUG")`, and what its one handler
writes is read back: a check-in, a /help-now, a message in the private thread and the
outcome form go through, then none of their words may be in it.
"""

from __future__ import annotations

import contextlib
import io
import logging
from collections.abc import Iterator
from pathlib import Path

from core.logging import PRIVATE_BELOW, setup_logging
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import check_in
from tests.cogs.helpnow.helpers import button, sam_on_call_riley_backup

CHECKIN_NOTE = "zebra-quartz-note-7781"
# A trigger is stored by its name from the list: the member's answer as it reaches SQL.
TRIGGER = "Places tied to past use"
SLEEP = "6.75"
HELP_NOTE = "heron-basalt-help-4410"
THREAD_WORDS = "kestrel-cobalt-thread-5519"
OUTCOME = "umber-flint-outcome-3307"
MEMBER_WORDS = (CHECKIN_NOTE, TRIGGER, SLEEP, HELP_NOTE, THREAD_WORDS, OUTCOME)
OUR_DEBUG_LINE = "our-own-debug-line-9034"


@contextlib.contextmanager
def debug_log() -> Iterator[io.StringIO]:
    """What the process's log handler writes once `setup_logging("DEBUG")` has run.

    Entered in the test itself, not in a fixture: the handlers pytest adds to the root
    logger for each phase are then the ones put back, and it removes them as usual.
    """
    root = logging.getLogger()
    named = [*PRIVATE_BELOW, "apscheduler", "discord.client"]
    saved_handlers, saved_level = list(root.handlers), root.level
    saved = {name: logging.getLogger(name).level for name in named}
    saved_filters = list(logging.getLogger("discord.client").filters)
    setup_logging("DEBUG")
    (handler,) = root.handlers
    assert isinstance(handler, logging.StreamHandler)
    written = io.StringIO()
    handler.setStream(written)
    try:
        yield written
    finally:
        root.handlers[:] = saved_handlers
        root.setLevel(saved_level)
        for name, level in saved.items():
            logging.getLogger(name).setLevel(level)
        logging.getLogger("discord.client").filters[:] = saved_filters


async def test_a_check_in_and_a_help_now_at_debug_leave_none_of_the_members_words_in_the_log(
    community: Community, database_url: str, tmp_path: Path
) -> None:
    runner = BotRunner(community, database_url, tmp_path / "data")
    with debug_log() as log:
        try:
            await members_speak(runner, community)
        finally:
            await runner.stop_all()

    written = log.getvalue()
    assert OUR_DEBUG_LINE in written  # our own loggers still speak at DEBUG
    assert "Check-in saved" in written  # and the capture saw the bot at work
    assert [words for words in MEMBER_WORDS if words in written] == []


async def members_speak(runner: BotRunner, community: Community) -> None:
    bot = await runner.start()
    await runner.configure(bot)
    logging.getLogger("cogs.checkins.cog").debug(OUR_DEBUG_LINE)

    answers = {"mood": "2", "craving": "8", "sleep": SLEEP, "triggers": [TRIGGER]}
    saved = await check_in(community, {**answers, "note": CHECKIN_NOTE})
    await saved.wait_for_response()

    await sam_on_call_riley_backup(bot, community)
    asked = await community.alice.run_command(
        "help-now", channel=community.checkins, note=HELP_NOTE
    )
    await asked.wait_for_response()
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert HELP_NOTE in page.content  # the words went where they belong

    acked = await community.riley.click(page, button(page, "ack"))
    await acked.wait_for_response()
    thread = await community.emu.wait_for_thread(parent=community.checkins)
    community.emu.post_message(thread, community.alice.user, {"content": THREAD_WORDS})
    # Gateway events arrive in order: once the form's answer is back, the bot has
    # received the thread message too.
    opened = await community.riley.click(page, button(page, "resolve"))
    closed = await community.riley.submit_modal(opened, {"outcome": OUTCOME})
    await closed.wait_for_response()
