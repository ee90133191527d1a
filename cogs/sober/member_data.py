"""Sober-day counters' part of the privacy hooks (see core/member_data.py).

Per table:
- `sober_counters`, `sober_runs`, `sober_preferences`: `user_id` is the member; every row
  of theirs is their record (which substances they count and since when, the runs a reset
  ended, whether their milestones may be posted). Exported in full, each counter with its
  past runs and the substance decrypted; erased in full.
- `outbox_messages` (core's table): core's hook exports and erases the member's DMs,
  milestone congratulations included. A milestone post to the milestones channel carries
  no `user_id` (it goes to a channel), yet it names the member: it is found by its dedupe
  key, which holds the counter's id. Exported (what and when) and erased here, so a post
  still queued is never sent about a member who erased their data; one already sent is
  a message in Discord, which this hook cannot reach.

The milestone job reads the counters when it runs: an erased member has none left, so
nothing more is queued for them.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, or_
from sqlalchemy.ext.asyncio import AsyncSession

from cogs.sober.service import MILESTONE_POST_KEY, MILESTONE_POST_KIND
from core.member_data import (
    MemberTable,
    erase_rows,
    erase_tables,
    export_tables,
    exported,
    member_rows,
)
from db.base import Base
from db.models import OutboxMessage, SoberCounter, SoberPreference, SoberRun

_PREFERENCES = MemberTable("preferences", SoberPreference.user_id, "share_milestones", one=True)


class SoberMemberData:
    name = "sober"
    tables: tuple[type[Base], ...] = (SoberCounter, SoberRun, SoberPreference)

    async def export_member(
        self, session: AsyncSession, guild_id: int, user_id: int
    ) -> dict[str, Any]:
        counters = await _counters_of(session, guild_id, user_id)
        runs = await member_rows(
            session,
            SoberRun,
            guild_id,
            SoberRun.user_id == user_id,
            order_by=(SoberRun.started_on, SoberRun.id),
        )
        preferences = await export_tables(session, guild_id, user_id, _PREFERENCES)
        posts = await _posts_about(session, guild_id, counters)
        return {
            "counters": [
                exported(
                    counter,
                    "substance since daily_cost_cents next_milestone_days next_milestone_at"
                    " created_at updated_at",
                    past_runs=[
                        exported(run, "started_on ended_on")
                        for run in runs
                        if run.counter_id == counter.id
                    ],
                )
                for counter in counters
            ],
            **preferences,
            "milestone_posts": [exported(post, "state created_at done_at") for post in posts],
        }

    async def erase_member(self, session: AsyncSession, guild_id: int, user_id: int) -> None:
        counters = await _counters_of(session, guild_id, user_id)
        if counters:
            await erase_rows(session, OutboxMessage, guild_id, *_posts_of(counters))
        await erase_rows(session, SoberRun, guild_id, SoberRun.user_id == user_id)
        await erase_rows(session, SoberCounter, guild_id, SoberCounter.user_id == user_id)
        await erase_tables(session, guild_id, user_id, _PREFERENCES)


async def _counters_of(session: AsyncSession, guild_id: int, user_id: int) -> list[SoberCounter]:
    return await member_rows(session, SoberCounter, guild_id, SoberCounter.user_id == user_id)


async def _posts_about(
    session: AsyncSession, guild_id: int, counters: list[SoberCounter]
) -> list[OutboxMessage]:
    if not counters:
        return []
    return await member_rows(session, OutboxMessage, guild_id, *_posts_of(counters))


def _posts_of(counters: list[SoberCounter]) -> tuple[ColumnElement[bool], ...]:
    """The milestone posts about these counters: their dedupe keys start with its id."""
    return (
        OutboxMessage.kind == MILESTONE_POST_KIND,
        or_(
            *(
                OutboxMessage.dedupe_key.startswith(f"{MILESTONE_POST_KEY}:{counter.id}:")
                for counter in counters
            )
        ),
    )
