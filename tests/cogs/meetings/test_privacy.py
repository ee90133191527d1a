"""Meeting attendance is the member's own: the specialists' /meeting report shows counts,
and names a member only with their consent (a look they then see in their access log);
/privacy export carries their attendance and choice, and erasure takes them away, and
nobody else's. Daily meetings held in writing, attended with "I'm here"."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select

from cogs.meetings.member_data import LOOKED_AT_ATTENDANCE
from cogs.privacy import texts as privacy_texts
from core.bot import RecoveryBot
from db.models import MeetingAttendance
from fakediscord.models import Member, Message
from sandbox.community import Community
from tests.cogs.meetings.helpers import (
    Rooms,
    attendance,
    cog_of,
    daily_text_meeting,
    hold_next_meeting,
    meeting,
    preferences,
)
from tests.fake_clock import FakeClock

Counts = Mapping[str, list[tuple[datetime, int]]]


async def privacy(community: Community, who: Member, command: str) -> Message:
    it = await who.run_command(f"privacy {command}", channel=community.checkins)
    return await it.wait_for_reply()


async def attendance_rows(bot: RecoveryBot, community: Community) -> list[tuple[int, int]]:
    """(member, occurrence) of every attendance row in the server."""
    async with bot.db.guild_session(community.guild.id) as session:
        rows = (await session.scalars(select(MeetingAttendance))).all()
    return sorted((row.user_id, row.occurrence_id) for row in rows)


@pytest.fixture
def charted(bot: RecoveryBot, monkeypatch: pytest.MonkeyPatch) -> list[Counts]:
    """What the report's chart was drawn from, each time it was drawn. The running
    cog's own chart module is the one watched: each bot loads its extensions afresh."""
    drawn: list[Counts] = []
    chart = sys.modules[type(cog_of(bot)).__module__].chart
    draw: Callable[[Counts], bytes] = chart.report_png

    def spy(counts: Counts) -> bytes:
        drawn.append(counts)
        return draw(counts)

    monkeypatch.setattr(chart, "report_png", spy)
    return drawn


async def test_the_report_is_a_chart_of_counts_naming_only_consenting_members_missing_three(
    bot: RecoveryBot,
    community: Community,
    rooms: Rooms,
    clock: FakeClock,
    charted: list[Counts],
) -> None:
    alice, bob = community.alice, community.bob
    carol = community.guild.add_member("carol")
    circle = await daily_text_meeting(bot, community, rooms)
    await meeting(community, alice, "share", state="on")  # misses 3: named
    await meeting(community, carol, "share", state="on")  # misses 2: not yet
    # bob misses 3 but never agreed to share: never named.
    # All three come twice, so it is their meeting; then they stay away.
    held = [await hold_next_meeting(bot, community, clock, circle, [alice, bob, carol])]
    held.append(await hold_next_meeting(bot, community, clock, circle, [alice, bob, carol]))
    held.append(await hold_next_meeting(bot, community, clock, circle, [carol]))
    held.append(await hold_next_meeting(bot, community, clock, circle))
    held.append(await hold_next_meeting(bot, community, clock, circle))

    report = await meeting(community, community.sam, "report")

    assert report.flags & 64
    [png] = report.attachments
    assert png.filename == "meetings.png"
    assert png.data.startswith(b"\x89PNG\r\n\x1a\n")
    [counts] = charted
    assert dict(counts) == {
        "Daily circle": [(row.starts_at, n) for row, n in zip(held, [3, 3, 1, 0, 0], strict=True)]
    }
    assert f"<@{alice.id}>: the last 3 meetings" in report.content
    assert str(bob.id) not in report.content
    assert str(carol.id) not in report.content

    # The look is alice's to see, with who looked; nobody else was looked at.
    log = await privacy(community, alice, "access-log")
    assert f"<@{community.sam.id}> read {LOOKED_AT_ATTENDANCE}" in log.content
    for unnamed in (bob, carol):
        assert (await privacy(community, unnamed, "access-log")).content == (
            privacy_texts.ACCESS_LOG_EMPTY
        )


async def test_a_member_running_the_report_is_refused_and_nothing_is_shown(
    bot: RecoveryBot,
    community: Community,
    rooms: Rooms,
    clock: FakeClock,
    charted: list[Counts],
) -> None:
    circle = await daily_text_meeting(bot, community, rooms)
    await hold_next_meeting(bot, community, clock, circle, [community.bob])

    it = await community.alice.run_command("meeting report", channel=community.checkins)
    refused = await it.wait_for_reply()

    assert "peer specialist" in refused.content.casefold()
    assert refused.attachments == []
    assert str(community.bob.id) not in refused.content
    assert charted == []


async def test_export_carries_the_members_attendance_and_sharing_choice_and_erase_removes_them(
    bot: RecoveryBot, community: Community, rooms: Rooms, clock: FakeClock
) -> None:
    alice, bob = community.alice, community.bob
    circle = await daily_text_meeting(bot, community, rooms)
    await meeting(community, alice, "share", state="on")
    await meeting(community, bob, "share", state="off")
    first = await hold_next_meeting(bot, community, clock, circle, [alice, bob])
    second = await hold_next_meeting(bot, community, clock, circle, [alice])

    it = await alice.run_command("privacy export", channel=community.checkins)
    reply = await it.wait_for_followup()
    [file] = reply.attachments
    document: dict[str, Any] = json.loads(file.data)
    part = document["features"]["meetings"]
    assert [(a["meeting"], a["starts_at"], a["attended"]) for a in part["attendance"]] == [
        ("Daily circle", first.starts_at.isoformat(), True),
        ("Daily circle", second.starts_at.isoformat(), True),
    ]
    assert all(a["here_at"] for a in part["attendance"])
    assert part["preferences"]["share_attendance"] is True
    assert str(bob.id) not in file.data.decode()

    bobs_before = [row for row in await attendance_rows(bot, community) if row[0] == bob.id]
    await bot.member_data.erase(bot.db, community.guild.id, alice.id)

    left = await attendance_rows(bot, community)
    assert [row for row in left if row[0] == alice.id] == []
    assert left == bobs_before == [(bob.id, first.id)]
    kept = await preferences(bot, community)
    assert set(kept) == {bob.id}
    assert kept[bob.id].share_attendance is False
    assert (await attendance(bot, community))[bob.id].attended is True
    # What alice sees afterwards: nothing of hers is left.
    assert "No attendance yet" in (await meeting(community, alice, "attendance")).content
