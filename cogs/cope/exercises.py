"""What each /cope exercise shows, frame by frame, and how it is paced. No Discord here.

A guided exercise (paced breathing, a timer) is a list of `Frame`s: the first is the
reply itself, every later one is one edit of that reply, made when the frame before it
has been shown for its `seconds`. So the number of edits is known before the exercise
starts (`edit_count`), and it is never more than one per phase or per minute.

The other exercises are one message each (`stepped_text`, `journal_text`, `call_blocks`).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from cogs.cope import texts
from config.content import CopingStrategy, CopingTrigger

# An interaction's token lets the bot edit its reply for 15 minutes.
TOKEN_LIFETIME_SECONDS = 15 * 60.0
# Room for the up to 3 s between the member's press and the reply, an edit held back by
# rate limits, and clock drift: no edit is even attempted this close to the token's end.
TOKEN_SAFETY_MARGIN_SECONDS = 30.0
SECONDS_PER_MINUTE = 60.0


@dataclass(frozen=True)
class Frame:
    """What the message shows, and for how many seconds before the next frame."""

    text: str
    seconds: float = 0.0


@dataclass
class Pacing:
    """How guided exercises wait: real seconds in the bot, a clock the test moves in tests.

    `now` is monotonic (never the wall clock, which can jump); `limit` is how long after
    the start an exercise may still edit its message.
    """

    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep
    now: Callable[[], float] = time.monotonic
    limit: float = TOKEN_LIFETIME_SECONDS - TOKEN_SAFETY_MARGIN_SECONDS

    def deadline(self) -> float:
        return self.now() + self.limit


def is_guided(strategy: CopingStrategy) -> bool:
    """Whether the exercise runs on its own, editing its message as time passes."""
    return strategy.exercise in ("paced", "timer")


def guided_frames(strategy: CopingStrategy) -> list[Frame]:
    """Every frame of a paced or timer exercise, the closing one last."""
    if strategy.exercise == "paced":
        return _paced_frames(strategy)
    if strategy.exercise == "timer":
        return _timer_frames(strategy)
    raise ValueError(f"{strategy.id} is not a guided exercise")


def edit_count(strategy: CopingStrategy) -> int:
    """How many times a guided exercise left to finish edits its message."""
    return len(guided_frames(strategy)) - 1


def paced_edit_count(strategy: CopingStrategy) -> int:
    """A paced exercise edits once per phase of every round: each phase but the first
    replaces the one before it, and the closing text replaces the last."""
    return strategy.rounds * len(strategy.phases)


def timer_edit_count(strategy: CopingStrategy) -> int:
    """A timer edits once a minute: the minutes left, then the closing text."""
    return strategy.minutes


def _paced_frames(strategy: CopingStrategy) -> list[Frame]:
    intro = "\n".join(strategy.steps)
    frames = [
        Frame(
            _join(
                title(strategy),
                intro,
                texts.ROUND_PHASE.format(
                    round=number,
                    rounds=strategy.rounds,
                    say=phase.say,
                    seconds=phase.seconds,
                ),
                texts.STOP_ANY_TIME,
            ),
            float(phase.seconds),
        )
        for number in range(1, strategy.rounds + 1)
        for phase in strategy.phases
    ]
    return [*frames, Frame(_join(title(strategy), texts.BREATHING_DONE))]


def _timer_frames(strategy: CopingStrategy) -> list[Frame]:
    frames = []
    for minute in range(strategy.minutes):
        # The steps spread evenly over the minutes, the last one in the final stretch.
        index = minute * len(strategy.steps) // strategy.minutes
        left = strategy.minutes - minute
        frames.append(
            Frame(
                _join(
                    title(strategy),
                    _step_line(strategy, index),
                    texts.ONE_MINUTE_TO_GO
                    if left == 1
                    else texts.MINUTES_TO_GO.format(minutes=left),
                    texts.STOP_ANY_TIME,
                ),
                SECONDS_PER_MINUTE,
            )
        )
    return [*frames, Frame(_join(title(strategy), texts.TIMER_DONE))]


def stepped_text(strategy: CopingStrategy, index: int) -> str:
    """Step `index` (from 0) of a stepped exercise; the last one closes it."""
    last = index == len(strategy.steps) - 1
    return _join(
        title(strategy), _step_line(strategy, index), texts.DONE if last else texts.STOP_ANY_TIME
    )


def is_last_step(strategy: CopingStrategy, index: int) -> bool:
    return index >= len(strategy.steps) - 1


def journal_text(strategy: CopingStrategy) -> str:
    prompts = "\n".join(f"• {prompt}" for prompt in strategy.steps)
    return _join(title(strategy), f"{texts.JOURNAL_INTRO}\n{prompts}", texts.JOURNAL_CHOICE)


def call_blocks(strategy: CopingStrategy, supports: str | None, help_offer: str) -> list[str]:
    """The steps, then the member's own supports, or where to write them and get help
    (`help_offer`: what /help-now does on this server)."""
    steps = "\n".join(f"{number}. {step}" for number, step in enumerate(strategy.steps, 1))
    people = (
        texts.YOUR_SUPPORTS.format(supports=supports.strip())
        if supports and supports.strip()
        else texts.NO_SUPPORTS.format(help=help_offer)
    )
    return [_join(title(strategy), steps), people]


def stopped_text(strategy: CopingStrategy | None) -> str:
    return _join(title(strategy), texts.STOPPED) if strategy else texts.STOPPED


def restarting_text(strategy: CopingStrategy) -> str:
    return _join(title(strategy), texts.STOPPED_FOR_RESTART)


def ended_at_limit_text(strategy: CopingStrategy) -> str:
    return _join(title(strategy), texts.ENDED_AT_LIMIT)


def listing(strategies: Sequence[CopingStrategy]) -> list[str]:
    return [texts.LIST_LINE.format(name=s.name, summary=s.summary) for s in strategies]


def strategies_for(
    trigger: CopingTrigger, find: Callable[[str], CopingStrategy | None]
) -> list[CopingStrategy]:
    """The trigger's strategies in the content's order, best first."""
    return [found for i in trigger.strategies if (found := find(i)) is not None]


def title(strategy: CopingStrategy) -> str:
    return texts.TITLE.format(name=strategy.name)


def _step_line(strategy: CopingStrategy, index: int) -> str:
    total = len(strategy.steps)
    if total == 1:
        return strategy.steps[0]
    number = texts.STEP_OF.format(number=index + 1, total=total)
    return f"{number}\n{strategy.steps[index]}"


def _join(*parts: str) -> str:
    return "\n\n".join(part for part in parts if part)
