"""Everything /partner says, in one place. Plain, kind words: a partnership is support
between two people who chose each other, never surveillance, and never a crisis
service (/help-now is). Placeholders are filled with ids as mentions, Discord
timestamps and numbers only: nothing a member typed ever reaches another member."""

from __future__ import annotations

from core.partner_signals import Shared

GROUP_DESCRIPTION = "Accountability partners: two members who look out for each other"
INVITE_DESCRIPTION = "Invite a member to be your accountability partner"
LIST_DESCRIPTION = "Your partners, your invitations, and what each of you shares"
END_DESCRIPTION = "End a partnership or an invitation (at any time, no questions asked)"
SETTINGS_DESCRIPTION = "Choose what your partners hear about (nothing until you choose)"
NUDGE_DESCRIPTION = "Send a partner a short, kind nudge"
NUDGES_DESCRIPTION = "Take or stop nudges, from everyone or from one member"

PARAM_MEMBER = "The member"
PARAM_PARTNER = "Your partner"
PARAM_CHECKINS = "Whether they see if you checked in today, and hear when you've missed a few days"
PARAM_MILESTONES = "Whether they hear when you reach a sober-day milestone"
PARAM_WARNING_SIGNS = "Whether they hear when the bot reaches out to you about warning signs"
PARAM_HELP_NOW = "Whether they hear that you used /help-now (never your note)"
PARAM_MESSAGE = "Which nudge to send (one of the group's; a random one if you leave it out)"
PARAM_ALLOW = "on: take nudges; off: take none"
PARAM_FROM = "Only this member's nudges (leave out for everyone's)"

# What each choice shares, in the member's settings and a partner's list.
SHARED_NAMES = {
    Shared.CHECKINS: "whether they checked in today, and missed days",
    Shared.MILESTONES: "milestones",
    Shared.WARNING_SIGNS: "warning-sign nudges",
    Shared.HELP_NOW: "/help-now requests",
}
NOTHING_SHARED = "nothing yet"
DAYS = ("day", "days")

# --- Inviting ------------------------------------------------------------------------

NOT_YOURSELF = "You can't be your own accountability partner."
NOT_A_BOT = "Bots can't be accountability partners; invite a member of the group."
ALREADY_PARTNERS = "You and {member} are already partners."
ALREADY_INVITED = (
    "You've already invited {member}. The invitation stays open until {expires}; "
    "nothing is shared unless they accept."
)
INVITED_RECENTLY = (
    "You invited {member} recently, so you can invite them again from {expires}. "
    "That way nobody is asked again and again."
)
THEY_INVITED_YOU = (
    "{member} has already invited you. Use /partner list to accept or decline their invitation."
)
INVITATION_EXISTS = (
    "There is already an invitation between you and {member}; /partner list shows it."
)
TOO_MANY_PARTNERS = (
    "You already have {count}, the most this group allows (partners and open "
    "invitations together). /partner end frees a place."
)
THEY_HAVE_TOO_MANY = (
    "{member} already has as many partners as this group allows, so the invitation "
    "can't be accepted right now."
)
INVITED = (
    "Invitation sent to {member}. Nothing is shared unless they accept, and even then "
    "only what each of you chooses in /partner settings. The invitation stays open "
    "until {expires}."
)
INVITED_NO_DM = (
    "{member} doesn't take direct messages from the bot, so they'll see your "
    "invitation privately the next time they use a command here. Nothing is shared "
    "unless they accept. The invitation stays open until {expires}."
)
INVITATION = (
    "{member} would like you to be their accountability partner in **{server}**.\n\n"
    "Partners look out for each other. Each of you chooses what, if anything, the "
    "other hears about: whether you checked in today (or missed a few days), a "
    "milestone, a nudge from the bot, a /help-now request. Never what you wrote, and never "
    "anything you didn't choose. Either of you can end it at any time, without "
    "giving a reason.\n\n"
    "This invitation stays open until {expires}."
)
INVITATION_WAITING = "An invitation is waiting for you:"
ACCEPT_BUTTON = "Accept"
DECLINE_BUTTON = "Decline"

# --- Answering -----------------------------------------------------------------------

NOT_YOUR_INVITATION = "This invitation is for someone else, so only they can answer it."
INVITATION_GONE = "This invitation is no longer open: it lapsed or was withdrawn."
ALREADY_ANSWERED = "You've already answered this invitation."
ACCEPTED = (
    "You and {member} are partners now. Nothing is shared yet: choose what they may "
    "hear about with /partner settings (they choose theirs). /partner end ends it "
    "whenever you like."
)
ACCEPTED_FOR_INVITER = (
    "{member} accepted: you're accountability partners now. Nothing is shared until "
    "each of you chooses, with /partner settings."
)
DECLINED = "Declined. Nothing is shared, and {member} isn't told."

# --- Ending --------------------------------------------------------------------------

NOT_PARTNERS = "You and {member} aren't partners, and there's no invitation between you."
ENDED = "Your partnership with {member} has ended. Nothing more is shared either way."
WITHDRAWN = "Your invitation to {member} is withdrawn."
ENDED_FOR_OTHER = (
    "{member} has ended your accountability partnership. That's okay, and it isn't "
    "anyone's fault: needs change. Nothing more is shared either way, and the group is "
    "still here for you."
)

# --- Listing -------------------------------------------------------------------------

LIST_EMPTY = (
    "You have no accountability partners yet. A partner is someone in the group you "
    "trust, who looks out for you while you look out for them: /partner invite."
)
LIST_PARTNERS = "**Your partners**"
LIST_PARTNER = "{member}, since {since}. They share: {their}."
CHECKED_IN_TODAY = "Checked in today."
NOT_CHECKED_IN_TODAY = "Not checked in yet today."
LIST_SENT = "**Invitations you sent**"
LIST_SENT_ONE = "{member}, open until {expires}"
LIST_RECEIVED = "**Invitations to you** (answer with the buttons below)"
LIST_RECEIVED_ONE = "{member}, open until {expires}"
LIST_MORE = "…and {count} more."
LIST_YOU_SHARE = "You share with your partners: {shared}. Change it with /partner settings."
LIST_NO_NUDGES = "You aren't taking nudges (/partner nudges turns them back on)."
ACCEPT_FROM = "Accept {name}"
DECLINE_FROM = "Decline {name}"

# --- Settings ------------------------------------------------------------------------

SETTINGS = (
    "Your partners hear about: {shared}.\n"
    "Only that, never the contents (no mood, no notes, no substance). It's the same for "
    "all of your partners; each of them chooses what you hear about them."
)
SETTINGS_CHANGED = "Saved. " + SETTINGS

# --- Nudges --------------------------------------------------------------------------

NUDGE_NOT_PARTNER = "You can nudge only your accountability partners (/partner list)."
NUDGE_UNKNOWN = "Pick one of the nudges offered as you type."
NUDGE_NOT_TAKEN = "{member} isn't taking nudges right now."
NUDGE_LIMIT = (
    "You've nudged {member} {count} today, the most for one day, so it stays kind "
    "and never turns into pressure. You can send another from {next}."
)
NUDGE_SENT = "Nudge sent to {member}: \u201c{text}\u201d"
NUDGE_UNDELIVERED = (
    "{member} doesn't take direct messages from the bot, so the nudge couldn't reach "
    "them. It isn't counted."
)
NUDGE = (
    "A nudge from your accountability partner {member}:\n> {text}\n\n"
    "(/partner nudges stops nudges, from them or from everyone.)"
)
NUDGES_OFF_ALL = "You won't get nudges from anyone. /partner nudges allow:on brings them back."
NUDGES_ON_ALL = "You take nudges from your partners again."
NUDGES_OFF_ONE = (
    "You won't get nudges from {member}, partners or not. If they try, they're told you "
    "aren't taking nudges right now, as if you had stopped everyone's."
)
NUDGES_ON_ONE = "You take nudges from {member} again."
NUDGE_TIMES = {1: "once", 2: "twice"}

# --- What partners hear --------------------------------------------------------------

# Every signal ends with why the partner gets it, and that it is not a crisis line.
WHY = (
    "\n\n-# You get this because {member} chose to share it with you as their "
    "accountability partner. If someone is in immediate danger, call your local "
    "emergency number."
)
SIGNALS = {
    Shared.CHECKINS: (
        "{member} hasn't checked in for a few days. That's all the bot shares; a kind "
        "word from you might help (/partner nudge)."
    ),
    Shared.MILESTONES: (
        "{member} has reached **{days}** sober. It could be a good moment to say well done."
    ),
    Shared.WARNING_SIGNS: (
        "The bot noticed signs that {member} may be having a harder time lately, and is "
        "reaching out to them too. Nothing more is shared; a kind word from you can help."
    ),
    Shared.HELP_NOW: (
        "{member} asked for help with /help-now ({when}). If you can, reach out to them kindly."
    ),
}
# After a member left or was erased: nothing names them, since this message may still
# be in the outbox after their data is gone.
PARTNERSHIP_ENDED_GONE = (
    "One of your accountability partnerships here has ended: the member is no longer in "
    "the server, or asked for their data to be erased. Nothing more is shared either "
    "way; /partner list shows who you are still partners with."
)
