from __future__ import annotations

import pytest

from config.settings import ConfigError, load_settings


@pytest.fixture(autouse=True)
def _clean_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path_factory: pytest.TempPathFactory
) -> None:
    for name in ("DISCORD_TOKEN", "DATABASE_URL", "SHARD_COUNT", "SHARD_IDS", "LOG_LEVEL"):
        monkeypatch.delenv(name, raising=False)
    # An empty working directory: no developer's .env leaks into these tests.
    monkeypatch.chdir(tmp_path_factory.mktemp("cwd"))


def test_a_missing_token_is_named_with_the_readme_section() -> None:
    settings = load_settings()
    with pytest.raises(ConfigError, match=r"DISCORD_TOKEN is not set.*Running the bot"):
        settings.require_token()


def test_the_default_database_is_a_sqlite_file_under_data() -> None:
    url = load_settings().effective_database_url
    assert url.startswith("sqlite+aiosqlite:///")
    assert url.endswith("/data/recovery.db")


def test_shard_ids_are_read_from_a_comma_separated_list(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SHARD_COUNT", "4")
    monkeypatch.setenv("SHARD_IDS", "0, 2")
    assert load_settings().shard_ids == [0, 2]


@pytest.mark.parametrize(
    ("count", "ids", "reason"),
    [(None, "0", "SHARD_IDS needs SHARD_COUNT"), ("2", "0,2", "below SHARD_COUNT")],
)
def test_shard_settings_that_cannot_work_are_refused(
    monkeypatch: pytest.MonkeyPatch, count: str | None, ids: str, reason: str
) -> None:
    if count:
        monkeypatch.setenv("SHARD_COUNT", count)
    monkeypatch.setenv("SHARD_IDS", ids)
    with pytest.raises(ConfigError, match=reason):
        load_settings()


def test_an_unknown_log_level_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOG_LEVEL", "chatty")
    with pytest.raises(ConfigError, match="LOG_LEVEL: unknown log level"):
        load_settings()


def test_a_rule_across_settings_is_named_without_quoting_the_token(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISCORD_TOKEN", "token-that-must-stay-private")
    monkeypatch.setenv("SHARD_IDS", "0")
    monkeypatch.delenv("SHARD_COUNT", raising=False)
    with pytest.raises(ConfigError, match="SHARD_IDS needs SHARD_COUNT") as refused:
        load_settings()
    assert "token-that-must-stay-private" not in str(refused.value)
