"""A member's free text, written through every feature that keeps some, for the tests
that look for it where it must never be in clear (the log, the raw database files).

Each text is a made-up word that appears nowhere else, so finding it means it leaked.
"""

from __future__ import annotations

from dataclasses import dataclass

from core.bot import RecoveryBot
from sandbox.community import Community
from tests.cogs.checkins.e2e_helpers import check_in
from tests.cogs.helpnow.helpers import sam_on_call_riley_backup


@dataclass(frozen=True)
class PrivateWords:
    checkin_note: str = "quokka-basalt-checkin-6613"
    plan_part: str = "marmot-cinder-plan-2290"
    journal_entry: str = "ibis-garnet-journal-8147"
    help_note: str = "lynx-obsidian-helpnow-5032"

    def all(self) -> dict[str, str]:
        return {
            "check-in note": self.checkin_note,
            "plan part": self.plan_part,
            "journal entry": self.journal_entry,
            "help-now note": self.help_note,
        }


WORDS = PrivateWords()


async def write_private_words(bot: RecoveryBot, community: Community) -> None:
    """alice writes each text through the bot: a check-in's note, her plan's routine, a
    journal entry she keeps, a /help-now note (paged to the specialists on call)."""
    alice = community.alice
    answers = {"mood": "3", "craving": "4", "sleep": "7", "triggers": []}
    saved = await check_in(community, {**answers, "note": WORDS.checkin_note})
    await saved.wait_for_response()

    opened = await alice.run_command(
        "plan edit", channel=community.checkins, options={"part": "routine"}
    )
    written = await alice.submit_modal(opened, {"routine": WORDS.plan_part})
    await written.wait_for_response()

    shown = await (
        await alice.run_command(
            "cope", channel=community.checkins, options={"strategy": "journaling"}
        )
    ).wait_for_response()
    assert shown.message is not None
    form = await alice.click(shown.message, f"cope:journal:{alice.id}:1")
    kept = await alice.submit_modal(form, {"entry": WORDS.journal_entry})
    await kept.wait_for_reply()

    await sam_on_call_riley_backup(bot, community)
    asked = await alice.run_command("help-now", channel=community.checkins, note=WORDS.help_note)
    await asked.wait_for_response()
    page = await community.emu.wait_for_message(channel=community.specialists)
    assert WORDS.help_note in page.content  # the words went where they belong
