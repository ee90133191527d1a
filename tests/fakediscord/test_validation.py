"""Bodies are checked against Discord's OpenAPI description and Discord's own limits."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

from fakediscord import DiscordError, FakeDiscord, SpecMissingError, limits, running_client
from fakediscord.openapi import OpenAPISpec, load_spec
from fakediscord.testing import SmallWorld

Tree = app_commands.CommandTree[discord.Client]
MESSAGES = "/channels/{channel_id}/messages"


def test_the_validator_rejects_wrong_bodies_and_accepts_right_ones() -> None:
    spec = load_spec()
    template = spec.match("POST", "/channels/123/messages")
    assert template == MESSAGES
    good = {
        "content": "Welcome!",
        "components": [
            {"type": 1, "components": [{"type": 2, "style": 1, "label": "Hi", "custom_id": "hi"}]}
        ],
    }
    assert spec.request_errors("POST", template, good) == []
    (problem, *_) = spec.request_errors("POST", template, {"content": 5})
    assert problem.startswith("content:")
    assert spec.request_errors("POST", template, {"components": [{"type": 99}]})


def test_literal_paths_win_over_parameters() -> None:
    spec = load_spec()
    assert spec.match("GET", "/users/@me") == "/users/@me"
    assert spec.match("GET", "/users/42") == "/users/{user_id}"
    original = "/webhooks/1/tok/messages/@original"
    assert (
        spec.match("PATCH", original) == "/webhooks/{webhook_id}/{webhook_token}/messages/@original"
    )


def test_a_missing_description_fails_loudly(tmp_path: Path) -> None:
    with pytest.raises(SpecMissingError, match="DISCORD_OPENAPI_PATH"):
        OpenAPISpec(tmp_path / "nowhere.json")


@pytest.mark.fakediscord_allow(invalid=True)
async def test_an_invalid_request_is_refused_and_recorded(
    emulator: FakeDiscord, world: SmallWorld
) -> None:
    client = discord.Client(intents=discord.Intents.default())
    await client.login(world.app.token)
    route = discord.http.Route("POST", MESSAGES, channel_id=world.channel.id)
    with pytest.raises(discord.HTTPException) as refused:
        await client.http.request(route, json={"content": 12345})
    await client.close()
    assert (refused.value.status, refused.value.code) == (400, 50035)
    (issue,) = emulator.validation_errors
    assert (issue.method, issue.direction) == ("POST", "request")
    assert "content" in issue.message
    assert emulator.messages_in(world.channel) == []


@pytest.mark.fakediscord_allow(unhandled=True)
async def test_unimplemented_routes_answer_404_and_are_recorded(
    emulator: FakeDiscord, world: SmallWorld
) -> None:
    client = discord.Client(intents=discord.Intents.default())
    await client.login(world.app.token)
    with pytest.raises(discord.NotFound):
        await client.http.request(
            discord.http.Route("GET", "/guilds/{guild_id}/bans", guild_id=world.guild.id)
        )
    await client.close()
    assert [str(r) for r in emulator.unhandled_requests] == [
        f"GET /api/v10/guilds/{world.guild.id}/bans"
    ]


async def test_discord_limits_give_invalid_form_body(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client
) -> None:
    async with running_client(client, world.app.token):
        channel = client.get_channel(world.channel.id)
        assert isinstance(channel, discord.TextChannel)
        with pytest.raises(discord.HTTPException) as too_long:
            await channel.send("x" * 2001)
        assert too_long.value.code == 50035
        big = [discord.Embed(title="t", description="d" * 4000) for _ in range(2)]
        with pytest.raises(discord.HTTPException) as too_big:
            await channel.send(embeds=big)
        assert "6000" in str(too_big.value)
        with pytest.raises(discord.HTTPException) as too_many_rows:
            await channel.send("six rows", view=SixRows())
        assert "In components: Must be 5 or fewer in length." in str(too_many_rows.value)
    assert emulator.messages_in(world.channel) == []


class SixRows(discord.ui.View):
    """Six action rows, which discord.py's own View would never build."""

    def to_components(self) -> list[dict[str, Any]]:
        button = {"type": 2, "style": 1, "label": "x"}
        return [{"type": 1, "components": [{**button, "custom_id": f"x{n}"}]} for n in range(6)]


@pytest.mark.fakediscord_allow(invalid=True)
async def test_a_modal_title_over_45_characters_is_refused(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    failed: asyncio.Future[discord.HTTPException] = asyncio.get_running_loop().create_future()

    class Wordy(discord.ui.Modal, title="t"):
        answer: discord.ui.TextInput[Wordy] = discord.ui.TextInput(label="Answer")

    @tree.command(name="survey", description="Opens a modal")
    async def survey(interaction: discord.Interaction) -> None:
        modal = Wordy()
        modal.title = "How did this week's meetings go for you overall?"
        try:
            await interaction.response.send_modal(modal)
        except discord.HTTPException as exc:
            failed.set_result(exc)

    async with running_client(client, world.app.token):
        await tree.sync()
        it = await world.alice.run_command("survey", channel=world.channel)
        error = await asyncio.wait_for(failed, 5)
    assert error.code == 50035
    assert "In data.title" in str(error)
    assert it.response is None
    assert [i.message.split(":")[0] for i in emulator.validation_errors] == ["data/title"]


def test_discord_limits_apply_without_the_description_too() -> None:
    modal = {"title": "x" * 46, "custom_id": "m", "components": [_row(_text_input(label="y" * 46))]}
    errors = limits.check_modal(modal)
    with pytest.raises(DiscordError) as refused:
        errors.raise_if_any()
    assert refused.value.errors == {
        "data": {
            "title": {
                "_errors": [
                    {"code": "BASE_TYPE_MAX_LENGTH", "message": "Must be 45 or fewer in length."}
                ]
            },
            "components": {
                "0": {
                    "components": {
                        "0": {
                            "label": {
                                "_errors": [
                                    {
                                        "code": "BASE_TYPE_MAX_LENGTH",
                                        "message": "Must be 45 or fewer in length.",
                                    }
                                ]
                            }
                        }
                    }
                }
            },
        }
    }
    buttons = [{"type": 2, "style": 1, "label": "b", "custom_id": f"b{n}"} for n in range(6)]
    assert limits.check_message({"components": [{"type": 1, "components": buttons}]})
    select = {
        "type": 3,
        "custom_id": "s",
        "options": [{"label": "o", "value": str(n)} for n in range(26)],
    }
    assert limits.check_message({"components": [_row(select)]})
    assert limits.check_message(
        {"components": [_row(buttons[0]), _row(buttons[0])]}
    )  # duplicate id
    assert not limits.check_message({"content": "x" * 2000, "components": [_row(*buttons[:5])]})
    fields = [{"name": "n" * 256, "value": "v" * 1024} for _ in range(5)]
    assert limits.check_message({"embeds": [{"fields": fields}]})  # 6400 characters in total
    assert limits.check_choices({"choices": [{"name": "c", "value": "c"}] * 26})


def _row(*children: dict[str, object]) -> dict[str, object]:
    return {"type": 1, "components": list(children)}


def _text_input(label: str) -> dict[str, object]:
    return {"type": 4, "custom_id": "t", "style": 1, "label": label}
