"""The one words check: every text the bot shows keeps to shared/domain.md's words.

Every member-facing string is collected where it lives (tests/member_texts.py) and
refused when it stigmatises, when it claims that a person will answer or by when, when
it assesses risk or passes the bot off as a person; and every crisis reply opens with
the emergency number and shows two independent lines. Features keep their own tests for
what only they say (lengths, kindness of one text), never a second words list.
"""

from __future__ import annotations

import importlib
import pkgutil
import re
import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import discord
import pytest
from discord import app_commands

import core
from cogs.helpnow import texts as helpnow_texts
from cogs.helpnow.crisis import PageState, crisis_messages
from config.content import CrisisLine, CrisisResources, Region, load_content
from config.settings import DEFAULT_CONTENT_DIR, ROOT
from core.bot import RecoveryBot
from core.guild_settings import LocalResource
from tests.member_texts import (
    MEMBER_FACING_CORE,
    OPERATOR_FACING_CORE,
    Text,
    collect,
    command_texts,
    content_texts,
    member_facing_modules,
    module_texts,
    other_feature_modules,
    prose_constants,
    texts_modules,
    tree_commands,
)

Offence = tuple[str, str, str]


@dataclass(frozen=True)
class Rule:
    reason: str
    pattern: re.Pattern[str]
    # (phrase, why it is fine): blanked out before the pattern is searched, so the same
    # word elsewhere in the text is still refused.
    allowed: tuple[tuple[str, str], ...] = ()


def rule(reason: str, pattern: str, *allowed: tuple[str, str]) -> Rule:
    return Rule(reason, re.compile(pattern, re.IGNORECASE), allowed)


# Who a text might promise: the group's people, or an unnamed someone. Not "they" (its
# referent is unknown) nor a member's own sponsor or friend.
PERSON = (
    r"(?:(?:a|an|the|one of the|one of our|our|your|your group's|the group's|this group's)\s+)?"
    r"(?:peer\s+)?(?:specialists?|peers?|supporters?|volunteers?|moderators?|team|staff"
    r"|counsell?ors?|humans?|(?:real\s+)?person)"
    r"|some(?:one|body)"
)
# What a person does when they answer someone.
ANSWER = (
    r"reach\s+out|reach\s+you|contact\s+you|call\s+you|text\s+you|message\s+you|dm\s+you"
    r"|get\s+back|get\s+in\s+touch|be\s+in\s+touch|reply|respond|answer|check\s+(?:in|on)"
    r"|follow\s+up|talk|speak|chat|help\s+you|be\s+with\s+you|be\s+there|join\s+you|come"
)
# Said of an answer, these are a time; said of a craving ("eases within 20–30 minutes")
# they are a fact, so the time rule only looks at sentences about a person or an answer.
TIME = (
    r"(?<!as )\bsoon\b|\bshortly\b|\bright\s+away\b|\bstraight\s+away\b|\bimmediately\b"
    r"|\bany\s+(?:minute|moment)\s+now\b|\bin\s+no\s+time\b|\bquickly\b|\bpromptly\b|\basap\b"
    r"|\bbefore\s+long\b|\bin\s+a\s+(?:moment|minute|bit|little\s+while)\b"
    r"|\bwithin\s+(?:\d|\{|a\b|an\b|the\s+next\b|one\b|two\b|five\b|ten\b|fifteen\b"
    r"|twenty\b|thirty\b|sixty\b|minutes\b|hours\b|seconds\b)"
    r"|\bin\s+(?:about\s+|under\s+|less\s+than\s+|around\s+)?"
    r"(?:\d+|\{\w+\}|a\s+few|a\s+couple\s+of|one|two|three|five|ten|fifteen|twenty|thirty)"
    r"\s*(?:[-–]\s*\d+\s*)?(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b"
    r"|\b(?:takes?|taking|up\s+to|at\s+most|no\s+more\s+than|under)\s+(?:about\s+|around\s+)?"
    r"(?:\d+|\{\w+\}|a\s+few)\s*(?:[-–]\s*\d+\s*)?(?:seconds?|secs?|minutes?|mins?|hours?|hrs?)\b"
)
ABOUT_AN_ANSWER = re.compile(
    rf"\b(?:{PERSON})\b|\b(?:answer(?:s|ed|ing)?|repl(?:y|ies|ied)|respond(?:s|ed)?|response"
    r"|get\s+back|call\s+(?:you\s+)?back|reach(?:es)?\s+out|picks?\s+(?:it\s+|this\s+)?up"
    r"|acknowledg\w*|hear\s+(?:back|from))\b",
    re.IGNORECASE,
)
TIME_OF_AN_ANSWER = re.compile(TIME, re.IGNORECASE)
SENTENCE_END = re.compile(r"(?<=[.!?])\s+|\n+")

STIGMA = "a stigmatising word (domain.md: person-first, never addict, clean/dirty, abuser)"
BLAME = "frames a return to use as a failing (domain.md: relapse is not failure)"
PROMISE = "promises what a person will do (the bot pages and tells; it can't speak for people)"
NOT_A_PERSON = "the bot is automated and never says it is a person"
ASSESSES = "assesses risk (domain.md: in a crisis, never assess risk)"

RULES = (
    rule(STIGMA, r"\baddict(?:s|ed)?\b"),
    rule(STIGMA, r"\b(?:clean|dirty)\b"),
    rule(STIGMA, r"\babusers?\b|\b(?:substance|drug|alcohol|opioid|opiate|heroin)\s+abuse\b"),
    rule(STIGMA, r"\b(?:junk(?:ie|ies|y)|druggies?|crackheads?|dope\s?fiends?|potheads?)\b"),
    rule(
        BLAME,
        r"\b(?:failed|failures?)\b",
        ("isn't a failure", "says the opposite of blame, as domain.md does"),
        ("is not a failure", "says the opposite of blame, as domain.md does"),
        ("is not failure", "domain.md's own words: relapse is not failure"),
    ),
    rule(BLAME, r"\brelaps(?:ed|ers?)\b"),
    rule(PROMISE, rf"\b(?:{PERSON})(?:'ll|\s+(?:will|is\s+going\s+to|are\s+going\s+to|shall))\b"),
    rule(PROMISE, rf"\b(?:{PERSON})\s+(?:can|could|may|might)\s+(?:{ANSWER})\b"),
    rule(
        PROMISE,
        r"\bwe(?:'ll|\s+will|\s+are\s+going\s+to)\s+(?:\w+\s+)?(?:call|contact|reach|reply"
        r"|respond|answer|get\s+back|get\s+in\s+touch|be\s+in\s+touch|message|text"
        r"|check\s+(?:in|on)|follow\s+up)\b",
    ),
    # The bot pages: it reaches nobody. Saying it couldn't is honest.
    rule(
        PROMISE,
        rf"(?<!n't )(?<!not )(?<!never )(?<!unable to )\breach(?:es|ing)?\s+(?:{PERSON})\b"
        rf"|\bconnects?\s+you\s+(?:with|to)\s+(?:{PERSON})\b"
        rf"|\bputs?\s+you\s+in\s+touch\s+with\s+(?:{PERSON})\b",
    ),
    rule(
        PROMISE,
        r"\b(?:talk|speak|chat)(?:s|ing)?\s+(?:with|to)\s+"
        r"(?:a|an|the|one\s+of\s+the|your\s+group's|the\s+group's|this\s+group's)\s+"
        r"(?:peer\s+)?(?:specialists?|volunteers?|counsell?ors?|humans?|person)\b",
    ),
    rule(
        PROMISE,
        rf"\b(?:{PERSON})\s+(?:is|are|'s|'re)\s+(?:now\s+|already\s+|always\s+)?"
        r"(?:here|there\s+for\s+you|with\s+you|talking|chatting|on\s+(?:the|their|his|her)\s+way"
        r"|waiting\s+for\s+you|available|online|standing\s+by|coming"
        r"|ready\s+to\s+(?:talk|help|listen))\b"
        r"|\bhelp\s+is\s+(?:on\s+(?:the|its)\s+way|coming)\b",
    ),
    rule(
        NOT_A_PERSON,
        r"\bI(?:'m|\s+am)\s+(?:a\s+|an\s+)?(?:real\s+|actual\s+)?(?:person|human|peer"
        r"|specialist|counsell?or|doctor|therapist|clinician|volunteer)\b",
    ),
    # A statement of its own, not "…when you're safe" or "what matters is that you're safe".
    rule(
        ASSESSES,
        r"(?:^|[.!?:;—]\s*)you(?:'re|\s+are)\s+(?:now\s+)?(?:safe|fine|okay|ok|out\s+of\s+danger"
        r"|not\s+in\s+danger|not\s+at\s+risk|at\s+(?:low|no|little|high)\s+risk)\b"
        r"|\b(?:this|it)\s+(?:is\s+not|isn't|doesn't\s+sound\s+like|does\s+not\s+sound\s+like)"
        r"\s+(?:an?\s+)?(?:emergency|crisis|urgent|serious)\b",
    ),
)


def _plain(text: str) -> str:
    return text.replace("’", "'").replace("‘", "'")


def _blank(text: str, phrases: Iterable[tuple[str, str]]) -> str:
    for phrase, _why in phrases:
        text = re.sub(re.escape(phrase), lambda m: " " * len(m.group()), text, flags=re.I)
    return text


def offending(texts: Iterable[Text]) -> list[Offence]:
    """(where, text, reason) for each rule each text breaks."""
    found: list[Offence] = []
    for where, text in texts:
        plain = _plain(text)
        for each in RULES:
            match = each.pattern.search(_blank(plain, each.allowed))
            if match:
                found.append((where, text, f"{each.reason}: “{match.group().strip()}”"))
        for sentence in SENTENCE_END.split(plain):
            about = ABOUT_AN_ANSWER.search(sentence)
            when = TIME_OF_AN_ANSWER.search(sentence)
            if about and when:
                found.append(
                    (
                        where,
                        text,
                        f"says when a person answers (domain.md: never promise a response "
                        f"time): “{about.group()}” … “{when.group()}”",
                    )
                )
    return found


# A server's own line, to check that local lines never push the region's out.
LOCAL_LINE = LocalResource("Riverside Clinic", "Call 555-0100, 8am to 8pm")


def _names(line: str, number: str) -> bool:
    if any(c.isdigit() for c in number):
        return re.search(rf"(?<!\d){re.escape(number)}(?!\d)", line) is not None
    return number.lower() in line.lower()


def misshapen_crisis_replies(crisis: CrisisResources) -> list[Offence]:
    """(where, first message, reason) for each crisis reply that isn't shaped for a crisis.

    domain.md: immediate danger first, and always two independent channels, because any
    single line can be down. Every region and every state of the page is tried.
    """
    found: list[Offence] = []
    for code, region in sorted(crisis.regions.items()):
        for state in PageState:
            for local in ((), (LOCAL_LINE,)):
                first = crisis_messages(crisis, code, local, state)[0]
                where = f"crisis reply {code} {state.value}{' with a local line' if local else ''}"
                if not _names(first.split("\n", 1)[0], region.emergency):
                    found.append(
                        (where, first, f"doesn't open with the emergency number {region.emergency}")
                    )
                shown = [line for line in region.lines if line.name in first and line.how in first]
                independent = min(len({line.name for line in shown}), len({x.how for x in shown}))
                if independent < 2:
                    found.append(
                        (where, first, f"shows {independent} independent lines of {code}, not 2")
                    )
    return found


def report(problems: list[Offence]) -> str:
    return "\n" + "\n".join(f"{where}\n    {text!r}\n    {why}" for where, text, why in problems)


async def test_every_member_text_keeps_to_the_domains_words(bot: RecoveryBot) -> None:
    problems = offending(collect(bot.tree)) + misshapen_crisis_replies(bot.content.crisis)
    assert problems == [], report(problems)


# --- What is collected ----------------------------------------------------------------------


def test_every_features_texts_module_is_read() -> None:
    modules = texts_modules()
    found = {module.__name__ for module in modules}
    assert found == {f"cogs.{p.parent.name}.texts" for p in (ROOT / "cogs").glob("*/texts.py")}
    assert {"cogs.setup.texts", "cogs.helpnow.texts", "cogs.checkins.texts"} <= found
    assert [m.__name__ for m in modules if not list(module_texts(m))] == []
    # Inside mappings and tuples too.
    plan = {where for where, _ in module_texts(importlib.import_module("cogs.plan.texts"))}
    assert "cogs/plan/texts.py: PART_NAMES['emergency']" in plan


def test_every_other_feature_module_is_read_for_prose() -> None:
    read = {module.__file__ for module in other_feature_modules()}
    assert read == {str(path) for path in (ROOT / "cogs").rglob("*.py") if path.name != "texts.py"}


def test_every_core_module_with_prose_is_placed_as_member_or_operator_facing() -> None:
    unplaced = []
    for info in pkgutil.iter_modules(core.__path__):
        name = f"core.{info.name}"
        prose = prose_constants(importlib.import_module(name))
        if prose and name not in MEMBER_FACING_CORE and name not in OPERATOR_FACING_CORE:
            unplaced.append(f"{name}: {', '.join(prose)}")
    assert unplaced == []
    read = {where.split(":")[0] for m in member_facing_modules() for where, _ in module_texts(m)}
    assert {"core/error_handler.py", "core/permissions.py", "core/timezones.py"} <= read


async def test_every_command_option_and_choice_is_read(bot: RecoveryBot) -> None:
    found = dict(command_texts(tree_commands(bot.tree)))
    assert found["/help-now: description"] == helpnow_texts.COMMAND_DESCRIPTION
    assert found["/help-now note: description"] == helpnow_texts.NOTE_DESCRIPTION
    assert "/setup help-now add-line: description" in found  # a subcommand of a subgroup
    assert found["/checkin share state: choice 'on'"] == "on"
    assert "/oncall schedule add day: choice 'tuesday'" in found


def test_every_string_of_every_content_file_is_read() -> None:
    found = list(content_texts())
    files = {where.split(":")[0] for where, _ in found}
    # milestones.toml holds only numbers.
    assert files == {
        f"config/content/{path.name}"
        for path in DEFAULT_CONTENT_DIR.glob("*.toml")
        if path.name != "milestones.toml"
    }
    steps = load_content(DEFAULT_CONTENT_DIR).crisis.overdose_steps
    assert Text("config/content/crisis_resources.toml: overdose_steps[1]", steps[1]) in found


# --- The check refuses what it should -----------------------------------------------------


def planted(problems: list[Offence], where: str) -> list[str]:
    """The rules broken at `where`, without the matched words (texts being fixed may
    break rules elsewhere; these tests are about the planted one)."""
    return [why.rsplit(": “", 1)[0] for at, _, why in problems if at == where]


def test_a_stigmatising_word_planted_in_a_texts_module_fails_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The module the collector reads: a bot stopped by an earlier test unloads its
    # features, and the next import is a fresh module.
    cope_texts = importlib.import_module("cogs.cope.texts")
    monkeypatch.setattr(cope_texts, "STOP_ANY_TIME", "Stop any time: every addict needs rest.")
    problems = offending(t for m in member_facing_modules() for t in module_texts(m))
    assert planted(problems, "cogs/cope/texts.py: STOP_ANY_TIME") == [STIGMA]


def test_a_planted_promise_that_a_specialist_will_call_fails_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cope_texts = importlib.import_module("cogs.cope.texts")
    monkeypatch.setattr(cope_texts, "STOP_ANY_TIME", "A specialist will call you.")
    problems = offending(module_texts(cope_texts))
    assert planted(problems, "cogs/cope/texts.py: STOP_ANY_TIME") == [PROMISE]


@pytest.mark.parametrize(
    ("file", "shipped", "planted"),
    [
        (
            "coping.toml",
            "Cravings usually ease within 20–30 minutes.",
            "Cravings usually ease within 20–30 minutes, and you stay clean.",
        ),
        (
            "crisis_resources.toml",
            'how = "Text SHOUT to 85258"',
            'how = "Text SHOUT to 85258: a volunteer will get back to you"',
        ),
    ],
)
def test_a_word_planted_in_a_content_file_fails_the_check(
    tmp_path: Path, file: str, shipped: str, planted: str
) -> None:
    content = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, content)
    assert offending(content_texts(content)) == []
    path = content / file
    text = path.read_text(encoding="utf-8")
    assert shipped in text
    path.write_text(text.replace(shipped, planted), encoding="utf-8")
    problems = offending(content_texts(content))
    assert len(problems) == 1
    assert problems[0][0].startswith(f"{path}: ")


def test_a_planted_command_description_fails_the_check() -> None:
    async def callback(interaction: discord.Interaction) -> None:
        pass

    command: app_commands.Command[Any, [], None] = app_commands.Command(
        name="talk", description="Talk with a peer specialist now", callback=callback
    )
    assert planted(offending(command_texts([command])), "/talk: description") == [PROMISE]


def test_a_crisis_reply_that_doesnt_open_with_the_emergency_number_fails_the_check(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    crisis = load_content(DEFAULT_CONTENT_DIR).crisis
    assert misshapen_crisis_replies(crisis) == []
    monkeypatch.setattr(
        helpnow_texts, "EMERGENCY_FIRST", "**You're not alone.**\nIn danger? Call {emergency}."
    )
    problems = misshapen_crisis_replies(crisis)
    assert all(reason.startswith("doesn't open with") for _, _, reason in problems)
    assert len(problems) == len(crisis.regions) * len(PageState) * 2


def test_a_crisis_reply_with_one_line_under_two_names_fails_the_check() -> None:
    def line(how: str) -> CrisisLine:
        return CrisisLine(name="Helpline", how=how, channels=["call"])

    one_line = Region(name="Testland", emergency="112", lines=[line("Call 1"), line("Text 2")])
    crisis = CrisisResources(
        default_region="TL",
        fallback_region="TL",
        overdose_steps=["Call emergency services."],
        regions={"TL": one_line},
    )
    problems = misshapen_crisis_replies(crisis)
    assert {reason for _, _, reason in problems} == {"shows 1 independent lines of TL, not 2"}


# What each rule must refuse, and the near misses it must let through.
REFUSED = [
    "Every addict deserves support.",
    "Former addicts are welcome.",
    "You've been clean for 30 days!",
    "A dirty test result",
    "Drug abusers",
    "Substance abuse counselling",
    "Don't be a junkie",
    "You failed today.",
    "It's not the end of your recovery, only a failure.",
    "You relapsed again.",
    "A specialist will call you.",
    "A peer specialist will contact you.",
    "Someone will reach out.",
    "Somebody'll be in touch.",
    "The peer specialists will hear about it, so someone can reach out.",
    "The button below reaches a peer specialist.",
    "/help-now connects you with a specialist.",
    "Open a thread to talk with a peer specialist there.",
    "A peer specialist is on the way.",
    "Help is on the way.",
    "We'll get back to you.",
    "A peer specialist usually answers within 10 minutes.",
    "Someone picks it up shortly.",
    "You'll hear back from the team soon.",
    "Expect a reply in 5 minutes.",
    "A peer specialist usually takes 5 minutes to answer.",
    "I'm a real person.",
    "You're safe now.",
    "This isn't an emergency.",
]
ALLOWED = [
    "Your relapse-prevention plan",
    "Addiction is a health condition.",
    "A return to use is part of many people's recovery, and it isn't a failure.",
    "Cravings usually ease within 20–30 minutes.",
    "Give a second dose if there is no response after 2–3 minutes.",
    "I couldn't reach the peer specialists just now.",
    "Talking to someone who gets it often helps most: a peer or your sponsor.",
    "Press “I'm safe now” when you're okay.",
    "Right now, what matters is that you're safe and not alone.",
    "When a peer specialist picks up your page, I'll add them there.",
    "Come back as soon as you're ready.",
    "If you or someone with you is in immediate danger, call 911 now.",
    "Please try again in a moment. If you need support right now, use /help-now.",
    "Where pages go if the specialists channel fails",
    "The peer specialists can read it.",
]


@pytest.mark.parametrize("text", REFUSED)
def test_each_rule_refuses_what_it_is_for(text: str) -> None:
    assert offending([Text("planted", text)]) != []


@pytest.mark.parametrize("text", ALLOWED)
def test_no_rule_refuses_a_near_miss(text: str) -> None:
    assert offending([Text("planted", text)]) == []
