"""The counters' scheduled work: one job, for every server and zone, that finds the
counters whose next milestone began (the member's local midnight) and hands the
congratulations to the outbox.

One job, not one per member or per zone: the service's indexed `next_milestone_at` finds
what is due, so the job costs the same however many counters wait, and a bot that was
down over a midnight sends that milestone once at its next run. What a milestone's
messages say is built here (the service stays free of Discord); whether one is due, and
whether a post goes to the channel, is the service's.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from cogs.sober import service, texts
from core.counting import counted
from core.outbox import Refused, message_body
from core.scheduler import FeatureJobs

if TYPE_CHECKING:
    from core.bot import RecoveryBot

log = logging.getLogger(__name__)

OWNER = "sober"
MILESTONES_KEY = "milestones"
# Often enough that a milestone arrives within a minute of the member's midnight.
EVERY_SECONDS = 60
POST_KIND = "sober.milestone_post"
POST_NOTICE_TOPIC = "sober:milestone-post-refused"
# A refused post is retried every 10 minutes for two days: the owner hears of it once a
# day, not at every retry.
OWNER_QUIET_FOR = timedelta(days=1)


class SoberJobs:
    def __init__(self, bot: RecoveryBot) -> None:
        self.bot = bot
        self.scheduled = FeatureJobs(bot.scheduler, OWNER)

    def start(self) -> None:
        self.bot.outbox.on_refused(POST_KIND, self.post_refused)
        self.scheduled.every(MILESTONES_KEY, EVERY_SECONDS, self.milestone_job)

    def stop(self) -> None:
        self.scheduled.cancel_all()
        self.bot.outbox.forget_refused(POST_KIND)

    async def milestone_job(self) -> None:
        """Claim the milestones due now on the servers this process holds, and send them."""
        try:
            reached = await service.claim_milestones(
                self.bot.db,
                self.bot.clock.now(),
                self.bot.content.milestones.days,
                self.bot.held_shards(),
                self.body_for,
                self.bot.partners,
            )
        except Exception:
            # The next run, a minute later, finds the same counters still due.
            log.exception("Claiming the sober-day milestones failed")
            return
        if reached:
            log.info("Queued %d sober-day milestones", len(reached))
            self.bot.outbox.wake()

    @staticmethod
    def body_for(reached: service.MilestoneReached) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """The member's congratulation and, when they chose to share, the channel's line,
        which names neither the substance nor anyone else."""
        days = counted(reached.days, texts.DAYS)
        private = message_body(texts.MILESTONE_DM.format(days=days, substance=reached.substance))
        if not reached.share:
            return private, None
        return private, message_body(
            texts.MILESTONE_POST.format(user_id=reached.user_id, days=days)
        )

    async def post_refused(self, refused: Refused) -> None:
        """The outbox tries again; someone must mend the milestones channel."""
        log.warning(
            "A shared sober-day milestone in guild %s was refused in channel %s (HTTP %s)",
            refused.guild_id,
            refused.channel_id,
            refused.status,
        )
        await self.bot.owner_notices.tell_of_refused_post(
            refused, texts.MILESTONE_POST_FAILED_OWNER, POST_NOTICE_TOPIC, quiet_for=OWNER_QUIET_FOR
        )
