"""Content that groups edit without touching code: TOML files under `config/content/`.

Everything is loaded and validated once at start. A broken file stops the bot with
the file, the place in it and the reason, so a typo never turns into a crisis reply
with a missing line.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Literal, Self, TypeVar

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    ValidationError,
    model_validator,
)

from config.settings import ConfigError

NonEmpty = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1)]
ContactChannel = Literal["call", "text", "chat", "web", "in-person"]


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


_ModelT = TypeVar("_ModelT", bound=_Strict)


class CrisisLine(_Strict):
    name: NonEmpty
    how: NonEmpty
    channels: list[ContactChannel] = Field(min_length=1)
    # Only a line known to answer day and night is shown with "24/7".
    always_open: bool = False


class Region(_Strict):
    name: NonEmpty
    emergency: NonEmpty
    lines: list[CrisisLine]

    @model_validator(mode="after")
    def _two_independent_lines(self) -> Self:
        # Any single line can be down: a person in crisis always sees at least two.
        if len(self.lines) < 2:
            raise ValueError("a region needs at least two lines besides the emergency number")
        return self


class CrisisResources(_Strict):
    default_region: NonEmpty
    fallback_region: NonEmpty
    overdose_steps: list[NonEmpty] = Field(min_length=1)
    regions: dict[str, Region]

    @model_validator(mode="after")
    def _regions_exist(self) -> Self:
        for key in (self.default_region, self.fallback_region):
            if key not in self.regions:
                raise ValueError(f"region {key!r} is named but has no [regions.{key}] table")
        return self

    def region(self, code: str | None) -> Region:
        """The region's resources, or the fallback ones for an unknown code."""
        return self.regions.get(code or self.default_region) or self.regions[self.fallback_region]


StrategyId = Annotated[str, StringConstraints(pattern=r"^[a-z0-9-]{1,40}$")]
ChoiceName = Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
Exercise = Literal["stepped", "paced", "timer", "journal", "call"]
# Discord lets the bot edit a private reply for 15 minutes after the member's press.
TIMER_MINUTES_MAX = 14


class BreathPhase(_Strict):
    say: Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=100)]
    seconds: int = Field(ge=2, le=20)


class CopingStrategy(_Strict):
    id: StrategyId
    name: Annotated[str, StringConstraints(min_length=1, max_length=80)]
    summary: NonEmpty
    exercise: Exercise = "stepped"
    steps: list[NonEmpty] = Field(min_length=1, max_length=25)
    phases: list[BreathPhase] = Field(default_factory=list, max_length=6)
    rounds: int = Field(default=1, ge=1, le=10)
    minutes: int = Field(default=0, ge=0, le=TIMER_MINUTES_MAX)

    @model_validator(mode="after")
    def _exercise_has_what_it_needs(self) -> Self:
        if self.exercise == "paced" and not self.phases:
            raise ValueError("a paced exercise needs its phases")
        if self.exercise != "paced" and self.phases:
            raise ValueError("only a paced exercise has phases")
        if self.exercise == "timer" and not self.minutes:
            raise ValueError("a timer exercise needs its minutes")
        return self


class CopingTrigger(_Strict):
    id: StrategyId
    name: ChoiceName
    strategies: list[StrategyId] = Field(min_length=1, max_length=10)


class PlanLists(_Strict):
    warning_signs: list[ChoiceName] = Field(min_length=1, max_length=25)


class CopingContent(_Strict):
    strategies: list[CopingStrategy] = Field(min_length=1, max_length=25)
    triggers: list[CopingTrigger] = Field(min_length=1, max_length=25)
    plan: PlanLists

    @model_validator(mode="after")
    def _unique_ids(self) -> Self:
        for what, ids in (
            ("strategy", [strategy.id for strategy in self.strategies]),
            ("trigger", [trigger.id for trigger in self.triggers]),
        ):
            duplicates = sorted({i for i in ids if ids.count(i) > 1})
            if duplicates:
                raise ValueError(f"{what} ids must be unique, repeated: {', '.join(duplicates)}")
        known = {strategy.id for strategy in self.strategies}
        for trigger in self.triggers:
            unknown = [i for i in trigger.strategies if i not in known]
            if unknown:
                raise ValueError(
                    f"trigger {trigger.id!r} names strategies that don't exist: "
                    + ", ".join(unknown)
                )
        return self

    def strategy(self, strategy_id: str) -> CopingStrategy | None:
        return next((s for s in self.strategies if s.id == strategy_id), None)

    def trigger(self, trigger_id: str) -> CopingTrigger | None:
        return next((t for t in self.triggers if t.id == trigger_id), None)


class Scales(_Strict):
    mood_min: int
    mood_max: int
    craving_min: int
    craving_max: int
    sleep_hours_max: int = Field(gt=0, le=24)


class WarningSignThresholds(_Strict):
    missed_days: int = Field(ge=1)
    rising_craving_days: int = Field(ge=2)
    low_mood_days: int = Field(ge=1)
    low_mood_at_most: int
    short_sleep_days: int = Field(ge=1)
    short_sleep_hours_below: float = Field(gt=0)
    high_craving_at_least: int
    # Read by the meetings feature's sign source (core/sign_sources.py).
    missed_meetings: int = Field(ge=1)


class CheckinContent(_Strict):
    scales: Scales
    triggers: list[Annotated[str, StringConstraints(min_length=1, max_length=100)]] = Field(
        min_length=1, max_length=24
    )
    warning_signs: WarningSignThresholds


class MilestoneContent(_Strict):
    days: list[Annotated[int, Field(gt=0)]] = Field(min_length=1)


class SubstanceContent(_Strict):
    # Suggestions only: a member may count anything they name themselves.
    names: list[
        Annotated[str, StringConstraints(strip_whitespace=True, min_length=1, max_length=60)]
    ] = Field(min_length=1, max_length=100)


class PartnerContent(_Strict):
    max_partners: int = Field(ge=1, le=25)
    invitation_days: int = Field(ge=1, le=30)
    nudges_per_day: int = Field(ge=1, le=10)
    # Shown as a command's choices (autocomplete), which Discord caps at 100 characters.
    nudges: list[ChoiceName] = Field(min_length=1, max_length=25)


@dataclass(frozen=True)
class Content:
    crisis: CrisisResources
    coping: CopingContent
    checkins: CheckinContent
    milestones: MilestoneContent
    substances: SubstanceContent
    partners: PartnerContent


def load_content(directory: Path) -> Content:
    return Content(
        crisis=_load_file(directory / "crisis_resources.toml", CrisisResources),
        coping=_load_file(directory / "coping.toml", CopingContent),
        checkins=_load_file(directory / "checkins.toml", CheckinContent),
        milestones=_load_file(directory / "milestones.toml", MilestoneContent),
        substances=_load_file(directory / "substances.toml", SubstanceContent),
        partners=_load_file(directory / "partners.toml", PartnerContent),
    )


def _load_file(path: Path, model: type[_ModelT]) -> _ModelT:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as error:
        raise ConfigError(f"{path}: cannot be read ({error.strerror}).") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as error:
        # tomllib's message already ends with "(at line N, column M)".
        raise ConfigError(f"{path}: {error}.") from None
    try:
        return model.model_validate(data)
    except ValidationError as error:
        raise ConfigError(f"{path}: {_describe(error, text)}") from None


def _describe(error: ValidationError, text: str) -> str:
    first = error.errors()[0]
    location = _dotted(first["loc"])
    line = _line_of(first["loc"], text)
    where = f"{location} (near line {line})" if line else location or "top level"
    if first["type"] == "missing":
        return f"{where}: the field '{first['loc'][-1]}' is missing."
    return f"{where}: {first['msg']}."


def _dotted(loc: tuple[int | str, ...]) -> str:
    out = ""
    for part in loc:
        out += f"[{part}]" if isinstance(part, int) else (f".{part}" if out else str(part))
    return out


def _line_of(loc: tuple[int | str, ...], text: str) -> int | None:
    """Best-effort line of the deepest key or table header named in `loc`."""
    names = [part for part in loc if isinstance(part, str)]
    lines = text.splitlines()
    for depth in range(len(names), 0, -1):
        key = names[depth - 1]
        header = ".".join(names[:depth])
        for number, line in enumerate(lines, start=1):
            stripped = line.strip()
            if stripped.startswith(("[" + header + "]", "[[" + header + "]]")) or (
                stripped.split("=", 1)[0].strip() == key and "=" in stripped
            ):
                return number
    return None
