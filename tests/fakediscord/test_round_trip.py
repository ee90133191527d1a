"""The real discord.py logs in, syncs commands and answers a slash command, a button and a modal."""

from __future__ import annotations

from typing import Any

import discord
from discord import app_commands

from fakediscord import FakeDiscord, running_client
from fakediscord.testing import SmallWorld

Tree = app_commands.CommandTree[discord.Client]


class MoodModal(discord.ui.Modal, title="How are you today?"):
    mood: discord.ui.TextInput[MoodModal] = discord.ui.TextInput(
        label="Mood from 1 to 5", custom_id="mood", max_length=1
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        await interaction.response.send_message(f"Thanks, mood {self.mood.value}", ephemeral=True)


class CheckInView(discord.ui.View):
    def __init__(self) -> None:
        super().__init__(timeout=None)

    @discord.ui.button(label="Check in", custom_id="checkin:start")
    async def start(
        self, interaction: discord.Interaction, button: discord.ui.Button[CheckInView]
    ) -> None:
        await interaction.response.send_modal(MoodModal())


def add_commands(tree: Tree) -> None:
    @tree.command(name="help-now", description="Ask the group for support")
    async def help_now(interaction: discord.Interaction, note: str) -> None:
        await interaction.response.send_message(f"Heard you: {note}", ephemeral=True)

    @tree.command(name="checkin", description="Post the check-in button")
    async def checkin(interaction: discord.Interaction) -> None:
        await interaction.response.send_message("Daily check-in", view=CheckInView())


async def test_login_ready_and_guilds(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    async with running_client(client, world.app.token):
        assert client.user is not None
        assert client.user.id == world.app.bot_user.id
        assert client.application_id == world.app.id
        guild = client.get_guild(world.guild.id)
        assert guild is not None
        assert guild.get_channel(world.channel.id) is not None
        assert guild.me is not None


async def test_slash_command_button_and_modal(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    add_commands(tree)
    client.add_view(CheckInView())
    async with running_client(client, world.app.token):
        await tree.sync()
        assert sorted(world.app.command_names()) == ["checkin", "help-now"]

        asked = await world.alice.run_command("help-now", note="rough day", channel=world.channel)
        reply = await asked.wait_for_response()
        assert reply.type == 4
        assert reply.ephemeral
        assert reply.content == "Heard you: rough day"
        assert reply.message in emulator.visible_to(world.alice)
        assert reply.message not in emulator.visible_to(world.bob)

        posted = await world.alice.run_command("checkin", channel=world.channel)
        button_message = (await posted.wait_for_response()).message
        assert button_message is not None
        assert button_message.custom_ids == ["checkin:start"]

        clicked = await world.bob.click(button_message, "checkin:start")
        modal = await clicked.wait_for_response()
        assert modal.type == 9
        assert modal.modal is not None
        assert modal.modal["title"] == "How are you today?"

        submitted = await world.bob.submit_modal(clicked, {"mood": "3"})
        thanks = await submitted.wait_for_response()
        assert thanks.content == "Thanks, mood 3"
        assert thanks.ephemeral


class IntakeModal(discord.ui.Modal, title="Intake"):
    # discord.py types TextDisplay for layout views only, though modals take it too.
    intro: discord.ui.TextDisplay[Any] = discord.ui.TextDisplay("Answers stay private.")
    name: discord.ui.Label[IntakeModal] = discord.ui.Label(
        text="What should we call you?", component=discord.ui.TextInput(custom_id="name")
    )
    days: discord.ui.Label[IntakeModal] = discord.ui.Label(
        text="Meeting days",
        component=discord.ui.Select(
            custom_id="days",
            max_values=2,
            options=[discord.SelectOption(label=d, value=d) for d in ("Mon", "Wed", "Fri")],
        ),
    )

    async def on_submit(self, interaction: discord.Interaction) -> None:
        assert isinstance(self.name.component, discord.ui.TextInput)
        assert isinstance(self.days.component, discord.ui.Select)
        days = "+".join(self.days.component.values)
        await interaction.response.send_message(
            f"{self.name.component.value}: {days}", ephemeral=True
        )


async def test_modal_with_labels_selects_and_text(
    emulator: FakeDiscord, world: SmallWorld, client: discord.Client, tree: Tree
) -> None:
    @tree.command(name="intake", description="Join the group")
    async def intake(interaction: discord.Interaction) -> None:
        await interaction.response.send_modal(IntakeModal())

    async with running_client(client, world.app.token):
        await tree.sync()
        opened = await world.alice.run_command("intake", channel=world.channel)
        submitted = await world.alice.submit_modal(opened, {"name": "Al", "days": ["Mon", "Fri"]})
        assert (await submitted.wait_for_response()).content == "Al: Mon+Fri"
