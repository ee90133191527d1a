"""What the check-in rules share: two small helpers, and whose clock a date is read on.

Dates that belong to a person are local dates: a member's day runs in their own time
zone (else the group's check-in zone, else the server's; the rule is
`core.timezones.member_zone`). Times in the database are UTC. `now` always comes from
the caller (the bot's injectable clock). No Discord here.
"""

from __future__ import annotations

from typing import Any

# --- Small helpers --------------------------------------------------------------------------


def rowcount(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


def echo(value: str) -> str:
    cleaned = " ".join(value.split())
    return cleaned if len(cleaned) <= 20 else cleaned[:19] + "…"
