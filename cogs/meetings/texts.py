"""Every word the meetings feature says. Times are Discord timestamps (`<t:…>`), which each
reader sees in their own time zone. Attendance is the member's own: only they, and with
their consent the peer specialists, ever see it."""

# --- Commands -------------------------------------------------------------------------------

GROUP_DESCRIPTION = "Group meetings: when they are, reminders, and your own attendance"
SCHEDULE_DESCRIPTION = "Schedule a regular meeting (peer specialists)"
LIST_DESCRIPTION = "The next meetings"
EDIT_DESCRIPTION = "Change a meeting (peer specialists)"
CANCEL_DESCRIPTION = "Stop a meeting's schedule (peer specialists)"
SKIP_DESCRIPTION = "Leave out one day of a meeting's schedule (peer specialists)"
REMIND_DESCRIPTION = "Be mentioned in the meeting reminders, or not"
ATTENDANCE_DESCRIPTION = "Your own meeting attendance (only you see it)"
SHARE_DESCRIPTION = "Let the peer specialists see your meeting attendance, or not"
REPORT_DESCRIPTION = "Attendance over time, as a chart (peer specialists)"
SETUP_MEETINGS_DESCRIPTION = "Where meeting reminders go, and the role they mention"

PARAM_TITLE = "The meeting's name, as members will see it"
PARAM_DAYS = 'Which days: "mon, thu", or for a monthly meeting "first tue" or "last fri"'
PARAM_TIME = 'Start time, like "19:00" or "7pm"'
PARAM_ZONE = "The time zone the start time is in"
PARAM_DURATION = "How long it lasts, in minutes"
PARAM_EVERY = "How often: every week, every two weeks, or once a month"
PARAM_CHANNEL = "The voice, stage or text channel it is held in"
PARAM_LINK = "Or, for a meeting held elsewhere, its link (https://…)"
PARAM_FACILITATOR = "Who facilitates it"
PARAM_DESCRIPTION = "A few words about the meeting, shown in Discord's events list"
PARAM_TOPIC = "The topic, read out in the opening round"
PARAM_REMINDERS = 'When to remind, like "24h, 15m", or "none"'
PARAM_STARTING = 'The first day it may be held, like "2027-03-02" (default: today)'
PARAM_MIN_MINUTES = "Minutes in the room that count as attending (default 10, or half if shorter)"
PARAM_MEETING = "Which meeting"
PARAM_DAY = 'Which day to leave out, like "2027-03-16" (default: the next one)'
PARAM_STATE = "on or off"
PARAM_MEETINGS_CHANNEL = "The channel for reminders and opening rounds"
PARAM_MEETINGS_ROLE = "The role members take with /meeting remind on, mentioned in reminders"

EVERY_WEEK = "every week"
EVERY_TWO_WEEKS = "every two weeks"
EVERY_MONTH = "every month"

# --- Refusals -------------------------------------------------------------------------------

NEVER_OCCURS = (
    "That schedule has no day in the next year, so nothing was scheduled. Check the days "
    "and the first day, and try again."
)
MEETING_GONE = "I can't find that meeting any more. `/meeting list` shows the ones scheduled."
NO_SUCH_MEETING = (
    "I couldn't find a meeting called “{text}”. Pick one from the list as you type, or see "
    "`/meeting list`."
)
NO_PLACE = "Where is it held? Give a channel, or a link for a meeting held elsewhere."
BOTH_PLACES = "Give a channel or a link, not both."
BAD_LINK = "A meeting's link starts with https:// and has no spaces. Nothing was changed."
CHANNEL_KIND = "A meeting is held in a voice, stage or text channel. Nothing was changed."
CHANNEL_HIDDEN = (
    "I can't see {channel}, or can't {need} there, so I couldn't run a meeting in it. "
    "An admin can give me access, or you can pick another channel. Nothing was changed."
)
NEED_CONNECT = "connect"
NEED_SEND = "post"
UNREADABLE_TIME = 'I couldn\'t read “{text}” as a time. Write it like "19:00" or "7pm".'
UNREADABLE_DAY = 'I couldn\'t read “{text}” as a day. Write it like "2027-03-02".'
DAY_TOO_FAR = "That day is more than a year away. Pick one within the coming year."
TITLE_EMPTY = "A meeting needs a name members can read. Nothing was changed."
STARTING_PAST = "The first day can't be in the past. Nothing was scheduled."
SKIP_PAST = "That day has already passed."
SKIP_NOT_A_MEETING_DAY = "The meeting isn't held on {day}, so there's nothing to leave out."
SKIP_ALREADY = "{day} is already left out."
SKIP_UNDER_WAY = "That meeting is under way now; it can't be left out any more."
NOTHING_TO_SKIP = "That meeting has no day coming up to leave out."
NOTHING_TO_CHANGE = "Tell me what to change: every option is optional, but give at least one."
NO_REMINDER_ROLE = (
    "This server has no reminder role yet. An admin can set one with `/setup meetings`."
)
ROLE_REFUSED = (
    "I couldn't change your roles: I need the Manage Roles permission and a role above "
    "the reminder role. An admin can fix that; nothing was changed."
)

# --- Replies --------------------------------------------------------------------------------

SCHEDULED = "Scheduled **{title}**: {schedule} ({zone}), {minutes} minutes, {where}."
NEXT_ONE = "Next: {when} ({relative})."
REMINDERS_WHERE = "Reminders {reminders} before, in {channel}."
REMINDERS_NONE = "No reminders."
REMINDERS_TOO_EARLY = (
    "A reminder {reminders} before would come while the meeting before is still on, so "
    "it isn't sent; `/meeting edit reminders:` can choose shorter ones."
)
REMINDERS_NO_CHANNEL = (
    "Reminders and the opening round need a meetings channel: an admin can set one with "
    "`/setup meetings`."
)
EVENT_MADE = "It's in Discord's events list, where members can mark themselves interested."
EVENT_NOT_MADE = (
    "I couldn't put it in Discord's events list yet: {reason} I'll keep trying; the "
    "schedule is saved either way."
)
REASON_PERMISSION = "I need the Manage Events permission."
REASON_CHANNEL = "Discord refused the channel (it may have been deleted or hidden from me)."
REASON_OUTAGE = "Discord didn't answer."
REASON_DELETED = "its Discord event was deleted by someone."
EDITED = "Changed **{title}**. {schedule} ({zone}), {minutes} minutes, {where}."
CANCELLED = (
    "**{title}** is no longer scheduled, and its Discord event is removed. Attendance "
    "already recorded is kept."
)
CANCELLED_UNDER_WAY = " The meeting under way now runs to its end."
SKIPPED = "**{title}** won't be held on {day}."
SKIPPED_NEXT = " The next one is {when}."
LIST_EMPTY = "No meetings are scheduled yet."
LIST_HEADER = "**Coming up** (times are in your own time zone)"
LIST_LINE = "**{title}**: {when} ({relative}), {minutes} minutes, {where}. {schedule}."
LIST_UNDER_WAY = "**{title}**: under way now, until {until}, {where}."
LIST_NO_NEXT = "**{title}**: no day coming up. {schedule}."
REMIND_ON = "You'll be mentioned in meeting reminders. `/meeting remind off` stops it."
REMIND_OFF = "You won't be mentioned in meeting reminders any more."
REMIND_ALREADY_ON = "You're already mentioned in meeting reminders."
REMIND_ALREADY_OFF = "Nothing to change: you're already not mentioned in meeting reminders."
SHARE_ON = (
    "The peer specialists can now see your meeting attendance, and whether you've missed "
    "several in a row, so they can reach out. `/meeting share off` takes it back at any time."
)
SHARE_OFF = "Your meeting attendance is only yours again."
ATTENDANCE_EMPTY = (
    "No attendance yet. Once you've been at a meeting, it shows here: only you see this."
)
ATTENDANCE_HEADER = "**Your meetings** (only you see this)"
ATTENDANCE_LAST_ONE = "You were at the last meeting."
ATTENDANCE_STREAK = "You've been at the last {count} in a row."
ATTENDANCE_MISSED_ONE = "You weren't at the last one. The group is glad whenever you come."
ATTENDANCE_MISSED = "You've missed the last {count}. The group is glad whenever you come."
ATTENDANCE_LINE_HERE = "{when}: {title}, there"
ATTENDANCE_LINE_AWAY = "{when}: {title}, not there"
ATTENDANCE_SHARING_ON = "The peer specialists can see this (`/meeting share off` to stop)."
ATTENDANCE_SHARING_OFF = (
    "The peer specialists can't see this unless you choose `/meeting share on`."
)
MEETINGS = ("meeting", "meetings")
REPORT_EMPTY = "No meeting has been held yet, so there's nothing to show."
REPORT_CAPTION = "Members at each meeting over the last {days} days."
REPORT_MISSING_HEADER = (
    "Members who agreed to share their attendance and have missed several in a row "
    "(a gentle, private reach-out may help):"
)
REPORT_MISSING_LINE = "<@{user_id}>: the last {count}"
REPORT_NOBODY_MISSING = "Nobody who shares their attendance has missed several in a row."
CHART_TITLE = "Members at each meeting"
CHART_AXIS = "members there"
HERE_RECORDED = "Thanks for being here. You're counted as at **{title}**; only you see this."
HERE_ALREADY = "You're already counted as at **{title}**."
HERE_NOT_YET = "**{title}** hasn't started yet. Press again once it has."
HERE_OVER = "**{title}** has finished, so attendance is closed."
HERE_GONE = "I can't find that meeting any more."
SETUP_SAVED = "Meeting reminders and opening rounds go to {channel}{role}."
SETUP_ROLE = ", mentioning {role}"
SETUP_UNCHANGED = "Nothing changed. Meetings post in {channel}{role}."
SETUP_NO_CHANNEL = "no channel yet"
SETUP_ROLE_MANAGED = (
    "{role} is managed by Discord or an integration, so members can't be given it. Pick "
    "another role. Nothing was changed."
)
SETUP_ROLE_TOO_HIGH = (
    "{role} is above my own role, so I couldn't give it to members. Move it below my role "
    "or pick another. Nothing was changed."
)

# --- Posts ----------------------------------------------------------------------------------

WHERE_CHANNEL = "in {channel}"
WHERE_LINK = "at {link}"
REMINDER = "**{title}** starts {starts}: {at}, {where}. Everyone is welcome."
REMINDER_ROLE = "{role}"
OPENING = "**{title}** is starting now, {where}. Welcome, everyone."
OPENING_GUIDELINES = (
    "How we meet: what is said here stays here. One person shares at a time, with no "
    "cross-talk. Speak from your own experience. Passing is always fine."
)
OPENING_ROUND = "**Opening round:** in a sentence or two, how are you arriving today?"
OPENING_TOPIC = "**Today's topic:** {topic}"
OPENING_FACILITATOR = "Facilitating today: <@{user_id}>."
OPENING_HERE = (
    "Press **I'm here** before {ends} to be counted as attending. Only you, and the peer "
    "specialists if you chose to share it, see your attendance."
)
OPENING_VOICE_COUNTED = (
    "Attendance is counted from time in the room. Only you, and the peer specialists if "
    "you chose to share it, see yours."
)
HERE_BUTTON = "I'm here"

# --- The Discord event ----------------------------------------------------------------------

EVENT_TOPIC = "Topic: {topic}"
EVENT_IN_CHANNEL = "#{channel} on this server"

# --- Problems only a person can fix ---------------------------------------------------------

NO_CHANNEL = "its channel"
PROBLEM_NO_PERMISSION = (
    "**Meetings:** I couldn't update the Discord event of **{title}** ({when}): I need the "
    "Manage Events permission. The meeting is still scheduled and its reminders still go "
    "out; I'll try the event again every 10 minutes."
)
PROBLEM_CHANNEL = (
    "**Meetings:** Discord refused {channel} for **{title}** ({when}); it may have been "
    "deleted or hidden from me. The meeting is still scheduled. `/meeting edit` can move "
    "it to another channel."
)
PROBLEM_EVENT_DELETED = (
    "**Meetings:** the Discord event of **{title}** ({when}) was deleted. The meeting is "
    "still scheduled and its reminders still go out. To leave this day out, use "
    "`/meeting skip`; to stop the meeting, `/meeting cancel`."
)
PROBLEM_CHANNEL_DELETED = (
    "**Meetings:** {channel}, where **{title}** is held, was deleted. The meeting is still "
    "scheduled; `/meeting edit` can move it to another channel."
)
POST_REFUSED_OWNER = (
    "I couldn't post a meeting reminder in {channel} on {guild}: the channel is gone or I "
    "can't post there. I'll keep trying for a while. `/setup meetings` can pick another "
    "channel."
)
