"""The sandbox: the emulator, the demo community and the real bot, driven by typed lines.

    as alice /help-now note="rough night"      run a slash command as someone
    as sam click Acknowledge                   press a button on the newest message they see
    as alice submit mood=2 craving=7           fill in the form their last command opened
    as bob submit triggers=Boredom,Tiredness   a menu in a form: option names, or none
    as bob try click Acknowledge               a step that should be refused: says why
    as alice join meeting-room                 come into a voice channel (as alice leave)
    show riley                                 what riley can see
    advance 5m                                 move the bot's clock on (d, h, m, s: 1d2h, 30s);
                                               all that fell due meanwhile happens, in order
    advance to-event                           move on to the start of the next Discord event
    wait 3                                     let 3 real seconds pass (a paced exercise)
    people | help | quit

After each line it prints what changed, and who can see each new message. Files the bot
sends (charts) are saved in ./sandbox-output/, and their path printed.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import shlex
import sys
import tempfile
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TextIO

from apscheduler.events import (
    EVENT_JOB_ERROR,
    EVENT_JOB_EXECUTED,
    EVENT_JOB_MAX_INSTANCES,
    EVENT_JOB_MISSED,
    JobEvent,
)
from apscheduler.job import Job
from apscheduler.jobstores.base import JobLookupError

from cogs.helpnow.cog import HelpNowCog
from cogs.oncall.cog import rotation_of
from config.content import Content
from core.bot import RecoveryBot
from fakediscord import FakeDiscord
from fakediscord.discordpy import point_discord_py_at
from fakediscord.driver import UserInteraction
from fakediscord.models import Attachment, Channel, Member, Message
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
# Where the files the bot sends are kept for the admin to open, after the run too.
OUTPUT_DIR_NAME = "sandbox-output"
# A job due at least this often reads what is due from its tables by the clock (the
# milestones each minute, the reminders every quarter hour): `advance` runs it at each
# moment it stops at, and at least once this often, instead of at each of its own times,
# which would be thousands a day. Shorter than a reminder's three-hour window.
POLLING_PERIOD = timedelta(hours=1)
# `advance` stops at every moment something is due; a month of them takes half a minute
# (Discord's rate limits included), a year would take minutes.
ADVANCE_LIMIT = timedelta(days=31)
# A moment that keeps coming back due (a job re-arming itself at once) ends the step.
MOMENTS_LIMIT = 5000
WAIT_LIMIT_SECONDS = 600.0


class StepFailed(Exception):
    """A line could not be carried out; the message says why, for the person typing."""


class Refused(StepFailed):
    """The person could not do this in Discord either (the button is not in front of
    them): what `try` expects."""


class SandboxClock:
    """The bot's clock in the sandbox: the real time, moved on by `advance`."""

    def __init__(self) -> None:
        self.offset = timedelta()

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset

    def move_to(self, moment: datetime) -> None:
        """Never back: a moment already past (a step that came due late) leaves it."""
        self.offset = max(self.offset, moment - datetime.now(UTC))


_SPAN = re.compile(r"(?:(?P<d>\d+)d)?(?:(?P<h>\d+)h)?(?:(?P<m>\d+)m)?(?:(?P<s>\d+)s)?")


def parse_span(text: str) -> timedelta:
    """`1d2h`, `5m`, `30s`: how far `advance` moves the clock."""
    found = _SPAN.fullmatch(text.strip().lower())
    if found is None or not any(found.groups()):
        raise StepFailed(
            f"advance takes a span of time like 5m, 2h, 1d, 1d2h30m or 30s, not {text!r}"
        )
    span = timedelta(
        days=int(found["d"] or 0),
        hours=int(found["h"] or 0),
        minutes=int(found["m"] or 0),
        seconds=int(found["s"] or 0),
    )
    if not span:
        raise StepFailed("advance by more than nothing, like 5m")
    if span > ADVANCE_LIMIT:
        raise StepFailed(f"advance at most {ADVANCE_LIMIT.days}d at a time, not {text!r}")
    return span


class Sandbox:
    def __init__(
        self,
        community: Community,
        bot: RecoveryBot,
        clock: SandboxClock,
        out: TextIO,
        output_dir: Path,
    ) -> None:
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
        # The bot was built with this clock, so every feature reads it. The scheduler
        # keeps real time: `advance` runs what its span made due itself.
        self.clock = clock
        self.shown: set[int] = {m.id for m in self.emu.messages.values()}
        self.edits: dict[int, str] = {}
        self.output_dir = output_dir
        self.saved: dict[int, Path] = {}

    # -- lines ---------------------------------------------------------------------

    async def run_line(self, line: str) -> None:
        try:
            words = shlex.split(line, comments=True)
        except ValueError as error:  # an unclosed quote
            raise StepFailed(f"I can't read {line!r}: {error}") from None
        if not words:
            return
        if words[0] == "help":
            self.say(USAGE)
        elif words[0] == "people":
            self.say(self.describe_people())
        elif words[0] == "show" and len(words) == 2:
            self.show(self.person(words[1]))
        elif words[0] == "wait" and len(words) == 2:
            await self.wait(words[1])
        elif words[0] == "advance" and words[1:] == ["to-event"]:
            await self.advance_to_event()
        elif words[0] == "advance" and len(words) == 2:
            await self.advance(words[1])
        elif words[0] == "advance":
            raise StepFailed("advance takes one span of time, like advance 5m or advance 1d2h")
        elif words[0] == "as" and len(words) >= 4 and words[2] == "try":
            await self.expect_refusal(self.person(words[1]), words[1], words[3:])
        elif words[0] == "as" and len(words) == 4 and words[2] == "join":
            await self.join_voice(self.person(words[1]), words[3])
        elif words[0] == "as" and words[2:] == ["leave"]:
            await self.person(words[1]).leave_voice()
            await self.settle()
            self.say(f"  [{words[1]} left the voice channel]")
        elif words[0] == "as" and len(words) >= 3:
            await self.act(self.person(words[1]), words[1], words[2:])
        else:
            raise StepFailed(f"I don't understand {line!r}; type 'help'.")

    async def expect_refusal(self, person: Member, name: str, words: list[str]) -> None:
        """A step the tour shows being refused: why, as the person would find it."""
        try:
            await self.act(person, name, words)
        except Refused as refusal:
            self.say(f"  refused: {refusal}")
            return
        raise StepFailed(f"this was to be refused, but {name} could do it")

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
        visible = self.emu.visible_to(person)
        for message in reversed(visible):
            if (button := _button(message, label)) is not None:
                return await person.click(message, button["custom_id"])
        # As in Discord, a message one can't see has no button one could press: say where
        # the button is, so the refusal is understood.
        elsewhere = next(
            (
                m
                for m in reversed(list(self.emu.messages.values()))
                if not m.deleted and m not in visible and _button(m, label) is not None
            ),
            None,
        )
        if elsewhere is None:
            raise Refused(f"no button {label!r} on anything {person.name} can see")
        if elsewhere.ephemeral:
            viewers = self.viewers(elsewhere)
            where = f"the message with it was shown only to {', '.join(viewers) or 'someone else'}"
        else:
            where = f"{person.name} can't see {_place(elsewhere.channel)}"
        raise Refused(f"{where}, so there is no {label!r} button for {person.name} to press")

    async def submit(self, person: Member, name: str, words: list[str]) -> UserInteraction:
        opened = self.last.get(name)
        if opened is None:
            raise Refused(f"{name} has no form open")
        typed = dict(word.partition("=")[::2] for word in words)
        try:
            response = await opened.wait_for_response(timeout=5)
            values = _form_answers(response.modal or {}, typed)
            return await person.submit_modal(opened, values)
        except (LookupError, ValueError) as error:
            raise StepFailed(str(error)) from None

    # -- time ----------------------------------------------------------------------

    async def advance(self, text: str) -> None:
        """Move the bot's clock on by a span, stopping at each moment something fell due
        in it (an escalation step, a daily prompt, a shift change), in order, so that
        each runs at its own time and what it schedules next is seen too."""
        span = parse_span(text)
        start = self.clock.now()
        await self._pass(start, start + span, move=True)
        self.say(f"  [the bot's clock is now {self.clock.now():%A %d %B %Y, %H:%M} UTC]")

    async def advance_to_event(self) -> None:
        """Move on to the start of the soonest Discord event still to come (a meeting)."""
        now = self.clock.now()
        starts = [
            event.start
            for event in self.community.guild.scheduled_events.values()
            if event.status == 1 and event.start > now
        ]
        if not starts:
            raise StepFailed("there is no Discord event still to come; schedule a meeting first")
        await self._pass(now, min(starts), move=True)
        self.say(f"  [the bot's clock is now {self.clock.now():%A %d %B %Y, %H:%M} UTC]")

    async def join_voice(self, person: Member, channel_name: str) -> None:
        try:
            channel = self.community.guild.channel_named(channel_name.lstrip("#"))
            await person.join_voice(channel)
        except (LookupError, PermissionError) as error:
            raise StepFailed(str(error)) from None
        await self.settle()
        self.say(f"  [{person.user.username} is in #{channel.name}]")

    async def wait(self, text: str) -> None:
        try:
            seconds = float(text)
        except ValueError:
            raise StepFailed(
                f"wait takes real seconds, like wait 3, not {text!r}; "
                "to move the bot's clock on, use advance 5m"
            ) from None
        if not 0 <= seconds <= WAIT_LIMIT_SECONDS:
            raise StepFailed(
                f"wait between 0 and {WAIT_LIMIT_SECONDS:.0f} seconds; "
                "for longer, advance the clock (advance 5m)"
            )
        start = self.clock.now()
        ran: set[str] = set()

        def record(event: JobEvent) -> None:
            ran.add(event.job_id)

        scheduler = self.bot.scheduler
        scheduler.add_listener(record, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR)
        try:
            await asyncio.sleep(seconds)
        finally:
            scheduler.remove_listener(record)
        # The scheduler ran on real time meanwhile; after an `advance` the bot's clock is
        # ahead of it, and what that clock made due runs here.
        await self._pass(start, self.clock.now(), move=False, skip=frozenset(ran))

    async def _pass(
        self, start: datetime, end: datetime, *, move: bool, skip: frozenset[str] = frozenset()
    ) -> None:
        """Run, in order, every job due by the bot's clock from `start` to `end`: each
        one-off and daily job at its own time; the jobs that poll at those moments and
        at least once a POLLING_PERIOD, so nothing they look for is stepped over (a
        reminder may go out for three hours)."""
        cursor = polled = start
        done: set[tuple[str, datetime]] = set()
        for _ in range(MOMENTS_LIMIT):
            due = [
                (job, when, max(when, cursor))
                for job, when in self._due(cursor, end, skip)
                if (job.id, when) not in done
            ]
            stops = []
            for job, when, at in due:
                if not _polls(job, when):
                    stops.append(at)
                elif (
                    poll := job.trigger.get_next_fire_time(
                        None, max(cursor, polled + POLLING_PERIOD)
                    )
                ) is not None and poll <= end:
                    stops.append(poll)
            if not stops:
                break
            moment = polled = min(stops)
            if move:
                self.clock.move_to(moment)
            now_due = [(job, when) for job, when, at in due if at <= moment]
            done.update((job.id, when) for job, when in now_due)
            await self._run_now([job for job, _ in now_due], moment)
            news = self.news()
            if news:
                self.say(f"  [{moment.astimezone(UTC):%A %d %B, %H:%M} UTC]")
                self.say("\n".join(news))
            # A cron's next time is found from just after this one (it rounds up to
            # whole seconds).
            cursor = max(cursor, moment + timedelta(microseconds=1))
        else:
            raise StepFailed(f"more than {MOMENTS_LIMIT} moments fell due; advance less at a time")
        if move:
            self.clock.move_to(end)
        pollers = [job for job, when in self._due(cursor, end, skip) if (job.id, when) not in done]
        await self._run_now(pollers, end)
        await self.settle()
        self.report()

    def _due(
        self, after: datetime, until: datetime, skip: frozenset[str]
    ) -> list[tuple[Job, datetime]]:
        """Each job's next time from `after` by the bot's clock, when it is by `until`
        (a one-off's time may be before `after`: it came due late, and is due now)."""
        found = []
        for job in self.bot.scheduler.get_jobs():
            if job.id in skip or getattr(job, "next_run_time", None) is None:
                continue  # paused
            when: datetime | None = job.trigger.get_next_fire_time(None, after)
            if when is not None and when <= until:
                found.append((job, when))
        return found

    async def _run_now(self, jobs: list[Job], moment: datetime) -> None:
        """Have the scheduler run these jobs at once (it then schedules their next run, as
        after a machine's sleep), and wait for all they set off: the pages, the outbox."""
        scheduler = self.bot.scheduler
        wanted: set[str] = set()
        finished: set[str] = set()

        def ended(event: JobEvent) -> None:
            finished.add(event.job_id)

        scheduler.add_listener(
            ended, EVENT_JOB_EXECUTED | EVENT_JOB_ERROR | EVENT_JOB_MISSED | EVENT_JOB_MAX_INSTANCES
        )
        requests = len(self.emu.requests)
        try:
            now = datetime.now(UTC)
            for job in jobs:
                # Replaced or removed since it was found: nothing of it is left to run.
                with contextlib.suppress(JobLookupError):
                    job.modify(next_run_time=now)
                    wanted.add(job.id)
            scheduler.wakeup()
            self.bot.outbox.wake()
            loop = asyncio.get_running_loop()
            deadline = loop.time() + STEP_LIMIT
            while not (finished >= wanted and await self._idle()):
                if loop.time() >= deadline:
                    raise StepFailed(
                        f"what fell due at {moment.astimezone(UTC):%H:%M} UTC did not finish "
                        f"within {STEP_LIMIT:.0f} s"
                    )
                await asyncio.sleep(0.01)
        finally:
            scheduler.remove_listener(ended)
        # Most stops send nothing (a poller finding nothing due): only those that sent
        # something wait for what may follow it, so a month's stops still take seconds.
        if len(self.emu.requests) != requests:
            await self._quiet(QUIET_PERIOD / 4)

    async def _idle(self) -> bool:
        """No job running, no request being paged, nothing due waiting in the outbox."""
        if self.bot.scheduler.running_jobs():
            return False
        for cog in self.bot.cogs.values():
            if isinstance(cog, HelpNowCog) and cog.escalation.drivers():
                return False
        return await self.bot.outbox.waiting() == 0

    # -- reading what happened -----------------------------------------------------

    async def settle(self) -> None:
        """Wait until the bot has been quiet for a moment (or the step limit passed)."""
        await self._quiet(QUIET_PERIOD)

    async def _quiet(self, period: float) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time() + STEP_LIMIT
        seen = len(self.emu.requests)
        while loop.time() < deadline:
            await asyncio.sleep(period)
            if len(self.emu.requests) == seen:
                return
            seen = len(self.emu.requests)

    def report(self) -> None:
        news = self.news()
        if news:
            self.say("\n".join(news))

    def news(self) -> list[str]:
        """The messages new or edited since the last look, rendered, each once."""
        found = []
        for message in list(self.emu.messages.values()):
            if message.id not in self.shown:
                self.shown.add(message.id)
                self.edits[message.id] = message.content
                found.append(self.render(message, new=True))
            elif self.edits.get(message.id, message.content) != message.content:
                self.edits[message.id] = message.content
                found.append(self.render(message, new=False))
        return found

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
            title = self.readable(str(embed.get("title", "embed")))
            body.append(f"    [{title}] {self.readable(str(embed.get('description', '')))}")
            body += [
                f"      {self.readable(str(f['name']))}: {self.readable(str(f['value']))}"
                for f in embed.get("fields", [])
            ]
        buttons = [
            f"[{c.get('label')}{' (disabled)' if c.get('disabled') else ''}]"
            for c in _buttons(message)
        ]
        if buttons:
            body.append("    buttons: " + " ".join(buttons))
        body += [f"    attachment: {self.describe_file(a)}" for a in message.attachments]
        return "\n".join([head, *body])

    def describe_file(self, attachment: Attachment) -> str:
        """The file saved where the admin can open it (once, however often it is shown)."""
        path = self.saved.get(attachment.id)
        if path is None:
            name = Path(attachment.filename).name or "attachment"
            path = self.output_dir / name
            taken = set(self.saved.values())
            stem, suffix = Path(name).stem, Path(name).suffix
            number = 1
            while path in taken:
                # Two charts in one run keep both; a later run replaces this run's files.
                number += 1
                path = self.output_dir / f"{stem}-{number}{suffix}"
            try:
                self.output_dir.mkdir(parents=True, exist_ok=True)
                path.write_bytes(attachment.data)
            except OSError as error:
                return f"{attachment.filename} ({attachment.size} bytes; not saved: {error})"
            self.saved[attachment.id] = path
        return f"{attachment.filename} saved to {path}"

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
        return _TIMESTAMP.sub(lambda m: self._moment(int(m["ts"]), m["style"] or "f"), text)

    def _moment(self, timestamp: int, style: str) -> str:
        """A `<t:…:style>` as Discord shows it, in UTC (the sandbox's people's zone)."""
        when = datetime.fromtimestamp(timestamp, UTC)
        if style == "R":
            ahead = when - self.clock.now()
            minutes = round(abs(ahead.total_seconds()) / 60)
            span = f"{minutes // 60} h {minutes % 60} min" if minutes >= 60 else f"{minutes} min"
            return f"in {span}" if ahead.total_seconds() > 0 else f"{span} ago"
        formats = {
            "t": "%H:%M",
            "T": "%H:%M:%S",
            "d": "%d/%m/%Y",
            "D": "%-d %B %Y",
            "f": "%-d %B %Y %H:%M",
            "F": "%A, %-d %B %Y %H:%M",
        }
        shown = when.strftime(formats.get(style, formats["f"]))
        return shown if style in ("d", "D") else f"{shown} UTC"

    def viewers(self, message: Message) -> list[str]:
        return [n for n, p in self.people.items() if message in self.emu.visible_to(p)]

    def audience(self, message: Message) -> str:
        viewers = self.viewers(message)
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
            f"{c.get('custom_id')} ({c.get('label') or row.get('label')})"
            # A menu's choices are shown: submit names them (some hold commas, hence |).
            + (f" [{' | '.join(o['label'] for o in c['options'])}]" if c.get("options") else "")
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
_TIMESTAMP = re.compile(r"<t:(?P<ts>-?\d+)(?::(?P<style>[tTdDfFR]))?>")


def _form_answers(modal: dict[str, Any], typed: dict[str, str]) -> dict[str, str | list[str]]:
    """What was typed, with each menu's answer read as picks: comma-separated option
    values or labels, any case; empty or "none" picks nothing."""
    menus = {
        inner["custom_id"]: inner
        for row in modal.get("components", [])
        for inner in [row.get("component") or {}]
        if inner.get("type") == 3
    }
    answers: dict[str, str | list[str]] = {}
    for key, raw in typed.items():
        menu = menus.get(key)
        if menu is None:
            answers[key] = raw
            continue
        options = {
            str(name).lower(): option["value"]
            for option in menu.get("options", [])
            for name in (option["value"], option.get("label", ""))
        }
        words = [w.strip() for w in raw.split(",") if w.strip()]
        if words in ([], ["none"]):
            answers[key] = []
        elif raw.strip().lower() in options:  # a whole name with commas in it
            answers[key] = [options[raw.strip().lower()]]
        else:
            # An unknown word is passed on as typed, so the emulator names the options.
            answers[key] = [options.get(w.lower(), w) for w in words]
    return answers


def _polls(job: Job, when: datetime) -> bool:
    """Whether the job runs at least every POLLING_PERIOD (it reads what is due itself)."""
    following = job.trigger.get_next_fire_time(when, when + timedelta(microseconds=1))
    return following is not None and following - when < POLLING_PERIOD


def _button(message: Message, label: str) -> dict[str, Any] | None:
    """The button whose label (or custom id) holds `label`, any case."""
    wanted = label.lower()
    for component in _buttons(message):
        names = (str(component.get("label", "")).lower(), component.get("custom_id"))
        if wanted in names or any(wanted in str(n) for n in names if n):
            return component
    return None


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
    clock = SandboxClock()
    # Discord's own checks (an event can't start in the past) on the bot's time.
    emu.clock = clock.now
    guild = community.guild
    guild.create_voice_channel("meeting-room")
    guild.create_text_channel("meetings")
    guild.create_role("Meeting reminders")
    runner = BotRunner(
        community,
        f"sqlite+aiosqlite:///{workdir / 'sandbox.db'}",
        workdir / "data",
        content=content,
        clock=clock,
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
    # Beside where the sandbox was started, not in the throwaway folder: the admin opens
    # the charts after the run.
    output_dir = Path.cwd() / OUTPUT_DIR_NAME
    return emu, runner, Sandbox(community, bot, clock, out, output_dir)


INTRO = """Sandbox: a pretend Discord server, "Recovery Circle", with the real bot in it.
Nothing leaves this computer. Sam is the peer specialist on call; Riley is backup.
Try:  as alice /help-now note="rough night"   then   advance 5m   (the backup is paged)
then  as sam click Acknowledge
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
    # Arrow keys edit the line and recall earlier ones (this session's, kept in memory);
    # without readline (Windows) input() still works, plainly. Only here, not for scripts:
    # a terminal may be sent control codes when it is loaded.
    with contextlib.suppress(ImportError):
        import readline  # noqa: F401
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
