"""A member's rights over their data in one server: a copy, erasure, and who looked.

No Discord here: the cog's `/privacy export`, `/privacy delete` and `/privacy
access-log` call these, and these call only the registry of every feature's hooks
(`core.member_data`), never a feature directly, so a new feature is exported, erased and
logged the day it registers its hooks.

- `export_document`: the registry's export with a header saying when, which server,
  and what each part holds (README "Privacy" documents the shape).
- `erase_member`: the registry's erasure (all or nothing, one content-free audit line),
  then which features' parts changed (what was erased) and which still hold something
  (rows that are other members' records and only mention the member, such as the rota).
- `access_log`: every recorded read of the member's data, newest first.

Nothing here logs what it reads: a log line carries the server and counts only.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cogs.privacy import texts
from core.member_data import ERASED_ACTION, Look, MemberDataRegistry
from db.engine import Database

log = logging.getLogger(__name__)

# Raised when the shape of the file changes, so whoever reads old files can tell.
EXPORT_FORMAT = 1


def export_document(
    features: Mapping[str, Any],
    *,
    guild_id: int,
    guild_name: str,
    user_id: int,
    now: datetime,
) -> dict[str, Any]:
    """The export file's content: a header, then every feature's part as its hook gave it.

    Ids are text: 64-bit ids lose digits in programs that read JSON numbers as floats.
    """
    return {
        "export": {
            "format": EXPORT_FORMAT,
            "about": texts.EXPORT_ABOUT,
            "exported_at": now.isoformat(),
            "server": {"id": str(guild_id), "name": guild_name},
            "member_id": str(user_id),
            "parts": {name: part_notice(name) for name in features},
        },
        "features": dict(features),
    }


def part_notice(feature: str) -> str:
    """What a feature's part of the export holds, in words for the member."""
    return texts.EXPORT_PARTS.get(feature, texts.EXPORT_PART_OTHER.format(name=feature))


def encoded(document: Mapping[str, Any]) -> bytes:
    """The file's bytes: readable JSON (indented, letters as written, not escaped)."""
    return json.dumps(document, indent=2, ensure_ascii=False).encode("utf-8")


def file_name(now: datetime) -> str:
    return f"my-data-{now.date().isoformat()}.json"


async def export_member(
    registry: MemberDataRegistry,
    db: Database,
    *,
    guild_id: int,
    guild_name: str,
    user_id: int,
    now: datetime,
) -> bytes:
    found = await registry.export(db, guild_id, user_id)
    document = export_document(
        found["features"], guild_id=guild_id, guild_name=guild_name, user_id=user_id, now=now
    )
    log.info("Member data exported in guild %s (%d parts)", guild_id, len(found["features"]))
    return encoded(document)


@dataclass(frozen=True)
class Erased:
    """What an erasure did, by feature name: whose part changed, whose part still holds
    something (rows kept as other members' records)."""

    erased: tuple[str, ...]
    kept: tuple[str, ...]


async def erase_member(
    registry: MemberDataRegistry, db: Database, *, guild_id: int, user_id: int
) -> Erased:
    """Erase the member in every feature, all or nothing; raises if nothing was erased.

    The export before and after is what says which parts were erased: each feature's
    hook alone knows what of its rows is the member's, and its export shows exactly that.
    """
    before = (await registry.export(db, guild_id, user_id))["features"]
    await registry.erase(db, guild_id, user_id)
    try:
        after = (await registry.export(db, guild_id, user_id))["features"]
    except Exception as error:  # erased all the same: the reply must not say otherwise
        log.warning(
            "Could not read back an erasure in guild %s (%s)", guild_id, type(error).__name__
        )
        after = {}
    erased = tuple(
        name
        for name, part in before.items()
        if _holds_something(part)
        and _without_erasure_line(part) != _without_erasure_line(after.get(name))
    )
    kept = tuple(name for name, part in after.items() if _holds_something(part))
    log.info(
        "Member data erased in guild %s (%d parts erased, %d kept)",
        guild_id,
        len(erased),
        len(kept),
    )
    return Erased(erased, kept)


async def access_log(
    registry: MemberDataRegistry, db: Database, *, guild_id: int, user_id: int
) -> list[Look]:
    return await registry.looks_at(db, guild_id, user_id)


def erased_text(done: Erased) -> str:
    """What an erasure's confirmation says it did."""
    if done.erased:
        parts = part_names(done.erased, texts.ERASED_PARTS, texts.ERASED_PART_OTHER)
        lines = [texts.ERASED.format(parts=parts)]
    else:
        lines = [texts.ERASED_NOTHING]
    if done.kept:
        kept = part_names(done.kept, texts.KEPT_PARTS, texts.KEPT_PART_OTHER)
        lines.append(texts.ERASE_KEPT.format(parts=kept))
    return "\n\n".join(lines)


def part_names(features: tuple[str, ...], names: Mapping[str, str], other: str) -> str:
    """The features' parts in words, one line each (some hold commas of their own)."""
    return "\n".join(
        texts.PART_LINE.format(part=names.get(name, other.format(name=name))) for name in features
    )


def _holds_something(part: Any) -> bool:
    """Whether an export part holds any stored value, the erasure's own line aside."""
    value = _without_erasure_line(part)
    if isinstance(value, Mapping):
        return any(_holds_something(item) for item in value.values())
    if isinstance(value, list):
        return any(_holds_something(item) for item in value)
    return value is not None


def _without_erasure_line(part: Any) -> Any:
    """The part without the content-free line the erasure itself leaves (core's audit)."""
    if isinstance(part, Mapping):
        if part.get("action") == ERASED_ACTION:
            return None
        return {key: _without_erasure_line(value) for key, value in part.items()}
    if isinstance(part, list):
        return [
            item for item in (_without_erasure_line(value) for value in part) if item is not None
        ]
    return part
