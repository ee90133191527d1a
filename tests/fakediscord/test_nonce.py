"""Message nonces: `enforce_nonce` gives a retry back the message it already created."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import aiohttp
import discord
import pytest
import pytest_asyncio

from fakediscord import Application, FakeDiscord, running_client
from fakediscord.testing import SmallWorld

MESSAGES = "/channels/{channel_id}/messages"


class FakeClock:
    """A time source the test moves by hand, so the window passes without sleeping."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Bot:
    """Raw REST calls as one bot, answered with (status, JSON body)."""

    def __init__(self, emulator: FakeDiscord, http: aiohttp.ClientSession, app: Application):
        self._base = emulator.api_base_url
        self._http = http
        self._headers = {"Authorization": f"Bot {app.token}"}

    async def call(self, method: str, path: str, body: dict[str, Any]) -> tuple[int, Any]:
        url = self._base + path
        async with self._http.request(method, url, json=body, headers=self._headers) as response:
            return response.status, await response.json()

    async def post(self, channel_id: int, body: dict[str, Any]) -> tuple[int, Any]:
        return await self.call("POST", f"/channels/{channel_id}/messages", body)


@pytest.fixture
def clock(emulator: FakeDiscord) -> FakeClock:
    fake = FakeClock()
    emulator.nonce_clock = fake
    # Retries count against the channel bucket; these tests post more than 5 in a row.
    emulator.rate_limits_enabled = False
    return fake


@pytest_asyncio.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
def bot(
    emulator: FakeDiscord, world: SmallWorld, http: aiohttp.ClientSession, clock: FakeClock
) -> Bot:
    return Bot(emulator, http, world.app)


def enforced(content: str, nonce: str | int) -> dict[str, Any]:
    return {"content": content, "nonce": nonce, "enforce_nonce": True}


def created_ids(emulator: FakeDiscord, app: Application) -> list[int]:
    return [
        int(frame.data["id"])
        for session in emulator.gateway.sessions_of(app)
        for frame in session.frames
        if frame.event == "MESSAGE_CREATE"
    ]


async def test_discord_py_resending_with_its_nonce_creates_one_message(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, clock: FakeClock
) -> None:
    async with running_client(client, world.app.token):
        channel = client.get_channel(world.channel.id)
        assert isinstance(channel, discord.TextChannel)
        # discord.py sends nonce as a string together with enforce_nonce=True.
        first = await channel.send("Check-in reminder", nonce="reminder-7")
        again = await channel.send("Check-in reminder", nonce="reminder-7")
    assert again.id == first.id
    assert again.nonce == first.nonce == "reminder-7"
    (stored,) = emulator.messages_in(world.channel)
    assert stored.id == first.id
    assert created_ids(emulator, world.app) == [first.id]
    (request, retry) = emulator.requests_to("POST", MESSAGES)
    assert request.body is not None
    assert request.body["enforce_nonce"] is True
    assert (request.status, retry.status) == (200, 200)


async def test_a_retry_answers_200_with_the_stored_message_as_it_is_now(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    status, first = await bot.post(world.channel.id, enforced("Meeting at 7", "meet-1"))
    assert status == 200
    assert first["nonce"] == "meet-1"
    # The retry's own content does not matter: nothing new is made from it.
    status, retry = await bot.post(world.channel.id, enforced("Meeting at 8", "meet-1"))
    assert (status, retry) == (200, first)
    status, _ = await bot.call(
        "PATCH", f"/channels/{world.channel.id}/messages/{first['id']}", {"content": "Moved to 9"}
    )
    assert status == 200
    status, after_edit = await bot.post(world.channel.id, enforced("Meeting at 7", "meet-1"))
    assert status == 200
    assert (after_edit["id"], after_edit["content"]) == (first["id"], "Moved to 9")
    assert [m.content for m in emulator.messages_in(world.channel)] == ["Moved to 9"]
    assert emulator.message_with_nonce(world.channel, world.app.bot_user, "meet-1") is not None


async def test_different_nonces_make_different_messages(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    _, first = await bot.post(world.channel.id, enforced("one", "a-1"))
    _, second = await bot.post(world.channel.id, enforced("two", "a-2"))
    assert first["id"] != second["id"]
    assert [m.content for m in emulator.messages_in(world.channel)] == ["one", "two"]


async def test_without_enforce_nonce_duplicates_are_posted_and_the_nonce_echoed(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    body = {"content": "same", "nonce": "dup"}
    _, first = await bot.post(world.channel.id, body)
    _, second = await bot.post(world.channel.id, {**body, "enforce_nonce": False})
    assert first["id"] != second["id"]
    assert first["nonce"] == second["nonce"] == "dup"
    # The nonce was still seen: an enforced retry gets the first message back.
    _, retry = await bot.post(world.channel.id, enforced("same", "dup"))
    assert retry["id"] == first["id"]
    assert len(emulator.messages_in(world.channel)) == 2


async def test_an_integer_nonce_is_the_same_nonce_as_its_digits(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    _, first = await bot.post(world.channel.id, enforced("int", 4242))
    assert first["nonce"] == 4242
    _, again = await bot.post(world.channel.id, enforced("int", 4242))
    _, as_text = await bot.post(world.channel.id, enforced("int", "4242"))
    assert first["id"] == again["id"] == as_text["id"]
    assert len(emulator.messages_in(world.channel)) == 1


async def test_a_nonce_older_than_the_window_makes_a_new_message(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot, clock: FakeClock
) -> None:
    emulator.nonce_window = 10.0
    _, first = await bot.post(world.channel.id, enforced("first", "late"))
    clock.advance(9.5)
    _, inside = await bot.post(world.channel.id, enforced("second", "late"))
    assert inside["id"] == first["id"]
    clock.advance(0.5)
    _, outside = await bot.post(world.channel.id, enforced("third", "late"))
    assert outside["id"] != first["id"]
    # The new message starts a window of its own.
    clock.advance(9.5)
    _, retry = await bot.post(world.channel.id, enforced("fourth", "late"))
    assert retry["id"] == outside["id"]
    assert [m.content for m in emulator.messages_in(world.channel)] == ["first", "third"]


async def test_the_default_window_is_five_minutes(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot, clock: FakeClock
) -> None:
    assert emulator.nonce_window == 300.0
    _, first = await bot.post(world.channel.id, enforced("first", "slow"))
    clock.advance(299.0)
    assert (await bot.post(world.channel.id, enforced("again", "slow")))[1]["id"] == first["id"]
    clock.advance(1.0)
    assert (await bot.post(world.channel.id, enforced("again", "slow")))[1]["id"] != first["id"]


async def test_the_same_nonce_in_another_channel_or_by_another_author_is_new(
    emulator: FakeDiscord,
    world: SmallWorld,
    bot: Bot,
    http: aiohttp.ClientSession,
) -> None:
    other_channel = world.guild.create_text_channel("announcements")
    other_app = emulator.create_application("Other bot")
    world.guild.add_bot(other_app)
    other_bot = Bot(emulator, http, other_app)

    _, first = await bot.post(world.channel.id, enforced("here", "shared"))
    _, elsewhere = await bot.post(other_channel.id, enforced("there", "shared"))
    _, by_other_bot = await other_bot.post(world.channel.id, enforced("mine", "shared"))
    by_alice = emulator.post_message(world.channel, world.alice.user, enforced("hi", "shared"))
    ids = {first["id"], elsewhere["id"], by_other_bot["id"], str(by_alice.id)}
    assert len(ids) == 4
    # Each author and channel keeps its own: retries still find their own first message.
    assert (await other_bot.post(world.channel.id, enforced("x", "shared")))[1] == by_other_bot
    assert (await bot.post(other_channel.id, enforced("x", "shared")))[1] == elsewhere
    assert emulator.post_message(world.channel, world.alice.user, enforced("x", "shared")) is (
        by_alice
    )


async def test_a_retry_in_a_dm_gets_the_first_message_back(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    status, dm = await bot.call("POST", "/users/@me/channels", {"recipient_id": world.alice.id})
    assert status == 200
    _, first = await bot.post(int(dm["id"]), enforced("Your sponsor will call", "dm-1"))
    _, retry = await bot.post(int(dm["id"]), enforced("Your sponsor will call", "dm-1"))
    assert retry == first
    assert [m.id for m in emulator.dms_of(world.alice)] == [int(first["id"])]


async def test_a_deleted_original_no_longer_answers_for_its_nonce(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    _, first = await bot.post(world.channel.id, enforced("oops", "gone"))
    path = f"{emulator.api_base_url}/channels/{world.channel.id}/messages/{first['id']}"
    headers = {"Authorization": f"Bot {world.app.token}"}
    async with aiohttp.ClientSession(headers=headers) as http, http.delete(path) as response:
        assert response.status == 204
    _, retry = await bot.post(world.channel.id, enforced("oops", "gone"))
    assert retry["id"] != first["id"]
    assert [m.content for m in emulator.messages_in(world.channel)] == ["oops"]


async def test_a_nonce_of_25_characters_is_fine(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    status, message = await bot.post(world.channel.id, enforced("ok", "n" * 25))
    assert (status, message["nonce"]) == (200, "n" * 25)


TOO_LONG_ERROR = {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 25 or fewer in length."}
TOO_LONG = {
    "code": 50035,
    "message": "Invalid Form Body",
    "errors": {"nonce": {"_errors": [TOO_LONG_ERROR]}},
}


@pytest.mark.fakediscord_allow(invalid=True)
async def test_a_nonce_over_25_characters_is_refused_like_discord_does(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    status, body = await bot.post(world.channel.id, enforced("too long", "n" * 26))
    assert (status, body) == (400, TOO_LONG)
    (issue,) = emulator.validation_errors
    assert (issue.direction, issue.message.split(":")[0]) == ("request", "nonce")
    assert emulator.messages_in(world.channel) == []


async def test_the_nonce_limit_holds_without_openapi_validation(
    emulator: FakeDiscord, world: SmallWorld, bot: Bot
) -> None:
    emulator.validate = False
    status, body = await bot.post(world.channel.id, enforced("too long", "n" * 26))
    assert (status, body) == (400, TOO_LONG)
    assert emulator.messages_in(world.channel) == []
