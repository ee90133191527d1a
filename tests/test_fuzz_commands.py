"""Every slash command and every form, fed generated and hostile input (issue 14, hardening).

The commands are read from what the bot registered with the emulator, and the forms are
found by opening them: each command is run and every button on what it answers (and on
what it posts, such as a /help-now page) is pressed, two levels deep, and each form that
opens is kept with the steps that open it. A new command, option or form is covered
without a line here. /privacy is skipped while its subcommands are being built.

For each generated input, as a member, a peer specialist and an admin (the server's
owner):
- the bot answers in time, never with the generic "something went wrong", and logs no
  ERROR;
- nothing the bot posts pings anyone through what was typed: the text carries
  `@everyone`, `@here`, a mention of a member who is never otherwise involved and of a
  mentionable role nobody else uses, and no message of the bot's may mention them;
- an input the bot refuses (the error handler's "Interaction refused" line) changes no
  row of any table.

One bot per test, many examples through it; a fixed seed and a bounded number of
examples, so CI runs the same inputs each time.
"""

from __future__ import annotations

import asyncio
import logging
import re
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, cast

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import text

from cogs.helpnow.cog import HelpNowCog
from core.bot import RecoveryBot
from core.error_handler import SOMETHING_WENT_WRONG
from core.errors import UserFacingError
from db.base import Base
from fakediscord.driver import ComponentError, UserInteraction
from fakediscord.models import Channel, Member, Message, Role
from fakediscord.options import (
    ATTACHMENT,
    BOOLEAN,
    CHANNEL,
    INTEGER,
    MENTIONABLE,
    NUMBER,
    NUMERIC_LIMIT,
    ROLE,
    STRING,
    SUB_COMMAND,
    SUB_COMMAND_GROUP,
    USER,
    CommandUnavailableError,
)
from fakediscord.uploads import Upload
from sandbox.community import BotRunner, Community
from tests.cogs.checkins.e2e_helpers import outbox_settled
from tests.cogs.helpnow.helpers import sam_on_call_riley_backup
from tests.databases import sqlite_url
from tests.fake_clock import FakeClock
from tests.waiting import wait_for

Json = dict[str, Any]

# Every command is fuzzed. The crawl that looks for forms presses every button it finds
# but /privacy's: they open no form, and they erase or change the member being fuzzed
# mid-run (they have their own tests, tests/cogs/privacy/).
SKIPPED_COMMANDS: tuple[str, ...] = ()
SKIPPED_CONTROLS = ("privacy:",)
# The forms the crawl must find, so that a crawl broken by a change fails loudly rather
# than fuzzing nothing: the check-in form, a plan part, a kept journal entry, /help-now's
# outcome. Prefixes: the rest of a form's id names a part, a request.
KNOWN_FORMS = ("checkin:form", "plan:form:", "cope:journal-form:1", "helpnow:resolve-modal:")
COMMAND_EXAMPLES = 6  # each example runs every command once as each caller
FORM_EXAMPLES = 10  # each example submits every form once
CRAWL_DEPTH = 2  # presses after a command
CRAWL_PRESSES = 120  # the crawl's bound, far above what today's features need
ANSWER_WITHIN = 10.0
# How long without a request counts as the bot having finished what a step posts.
QUIET_SECONDS = 0.05
# Discord's own bounds where a definition gives none.
STRING_MAX = 6000
TEXT_INPUT_MAX = 4000
LONG_TEXT = 4000
# The error handler's line for an input it refused (core/error_handler.py).
REFUSED_LINE = "Interaction refused"
# Snowflakes, request ids and other per-record parts of a custom_id: replaced so that a
# control is recognised again when the steps that showed it are replayed.
PER_RECORD = re.compile(r"[0-9a-fA-F-]{8,}|[A-Za-z0-9_-]*\d[A-Za-z0-9_-]{7,}")


def fuzz_settings(examples: int) -> settings:
    return settings(
        max_examples=examples,
        derandomize=True,
        deadline=None,
        database=None,
        # Shrinking reruns whole examples (every command each); the failing example is
        # reported as drawn, which with a fixed seed is reproducible as it stands.
        phases=(Phase.explicit, Phase.generate),
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
    )


# --- The people and what they type ---------------------------------------------------------


@dataclass
class Stage:
    """The community with two more people than usual: someone no input may ping."""

    community: Community
    bot: RecoveryBot
    decoy: Member  # never an option's value, never paged: only typed
    decoy_role: Role  # mentionable, on nobody
    # Each UserFacingError made while the bot runs: "a refusal changes nothing" is that
    # class's promise (core/errors.py), checked for every one.
    refusals: list[str] = field(default_factory=list)
    # (the input, what was wrong), in the order found
    problems: list[tuple[str, str]] = field(default_factory=list)

    @property
    def callers(self) -> dict[str, Member]:
        # The three roles of issue 14; the peer specialist is also the one on call.
        community = self.community
        return {
            "member": community.alice,
            "specialist": community.sam,
            "admin": community.organiser,
        }

    def hostile_pieces(self) -> list[str]:
        return [
            "@everyone",
            "@here",
            f"<@{self.decoy.id}>",
            f"<@!{self.decoy.id}>",
            f"<@&{self.decoy_role.id}>",
            f"<@&{self.community.guild.everyone.id}>",
            "\u202e",  # right-to-left override
            "\u200b",  # zero-width space
            "\u200d",  # zero-width joiner
            "e\u0301\u0302\u0303\u0304",  # combining marks
            "**bold** __under__ ~~strike~~ ||spoiler|| `code` ```block```",
            "# heading\n> quote\n- list",
            "[link](https://example.com)",
            "🙂",
            "👨‍👩‍👧",
            "<:custom:123456789012345678>",
            "\n",
            " ",
            "'; DROP TABLE checkins; --",
            "%s %(note)s {note} {0}",
            "\\",
            # Plausible values, so that the commands' accepted paths run too.
            "19:00",
            "9",
            "2024-01-01",
            "yesterday",
            "12.50",
            "UTC",
            "monday",
            "mon,wed",
            "0",
            "-1",
        ]


def fit(value: str, low: int, high: int) -> str:
    value = value[:high]
    return value + "x" * (low - len(value)) if len(value) < low else value


def typed_text(stage: Stage, low: int, high: int) -> st.SearchStrategy[str]:
    """Text within [low, high] characters: hostile pieces, any characters, or long."""
    pieces = stage.hostile_pieces()
    anything = st.text(
        alphabet=st.characters(exclude_categories=["Cs", "Cc"], include_characters="\n\t"),
        max_size=20,
    )
    mixed = st.lists(st.sampled_from(pieces) | anything, max_size=12).map("".join)
    long = st.sampled_from(pieces).map(lambda piece: piece * (LONG_TEXT // len(piece) + 1))
    return st.one_of(mixed, long).map(lambda value: fit(value, low, high))


# --- Commands -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Command:
    path: str
    options: tuple[Json, ...]
    admin_only: bool


def leaf_commands(stage: Stage) -> list[Command]:
    app, guild = stage.community.app, stage.community.guild
    found: list[Command] = []

    def walk(node: Json, path: list[str], admin_only: bool) -> None:
        options: list[Json] = node.get("options") or []
        nested = [o for o in options if o["type"] in (SUB_COMMAND, SUB_COMMAND_GROUP)]
        if not nested:
            found.append(Command(" ".join(path), tuple(options), admin_only))
        for sub in nested:
            walk(sub, [*path, sub["name"]], admin_only)

    for command in [*app.commands(guild), *app.commands()]:
        if command.get("type", 1) != 1 or command["name"] in SKIPPED_COMMANDS:
            continue
        walk(command, [command["name"]], command.get("default_member_permissions") is not None)
    return found


async def suggestions(stage: Stage, command: Command) -> dict[str, list[Any]]:
    """What autocomplete offers for each option (typing nothing): valid values to mix in,
    asked as someone in the command's audience (an admin, or a peer specialist)."""
    community = stage.community
    asker = community.organiser if command.admin_only else community.sam
    offered: dict[str, list[Any]] = {}
    for option in command.options:
        if option.get("autocomplete"):
            choices = await asker.autocomplete(
                command.path,
                focused=option["name"],
                value="",
                channel=community.checkins,
                options=required_defaults(stage, command, skip=option["name"]),
                timeout=ANSWER_WITHIN,
            )
            offered[option["name"]] = [c["value"] for c in choices]
    return offered


def required_defaults(stage: Stage, command: Command, *, skip: str = "") -> Json:
    """A first plausible value for each required option (for autocomplete's context)."""
    values: Json = {}
    for option in command.options:
        if option.get("required") and option["name"] != skip:
            values[option["name"]] = first_value(stage, option)
    return values


def first_value(stage: Stage, option: Json) -> Any:
    if option.get("choices"):
        return option["choices"][0]["value"]
    kind = option["type"]
    if kind == STRING:
        return fit("x", option.get("min_length", 1), option.get("max_length", STRING_MAX))
    if kind in (INTEGER, NUMBER):
        return option.get("min_value", 1)
    if kind == BOOLEAN:
        return True
    if kind in (USER, MENTIONABLE):
        return stage.community.bob
    if kind == CHANNEL:
        return channels_for(stage, option)[0]
    if kind == ROLE:
        return stage.community.role
    return Upload("note.txt", b"x", "text/plain")


def channels_for(stage: Stage, option: Json) -> list[Channel]:
    kinds = option.get("channel_types")
    return [
        channel
        for channel in stage.community.guild.channels.values()
        if kinds is None or channel.type in kinds
    ]


def option_values(stage: Stage, option: Json, offered: Sequence[Any]) -> st.SearchStrategy[Any]:
    """Any value Discord's client would let a person send for this option."""
    community = stage.community
    if option.get("choices"):
        return st.sampled_from([c["value"] for c in option["choices"]])
    kind = option["type"]
    if kind == STRING:
        low = max(1, option.get("min_length", 1))
        high = option.get("max_length", STRING_MAX)
        typed = typed_text(stage, low, high)
        return st.sampled_from(list(offered)) | typed if offered else typed
    if kind in (INTEGER, NUMBER):
        low = option.get("min_value", -NUMERIC_LIMIT)
        high = option.get("max_value", NUMERIC_LIMIT)
        if kind == INTEGER:
            return st.integers(low, high)
        return st.floats(low, high, allow_nan=False, allow_infinity=False)
    if kind == BOOLEAN:
        return st.booleans()
    people = [community.alice, community.bob, community.sam, community.riley, community.organiser]
    roles = [community.role, community.guild.everyone]
    if kind == USER:
        return st.sampled_from(people)
    if kind == ROLE:
        return st.sampled_from(roles)
    if kind == MENTIONABLE:
        return st.sampled_from([*people, *roles])
    if kind == CHANNEL:
        return st.sampled_from(channels_for(stage, option))
    assert kind == ATTACHMENT, f"an option type this test does not know yet: {option}"
    return st.binary(max_size=64).map(lambda data: Upload("note.txt", data, "text/plain"))


# --- Answers, logs, mentions, rows ------------------------------------------------------------


async def answered(interaction: UserInteraction) -> list[Message]:
    """What the bot answered: its first response and, for a 'thinking…', the reply."""
    response = await interaction.wait_for_response(timeout=ANSWER_WITHIN)
    messages = [response.message] if response.message else []
    if response.deferred:
        messages.append(await interaction.wait_for_reply(timeout=ANSWER_WITHIN))
    assert interaction.rejections == [], f"{interaction.describe()}: {interaction.rejections}"
    return [*messages, *interaction.followups]


def words_of(message: Message) -> str:
    embeds = " ".join(str(e.get("description", "")) for e in message.embeds)
    return f"{message.content} {embeds}"


async def settled(bot: RecoveryBot) -> None:
    """What the bot writes in the background after an answer is written: /help-now's
    journal copied to the database, the outbox sent. (A new background writer shows up
    as a refusal that "stored" rows in its table.)"""
    helpnow = bot.get_cog("HelpNowCog")
    if helpnow is not None:
        await cast(HelpNowCog, helpnow).desk.flush()
    await outbox_settled(bot)


async def snapshot(bot: RecoveryBot) -> dict[str, list[str]]:
    """Every row of every table, as stored (ciphertext included: a refusal writes nothing,
    not even the same value again), once the bot's background writes are done."""
    await settled(bot)
    rows: dict[str, list[str]] = {}
    async with bot.db.engine.connect() as connection:
        for table in Base.metadata.sorted_tables:
            result = await connection.execute(text(f'SELECT * FROM "{table.name}"'))  # noqa: S608
            rows[table.name] = sorted(repr(tuple(row)) for row in result)
    return rows


def changed(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, list[str]]:
    """Per table that changed, the rows that came or went."""
    return {
        name: sorted(set(before[name]) ^ set(after.get(name, [])))
        for name in before
        if before[name] != after.get(name)
    }


def pings_through_text(stage: Stage, message: Message) -> bool:
    return (
        message.mention_everyone
        or stage.decoy.user in message.mentions
        or stage.decoy_role in message.mention_roles
    )


def bot_messages(stage: Stage) -> Iterator[Message]:
    bot_user = stage.community.app.bot_user
    return (m for m in stage.community.emu.messages.values() if m.author is bot_user)


class Watch:
    """One input's run: the log lines it caused and whether it was refused."""

    def __init__(self, stage: Stage, caplog: pytest.LogCaptureFixture, what: str) -> None:
        self.stage, self.caplog, self.what = stage, caplog, what
        self.start = len(caplog.records)
        self.refusals_before = len(stage.refusals)

    def records(self) -> list[logging.LogRecord]:
        return self.caplog.records[self.start :]

    def refused(self) -> bool:
        """A refusal raised (even one a feature answers itself, as the check-in form
        does), or one the error handler reported."""
        if len(self.stage.refusals) > self.refusals_before:
            return True
        return any(r.getMessage().startswith(REFUSED_LINE) for r in self.records())

    def problems(self, replies: list[Message]) -> list[str]:
        found = [
            f"logged {r.levelname}: {r.getMessage()[:200]}"
            for r in self.records()
            if r.levelno >= logging.ERROR
        ]
        found += ["answered 'something went wrong'" for r in replies if is_failure(r)]
        found += [
            f"pinged through typed text: {m.content[:200]!r}"
            for m in bot_messages(self.stage)
            if pings_through_text(self.stage, m)
        ]
        return found


def is_failure(message: Message) -> bool:
    return SOMETHING_WENT_WRONG in words_of(message)


async def run_and_check(
    stage: Stage,
    caplog: pytest.LogCaptureFixture,
    what: str,
    act: Callable[[], Awaitable[UserInteraction | None]],
) -> None:
    """Run one input; note what is wrong with the answer, the log, the mentions, and a
    refusal's rows in `stage.problems`.

    Noted rather than raised: the bot keeps its state between examples, so Hypothesis
    could not replay an example stopped half way; the test fails at its end instead.
    """
    before = await snapshot(stage.bot)
    watch = Watch(stage, caplog, what)
    try:
        interaction = await act()
        if interaction is None:
            return
        found = watch.problems(await answered(interaction))
    except (AssertionError, TimeoutError, LookupError) as error:
        found = [f"{type(error).__name__}: {error}"]
    if watch.refused():
        stored = changed(before, await snapshot(stage.bot))
        found += [f"refused, yet stored: {stored}"] if stored else []
    # Each problem once, with the first input that showed it.
    seen = {problem for _, problem in stage.problems}
    stage.problems += [(what, problem) for problem in found if problem not in seen]


# --- The stage ------------------------------------------------------------------------------


@pytest.fixture
async def stage(
    community: Community, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> AsyncIterator[Stage]:
    refusals: list[str] = []
    made = UserFacingError.__init__

    def noted(self: UserFacingError, message: str) -> None:
        refusals.append(message)
        made(self, message)

    monkeypatch.setattr(UserFacingError, "__init__", noted)
    guild = community.guild
    decoy = guild.add_member("mallory")
    decoy_role = guild.create_role("Decoy", mentionable=True)
    # A clock that stands still a month ahead: what the inputs schedule (a re-page a
    # minute on, a daily prompt) falls due a month from now, never during the test, so
    # the rows seen before and after an input change only by what the input did.
    clock = FakeClock(datetime.now(UTC) + timedelta(days=30))
    runner = BotRunner(community, sqlite_url(tmp_path), tmp_path / "data", clock=clock)
    try:
        bot = await runner.start()
        await runner.configure(bot)
        await sam_on_call_riley_backup(bot, community)
        # Many answers and pages in one channel: pacing is tested elsewhere.
        community.emu.rate_limits_enabled = False
        yield Stage(community, bot, decoy, decoy_role, refusals)
    finally:
        await runner.stop_all()


# --- Commands: every option of every command ------------------------------------------------


@pytest.fixture
async def commands(stage: Stage) -> list[tuple[Command, str, dict[str, list[Any]]]]:
    """Each command with each caller, and what autocomplete offers that caller."""
    found = leaf_commands(stage)
    assert len(found) > 20, [c.path for c in found]
    runs = []
    for command in found:
        offered = await suggestions(stage, command)
        runs += [(command, caller, offered) for caller in stage.callers]
    return runs


# A chart of what a member typed (an emoji in a counter's name) draws a box for a glyph
# the font lacks: matplotlib warns, the chart is still sent.
@pytest.mark.filterwarnings("ignore:Glyph .* missing from font:UserWarning")
@fuzz_settings(COMMAND_EXAMPLES)
@given(data=st.data())
async def test_every_command_answers_any_input_without_error_ping_or_stored_refusal(
    stage: Stage,
    commands: list[tuple[Command, str, dict[str, list[Any]]]],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    caplog.set_level(logging.INFO)
    community = stage.community
    for command, caller_name, offered in commands:
        caller = stage.callers[caller_name]
        options: Json = {}
        for option in command.options:
            if option.get("required") or data.draw(st.booleans()):
                values = option_values(stage, option, offered.get(option["name"], ()))
                options[option["name"]] = data.draw(values, label=option["name"])
        what = f"/{command.path} as {caller_name} with {options!r}"[:600]

        async def act(
            command: Command = command, caller: Member = caller, options: Json = options
        ) -> UserInteraction | None:
            try:
                return await caller.run_command(
                    command.path, channel=community.checkins, options=options
                )
            except CommandUnavailableError:
                # Hidden from this caller, as Discord hides admin commands.
                assert command.admin_only, f"/{command.path} is hidden from {caller}"
                return None

        await run_and_check(stage, caplog, what, act)
    assert stage.problems == []


# --- Forms: every field of every form the bot opens -----------------------------------------


@dataclass(frozen=True)
class Step:
    """A command, or a press of a control recognised by its custom_id's shape."""

    caller: str  # an attribute of Community
    command: str = ""
    options: tuple[tuple[str, Any], ...] = ()
    control: str = ""  # the custom_id with its per-record parts replaced


def shape(custom_id: str) -> str:
    return PER_RECORD.sub("#", custom_id)


def buttons(message: Message) -> list[str]:
    found: list[str] = []

    def walk(components: list[Json]) -> None:
        for component in components:
            pressable = component.get("type") == 2 and not component.get("disabled")
            if pressable and component.get("custom_id"):
                found.append(component["custom_id"])
            walk(component.get("components") or [])
            if isinstance(component.get("accessory"), dict):
                walk([component["accessory"]])

    walk(message.components)
    return found


async def quiet(stage: Stage) -> None:
    """Wait (with a deadline) until the emulator has seen no request for a moment: what a
    step posts besides its answer (a page to the specialists) has arrived."""
    emu = stage.community.emu
    loop = asyncio.get_running_loop()

    async def settled() -> bool | None:
        last = emu.requests[-1].finished if emu.requests else 0.0
        return True if loop.time() - (last or 0.0) > QUIET_SECONDS else None

    await wait_for(settled, within=ANSWER_WITHIN, what="the bot to finish what it posts")


async def take(
    stage: Stage, step: Step, since: int, *, wait: bool = True
) -> UserInteraction | None:
    """Run one step; a press goes to the newest matching control shown since `since`
    (waiting for it to be shown, or None at once if it is not there and `wait` is off)."""
    person: Member = getattr(stage.community, step.caller)
    if step.command:
        try:
            return await person.run_command(
                step.command, channel=stage.community.checkins, options=dict(step.options)
            )
        except CommandUnavailableError:
            return None

    def target() -> tuple[Message, str] | None:
        for message in reversed(list(stage.community.emu.visible_to(person))):
            if message.id <= since:
                break
            for custom_id in buttons(message):
                if shape(custom_id) == step.control:
                    return message, custom_id
        return None

    found = target()
    if found is None and wait:
        found = await stage.community.emu.wait_until(
            target, within=ANSWER_WITHIN, what=f"a {step.control} control", seen=lambda: ""
        )
    if found is None:
        return None
    try:
        return await person.click(*found)
    except ComponentError:
        return None


async def replay(stage: Stage, steps: Sequence[Step]) -> UserInteraction:
    """Run the steps that open a form; the last one's interaction (answered by the form)."""
    opened: UserInteraction | None = None
    shown_after = max(stage.community.emu.messages, default=0)
    for step in steps:
        since = max(stage.community.emu.messages, default=0)
        opened = await take(stage, step, shown_after)
        assert opened is not None, f"{step} did not run again"
        await answered(opened)
        await quiet(stage)
        shown_after = since
    assert opened is not None
    return opened


def command_steps(stage: Stage, command: Command, offered: dict[str, list[Any]]) -> list[Step]:
    """The command with what autocomplete offers first for its required options, once for
    each choice of its first menu option, and once with each optional option that offers
    something: the variants that may open different forms."""
    caller = "organiser" if command.admin_only else "alice"
    base = required_defaults(stage, command)
    for option in command.options:
        if option.get("required") and offered.get(option["name"]):
            base[option["name"]] = offered[option["name"]][0]
    variants: list[Json] = [base]
    for option in command.options:
        if option.get("choices"):
            variants = [{**base, option["name"]: c["value"]} for c in option["choices"]]
            break
    # And each optional option with something offered, given alone: /cope for: a trigger.
    for option in command.options:
        first = offered.get(option["name"]) or [c["value"] for c in option.get("choices") or []]
        if not option.get("required") and first:
            variants.append({**base, option["name"]: first[0]})
    return [Step(caller, command.path, tuple(v.items())) for v in variants]


async def crawl(stage: Stage) -> dict[str, tuple[Step, ...]]:
    """Every form the bot opens, by its id's shape, with the steps that open it."""
    forms: dict[str, tuple[Step, ...]] = {}
    # The steps so far, how deep, and the newest message before the last step's parent ran
    # (a press looks for its control among what came after).
    frontier: list[tuple[tuple[Step, ...], int, int]] = []
    pressed: set[tuple[str, str]] = set()
    for command in leaf_commands(stage):
        offered = await suggestions(stage, command)
        frontier += [((step,), 0, 0) for step in command_steps(stage, command, offered)]
    presses = 0
    while frontier:
        steps, depth, shown_after = frontier.pop(0)
        since = max(stage.community.emu.messages, default=0)
        interaction = await take(stage, steps[-1], shown_after, wait=False)
        if interaction is None and not steps[-1].command:
            # An earlier press changed what this control was on (closed the request):
            # show it again.
            await replay(stage, steps[:-1])
            interaction = await take(stage, steps[-1], since)
            since = max(stage.community.emu.messages, default=0)
        if interaction is None:
            continue
        response = await interaction.wait_for_response(timeout=ANSWER_WITHIN)
        if response.type == 9 and response.modal is not None:
            forms.setdefault(shape(response.modal["custom_id"]), steps)
            continue
        replies = await answered(interaction)
        await quiet(stage)
        if depth >= CRAWL_DEPTH:
            continue
        # What came since, and the message a press updated in place.
        posted = [m for m in stage.community.emu.messages.values() if m.id > since]
        shown = [*[m for m in replies if m.id <= since], *posted]
        for message in shown:
            for custom_id in buttons(message):
                if custom_id.startswith(SKIPPED_CONTROLS):
                    continue
                # The caller first; a specialist for what the caller may not press.
                for caller in (steps[0].caller, "riley"):
                    if message not in stage.community.emu.visible_to(
                        getattr(stage.community, caller)
                    ):
                        continue
                    key = (shape(custom_id), caller)
                    if key in pressed or presses >= CRAWL_PRESSES:
                        continue
                    pressed.add(key)
                    presses += 1
                    frontier.append(((*steps, Step(caller, control=key[0])), depth + 1, since))
    return forms


def field_values(stage: Stage, modal: Json) -> st.SearchStrategy[dict[str, Any]]:
    """An answer for each field of a form, within its bounds."""
    fields: dict[str, st.SearchStrategy[Any]] = {}

    def walk(components: list[Json]) -> None:
        for component in components:
            kind = component.get("type")
            if kind == 4:
                required = component.get("required", True)
                low = max(component.get("min_length", 0), 1)
                high = component.get("max_length", TEXT_INPUT_MAX)
                typed = typed_text(stage, low, high)
                fields[component["custom_id"]] = typed if required else st.just("") | typed
            elif kind == 3:
                options = [o["value"] for o in component.get("options", [])]
                low = component.get("min_values", 1) if component.get("required", True) else 0
                high = min(component.get("max_values", 1), len(options))
                fields[component["custom_id"]] = st.lists(
                    st.sampled_from(options), min_size=low, max_size=high, unique=True
                )
            walk(component.get("components") or [])
            if isinstance(component.get("component"), dict):
                walk([component["component"]])

    walk(modal.get("components", []))
    return st.fixed_dictionaries(fields)


@pytest.fixture
async def forms(stage: Stage) -> dict[str, tuple[Step, ...]]:
    found = await crawl(stage)
    missing = [k for k in KNOWN_FORMS if not any(f.startswith(k) for f in found)]
    assert missing == [], f"the crawl found only {sorted(found)}"
    return found


@fuzz_settings(FORM_EXAMPLES)
@given(data=st.data())
async def test_every_form_takes_any_answer_without_error_ping_or_stored_refusal(
    stage: Stage,
    forms: dict[str, tuple[Step, ...]],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    caplog.set_level(logging.INFO)
    for form, steps in sorted(forms.items()):
        try:
            opened = await replay(stage, steps)
            response = await opened.wait_for_response(timeout=ANSWER_WITHIN)
            assert response.modal is not None, "the steps opened no form"
        except (AssertionError, TimeoutError, LookupError) as error:
            stage.problems.append((f"opening {form}", f"{type(error).__name__}: {error}"))
            continue
        values = data.draw(field_values(stage, response.modal), label=form)
        person: Member = getattr(stage.community, steps[-1].caller)
        what = f"form {form} with {values!r}"[:600]

        async def act(
            person: Member = person, opened: UserInteraction = opened, values: Json = values
        ) -> UserInteraction:
            return await person.submit_modal(opened, values)

        await run_and_check(stage, caplog, what, act)
    assert stage.problems == []


# --- Autocomplete: answered for everyone who sees the command -------------------------------

UNANSWERED_WITHIN = 2.0


async def test_every_autocomplete_is_answered_for_a_member_who_sees_the_command(
    stage: Stage,
) -> None:
    community = stage.community
    unanswered: list[str] = []
    for command in leaf_commands(stage):
        if command.admin_only:
            continue  # hidden from members: they cannot type into it
        for option in command.options:
            if not option.get("autocomplete"):
                continue
            try:
                await community.alice.autocomplete(
                    command.path,
                    focused=option["name"],
                    value="",
                    channel=community.checkins,
                    options=required_defaults(stage, command, skip=option["name"]),
                    timeout=UNANSWERED_WITHIN,
                )
            except TimeoutError:
                unanswered.append(f"/{command.path} {option['name']}")
    assert unanswered == []
