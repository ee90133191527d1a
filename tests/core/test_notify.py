"""The owner notifier: each topic reaches the owner once per occasion, or once per
quiet period, and a failing DM is logged with ids only."""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

import discord
import pytest

from core.notify import OwnerNotifier
from tests.fake_clock import FakeClock

GUILD = 111_000_000_000_000_001
OWNER = 222_000_000_000_000_002
SECRET = "member wrote: relapsed last night"


@dataclass
class _Guild:
    id: int
    name: str = "Circle"
    owner_id: int | None = OWNER


@dataclass
class _Client:
    """The two calls the notifier makes of discord.py's client."""

    guilds: dict[int, _Guild]
    sent: list[tuple[int, str]] = field(default_factory=list)
    refuse: bool = False

    def get_guild(self, guild_id: int) -> _Guild | None:
        return self.guilds.get(guild_id)

    async def create_dm(self, user: discord.Object) -> Any:
        client = self

        class _Channel:
            async def send(self, text: str) -> None:
                if client.refuse:
                    raise discord.ClientException("cannot DM")
                client.sent.append((user.id, text))

        return _Channel()


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime(2026, 3, 1, 9, 0, tzinfo=UTC))


def notifier(client: _Client, clock: FakeClock) -> OwnerNotifier:
    return OwnerNotifier(cast(discord.Client, client), clock)


async def test_one_notice_per_occasion_however_often_it_is_asked(clock: FakeClock) -> None:
    client = _Client({GUILD: _Guild(GUILD)})
    owner = notifier(client, clock)

    first = await owner.tell_now_and_then(GUILD, "prompt", "a", occasion=date(2026, 3, 1))
    again = await owner.tell_now_and_then(GUILD, "prompt", "b", occasion=date(2026, 3, 1))
    clock.advance(days=1)
    next_day = await owner.tell_now_and_then(GUILD, "prompt", "c", occasion=date(2026, 3, 2))

    assert (first, again, next_day) == (True, False, True)
    assert client.sent == [(OWNER, "a"), (OWNER, "c")]


async def test_a_quiet_period_lets_the_same_topic_through_once_it_is_over(
    clock: FakeClock,
) -> None:
    client = _Client({GUILD: _Guild(GUILD)})
    owner = notifier(client, clock)
    hour = timedelta(hours=1)

    await owner.tell_now_and_then(GUILD, "channels", "1", quiet_for=hour)
    clock.advance(minutes=59)
    await owner.tell_now_and_then(GUILD, "channels", "2", quiet_for=hour)
    await owner.tell_now_and_then(GUILD, "other topic", "3", quiet_for=hour)
    clock.advance(minutes=1)
    await owner.tell_now_and_then(GUILD, "channels", "4", quiet_for=hour)

    assert [text for _, text in client.sent] == ["1", "3", "4"]


async def test_a_failing_dm_is_logged_with_ids_only_and_not_retried_at_once(
    clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    client = _Client({GUILD: _Guild(GUILD)}, refuse=True)
    owner = notifier(client, clock)

    with caplog.at_level(logging.DEBUG):
        told = await owner.tell_now_and_then(GUILD, "prompt", SECRET, occasion=1)
        client.refuse = False
        again = await owner.tell_now_and_then(GUILD, "prompt", SECRET, occasion=1)

    assert (told, again) == (False, False)
    assert client.sent == []
    assert str(GUILD) in caplog.text
    assert SECRET not in caplog.text


async def test_a_server_without_a_known_owner_is_logged_not_raised(clock: FakeClock) -> None:
    client = _Client({GUILD: _Guild(GUILD, owner_id=None)})

    assert await notifier(client, clock).tell(GUILD, "x") is False
    assert await notifier(client, clock).tell(999, "x") is False
    assert client.sent == []
