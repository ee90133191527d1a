"""The sandbox: the emulator, the demo community and the real bot, driven by typed lines.

    as alice /help-now note="rough night"      run a slash command as someone
    as sam click Acknowledge                   press a button on the newest message they see
    as alice submit mood=2 craving=7           fill in the form their last command opened
    show riley                                 what riley can see
    wait 3                                     let time pass (escalations, reminders)
    clock +1d                                  move the bot's clock on (d, h, m: +2h30m)
    people | help | quit

After each line it prints what changed, and who can see each new message.
"""

from __future__ import annotations

import asyncio
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from apscheduler.events import EVENT_JOB_ERROR, EVENT_JOB_EXECUTED, EVENT_JOB_MISSED, JobEvent

from cogs.oncall.cog import rotation_of
from config.content import Content
from core.bot import RecoveryBot
from fakediscord import FakeDiscord
from fakediscord.discordpy import point_discord_py_at
from fakediscord.driver import UserInteraction
from fakediscord.models import Channel, Member, Message
from fakediscord.options import (
    BOOLEAN,
    CHANNEL,
    INTEGER,
    NUMBER,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
)
from sandbox.community import BotRunner, Community, build_community

USAGE = __doc__ or ""
# How long the bot may stay silent before the sandbox considers a step finished.
QUIET_PERIOD = 0.4
STEP_LIMIT = 8.0


class StepFailed(Exception):
    """A line could not be carried out; the message says why, for the person typing."""


class SandboxClock:
    """The bot's clock in the sandbox: the real time, moved on by `clock +1d`."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


_CLOCK_STEP = re.compile(r"\+(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?")


class Sandbox:
    def __init__(self, community: Community, bot: RecoveryBot, out: TextIO) -> None:
        self.community = community
        self.emu = community.emu
        self.bot = bot
        self.out = out
        self.people: dict[str, Member] = {
            "organiser": community.organiser,
            "alice": community.alice,
            "bob": community.bob,
            "sam": community.sam,
            "riley": community.riley,
        }
        self.last: dict[str, UserInteraction] = {}
        # What reads the bot's clock at each use (check-ins, counters, the outbox) follows
        # `clock +1d`; the scheduler and /help-now's escalation keep real time.
        self.clock = SandboxClock()
        bot.clock = self.clock
        self.shown: set[int] = {m.id for m in self.emu.messages.values()}
        self.edits: dict[int, str] = {}

    # -- lines ---------------------------------------------------------------------

    async def run_line(self, line: str) -> None:
        words = shlex.split(line, comments=True)
        if not words:
            return
        if words[0] == "help":
            self.say(USAGE)
        elif words[0] == "people":
            self.say(self.describe_people())
        elif words[0] == "show" and len(words) == 2:
            self.show(self.person(words[1]))
        elif words[0] == "wait" and len(words) == 2:
            await asyncio.sleep(float(words[1]))
            self.report()
        elif words[0] == "clock" and len(words) == 2:
            await self.move_clock(words[1])
        elif words[0] == "as" and len(words) >= 3:
            await self.act(self.person(words[1]), words[1], words[2:])
        else:
            raise StepFailed(f"I don't understand {line!r}; type 'help'.")

    async def act(self, person: Member, name: str, words: list[str]) -> None:
        verb = words[0]
        if verb.startswith("/"):
            interaction = await self.run_command(person, verb[1:], words[1:])
        elif verb == "click" and len(words) == 2:
            interaction = await self.click(person, words[1])
        elif verb == "submit":
            interaction = await self.submit(person, name, words[1:])
        else:
            raise StepFailed(f"{name} can run /commands, 'click LABEL' or 'submit field=value'.")
        self.last[name] = interaction
        try:
            response = await interaction.wait_for_response(timeout=5)
        except TimeoutError as error:
            raise StepFailed(f"the bot did not answer: {error}") from None
        if response.type == 9 and response.modal:
            self.say(f"  [a form opened for {name}: {self.describe_modal(response.modal)}]")
        await self.settle()
        self.report()
        if interaction.rejections:
            raise StepFailed(f"Discord refused the bot's answer: {interaction.rejections}")
        if response.message and "something went wrong" in response.content.lower():
            raise StepFailed("the bot reported an error (see the log above)")

    async def run_command(self, person: Member, name: str, words: list[str]) -> UserInteraction:
        path = [name]
        while words and "=" not in words[0]:
            path.append(words.pop(0))
        command = self.community.app.find_command(name, self.community.guild)
        if command is None:
            raise StepFailed(
                f"there is no /{name}; try one of {self.community.app.command_names()}"
            )
        defined = self._leaf_options(command, path)
        options: dict[str, Any] = {}
        for word in words:
            key, _, raw = word.partition("=")
            option = defined.get(key) or defined.get(key.replace("_", "-"))
            if option is None:
                raise StepFailed(f"/{' '.join(path)} has no option {key!r}: {sorted(defined)}")
            options[option["name"]] = self._typed(option, raw)
        try:
            return await person.run_command(
                " ".join(path), channel=self.community.checkins, options=options
            )
        except (LookupError, ValueError) as error:
            raise StepFailed(str(error)) from None

    async def click(self, person: Member, label: str) -> UserInteraction:
        wanted = label.lower()
        for message in reversed(self.emu.visible_to(person)):
            for component in _buttons(message):
                names = (str(component.get("label", "")).lower(), component.get("custom_id"))
                if wanted in names or any(wanted in str(n) for n in names if n):
                    return await person.click(message, component["custom_id"])
        raise StepFailed(f"no button {label!r} on anything {person.name} can see")

    async def submit(self, person: Member, name: str, words: list[str]) -> UserInteraction:
        opened = self.last.get(name)
        if opened is None:
            raise StepFailed(f"{name} has no form open")
        values = dict(word.partition("=")[::2] for word in words)
        try:
            return await person.submit_modal(opened, values)
        except (LookupError, ValueError) as error:
            raise StepFailed(str(error)) from None

    async def move_clock(self, step: str) -> None:
        """Move the bot's clock on, and run once each job that would have run meanwhile
        (as after a machine's sleep), so what fell due (a milestone at midnight) happens."""
        found = _CLOCK_STEP.fullmatch(step)
        if found is None or not any(found.groups()):
            raise StepFailed(
                f"move the clock on with a step like +1d, +3h or +1d2h30m, not {step!r}"
            )
        before = self.clock.now()
        self.clock.offset += timedelta(
            days=int(found["d"] or 0), hours=int(found["h"] or 0), minutes=int(found["m"] or 0)
        )
        after = self.clock.now()
        self.say(f"  [the bot's clock is now {after:%A %d %B %Y, %H:%M} UTC]")
        # The scheduler keeps real time: the jobs due in the skipped span are told to run
        # now, once each, by the scheduler itself (which then schedules their next run).
        scheduler = self.bot.scheduler
        due = {
            job.id: job
            for job in scheduler.get_jobs()
            if (next_run := job.trigger.get_next_fire_time(None, before)) is not None
            and next_run <= after
        }
        finished: set[str] = set()

        def ran(event: JobEvent) -> None:
            finished.add(event.job_id)

        scheduler.add_listener(ran, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED)
        try:
            now = datetime.now(UTC)
            for job in due.values():
                job.modify(next_run_time=now)
            scheduler.wakeup()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + STEP_LIMIT
            while not (finished >= due.keys() and await self.bot.outbox.waiting() == 0):
                if loop.time() >= deadline:
                    raise StepFailed("what fell due while the clock moved did not finish")
                await asyncio.sleep(QUIET_PERIOD / 4)
        finally:
            scheduler.remove_listener(ran)
        await self.settle()
        self.report()

    # -- reading what happened -----------------------------------------------------

    async def settle(self) -> None:
        """Wait until the bot has been quiet for a moment (or the step limit passed)."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_LIMIT
        seen = len(self.emu.requests)
        while loop.time() < deadline:
            await asyncio.sleep(QUIET_PERIOD)
            if len(self.emu.requests) == seen:
                return
            seen = len(self.emu.requests)

    def report(self) -> None:
        for message in list(self.emu.messages.values()):
            if message.id not in self.shown:
                self.shown.add(message.id)
                self.edits[message.id] = message.content
                self.say(self.render(message, new=True))
            elif self.edits.get(message.id, message.content) != message.content:
                self.edits[message.id] = message.content
                self.say(self.render(message, new=False))

    def show(self, person: Member) -> None:
        visible = self.emu.visible_to(person)[-6:]
        if not visible:
            self.say(f"  {person.name} sees no messages yet.")
        for message in visible:
            self.say(self.render(message, new=False).replace("EDITED ", "", 1))

    def render(self, message: Message, *, new: bool) -> str:
        where = self.audience(message)
        head = f"{'NEW' if new else 'EDITED'} {where}, from {message.author.username}:"
        body = [f"    {self.readable(line)}" for line in message.content.splitlines()]
        for embed in message.embeds:
            body.append(f"    [{embed.get('title', 'embed')}] {embed.get('description', '')}")
            body += [f"      {f['name']}: {f['value']}" for f in embed.get("fields", [])]
        buttons = [
            f"[{c.get('label')}{' (disabled)' if c.get('disabled') else ''}]"
            for c in _buttons(message)
        ]
        if buttons:
            body.append("    buttons: " + " ".join(buttons))
        body += [f"    attachment: {a.filename} ({a.size} bytes)" for a in message.attachments]
        return "\n".join([head, *body])

    def readable(self, text: str) -> str:
        """Mentions and timestamps as a Discord client would show them."""
        guild = self.community.guild

        def name(match: re.Match[str]) -> str:
            kind, target = match["kind"], int(match["id"])
            if kind == "#":
                channel = self.emu.channels.get(target)
                return f"#{channel.name}" if channel else "#deleted-channel"
            if kind == "@&":
                role = guild.roles.get(target)
                return f"@{role.name}" if role else "@deleted-role"
            member = guild.members.get(target)
            return f"@{member.name}" if member else "@someone"

        text = _MENTION.sub(name, text)
        return _TIMESTAMP.sub(
            lambda m: datetime.fromtimestamp(int(m["ts"]), UTC).strftime("%H:%M UTC"), text
        )

    def audience(self, message: Message) -> str:
        viewers = [n for n, p in self.people.items() if message in self.emu.visible_to(p)]
        if message.ephemeral:
            return f"only {', '.join(viewers) or 'the person who acted'} can see this"
        place = _place(message.channel)
        return f"{place} (seen by {', '.join(viewers) or 'no one here'})"

    def describe_people(self) -> str:
        role = self.community.role
        lines = [
            f"  {name}{' (peer specialist)' if role in person.roles else ''}"
            + (" (server owner)" if person is self.community.organiser else "")
            for name, person in self.people.items()
        ]
        return "People:\n" + "\n".join(lines)

    @staticmethod
    def describe_modal(modal: dict[str, Any]) -> str:
        fields = [
            f"{c.get('custom_id')} ({c.get('label')})"
            for row in modal.get("components", [])
            for c in [*row.get("components", []), row.get("component") or {}]
            if c.get("custom_id")
        ]
        return f"{modal.get('title')}: " + ", ".join(fields)

    def person(self, name: str) -> Member:
        try:
            return self.people[name.lower()]
        except KeyError:
            raise StepFailed(f"nobody called {name!r}; people: {', '.join(self.people)}") from None

    def say(self, text: str) -> None:
        print(text, file=self.out, flush=True)

    # -- typing option values ------------------------------------------------------

    def _leaf_options(self, command: dict[str, Any], path: list[str]) -> dict[str, Any]:
        defined: list[dict[str, Any]] = command.get("options") or []
        for word in path[1:]:
            sub = next((o for o in defined if o["name"] == word), None)
            if sub is None:
                raise StepFailed(f"/{' '.join(path)}: no subcommand {word!r}")
            defined = sub.get("options") or []
        return {o["name"]: o for o in defined if o["type"] not in (SUB_COMMAND, SUB_COMMAND_GROUP)}

    def _typed(self, option: dict[str, Any], raw: str) -> Any:
        kind = option["type"]
        guild = self.community.guild
        converters: dict[int, Callable[[str], Any]] = {
            STRING: str,
            INTEGER: int,
            NUMBER: float,
            BOOLEAN: lambda v: v.lower() in ("yes", "true", "on", "1"),
            USER: lambda v: self.person(v.lstrip("@")),
            CHANNEL: lambda v: guild.channel_named(v.lstrip("#")),
            ROLE: lambda v: guild.role_named(v.lstrip("@")),
        }
        try:
            return converters.get(kind, str)(raw)
        except (ValueError, LookupError):
            raise StepFailed(f"{raw!r} doesn't fit option {option['name']!r}") from None


_MENTION = re.compile(r"<(?P<kind>@&|@!?|#)(?P<id>\d+)>")
_TIMESTAMP = re.compile(r"<t:(?P<ts>-?\d+)(?::[tTdDfFR])?>")


def _buttons(message: Message) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    stack = list(message.components)
    while stack:
        component = stack.pop(0)
        if component.get("type") == 2:
            found.append(component)
        stack.extend(component.get("components", []))
    return found


def _place(channel: Channel) -> str:
    if channel.is_dm:
        names = " and ".join(user.username for user in channel.recipients)
        return f"DM between {names}"
    if channel.is_thread:
        return f"private thread '{channel.name}'"
    return f"#{channel.name}"


async def _start(
    workdir: Path, content: Content, out: TextIO
) -> tuple[FakeDiscord, BotRunner, Sandbox]:
    emu = FakeDiscord()
    await emu.start()
    point_discord_py_at(emu.api_base_url, emu.gateway_url)
    community = build_community(emu)
    runner = BotRunner(
        community,
        f"sqlite+aiosqlite:///{workdir / 'sandbox.db'}",
        workdir / "data",
        content=content,
    )
    bot = await runner.start()
    await runner.configure(bot)
    await rotation_of(bot).take(community.guild.id, community.sam.id, hours=8)
    await rotation_of(bot).add_shift(
        community.guild.id,
        community.organiser.id,
        community.riley.id,
        "Monday",
        "09:00",
        "17:00",
        "UTC",
    )
    return emu, runner, Sandbox(community, bot, out)


INTRO = """Sandbox: a pretend Discord server, "Recovery Circle", with the real bot in it.
Nothing leaves this computer. Sam is the peer specialist on call; Riley is backup.
Try:  as alice /help-now note="rough night"   then   as sam click Acknowledge
Type 'help' for everything, 'quit' to leave.
"""


async def run(script: Path | None, content: Content, out: TextIO = sys.stdout) -> int:
    """The sandbox, with the content `bot.py` loaded from CONTENT_DIR."""
    with tempfile.TemporaryDirectory(prefix="recovery-sandbox-") as workdir:
        emu, runner, sandbox = await _start(Path(workdir), content, out)
        try:
            if script is not None:
                return await _run_script(sandbox, script)
            sandbox.say(INTRO + "\n" + sandbox.describe_people())
            await _prompt(sandbox)
            return 0
        finally:
            await runner.stop_all()
            await emu.stop()


async def _run_script(sandbox: Sandbox, script: Path) -> int:
    text = await asyncio.to_thread(script.read_text, encoding="utf-8")
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        sandbox.say(f"\n> {line}")
        try:
            await sandbox.run_line(line)
        except StepFailed as failure:
            sandbox.say(f"{script}:{number}: {failure}")
            return 1
    sandbox.say("\nThe tour finished.")
    return 0


async def _prompt(sandbox: Sandbox) -> None:
    loop = asyncio.get_running_loop()
    while True:
        try:
            line = await loop.run_in_executor(None, input, "> ")
        except EOFError:
            return
        if line.strip() in ("quit", "exit"):
            return
        try:
            await sandbox.run_line(line)
        except StepFailed as failure:
            sandbox.say(f"  {failure}")
