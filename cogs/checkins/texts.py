"""Everything people read from the check-in feature, in one place.

Written against ../shared/domain.md: plain and kind, person-first, no shame, no score
about a person. A member's answers are theirs: replies that carry them are private.
"""

# --- Commands -----------------------------------------------------------------------------

GROUP_DESCRIPTION = "Your daily check-in: private, a minute a day"
TODAY_DESCRIPTION = "Fill in today's check-in (only you see it)"
SHARE_DESCRIPTION = "Post a short “checked in” line in the channel (never your answers)"
REMINDERS_DESCRIPTION = "Get one private reminder if you haven't checked in by a chosen hour"
HISTORY_DESCRIPTION = "See a private chart of your mood and cravings over time"
GROUP_PARTICIPATION_DESCRIPTION = "How many people have been checking in (specialists)"
CONSENT_DESCRIPTION = "Choose whether the bot tells peer specialists about warning signs it notices"
SETUP_DESCRIPTION = "Daily check-in prompt: channel, time, time zone, days, on or off"

PARAM_STATE = "on or off"
PARAM_HOUR = "Your local hour, 0–23 (for example 20 for 8 pm)"
PARAM_DAYS = "How many days to show"
PARAM_CHANNEL = "Where the daily prompt goes"
PARAM_TIME = "Local time of the prompt, 24-hour HH:MM (for example 19:30)"
TIMEZONE_DESCRIPTION = "Set your own time zone, so your days and streak follow your clock"
PARAM_MY_ZONE = "Your time zone, such as Europe/London"
TIMEZONE_SET = "Your check-in days now follow **{zone}**."
PARAM_ZONE = "The group's time zone, such as America/Chicago"
PARAM_WEEKDAYS = "Which days: every day, mon-fri, or a list like mon,wed,fri"
PARAM_ENABLED = "Turn the daily prompt on or off"

WEEKDAY_SUGGESTIONS = (
    ("Every day", "mon-sun"),
    ("Monday to Friday", "mon-fri"),
    ("Saturday and Sunday", "sat,sun"),
    ("Monday, Wednesday and Friday", "mon,wed,fri"),
)

# --- The prompt -----------------------------------------------------------------------------

PROMPT_TEXT = (
    "**Time for today's check-in.** How are you doing today? It takes a minute, and your "
    "answers are private: only you see them."
)
CHECK_IN_BUTTON = "Check in"

# --- The form -----------------------------------------------------------------------------

MODAL_TITLE = "Daily check-in"
MOOD_LABEL = "Mood today ({low} = very low, {high} = great)"
MOOD_PLACEHOLDER = "A number from {low} to {high}"
CRAVING_LABEL = "Cravings today ({low} = none, {high} = very strong)"
CRAVING_PLACEHOLDER = "A number from {low} to {high}"
SLEEP_LABEL = "Hours of sleep last night"
SLEEP_PLACEHOLDER = "For example 7 or 6.5"
TRIGGERS_LABEL = "Anything that made today harder? (optional)"
TRIGGERS_PLACEHOLDER = "Pick any that fit, or none"
TRIGGERS_DESCRIPTION = "Anything not on the list can go in your note."
NOTE_LABEL = "A private note (optional)"
NOTE_PLACEHOLDER = "Only you can read this. It is stored encrypted."

# --- Refusals (the form can be filled again) ----------------------------------------------

FIX_INTRO = "Nothing was saved yet. Please check:"
FIX_MOOD = "**Mood** needs a whole number from {low} to {high} (you wrote “{value}”)."
FIX_CRAVING = "**Cravings** needs a whole number from {low} to {high} (you wrote “{value}”)."
FIX_SLEEP = (
    "**Sleep** needs a number of hours from 0 to {high}, like 7 or 6.5 (you wrote “{value}”)."
)
FIX_NOTE = "**Note** can be up to {high} characters (yours has {length})."
FILL_AGAIN_BUTTON = "Fill it in again"
FORM_EXPIRED = "That form has expired. Use /checkin today to start a new one."

# --- After a check-in ---------------------------------------------------------------------

THANKS_NEW = "Thank you for checking in."
THANKS_UPDATED = "Thanks, today's check-in is updated."
STREAK_ONE = "You checked in today."
STREAK_MANY = "You've checked in {days} days in a row."
TRIGGERS_NOTED = "Noted for today: {names}."
HARD_DAY = (
    "It sounds like today is a hard one. That's worth noticing, and you don't have to get "
    "through it alone. Some things that can help right now: {strategies}."
)

TRIGGER_SELECT_PLACEHOLDER = "Anything that made today harder? (optional)"
OTHER_TRIGGER = "Other"
USED_BUTTON = "I used today"
TRIGGERS_SAVED = "Thanks, noted: {names}."
TRIGGERS_CLEARED = "Thanks, no triggers noted for today."
NO_CHECKIN_TODAY = "There's no check-in for today yet. Use /checkin today to fill one in."

USED_REPLY = (
    "Thank you for telling me. That took honesty, and you're welcome here exactly as you "
    "are. A return to use is part of many people's recovery; it doesn't undo what you've "
    "built, and it isn't a failure.\n\n"
    "Right now, what matters is that you're safe and not alone. {help} Things that can help "
    "today: {strategies}.\n\n"
    "This stays between you and the bot: nothing is posted and nothing is shared."
)

USED_RESET_OFFER = (
    "If you'd like, you can start a sober-day count again from today; your past runs stay "
    "in your history. It's your choice: you can also keep counting as you are."
)

SHARE_LINE = "<@{user_id}> checked in today."

# --- Preferences ----------------------------------------------------------------------------

SHARE_ON = (
    "When you check in, I'll post a short line in the check-in channel saying you checked "
    "in. Your answers and notes are never posted."
)
SHARE_OFF = "Your check-ins stay fully private: nothing is posted in the channel."
REMINDERS_ON = (
    "On check-in days, if you haven't checked in by {hour:02d}:00 ({zone}), I'll send you "
    "one private message as a reminder."
)
REMINDERS_OFF = "Reminders are off. You can still check in any time with /checkin today."
REMINDER_DM = (
    "Hi, a gentle reminder: today's check-in is open whenever you're ready. It takes a "
    "minute and only you see your answers. You can turn these reminders off with "
    "/checkin reminders off."
)
CONSENT_ON = (
    "Thank you. When the bot notices warning signs in your check-ins (like several missed "
    "days, cravings rising, or low mood for a few days), I'll post which signs, with your "
    "name, in the peer specialists' private channel. Never your answers or your notes. "
    "You can take this back any time with /checkin consent off."
)
CONSENT_ON_NO_CHANNEL = (
    "Thank you, your choice is saved. This server has no private specialists channel set "
    "up yet, so nothing is shared for now. Once an admin sets one up, I'll post there which "
    "warning signs I notice in your check-ins, with your name; never your answers or your "
    "notes. You can take this back any time with /checkin consent off."
)
CONSENT_OFF = (
    "Done. Warning signs stay between you and the bot: only you get a private message. "
    "You can change this any time with /checkin consent on."
)

# --- History and the group view ------------------------------------------------------------

HISTORY_EMPTY = "You have no check-ins in the last {days} days yet. /checkin today starts one."
HISTORY_CAPTION = "Your check-ins over the last {days} days (only you can see this)."
CHART_MOOD = "Mood"
CHART_CRAVING = "Cravings"
CHART_TRIGGERS = "Triggers"
CHART_DATE = "Date"
GROUP_CHART_TITLE = "Members who checked in, per day"
GROUP_CHART_COUNT = "Members"
GROUP_SUMMARY = (
    "Over the last {days} days, {members} checked in, on average "
    "{average:.1f} a day. No individual answers are shown."
)
# "1 member", "12 different members": the group view counts people, never names them.
MEMBERS = ("member", "different members")
GROUP_EMPTY = "Nobody has checked in during the last {days} days."

PROMPT_FAILED_OWNER = (
    "Today's check-in prompt for {guild} could not be posted in {channel}: the channel is "
    "gone or I'm missing a permission there. I'll keep trying for a few hours. Please fix "
    "it with /setup checkins."
)

# --- Setup ----------------------------------------------------------------------------------

BAD_TIME = "“{value}” isn't a time I understand. Use 24-hour HH:MM, for example 19:30."
BAD_WEEKDAYS = (
    "“{value}” isn't a list of days I understand. Use “every day”, a range like mon-fri, "
    "or a list like mon,wed,fri."
)
NEED_CHANNEL = (
    "Which channel should the prompt go to? Pick one in the channel option, or set a "
    "check-in channel with /setup channels first. Nothing was changed."
)
BOT_CANNOT_POST = (
    "I can't post in {channel}. Please give me View Channel and Send Messages there, or "
    "pick another channel. Nothing was changed."
)
SETUP_SAVED = (
    "Check-ins: **{state}**. The prompt goes to {channel} at {time} ({zone}) on {days}. {next_line}"
)
SETUP_NEXT = "The next one is {when}."
SETUP_STATE_ON = "on"
SETUP_STATE_OFF = "off"
DAY_NAMES = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
EVERY_DAY = "every day"

# --- Warning signs --------------------------------------------------------------------------

SIGN_NAMES = {
    "missed": "no check-ins for a few days",
    "rising_craving": "cravings rising over several days",
    "low_mood": "low mood for several days",
    "short_sleep": "short sleep for several nights",
    "missed_meetings": "away from the last few meetings",
    "several": "several signs together",
}
NUDGE_MISSED = (
    "Hi, it's been a few days since your last check-in. There's nothing to catch up on "
    "and no pressure: I just wanted to say you're missed, and that the group is here."
)
# Missed meetings are noticed by the meetings feature: their words never speak of
# check-ins, which a member who only comes to meetings may never have filled in.
NUDGE_MISSED_MEETINGS = (
    "Hi, it's been a few meetings since you were last there. There's nothing to catch up "
    "on and nothing to explain: I just wanted to say you're missed, and that your seat "
    "is there whenever you'd like it."
)
# After the opening about check-ins, when meetings were missed as well.
NUDGE_MEETINGS_TOO = "The meetings are there for you too, whenever you'd like to come back."
NUDGE_PATTERN = (
    "Hi, looking at your recent check-ins, I noticed {signs}. That can be an early sign "
    "that things are getting harder, and noticing it is a strength."
)
NUDGE_SUPPORT = (
    "If it helps, some things to try: {strategies}. Talking to someone who gets it often "
    "helps most: a peer or your sponsor. {help} Whenever you're ready, /checkin today is "
    "there."
)

SPECIALIST_SIGNAL = (
    "**Warning signs** for <@{user_id}>, who agreed to share these: {signs}. No answers, "
    "notes or attendance records are shared. A gentle, private reach-out may help."
)

# --- The member's own relapse-prevention plan, under a hard day's reply or a nudge -----------
FROM_YOUR_PLAN = "What your plan says helps you: {strategies}."
YOUR_EMERGENCY_PLAN = "**Your emergency plan**\n{plan}"
SEE_YOUR_PLAN = "Your plan has what you wrote for moments like this: `/plan show`."

# --- The history chart's title: the period it shows, and how many days in a row -------------
# {period} is "4 Nov – 3 Dec" (core/charts.period_label).
CHART_HISTORY_TITLE = "Your check-ins, {period}"
CHART_HISTORY_TITLE_IN_A_ROW = "Your check-ins, {period} · {days} in a row"
DAYS = ("day", "days")

# --- The member's choice not to keep check-in notes (/privacy settings) ---------------------
NOTE_NOT_KEPT = (
    "Your note wasn't kept, because you chose not to keep check-in notes. Your other "
    "answers are saved. You can change this with `/privacy settings`."
)
