"""Everything people read from /help-now. Reviewed against shared/domain.md:

- immediate danger first, then several independent lines;
- honest that this is an automated bot and that a peer was paged;
- never a promise of when anyone will answer, never an assessment of risk.
"""

COMMAND_DESCRIPTION = "Get crisis lines now and page a peer specialist (private)"
NOTE_DESCRIPTION = "Optional: a few words for the peer specialist (only they see it)"

EMERGENCY_FIRST = "**If you or someone with you is in immediate danger, call {emergency} now.**"
# Only what is true of every line below it: the server's own lines may keep hours.
LINES_HEADER = "Other places to turn:"
LINE = "• **{name}**: {how}"
LINE_ALWAYS_OPEN = "• **{name}** (24/7): {how}"
OVERDOSE_HEADER = "**Overdose?**"

PAGED = (
    "This is an automated message from your group's bot. I have paged the peer specialist "
    "on call for this server. If you can't wait, or you don't feel safe, call or text one "
    "of the lines above now."
)
PAGED_ROLE_NO_ONCALL = (
    "This is an automated message from your group's bot. Nobody is on call in the rota "
    "right now, so I have alerted all of this group's peer specialists. Please don't wait "
    "for them: call or text one of the lines above now."
)
REPAGED = (
    "This is an automated message from your group's bot. Your earlier request is still "
    "open, so I have paged the specialists again. If you can't wait, call or text one of "
    "the lines above now."
)
NOT_SET_UP = (
    "This is an automated message from your group's bot. This server has no peer "
    "specialists set up in the bot yet, so nobody could be paged. Please call or text one "
    "of the lines above now."
)
PAGE_FAILED = (
    "I couldn't reach the peer specialists just now. Please call or text one of the lines "
    "in my message above now."
)
YOUR_PLAN = "**Your emergency plan**\n{plan}"
CLOSING_HINT = (
    "Press “I'm safe now” when you're okay. “Talk in a private thread” opens a private "
    "thread for you; I add the specialist who picks up your page to it."
)

BUTTON_OPEN = "Get help now"
BUTTON_SAFE = "I'm safe now"
BUTTON_THREAD = "Talk in a private thread"
BUTTON_ACK = "Acknowledge"
BUTTON_BACKUP = "Need backup"
BUTTON_RESOLVED = "Resolved"

SAFE_THANKS = (
    "Thank you for letting us know. I've told the specialists. /help-now is here whenever "
    "you need it."
)
ALREADY_CLOSED = "This request is already closed. If you need help again, use /help-now."
THREAD_OPENED = (
    "I've opened a private thread for you: {thread}. When a peer specialist picks up your "
    "page, I'll add them there. If you can't wait, call or text one of the lines above now."
)
THREAD_EXISTS = "Your private thread is here: {thread}."
THREAD_FAILED = (
    "I couldn't open a private thread here. The specialists have still been paged; please "
    "call or text one of the lines above if you can't wait."
)
THREAD_NAME = "Peer support {short_id}"
THREAD_WELCOME = (
    "{member}, this is a private thread for you and the group's peer specialists. "
    "Only the people added here can read it."
)
THREAD_SPECIALIST_JOINED = "{specialist} has joined."

# The specialists' side.
# Heads a page posted without a mention, on a server with no specialist role.
CHANNEL_TARGET = "Peer specialists"
PAGE = "{target} — {member} asked for help with /help-now at {time}."
PAGE_NOTE = "Their note: {note}"
PAGE_NO_NOTE = "They left no note."
NOTE_CUT = "(earlier words cut here; all of them are in the records) …"
PAGE_AGAIN = "{target} — paging again: {member} asked again with /help-now. Still unacknowledged."
PAGE_AGAIN_ACKNOWLEDGED = (
    "{target} — paging again: {member} asked again with /help-now. You acknowledged their "
    "request; they may still need you."
)
PAGE_ESCALATED = "{target} — not acknowledged yet: {member}'s request from {time} needs someone."
PAGE_REPEATED = (
    "{target} — still not acknowledged (repeat {repeat} of {repeats}): {member}'s request "
    "from {time} needs someone."
)
PAGE_RESENT = (
    "(Sent again because the bot restarted while sending it: if you saw this page before, "
    "it is the same request.)"
)
PAGE_BACKUP = "{target} — {specialist} asked for backup on {member}'s request from {time}."
PAGE_FALLBACK = (
    "{target} — someone asked for help with /help-now at {time}. The specialists channel "
    "isn't reachable, so the details aren't shown here; please check with the team."
)
ACKNOWLEDGED = "✅ {specialist} acknowledged {member}'s request at {time}."
# Outside the private specialists channel (a fallback page) the member is never named.
ACKNOWLEDGED_UNNAMED = "✅ {specialist} acknowledged this request at {time}."
RESOLVED = "{specialist} closed {member}'s request as resolved at {time}."
RESOLVED_UNNAMED = "{specialist} closed this request as resolved at {time}."
MEMBER_SAFE = "{member} said they're safe now and closed the request at {time}."
PAGE_CLOSED_MEANWHILE = "{member}'s request was closed while this page was on its way."
PAGE_CLOSED_MEANWHILE_UNNAMED = "This request was closed while this page was on its way."
MEMBER_SAFE_UNNAMED = "The person who asked said they're safe now and closed the request at {time}."
ACK_DONE = "You've got it. I've added you and {member} to {thread}."
ACK_NO_THREAD = (
    "You've got it. I couldn't open a private thread, so please reach {member} another way."
)
ACK_ALREADY = "{specialist} already acknowledged this request."
BACKUP_PAGED = "I've paged the next person for backup."
RESOLVE_MODAL_TITLE = "Close this request"
RESOLVE_OUTCOME_LABEL = "Outcome (optional, private)"
RESOLVE_OUTCOME_PLACEHOLDER = "A few words for the team's records"
RESOLVED_DONE = "Closed. Thank you for being there."
PAGE_ALREADY_CLOSED = "This request is already closed; nothing more is needed on this page."
PAGE_FOUND_CLOSED = "This request is closed."
NOT_YOUR_REQUEST = "These buttons belong to the person who asked for help."
NOT_THIS_SERVER = "This button belongs to a request in another server, so I can't use it here."
ADMIN_CHANNEL_PROBLEM = (
    "A /help-now page could not be posted in the specialists channel of {guild} (it is "
    "missing or I lack permission there). I posted it in {fallback} instead. Please fix "
    "this with /setup help-now."
)
ADMIN_UNANSWERED = (
    "A /help-now request in {guild} has had its last automatic page and is still waiting "
    "for a peer specialist to acknowledge it. The bot will not page again. Please make sure "
    "someone picks it up in the specialists channel."
)
ADMIN_NO_CHANNEL = (
    "A /help-now page in {guild} could not be posted anywhere: the specialists channel, "
    "the fallback channel and the check-in channel are all missing or closed to me. "
    "Please fix this with /setup help-now now."
)

# /setup help-now (admins).
SETUP_DESCRIPTION = "Set up /help-now paging and local crisis lines (admins)"
POLICY_SAVED = (
    "Saved. An unacknowledged page goes to the backup after {ack} min, to the whole "
    "specialist role {ack} min after that, then to the role again every {repeat} min, up "
    "to {repeats}."
)
MORE_TIMES = ("more time", "more times")
FALLBACK_SAVED = (
    "Saved. If the specialists channel is missing or closed to me, pages go to {channel} "
    "(without the member's name or note)."
)
FALLBACK_NOT_WRITABLE = "I can't post in {channel}. Please give me Send Messages there first."
RESOURCE_ADDED = "Added **{name}**. Members will see it first in the /help-now reply."
RESOURCE_REMOVED = "Removed **{name}**."
RESOURCE_UNKNOWN = "There's no local line called “{name}”. Current ones: {names}."
RESOURCE_LIMIT = "A server can add at most {limit} local lines; remove one first."
RESOURCE_DUPLICATE = "There's already a local line called “{name}”."
NO_RESOURCES = "none"

# The /help-now reply when it takes more than one message (members).
MORE_LINES_HEADER = "More places to turn:"

# /setup help-now local lines (admins), added with the split reply.
RESOURCE_UNREADABLE = (
    "Please give the line a name and a way to reach it in letters or numbers, not only "
    "spaces or formatting."
)
RESOURCE_CROWDS_FIRST_MESSAGE = (
    "That line would push the local lines out of the first /help-now message; please "
    "shorten it or remove another line first."
)

# /privacy delete, asked while the member's own request is still open.
ERASURE_STOPS_REQUEST = (
    "**Your /help-now request is still open.** Erasing your data now also stops its pages "
    "to the peer specialists. If you still need someone, keep your data for now, or call "
    "or text one of the crisis lines from /help-now."
)
