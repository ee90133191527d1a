"""Typed settings read from the environment and an optional `.env` file."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, ValidationError, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DATA_DIR = ROOT / "data"
DEFAULT_CONTENT_DIR = Path(__file__).resolve().parent / "content"


class ConfigError(Exception):
    """A setting or content file the bot cannot start with.

    The message is one line, written for the person running the bot, and names
    what to fix; `bot.py` prints it and exits with code 2 instead of a traceback.
    """


class Settings(BaseSettings):
    model_config = SettingsConfigDict(
        env_file=".env", env_file_encoding="utf-8", extra="ignore", case_sensitive=False
    )

    discord_token: SecretStr | None = None
    database_url: str = ""
    encryption_key: SecretStr | None = None
    discord_api_base_url: str | None = None
    discord_gateway_url: str | None = None
    log_level: str = "INFO"
    shard_count: int | None = Field(default=None, ge=1)
    shard_ids: Annotated[list[int] | None, NoDecode] = None
    data_dir: Path = DEFAULT_DATA_DIR
    content_dir: Path = DEFAULT_CONTENT_DIR

    @field_validator("shard_ids", mode="before")
    @classmethod
    def _split_shard_ids(cls, value: object) -> object:
        # Environment variables are flat strings; "0,1,2" is the natural way to write a list.
        if isinstance(value, str):
            return [int(part) for part in value.split(",") if part.strip()] or None
        return value

    @field_validator("log_level")
    @classmethod
    def _known_log_level(cls, value: str) -> str:
        level = value.upper()
        if level not in logging.getLevelNamesMapping():
            raise ValueError(f"unknown log level {value!r}")
        return level

    @model_validator(mode="after")
    def _shards_fit(self) -> Settings:
        if self.shard_ids is not None:
            if self.shard_count is None:
                raise ValueError("SHARD_IDS needs SHARD_COUNT")
            if any(not 0 <= shard < self.shard_count for shard in self.shard_ids):
                raise ValueError("every SHARD_IDS entry must be below SHARD_COUNT")
        return self

    @property
    def effective_database_url(self) -> str:
        return self.database_url or f"sqlite+aiosqlite:///{self.data_dir / 'recovery.db'}"

    def require_token(self) -> str:
        if self.discord_token is None or not self.discord_token.get_secret_value().strip():
            raise ConfigError(
                "DISCORD_TOKEN is not set: put the bot token in the environment or in .env "
                "(README, section 'Running the bot')."
            )
        return self.discord_token.get_secret_value().strip()


def load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as error:
        raise ConfigError(describe_invalid(error)) from None


def describe_invalid(error: ValidationError) -> str:
    """One line naming the setting and the rule it breaks.

    Built from the error's parts rather than its text, which quotes the values it was
    given: all the settings, the token among them, for a rule across several of them.
    """
    first = error.errors()[0]
    message = first["msg"].removeprefix("Value error, ")
    named = ".".join(str(part) for part in first["loc"]).upper()
    return f"Invalid setting: {f'{named}: ' if named else ''}{message} (README, 'Configuration')."
