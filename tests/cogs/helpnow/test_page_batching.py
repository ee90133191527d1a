"""Many requests at once: pages that queue behind Discord's rate limit share messages."""

from __future__ import annotations

import asyncio

from core.bot import RecoveryBot
from fakediscord.models import Message
from sandbox.community import Community
from tests.cogs.helpnow.helpers import mentioned, public_id_of, sam_on_call_riley_backup

EDIT_MESSAGE = "/channels/{channel_id}/messages/{message_id}"


def requests_on(page: Message) -> list[str]:
    return [c.rsplit(":", 1)[1] for c in page.custom_ids if c.startswith("helpnow:ack:")]


async def test_a_burst_of_requests_pages_everyone_in_fewer_messages(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    people = [community.guild.add_member(f"person{n}") for n in range(12)]
    asked = await asyncio.gather(
        *(person.run_command("help-now", channel=community.checkins) for person in people)
    )
    for interaction in asked:
        assert "988" in (await interaction.wait_for_response()).content
        assert interaction.rejections == []

    paged: list[str] = []
    pages: list[Message] = []
    while len(paged) < len(people):
        page = await community.emu.wait_for_message(channel=community.specialists, timeout=15)
        pages.append(page)
        paged += requests_on(page)
        assert mentioned(page) == {"sam"}
        assert len(requests_on(page)) <= 5
    assert len(set(paged)) == len(people)
    assert len(pages) < len(people)
    for person in people:
        assert sum(person.mention in page.content for page in pages) == 1


async def test_on_a_shared_page_each_request_keeps_its_own_buttons(
    bot: RecoveryBot, community: Community
) -> None:
    await sam_on_call_riley_backup(bot, community)
    people = [community.guild.add_member(f"person{n}") for n in range(8)]
    await asyncio.gather(
        *(person.run_command("help-now", channel=community.checkins) for person in people)
    )
    shared = None
    while shared is None:
        page = await community.emu.wait_for_message(channel=community.specialists, timeout=15)
        if len(requests_on(page)) >= 2:
            shared = page
    first, second = requests_on(shared)[:2]

    ack = await community.sam.click(shared, f"helpnow:ack:{first}")
    await ack.wait_for_response()
    first_ack = shared.component(f"helpnow:ack:{first}")
    second_ack = shared.component(f"helpnow:ack:{second}")
    assert first_ack is not None
    assert second_ack is not None
    assert first_ack["disabled"] is True
    assert not second_ack.get("disabled")
    assert set(requests_on(shared)) >= {first, second}

    resolve = await community.sam.click(shared, f"helpnow:resolve:{first}")
    done = await community.sam.submit_modal(resolve, {"outcome": ""})
    await done.wait_for_response()
    await community.emu.wait_for_request(
        "PATCH", EDIT_MESSAGE, where=lambda r: "request as resolved at" in str(r.body)
    )
    assert f"helpnow:ack:{first}" not in shared.custom_ids
    assert f"helpnow:ack:{second}" in shared.custom_ids
    assert requests_on(shared)[0] == second
    assert public_id_of(shared, "resolve") == second
