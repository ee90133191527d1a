from __future__ import annotations

import pytest

from cogs.setup import service
from cogs.setup.service import ItemState
from config.content import load_content
from config.settings import DEFAULT_CONTENT_DIR
from core.errors import UserFacingError
from core.guild_settings import ServerConfig

CRISIS = load_content(DEFAULT_CONTENT_DIR).crisis


def test_regions_are_matched_by_code_or_name() -> None:
    assert service.validate_region(CRISIS, "uk") == "UK"
    assert ("United Kingdom (UK)", "UK") in service.region_suggestions(CRISIS, "king")
    with pytest.raises(UserFacingError, match="Known regions"):
        service.validate_region(CRISIS, "XX")


def test_status_shows_missing_configured_and_deleted_items() -> None:
    config = ServerConfig(guild_id=1, checkin_channel_id=10, specialists_channel_id=20)
    items = service.status_items(config, existing_channel_ids={10}, existing_role_ids=set())
    states = {item.label: item.state for item in items}
    assert states == {
        "Check-in channel": ItemState.OK,
        "Private specialists channel": ItemState.GONE,
        "Milestones channel": ItemState.MISSING,
        "Meetings channel (/setup meetings)": ItemState.MISSING,
        "Peer specialist role": ItemState.MISSING,
        "Meeting reminder role (/setup meetings)": ItemState.MISSING,
    }
