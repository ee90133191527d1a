from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR, ConfigError


@pytest.fixture
def content_dir(tmp_path: Path) -> Path:
    target = tmp_path / "content"
    shutil.copytree(DEFAULT_CONTENT_DIR, target)
    return target


def test_the_shipped_content_loads_and_every_region_has_two_lines_and_an_emergency_number() -> None:
    content = load_content(DEFAULT_CONTENT_DIR)
    us = content.crisis.region("US")
    assert us.emergency == "911"
    assert any("988" in line.how for line in us.lines)
    for region in content.crisis.regions.values():
        assert region.emergency
        assert len(region.lines) >= 2
    assert content.crisis.region("nowhere") == content.crisis.regions["INTL"]
    assert {s.id for s in content.coping.strategies} >= {"breathing", "grounding", "urge-surfing"}


def test_a_missing_field_names_the_file_and_the_field(content_dir: Path) -> None:
    path = content_dir / "crisis_resources.toml"
    text = path.read_text()
    path.write_text(text.replace('how = "Text HOME to 741741"\n', "", 1))
    with pytest.raises(ConfigError) as caught:
        load_content(content_dir)
    message = str(caught.value)
    assert "crisis_resources.toml" in message
    assert "regions.US.lines[1]" in message
    assert "'how' is missing" in message


def test_a_syntax_error_names_the_file_and_line(content_dir: Path) -> None:
    path = content_dir / "coping.toml"
    lines = path.read_text().splitlines()
    lines[4] = 'id = "breathing'  # unterminated string
    path.write_text("\n".join(lines))
    with pytest.raises(ConfigError, match=r"coping\.toml: .*line 5"):
        load_content(content_dir)


def test_a_region_with_a_single_line_is_refused(content_dir: Path) -> None:
    path = content_dir / "crisis_resources.toml"
    text = path.read_text()
    start = text.index('[[regions.UK.lines]]\nname = "Shout"')
    end = text.index("[regions.AU]")
    path.write_text(text[:start] + text[end:])
    with pytest.raises(ConfigError, match=r"regions\.UK.*at least two lines"):
        load_content(content_dir)


def test_an_unknown_key_is_refused_rather_than_ignored(content_dir: Path) -> None:
    path = content_dir / "milestones.toml"
    path.write_text(path.read_text() + "\ndayz = [1]\n")
    with pytest.raises(ConfigError, match=r"milestones\.toml: dayz"):
        load_content(content_dir)
