"""Everything people read from the sober-day counters, in one place.

Written against ../shared/domain.md: plain and kind, person-first, no shame, and a count
of days is the member's own, never a score. Replies about counters are private.
"""

# --- Refusals -------------------------------------------------------------------------------

NO_SUBSTANCE = "Tell me what you're counting days without, for example “alcohol”."
ALREADY_COUNTING = "You already have a counter for “{substance}”. `/sober show` shows it."
NO_SUCH_COUNTER = "I can't find a counter for “{substance}” among yours. `/sober show` lists them."
UNREADABLE_DAY = (
    "I couldn't read “{text}” as a date. You can write it like 2026-03-01, 1 March 2026,"
    " today or yesterday."
)
DAY_IN_THE_FUTURE = "That day hasn't come yet where you are. Choose today or a day before it."
DAY_TOO_LONG_AGO = "That date is more than 100 years ago; could you check the year?"
RESTART_BEFORE_START = (
    "Your count for “{substance}” began on {since}, so a new start can be that day or later."
)
UNREADABLE_COST = (
    "I couldn't read “{text}” as an amount. Write it like 12.50 or 7, without other words."
)
DAILY_COST_OUT_OF_RANGE = "A daily cost can be from 0 to {most}."

# --- Replies --------------------------------------------------------------------------------

GROUP_DESCRIPTION = "Your sober-day counters: private unless you choose to share milestones"
START_DESCRIPTION = "Start counting days without something (only you see it)"
SHOW_DESCRIPTION = "See your counters: days so far and the next milestone (only you see it)"
RESET_DESCRIPTION = "Start a count again from a day you choose; your past runs are kept"
HISTORY_DESCRIPTION = "See a private timeline of your counts"
SHARE_DESCRIPTION = "Choose whether your milestones are celebrated in the milestones channel"
DELETE_DESCRIPTION = "Delete a counter and its history"

PARAM_SUBSTANCE = "What you're counting days without: pick one or type your own words"
PARAM_SINCE = "Your first day without it, like 2026-03-01 or yesterday (default: today)"
PARAM_COST = "Optional: what it used to cost you a day, like 12.50, to see what you keep"
PARAM_MY_SUBSTANCE = "Which of your counters"
PARAM_ON = "The first day of the new count, like 2026-03-01 (default: today)"
PARAM_HISTORY_SUBSTANCE = "Just one of your counters (default: all of them)"
PARAM_STATE = "on or off"

PRIVATE_NOTE = "Only you can see this."
NOT_YOURS = "This button was shown to someone else, so it isn't yours to press. Nothing changed."
COUNTER_GONE = "That counter isn't there any more, so nothing changed. `/sober show` lists yours."

STARTED = "Your count for **{substance}** begins on {since}."
STARTED_TODAY = "Today is its first day."
STARTED_SO_FAR = "So far: {days}."
SHOW_EMPTY = (
    "You have no counters yet. `/sober start` begins one, and it stays private unless you "
    "choose to share your milestones."
)
SHOW_COUNTER = "**{substance}**: {days}, since {since}."
SHOW_LONGEST = "Your longest count so far: {days}."
SHOW_SAVED = "Money not spent on it: about {amount}."
SHOW_NEXT = "Next milestone: {days}, on {on}."

RESET_CONFIRM = (
    "Start your count for **{substance}** again from {day}? The days you counted stay in "
    "your history, and nothing is posted anywhere."
)
RESET_YES_BUTTON = "Yes, start again"
KEEP_BUTTON = "Not now"
KEPT = "Nothing changed. Your counters are as they were."
RESET_WELCOME = (
    "Done: your count for **{substance}** starts again from {since}, and the days before "
    "stay in your history.\n\n"
    "Thank you for being honest with yourself; that takes courage, and you're welcome here "
    "exactly as you are. A return to use is part of many people's recovery, and it doesn't "
    "undo what you've built.\n\n"
    "Things that can help today: {strategies}. {help}\n\n"
    "This stays between you and the bot: nothing is posted and nothing is shared."
)

DELETE_CONFIRM = (
    "Delete your counter for **{substance}** and all of its history? This can't be undone."
)
DELETE_YES_BUTTON = "Yes, delete it"
DELETED = "Your counter for **{substance}** and its history are deleted."

OFFER_BUTTON = "Start my count again from today"
OFFER_BUTTON_FOR = "Start my count again from today: {substance}"

HISTORY_EMPTY = "You have no counters yet. `/sober start` begins one."
HISTORY_CAPTION = (
    "Your counts over time: the darker bar is the one you're on now (only you can see this)."
)
CHART_TITLE = "Your sober-day counts"

SHARE_ON = (
    "When you reach a milestone, I'll post a short congratulation naming you in the "
    "milestones channel. It never says what you're counting, never mentions a reset, and "
    "never compares anyone. `/sober share off` stops it any time."
)
SHARE_ON_NO_CHANNEL = (
    "Noted. This server has no milestones channel yet, so for now your milestones stay "
    "between you and the bot; once an admin sets one up, they'll be posted there."
)
SHARE_OFF = "Your milestones stay private: a message to you, nothing in any channel."

MILESTONE_DM = (
    "🎉 Today you reach **{days}** without {substance}. That's worth marking: every one of "
    "those days mattered, and so do you. Whatever today brings, you're not alone."
)
MILESTONE_POST = "🎉 <@{user_id}> reaches **{days}** today. Congratulations!"
MILESTONE_POST_FAILED_OWNER = (
    "A milestone a member chose to share in {guild} could not be posted in {channel}: the "
    "channel is gone or I'm missing a permission there. I'll keep trying for two days. "
    "Please fix it with /setup channels."
)

# A count of days, as "1 day" or "12 days".
DAYS = ("day", "days")
