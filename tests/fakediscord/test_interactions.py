"""Interaction rules: the 3 s deadline, one initial response, followups, autocomplete, selects."""

from __future__ import annotations

import asyncio

import discord
import pytest
from discord import app_commands

from fakediscord import (
    CommandInputError,
    CommandUnavailableError,
    ComponentError,
    FakeDiscord,
    Permission,
    Upload,
    running_client,
)
from fakediscord.discordpy import NoIdentifyDelay
from fakediscord.testing import SmallWorld

Tree = app_commands.CommandTree[discord.Client]


class FastClient(NoIdentifyDelay, discord.Client):
    pass


def test_the_default_deadline_is_discords_three_seconds() -> None:
    emu = FakeDiscord(validate=False)
    assert emu.interaction_deadline == 3.0
    assert emu.followup_window == 15 * 60


async def test_a_late_initial_response_is_refused_with_10062(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    emulator.interaction_deadline = 0.2
    refused: asyncio.Future[discord.NotFound] = asyncio.get_running_loop().create_future()

    @tree.command(name="slow", description="Answers too late")
    async def slow(interaction: discord.Interaction) -> None:
        await asyncio.sleep(0.3)  # the handler under test is slow on purpose
        try:
            await interaction.response.send_message("finally")
        except discord.NotFound as exc:
            refused.set_result(exc)

    async with running_client(client, world.app.token):
        await tree.sync()
        it = await world.alice.run_command("slow", channel=world.channel)
        error = await asyncio.wait_for(refused, 5)
        assert error.code == 10062
        assert it.response is None
        assert [r.split()[0] for r in it.rejections] == ["10062"]


async def test_two_bot_processes_answering_get_40060(
    emulator: FakeDiscord, world: SmallWorld
) -> None:
    outcomes: list[str] = []
    answered = asyncio.Event()
    clients = [
        FastClient(intents=discord.Intents.default(), guild_ready_timeout=0.05) for _ in range(2)
    ]
    for index, each in enumerate(clients):
        tree: Tree = app_commands.CommandTree(each)

        @tree.command(name="ping", description="Is the bot there?")
        async def ping(interaction: discord.Interaction, who: int = index) -> None:
            try:
                await interaction.response.send_message(f"pong from {who}")
                outcomes.append("sent")
            except discord.HTTPException as exc:
                outcomes.append(f"{exc.status} {exc.code}")
            if len(outcomes) == 2:
                answered.set()

        if index == 0:
            first_tree = tree

    async with (
        running_client(clients[0], world.app.token),
        running_client(clients[1], world.app.token),
    ):
        await first_tree.sync()
        it = await world.alice.run_command("ping", channel=world.channel)
        await asyncio.wait_for(answered.wait(), 5)
    assert sorted(outcomes) == ["400 40060", "sent"]
    assert it.rejections == ["40060 already acknowledged"]
    assert len(emulator.messages_in(world.channel)) == 1


async def test_defer_then_followup_fills_in_the_thinking_message(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    @tree.command(name="report", description="Slow report")
    async def report(interaction: discord.Interaction) -> None:
        await interaction.response.defer(ephemeral=True, thinking=True)
        await interaction.followup.send("Here is your report")
        await interaction.followup.send("And a second note", ephemeral=True)

    async with running_client(client, world.app.token):
        await tree.sync()
        it = await world.alice.run_command("report", channel=world.channel)
        first = await it.wait_for_reply()
        assert first.content == "Here is your report"
        assert first.ephemeral  # the deferral decided it
        assert first is it.original
        second = await it.wait_for_followup(lambda m: "second" in m.content)
        assert second is not first
        assert (await it.wait_for_response()).type == 5


async def test_followups_stop_working_after_the_window(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    emulator.followup_window = 0.2
    failure: asyncio.Future[discord.HTTPException] = asyncio.get_running_loop().create_future()

    @tree.command(name="later", description="Follows up too late")
    async def later(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("working on it")
        await asyncio.sleep(0.3)  # longer than the shortened token lifetime
        try:
            await interaction.followup.send("done")
        except discord.HTTPException as exc:
            failure.set_result(exc)

    async with running_client(client, world.app.token):
        await tree.sync()
        await world.alice.run_command("later", channel=world.channel)
        error = await asyncio.wait_for(failure, 5)
    assert (error.status, error.code) == (401, 50027)


async def test_subcommands_autocomplete_and_option_checks(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    setup = app_commands.Group(name="setup", description="Configure the bot")
    zones = ["Europe/London", "Europe/Lisbon", "America/Lima"]

    @setup.command(name="timezone", description="Set your timezone")
    async def timezone(interaction: discord.Interaction, zone: str, remind: bool = False) -> None:
        await interaction.response.send_message(f"{zone} remind={remind}", ephemeral=True)

    @timezone.autocomplete("zone")
    async def zone_choices(
        interaction: discord.Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        return [app_commands.Choice(name=z, value=z) for z in zones if z.startswith(current)]

    tree.add_command(setup)
    async with running_client(client, world.app.token):
        await tree.sync()
        choices = await world.alice.autocomplete(
            "setup timezone", channel=world.channel, focused="zone", value="Europe/L"
        )
        assert [c["value"] for c in choices] == ["Europe/London", "Europe/Lisbon"]

        it = await world.alice.run_command(
            "setup timezone", channel=world.channel, zone="Europe/Lisbon", remind=True
        )
        assert (await it.wait_for_response()).content == "Europe/Lisbon remind=True"

        with pytest.raises(CommandUnavailableError, match="no subcommand"):
            await world.alice.run_command("setup language", channel=world.channel)
        with pytest.raises(CommandInputError, match="has no option"):
            await world.alice.run_command("setup timezone", channel=world.channel, zone="x", tz="y")
        with pytest.raises(CommandInputError, match="takes a bool"):
            await world.alice.run_command(
                "setup timezone", channel=world.channel, zone="x", remind="yes"
            )
        with pytest.raises(CommandInputError, match="needs option 'zone'"):
            await world.alice.run_command("setup timezone", channel=world.channel)


async def test_default_member_permissions_hide_a_command(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    @tree.command(name="purge", description="Moderators only")
    @app_commands.default_permissions(manage_messages=True)
    async def purge(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("purged", ephemeral=True)

    moderator = world.guild.create_role("Moderator", Permission.MANAGE_MESSAGES)
    world.guild.give_role(world.bob, moderator)
    async with running_client(client, world.app.token):
        await tree.sync()
        with pytest.raises(CommandUnavailableError, match="only for members with Manage Messages"):
            await world.alice.run_command("purge", channel=world.channel)
        it = await world.bob.run_command("purge", channel=world.channel)
        assert (await it.wait_for_response()).content == "purged"


class MoodSelect(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(
        custom_id="mood:pick",
        options=[discord.SelectOption(label=str(n), value=str(n)) for n in range(1, 6)],
    )
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.Select[MoodSelect]
    ) -> None:
        await interaction.response.edit_message(
            content=f"Mood set to {select.values[0]}", view=None
        )


async def test_select_menu_and_update_message(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    @tree.command(name="mood", description="Pick a mood")
    async def mood(interaction: discord.Interaction) -> None:
        await interaction.response.send_message(
            "How do you feel?", view=MoodSelect(), ephemeral=True
        )

    async with running_client(client, world.app.token):
        await tree.sync()
        it = await world.alice.run_command("mood", channel=world.channel)
        prompt = (await it.wait_for_response()).message
        assert prompt is not None
        with pytest.raises(ComponentError, match="shown to someone else"):
            await world.bob.select(prompt, "mood:pick", ["3"])
        with pytest.raises(ComponentError, match="no options"):
            await world.alice.select(prompt, "mood:pick", ["9"])
        picked = await world.alice.select(prompt, "mood:pick", ["4"])
        updated = await picked.wait_for_response()
        assert updated.type == 7
        assert prompt.content == "Mood set to 4"
        assert prompt.components == []


async def test_commands_in_dms_and_context_menus(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    @tree.command(name="journal", description="Private journal entry")
    async def journal(interaction: discord.Interaction, entry: str) -> None:
        where = "DM" if interaction.guild is None else "guild"
        await interaction.response.send_message(f"{where}: {entry}")

    @tree.context_menu(name="Check on them")
    async def check_on(interaction: discord.Interaction, member: discord.Member) -> None:
        await interaction.response.send_message(f"Reminder set for {member.name}", ephemeral=True)

    @tree.context_menu(name="Flag message")
    async def flag(interaction: discord.Interaction, message: discord.Message) -> None:
        await interaction.response.send_message(f"Flagged {message.id}", ephemeral=True)

    async with running_client(client, world.app.token):
        await tree.sync()
        in_dm = await world.alice.run_command("journal", entry="day 30")
        reply = await in_dm.wait_for_response()
        assert reply.content == "DM: day 30"
        assert reply.message is not None
        assert reply.message.channel.is_dm
        assert reply.message in emulator.dms_of(world.alice)

        checked = await world.alice.run_user_command(
            "Check on them", world.bob, channel=world.channel
        )
        assert (await checked.wait_for_response()).content == "Reminder set for bob"

        posted = await world.bob.send_message(world.channel, "a worrying message")
        flagged = await world.alice.run_message_command("Flag message", posted)
        assert (await flagged.wait_for_response()).content == f"Flagged {posted.id}"


class Buddy(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.select(cls=discord.ui.UserSelect, custom_id="buddy:pick", max_values=2)
    async def pick(
        self, interaction: discord.Interaction, select: discord.ui.UserSelect[Buddy]
    ) -> None:
        names = sorted(user.name for user in select.values)
        await interaction.response.send_message(f"Buddies: {', '.join(names)}", ephemeral=True)


async def test_user_select_and_attachment_options(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    @tree.command(name="buddy", description="Pick a buddy")
    async def buddy(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Who?", view=Buddy(), ephemeral=True)

    @tree.command(name="upload", description="Share a file")
    async def upload(interaction: discord.Interaction, file: discord.Attachment) -> None:
        data = await file.read()
        await interaction.response.send_message(f"{file.filename}: {data.decode()}", ephemeral=True)

    async with running_client(client, world.app.token):
        await tree.sync()
        it = await world.alice.run_command("buddy", channel=world.channel)
        prompt = (await it.wait_for_response()).message
        assert prompt is not None
        picked = await world.alice.select(prompt, "buddy:pick", [world.bob, world.alice])
        assert (await picked.wait_for_response()).content == "Buddies: alice, bob"

        shared = await world.alice.run_command(
            "upload", channel=world.channel, file=Upload("plan.txt", b"call sponsor", "text/plain")
        )
        assert (await shared.wait_for_response()).content == "plan.txt: call sponsor"
