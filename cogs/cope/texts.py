"""Everything people read from /cope, in one place.

Written against ../shared/domain.md: plain and kind, person-first, no shame. A guided
exercise always offers a way out, and stopping early is met with warmth, never a
reproach. Every reply is private.
"""

# --- The command ----------------------------------------------------------------------------

COMMAND_DESCRIPTION = "A coping exercise for a hard moment (only you see it)"
PARAM_STRATEGY = "An exercise to start now"
PARAM_FOR = "What makes it hard right now: I'll suggest a few exercises"

LIST_HEADER = "**Things that can help right now**"
LIST_HINT = (
    "Start one with `/cope strategy:` and its name, or tell me what's making it hard with"
    " `/cope for:`. Only you see this."
)
FOR_HEADER = "**{trigger}**: these can help."
FOR_HINT = "Press one to start it. Only you see this."
LIST_LINE = "**{name}**: {summary}"
START_BUTTON = "Start: {name}"

# --- Refusals -------------------------------------------------------------------------------

UNKNOWN_STRATEGY = "I don't know an exercise called “{typed}”. `/cope` on its own lists them all."
UNKNOWN_TRIGGER = (
    "I don't have suggestions for “{typed}” yet. Pick one from the list as you type,"
    " or use `/cope` on its own to see every exercise."
)
STRATEGY_GONE = "That exercise isn't offered here any more. `/cope` shows the ones there are now."
NOT_YOURS = "This was shown to someone else, so it stays as it is. `/cope` opens your own."

# --- Guided exercises -----------------------------------------------------------------------

TITLE = "**{name}**"
STEP_OF = "Step {number} of {total}"
ROUND_PHASE = "Round {round} of {rounds} — {say} ({seconds} s)"
MINUTES_TO_GO = "{minutes} minutes to go"
ONE_MINUTE_TO_GO = "1 minute to go"
STOP_ANY_TIME = "_You can stop at any time. Go at your own pace._"
NEXT_BUTTON = "Next"
STOP_BUTTON = "Stop"

DONE = "You did it. Well done for taking this moment for yourself."
BREATHING_DONE = (
    "That's the last round. Take a moment before you get up. You can start again any time."
)
TIMER_DONE = "Time's up. However strong the urge is now, you stayed with it, and that counts."
STOPPED = (
    "Stopped. That's completely fine: any time you spent on it was worth it. You can start"
    " again whenever you like with `/cope`."
)
STOPPED_FOR_RESTART = (
    "This exercise stopped because the bot is restarting. I'm sorry for the interruption."
    " You can start it again with `/cope` in a moment."
)
ENDED_AT_LIMIT = (
    "Discord doesn't let me keep guiding this message any longer, so I'll stop here."
    " You can start again with `/cope` whenever you like."
)

# --- Journaling -----------------------------------------------------------------------------

JOURNAL_INTRO = "Some questions to write about, if they help:"
JOURNAL_CHOICE = (
    "Write as much or as little as you like. “Write (not kept)” lets you put it into words"
    " and let it go; “Write and keep it” saves it, locked, for only you to read back."
)
WRITE_NOT_KEPT_BUTTON = "Write (not kept)"
WRITE_AND_KEEP_BUTTON = "Write and keep it"
READ_KEPT_BUTTON = "Read my kept entries"
FORM_TITLE = "Journaling"
FORM_TITLE_KEPT = "Journaling (kept for you)"
FORM_LABEL = "What's on your mind"
FORM_PLACEHOLDER = "Only you will see this."
ENTRY_TOO_LONG = (
    "That's {length} characters, more than the {most} an entry can hold, so I haven't"
    " saved it. You could split it into two entries."
)
ENTRY_EMPTY = "There was nothing written, so there's nothing to keep. That's okay too."
ENTRY_NOT_KEPT = "Thank you for writing that down. As you asked, it wasn't kept anywhere."
ENTRY_KEPT = (
    "Thank you for writing that down. It's kept, locked, and only you can read it back:"
    " press “Read my kept entries” on the journaling message."
)
NO_KEPT_ENTRIES = "You haven't kept any entries yet. Whatever you write and keep appears here."
KEPT_HEADER = "**Your last kept entries** (only you see this)"
KEPT_ENTRY = "**{day}**\n{text}"

# --- Call someone ---------------------------------------------------------------------------

YOUR_SUPPORTS = "**The people in your plan:**\n{supports}"
NO_SUPPORTS = (
    "You can write down who you'd like to reach in a hard moment with `/plan edit`, so"
    " they're here next time. {help}"
)
