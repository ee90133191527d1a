"""Everything people read from /privacy. Plain words, written against shared/domain.md:
what is kept, where, who can see it, and how to take it back."""

GROUP_DESCRIPTION = "What the bot keeps about you, your choices, and your data"


# --- rights: /privacy export, /privacy delete, /privacy access-log ----------------------

EXPORT_DESCRIPTION = "Get a file with everything the bot keeps about you in this server"
DELETE_DESCRIPTION = "Erase everything the bot keeps about you in this server"
ACCESS_LOG_DESCRIPTION = "See who looked at your data here, what they looked at and when"

EXPORT_READY = (
    "Here is everything the bot keeps about you in this server, in one file only you can "
    "see. Notes and plans are in it as you wrote them, so keep the file somewhere safe. "
    "The top of the file says what each part holds. To erase it all, use /privacy delete."
)
# At the top of the file, in it: what the file is, then what each part holds.
EXPORT_ABOUT = (
    "Everything the recovery bot keeps about you in one server, as it was when you asked. "
    "Other people appear only as 'me' or 'not me', never by name or id."
)
EXPORT_PARTS = {
    "core": (
        "Your settings (time zone, what you agreed to share), messages waiting to be sent "
        "to your DMs, and the audit lines about you. Of what you did as a peer specialist "
        "on others' records, only what and when."
    ),
    "checkins": (
        "Your check-ins (mood, craving, sleep, triggers, your notes), your reminder "
        "settings, and the warning signs the bot noticed."
    ),
    "cope": "The journal entries you chose to keep.",
    "plan": (
        "Your relapse-prevention plan, whether you share it, and each time a peer "
        "specialist read it (who read it is in /privacy access-log)."
    ),
    "helpnow": (
        "Your /help-now requests with their steps, notes and outcomes. Of requests you "
        "answered as a peer specialist, only what and when."
    ),
    "meetings": (
        'Your meeting attendance (time in the room, "I\'m here" presses, whether each '
        "counted) and whether you share it with the peer specialists."
    ),
    "oncall": "Your on-call shifts, if you are one of the peer specialists.",
    "partners": (
        "Your accountability partnerships and invitations (when, and whether you "
        "invited; never who), what you share with your partners, the nudges you sent, "
        "when you stopped a member's nudges, and signals about you for your partners."
    ),
    "setup": "Nothing about you: the server's settings name nobody.",
    "sober": (
        "Your sober-day counters, their past runs, whether your milestones may be "
        "posted, and milestone posts still waiting to be sent."
    ),
}
EXPORT_PART_OTHER = "What the {name} feature keeps about you."

# Which data a confirmation erased, by the feature it belongs to.
ERASED_PARTS = {
    "core": "your settings and consents, and the audit lines about you",
    "checkins": "your check-ins",
    "cope": "the journal entries you kept",
    "plan": "your relapse-prevention plan and the record of its reads",
    "helpnow": "your /help-now requests",
    "meetings": "your meeting attendance",
    "oncall": "your on-call shifts",
    "partners": "your accountability partnerships (your partners are told they ended)",
    "sober": "your sober-day counters",
}
ERASED_PART_OTHER = "your data in {name}"

DELETE_CONFIRM = (
    "This erases everything the bot keeps about you in this server: check-ins and notes, "
    "sober-day counters, your plan, journal entries, meeting attendance, accountability "
    "partnerships, /help-now requests, your settings and consents, and anything still "
    "waiting to be sent to you. It can't be undone. "
    "Messages already posted in Discord stay where they are.\n\n"
    "Want a copy first? Use /privacy export before you confirm."
)
DELETE_BUTTON = "Delete everything"
KEEP_BUTTON = "Keep my data"
ERASED = (
    "Done. Erased:\n{parts}\nNothing more will be sent to you about it. All that is left "
    "is one line saying your data was erased, with nothing of what it held. If you use "
    "the bot here again, it starts fresh."
)
ERASED_NOTHING = (
    "Done. There was nothing stored about you here, so nothing needed erasing. All that "
    "is kept is one line saying you asked, with nothing else in it."
)
ERASE_KEPT = "Kept, because they are the group's records and not yours alone:\n{parts}"
PART_LINE = "• {part}"
# What an erasure keeps, by the feature it belongs to: rows that are other members'
# records and only mention the member (cogs/README.md's table).
KEPT_PARTS = {
    "core": "the audit lines of what you did on other members' records",
    "helpnow": "what you did as a peer specialist on other members' /help-now requests",
    "oncall": "your place on the on-call rota (an admin or /oncall can change it)",
}
KEPT_PART_OTHER = "the group's records in {name}"
KEPT_DATA = "Nothing was erased: your data stays as it was."
ERASE_FAILED = (
    "Sorry, I couldn't erase your data just now, so nothing was erased: everything is "
    "as it was. Please try /privacy delete again later. If you need support right now, "
    "use /help-now or call your local emergency number."
)
NOT_YOUR_ERASURE = (
    "These buttons belong to someone else's request, so they do nothing for you. To "
    "erase your own data, use /privacy delete."
)
NOT_ASKED_HERE = (
    "This button didn't come from your own /privacy delete, so nothing was erased. To "
    "erase your data, use /privacy delete and confirm there."
)

ACCESS_LOG_EMPTY = (
    "Nobody has looked at your data in this server. If you share something with the "
    "peer specialists (such as your plan with /plan share), every time one of them "
    "reads it is listed here: who, what and when."
)
ACCESS_LOG_TITLE = "Who looked at your data in this server, newest first ({looks}):"
LOOKS = ("look", "looks")
ACCESS_LOG_LINE = "• {when}: {viewer} read {what}"


# --- leaving: /setup privacy, members who left, the bot removed, retention --------------

SETUP_PRIVACY_DESCRIPTION = "When data of members who left is erased, and how long notes are kept"
PARAM_ERASE_AFTER_DAYS = (
    "Days after a member leaves, or the bot is removed, before their data is erased (0: next check)"
)
PARAM_RETENTION_DAYS = (
    "Days check-in notes and kept journal entries are kept before they are purged"
)
DAYS = ("day", "days")
ERASE_AT_NEXT_CHECK = "at the next daily check after they leave"
ERASE_AFTER = "{days} after they leave"
PRIVACY_SETTINGS = (
    "Data of a member who left this server is erased {erase}; if the bot is removed from "
    "the server, all of the server's data is erased on the same terms. Check-in notes and "
    "kept journal entries are purged once they are {retention} old."
)
PRIVACY_SAVED = "Saved. {settings}"
PRIVACY_UNCHANGED = "{settings} Give erase_after_days or retention_days to change it."
ERASE_AFTER_DAYS_REFUSED = (
    "erase_after_days must be a whole number of days from {low} to {high}. Nothing was changed."
)
RETENTION_DAYS_REFUSED = (
    "retention_days must be a whole number of days from {low} to {high}. Nothing was changed."
)


# --- consent: the notice at first use, /privacy settings --------------------------------

SETTINGS_DESCRIPTION = "See and change your privacy choices in this server"

# The notice (cogs/privacy/consent.py NOTICE_VERSION: raise it when this changes what it
# tells members, and everyone is shown it again once).
NOTICE = (
    "**About what the bot keeps about you here** (a one-time note, private to you)\n"
    "**What:** what you save with the bot: check-ins (and their notes, if you keep them), "
    "sober-day counters, your plan, the journal entries you choose to keep, which "
    "meetings you were at, your accountability partners and what you share with them, "
    "your time zone and these choices. A /help-now request is "
    "kept too (who asked, when, and your "
    "note), so the page to the peer specialists can be tracked.\n"
    "**Where:** in the bot's database, kept apart for each server. Notes, plans, "
    "journal entries and /help-now notes are encrypted.\n"
    "**Who sees it:** you. Peer specialists see what you choose to share (such as your "
    "plan, or the warning signs below) and the note of a /help-now, in their private "
    "channel. Your accountability partners hear only what you turn on in `/partner "
    "settings`, never your answers. Nobody else sees your answers through the bot.\n"
    "**Erasing it:** `/privacy delete` erases everything about you in this server; "
    "`/privacy export` gives you a copy first."
)
NOTICE_CHOICES = "**Your choices** (change them any time with `/privacy settings`):"
NOTICE_DEFAULTS = (
    "Nothing to do if these suit you: if you close this without choosing, they stay as "
    "shown. For someone new that means notes are kept and warning signs are not shared."
)
SETTINGS_TITLE = "**Your privacy choices in this server**"
SETTINGS_FOOTER = (
    "A change takes effect at once. `/privacy delete` erases everything about you here."
)
ON = "on"
OFF = "off"
# One line per choice, keyed by its column (cogs/privacy/consent.py Choice).
CHOICE_LINES = {
    "keep_checkin_notes": "• Keep my check-in notes (encrypted): **{state}**",
    "share_signals_with_specialists": (
        "• Share warning signs with the peer specialists: **{state}**. When your "
        "check-ins show signs such as missed days or several hard days in a row, a short "
        "line with your name goes to their channel, never your answers or notes."
    ),
}
# The buttons: each changes its choice to the other value.
TURN_ON_BUTTONS = {
    "keep_checkin_notes": "Keep my check-in notes",
    "share_signals_with_specialists": "Share warning signs with specialists",
}
TURN_OFF_BUTTONS = {
    "keep_checkin_notes": "Don't keep my check-in notes",
    "share_signals_with_specialists": "Stop sharing warning signs",
}
NOTICE_OK_BUTTON = "These are fine"
DELETE_NOTES_BUTTON = "Also delete the notes already kept"

# What a press did, shown above the choices.
CHANGED = {
    ("keep_checkin_notes", True): "Done: your check-in notes are kept again, encrypted.",
    ("keep_checkin_notes", False): (
        "Done: from now on, the notes you type in a check-in aren't kept (your other "
        "answers are). Notes you kept before are still stored: the button below deletes "
        "them too, or `/privacy delete` erases everything."
    ),
    ("share_signals_with_specialists", True): (
        "Done: warning signs from your check-ins are shared with the peer specialists "
        "from now on. Never your answers or notes."
    ),
    ("share_signals_with_specialists", False): (
        "Done: warning signs are no longer shared with the peer specialists, starting "
        "now. Signals already posted stay where they are."
    ),
}
UNCHANGED = "That was already your choice, so nothing changed."
NOTICE_OK = "Thank you. Your choices stay as they are; `/privacy settings` changes them any time."
NOTES_DELETED = "Deleted {notes} from your check-ins. Your other answers stay."
NO_NOTES_TO_DELETE = "There were no stored check-in notes to delete."
NOTES = ("note", "notes")
NOT_YOUR_CHOICES = (
    "These choices belong to someone else, so nothing was changed. `/privacy settings` "
    "shows your own."
)
