"""Everything people read from /oncall. Reviewed against shared/domain.md:

plain and kind words; peer specialists are trained peers, never called clinicians;
times are shown with Discord's timestamp markup, so each reader sees their own clock.
"""

GROUP_DESCRIPTION = "Who holds the peer specialists' pager, and the weekly rotation"
SCHEDULE_DESCRIPTION = "The weekly on-call shifts (peer specialists)"

NOW_DESCRIPTION = "Who is on call right now, and who is backup"
TAKE_DESCRIPTION = "Take the pager now (peer specialists)"
TAKE_HOURS_DESCRIPTION = "For how many hours (1 to 72, 8 if you leave it out)"
HANDOFF_DESCRIPTION = "Hand the pager to another peer specialist"
HANDOFF_TARGET_DESCRIPTION = "The peer specialist who takes the pager"
OFF_DESCRIPTION = "Give the pager back early (ends your /oncall take or handoff)"
ADD_DESCRIPTION = "Add a weekly shift"
ADD_SPECIALIST_DESCRIPTION = "The peer specialist on call during this shift"
ADD_DAY_DESCRIPTION = "The day the shift starts"
ADD_START_DESCRIPTION = "Start time, such as 09:00 or 9am"
ADD_END_DESCRIPTION = "End time, such as 17:00 or 5pm; before the start runs past midnight"
ADD_TIMEZONE_DESCRIPTION = "The time zone of these times (the server's if you leave it out)"
ADD_ORDER_DESCRIPTION = "Backup order where shifts overlap: lower is asked first"
REMOVE_DESCRIPTION = "Remove a weekly shift"
REMOVE_SHIFT_DESCRIPTION = "The shift to remove"
LIST_DESCRIPTION = "Show the weekly shifts"
REPORT_DESCRIPTION = "How /help-now requests were answered (peer specialists)"
REPORT_DAYS_DESCRIPTION = "How many days back (1 to 365, 30 if you leave it out)"

DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# Who may use the commands.
TARGET_NOT_SPECIALIST = (
    "{user} doesn't have the peer specialist role here, so they can't hold the pager."
)

# Refusals from the rotation's rules. Each says what to do instead; nothing was changed.
UNKNOWN_DAY = "“{value}” isn't a day I know. Pick one from the list, such as Monday."
BAD_TIME = "“{value}” isn't a time I can read. Please write it like 09:00, 21:30 or 9pm."
BAD_HOURS = "Please choose between {low} and {high} hours."
BAD_ORDER = "The backup order must be between 0 and {high}."
BAD_DAYS = "Please choose between 1 and {high} days."
DUPLICATE_SHIFT = "That shift is already in the rotation (shift #{shift_id})."
TOO_MANY_SHIFTS = (
    "This server already has {limit} shifts, the most I keep. Please remove one you no "
    "longer need first."
)
NO_SUCH_SHIFT = (
    "I couldn't find shift #{shift_id} in this server. /oncall schedule list shows them."
)
HANDOFF_TO_SELF = "You already hold the pager. Pick another peer specialist to hand it to."
NOT_ON_CALL = (
    "You aren't on call right now, so there is no pager to hand off. Whoever wants it "
    "can use /oncall take."
)
NOTHING_TO_END = (
    "You aren't holding the pager through /oncall take or a handoff, so there is nothing "
    "to end. Your weekly shifts stay as they are; /oncall schedule changes them."
)

# /oncall now.
NOW_ON_CALL = "**On call now:** {primary}"
NOW_NOBODY = (
    "**Nobody is on call right now.** A /help-now request will alert all of the peer "
    "specialists at once."
)
NOW_BACKUP = "**Backup:** {backups}"
NOW_NO_BACKUP = "**Backup:** nobody else is in the rotation yet."
NOW_UNTIL = "(holding the pager until {until})"
BACKUP_JOINER = ", then "
MORE_BACKUPS = " and {count} more"

# Replies to the person who acted.
SHIFT_ADDED = "Added shift #{shift_id}: {shift}."
SHIFT_REMOVED = "Removed shift #{shift_id}: {shift}."
TOOK = "You hold the pager until {until}. /oncall off gives it back early."
HANDED_OFF = "{user} holds the pager now, until {until}."
ENDED = "You've given the pager back. {now}"
SCHEDULE_EMPTY = (
    "There are no weekly shifts yet. Add one with /oncall schedule add; until then, "
    "/help-now requests alert all of the peer specialists."
)
SCHEDULE_TITLE = "**Weekly on-call shifts** (lower order is asked first where shifts overlap)"
SHIFT_LINE = "#{shift_id} · {shift} · {user} · order {position}"
SHIFT_SPAN = "{day} {start}–{end}{next_day} ({zone})"
NEXT_DAY = " next day"
WHOLE_DAY = "{day} {start}, for 24 hours ({zone})"
SHIFT_CHOICE = "#{shift_id} {shift} · {user}"
UNKNOWN_USER = "user {user_id}"

# Announcements in the specialists channel.
ANNOUNCE_SHIFT_CHANGE = "{user} is on call now. Thank you for holding the pager."
ANNOUNCE_SHIFT_CHANGE_NOBODY = (
    "Nobody is on call in the rotation now. Until someone is, /help-now requests alert "
    "all of the peer specialists. /oncall take picks up the pager."
)
ANNOUNCE_TAKE = "{user} has taken the pager until {until}."
ANNOUNCE_HANDOFF = "{from_user} handed the pager to {user}, until {until}."
ANNOUNCE_OFF = "{from_user} has given the pager back. {now}"
AFTER_OFF_ON_CALL = "{user} is on call now."
AFTER_OFF_NOBODY = "Nobody is on call in the rotation now; /help-now alerts all peer specialists."

# /oncall report.
REPORT_TITLE = "/help-now over the last {days}"
REPORT_NONE = "There were no /help-now requests in the last {days}."
REPORT_REQUESTS = "Requests"
REPORT_REQUESTS_VALUE = (
    "{requests} in all: {acknowledged} acknowledged, {resolved} resolved, "
    "{safe} closed by the member as safe, {still_open} still open"
)
REPORT_ACK = "Time to acknowledge"
REPORT_RESOLVE = "Time to resolve"
REPORT_TIMES_VALUE = "median {median}, 90th percentile {p90} (over {count})"
REPORT_TIMES_NONE = "none yet"
REPORT_ESCALATIONS = "Escalations"
REPORT_ESCALATIONS_VALUE = (
    "{escalated_requests} went past the first page ({escalation_steps}); backup asked for "
    "{backup_requests}; fallback channel used {fallbacks}"
)
DAYS = ("day", "days")
REQUESTS = ("request", "requests")
ESCALATION_STEPS = ("escalation step", "escalation steps")
TIMES = ("time", "times")
REPORT_PER_SPECIALIST = "Acknowledged, per peer specialist"
REPORT_SPECIALIST_LINE = "{user}: {count}, median {median}"
REPORT_NO_SPECIALISTS = "nobody yet"
DURATION_SECONDS = "{seconds} s"
DURATION_MINUTES = "{minutes} min {seconds} s"
DURATION_HOURS = "{hours} h {minutes} min"
