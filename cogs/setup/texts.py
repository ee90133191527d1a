"""What admins see from /setup."""

GROUP_DESCRIPTION = "Set the bot up for this server (admins)"

LABEL_CHECKIN_CHANNEL = "Check-in channel"
LABEL_SPECIALISTS_CHANNEL = "Private specialists channel"
LABEL_MILESTONES_CHANNEL = "Milestones channel"
LABEL_SPECIALIST_ROLE = "Peer specialist role"
LABEL_MEETINGS_CHANNEL = "Meetings channel (/setup meetings)"
LABEL_MEETINGS_ROLE = "Meeting reminder role (/setup meetings)"

STATUS_TITLE = "Setup for this server"
STATE_OK = "✅ {mention}"
STATE_MISSING = "❌ not set"
STATE_GONE = "⚠️ was set, but the {kind} no longer exists"
STATUS_TIMEZONE = "Time zone"
STATUS_REGION = "Crisis resources region"
STATUS_REGION_DEFAULT = "{name} (default; change with /setup region)"
STATUS_PAGING = "/help-now paging"
STATUS_PAGING_VALUE = (
    "Backup paged after {ack} min without acknowledgement, the role {ack} min after that, "
    "then the role again every {repeat} min ({repeats}). Fallback channel: {fallback}. "
    "Local lines: {lines}. Change with /setup help-now."
)
REPEATS = ("repeat", "repeats")
STATUS_PRIVACY = "Privacy"
STATUS_PRIVACY_VALUE = (
    "Data of a member who left, or of the whole server if the bot is removed, is erased "
    "{erase}. Check-in notes and kept journal entries are purged after {retention}. "
    "Change with /setup privacy."
)
STATUS_ERASE_AFTER = "{days} later"
STATUS_ERASE_AT_NEXT_CHECK = "at the next daily check"
DAYS = ("day", "days")
STATUS_NO_FALLBACK = "none (the check-in channel is used)"
STATUS_NO_LINES = "none"
STATUS_ALL_SET = "Everything the bot needs is configured."
STATUS_TODO = "Use /setup channels to pick or create what is missing."

UNKNOWN_REGION = "“{code}” isn't a region I have resources for. Known regions: {known}."
TIMEZONE_SET = "This server's time zone is now **{zone}** (it's {local_time} there now)."
REGION_SET = "Crisis resources will now be shown for **{name}**."

SPECIALISTS_CHANNEL_PUBLIC = (
    "{channel} can be seen by everyone in the server. The specialists channel carries "
    "private requests for help, so it must be hidden from @everyone. Pick a private "
    "channel, or leave the option out and I'll create one."
)
BOT_CANNOT_USE_CHANNEL = (
    "I can't see or post in {channel}. Please give me View Channel and Send Messages there, "
    "or pick another channel."
)
ROLE_NOT_ASSIGNABLE = "{role} can't be used as the specialist role: pick a role people are given."
NEED_MANAGE_CHANNELS = (
    "To create the missing channels I need the Manage Channels permission. Please add it, "
    "or pick existing channels in the options. Nothing was changed."
)
NEED_MANAGE_ROLES = (
    "To create the specialist role I need the Manage Roles permission. Please add it, or "
    "pick an existing role. Nothing was changed."
)
CREATION_FAILED = (
    "Discord refused to create {what}, so I undid what I had created and changed nothing. "
    "Please check my permissions and try again."
)
CHANNELS_SAVED = "Saved. {summary}"
CREATED = "created {mention}"
USING = "using {mention}"

DEFAULT_CHECKIN_NAME = "check-ins"
DEFAULT_SPECIALISTS_NAME = "specialists"
DEFAULT_MILESTONES_NAME = "milestones"
DEFAULT_ROLE_NAME = "Peer specialist"
AUDIT_REASON = "Set up by {admin} with /setup channels"
