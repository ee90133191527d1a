"""A request acknowledged or closed leaves no page asking for what is done: every page of it,
escalations included, shows what happened, and a specialist pressing a page that outlived a
restart is told as a specialist and the page is tidied."""

from __future__ import annotations

from cogs.helpnow import texts
from cogs.helpnow.cog import NOTE_MAX_LENGTH
from core.bot import RecoveryBot
from core.messages import DISCORD_MESSAGE_LIMIT
from fakediscord.models import Message
from sandbox.community import BotRunner, Community
from tests.cogs.helpnow.helpers import button, mentioned, sam_on_call_riley_backup
from tests.waiting import wait_for


async def _buttonless(pages: list[Message], what: str) -> None:
    async def all_without_buttons() -> bool | None:
        return True if all(page.custom_ids == [] for page in pages) else None

    await wait_for(all_without_buttons, within=5, what=what)


async def _three_pages(community: Community) -> tuple[Message, list[Message]]:
    """Alice's reply, and the pages to Sam, to Riley (backup) and to the role."""
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert reply.message is not None
    emu = community.emu
    pages = [await emu.wait_for_message(channel=community.specialists, timeout=5) for _ in "abc"]
    assert [mentioned(page) for page in pages] == [{"sam"}, {"riley"}, {"Peer specialist"}]
    return reply.message, pages


async def test_every_page_of_a_request_loses_its_buttons_and_shows_the_outcome_at_close(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, repeat_interval_seconds=1, max_repeats=1)
    await sam_on_call_riley_backup(bot, community)
    reply, pages = await _three_pages(community)

    safe = await community.alice.click(reply, button(reply, "safe"))
    assert (await safe.wait_for_response()).content == texts.SAFE_THANKS

    await _buttonless(pages, "every page without buttons")
    assert all("said they're safe now" in page.content for page in pages)


async def test_a_specialist_pressing_a_page_left_from_before_a_restart_is_told_and_it_is_tidied(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, repeat_interval_seconds=1, max_repeats=1)
    await sam_on_call_riley_backup(bot, community)
    reply, (first, backup, _to_role) = await _three_pages(community)
    await bot_runner.stop(bot)
    await bot_runner.start(sync=False)

    safe = await community.alice.click(reply, button(reply, "safe"))
    assert (await safe.wait_for_response()).content == texts.SAFE_THANKS
    await _buttonless([first], "the recorded page without buttons")

    # The backup's page went out before the restart; its buttons are still on it.
    pressed = await community.riley.click(backup, button(backup, "ack"))
    answer = await pressed.wait_for_response()
    assert answer.ephemeral
    assert answer.content == texts.PAGE_ALREADY_CLOSED
    assert answer.content != texts.ALREADY_CLOSED  # the member's words, not a specialist's
    await _buttonless([backup], "the pressed page without buttons")
    assert texts.PAGE_FOUND_CLOSED in backup.content


async def test_a_member_pressing_a_closed_requests_button_is_pointed_to_help_now(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = (await it.wait_for_response()).message
    assert reply is not None
    await community.emu.wait_for_message(channel=community.specialists)
    safe = await community.alice.click(reply, button(reply, "safe"))
    await safe.wait_for_response()

    again = await community.alice.click(reply, button(reply, "thread"))
    assert (await again.wait_for_response()).content == texts.ALREADY_CLOSED


async def test_an_acknowledgement_on_one_page_is_shown_on_every_page_of_the_request(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    await bot_runner.configure(bot, ack_timeout_seconds=1, repeat_interval_seconds=1, max_repeats=1)
    await sam_on_call_riley_backup(bot, community)
    _reply, (first, backup, to_role) = await _three_pages(community)

    ack = await community.riley.click(backup, button(backup, "ack"))
    assert (await ack.wait_for_response()).type == 7

    def stamped_and_disabled(page: Message) -> bool:
        ack = page.component(button(page, "ack"))
        return (
            ack is not None
            and bool(ack.get("disabled"))
            and f"{community.riley.mention} acknowledged" in page.content
        )

    async def acknowledged_everywhere() -> bool | None:
        return True if all(map(stamped_and_disabled, (first, backup, to_role))) else None

    await wait_for(acknowledged_everywhere, within=5, what="every page acknowledged")
    # Resolving stays possible from any page.
    assert all(button(page, "resolve") for page in (first, to_role))


async def test_a_fallback_page_outside_the_specialists_channel_never_names_the_member(
    bot_runner: BotRunner, bot: RecoveryBot, community: Community
) -> None:
    # The first page can't reach #specialists and falls back to #check-ins, unnamed; the
    # backup's page then reaches #specialists, where Riley acknowledges it.
    await bot_runner.configure(
        bot, ack_timeout_seconds=1, repeat_interval_seconds=60, max_repeats=1
    )
    await sam_on_call_riley_backup(bot, community)
    emu = community.emu
    emu.faults.fail("POST", "/channels/{channel_id}/messages", status=503, times=1)
    it = await community.alice.run_command("help-now", channel=community.checkins)
    reply = await it.wait_for_response()
    assert reply.message is not None
    fallback = await emu.wait_for_message(channel=community.checkins, timeout=5)
    backup = await emu.wait_for_message(channel=community.specialists, timeout=10)
    alice = community.alice.mention

    ack = await community.riley.click(backup, button(backup, "ack"))
    await ack.wait_for_followup(timeout=10)

    async def fallback_acknowledged() -> bool | None:
        return True if "acknowledged this request" in fallback.content else None

    await wait_for(fallback_acknowledged, within=5, what="the fallback page acknowledged")
    assert f"acknowledged {alice}'s request" in backup.content
    safe = await community.alice.click(reply.message, button(reply.message, "safe"))
    await safe.wait_for_response()
    await _buttonless([fallback, backup], "both pages without buttons")
    assert alice not in fallback.content
    assert "safe now" in fallback.content


async def test_a_page_too_full_for_its_note_still_loses_its_buttons_at_close(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    it = await community.alice.run_command(
        "help-now", channel=community.checkins, note="n" * NOTE_MAX_LENGTH
    )
    reply = (await it.wait_for_response()).message
    assert reply is not None
    page = await community.emu.wait_for_message(channel=community.specialists)
    # Filled to Discord's limit, as a page shared by several requests can be.
    page.content += "x" * (DISCORD_MESSAGE_LIMIT - len(page.content))

    safe = await community.alice.click(reply, button(reply, "safe"))
    await safe.wait_for_response()
    await _buttonless([page], "the full page without buttons")
    assert len(page.content) == DISCORD_MESSAGE_LIMIT
