"""pytest support: the `emulator` fixture and the `fakediscord_allow` marker.

Register in a root conftest with `pytest_plugins = ["fakediscord.testing"]`, or import
`emulator` and `pytest_configure` from here into a conftest.

The fixture starts a `FakeDiscord` on a free port, points discord.py at it, and at
teardown fails the test if any request hit an unimplemented route or broke the OpenAPI
description, unless the test is marked `@pytest.mark.fakediscord_allow(unhandled=True,
invalid=True)` (either keyword alone is fine).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass

import pytest
import pytest_asyncio

from fakediscord.discordpy import point_discord_py_at
from fakediscord.emulator import FakeDiscord
from fakediscord.models import Application, Channel, Guild, Member

MARKER = "fakediscord_allow"


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers",
        f"{MARKER}(unhandled=False, invalid=False): let a test that uses the emulator fixture "
        "pass despite unhandled requests or OpenAPI validation errors",
    )


@pytest_asyncio.fixture
async def emulator(request: pytest.FixtureRequest) -> AsyncIterator[FakeDiscord]:
    """A started emulator with discord.py pointed at it; checked for problems at teardown."""
    emu = FakeDiscord(heartbeat_interval=1.0)
    await emu.start()
    restore = point_discord_py_at(emu.api_base_url, emu.gateway_url)
    try:
        yield emu
    finally:
        restore()
        await emu.stop()
    marker = request.node.get_closest_marker(MARKER)
    allowed = marker.kwargs if marker is not None else {}
    problems = emu.problems(
        unhandled=not allowed.get("unhandled", False), invalid=not allowed.get("invalid", False)
    )
    if problems:
        pytest.fail("fake Discord saw problems:\n" + "\n".join(problems), pytrace=False)


@dataclass
class SmallWorld:
    """The usual cast of a test: one bot in one guild, a text channel and two members."""

    app: Application
    guild: Guild
    channel: Channel
    alice: Member
    bob: Member


def small_world(emu: FakeDiscord, *, token: str | None = None) -> SmallWorld:
    """Create the usual cast; the bot has every permission but ADMINISTRATOR."""
    app = emu.create_application("Recovery bot", token=token)
    guild = emu.create_guild("Recovery Circle", owner_name="organiser")
    guild.add_bot(app)
    channel = guild.create_text_channel("check-ins")
    return SmallWorld(app, guild, channel, guild.add_member("alice"), guild.add_member("bob"))
