"""Everything people read from /me, a member's settings that every feature shares."""

GROUP_DESCRIPTION = "Your own settings, shared by every part of the bot"
TIMEZONE_DESCRIPTION = "Set your time zone: your days, counts and reminders follow your clock"
PARAM_ZONE = "Your time zone, such as Europe/London"
TIMEZONE_SET = (
    "Your time zone is now **{zone}**. Your check-in days, your sober-day counts and "
    "milestones, and your reminders all follow it."
)
