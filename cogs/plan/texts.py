"""Every word /plan says. The plan is the member's own: these texts explain and invite,
never judge. Specialists read a plan only when the member shares it, and the member sees
each look."""

from __future__ import annotations

GROUP_DESCRIPTION = "Your relapse-prevention plan: written once, there when it matters"
SHOW_DESCRIPTION = "See your plan (only you see the answer)"
EDIT_DESCRIPTION = "Write or change one part of your plan"
SHARE_DESCRIPTION = "Let the peer specialists read your plan, or stop sharing it"
VIEW_DESCRIPTION = "Peer specialists: read a plan a member shared with you"
PARAM_PART = "Which part to write"
PARAM_SHARE = "on: the peer specialists can read it; off: only you can"
PARAM_MEMBER = "The member whose plan to read"

PART_NAMES = {
    "routine": "Daily routine",
    "supports": "Supports",
    "coping": "Coping strategies",
    "signs": "Warning signs and triggers",
    "emergency": "Emergency plan",
}

# --- The forms (labels at most 45 characters, placeholders at most 100) ---------------------
ROUTINE_LABEL = "Your daily routine"
ROUTINE_PLACEHOLDER = (
    "Waking up, meals, work, meetings, rest, bedtime: what a steady day looks like"
)
SUPPORTS_LABEL = "People who support you"
SUPPORTS_PLACEHOLDER = "One per line: a name, and how to reach them (phone, Discord, where)"
COPING_OWN_LABEL = "Your own coping strategies"
COPING_OWN_PLACEHOLDER = "Anything that helps you, one per line: a song, a walk, a prayer…"
SIGNS_OWN_LABEL = "Your own warning signs and triggers"
SIGNS_OWN_PLACEHOLDER = "What tells you things are getting harder, one per line"
CALL_LABEL = "Who to call"
CALL_PLACEHOLDER = "Names and numbers, in the order you'd try them"
GO_LABEL = "Where to go"
GO_PLACEHOLDER = "A safe place: a friend's home, a meeting, a clinic"
DO_LABEL = "What to do"
DO_PLACEHOLDER = "The first things to do when a craving gets too strong"

# --- Picking from the lists -------------------------------------------------------------------
PICK_COPING = (
    "**Coping strategies**: pick the ones that help you from the menu (you can pick several), "
    "or write your own."
)
PICK_SIGNS = (
    "**Warning signs and triggers**: pick yours from the menus (you can pick several), "
    "or write your own."
)
COPING_MENU = "Coping strategies that help you"
SIGNS_MENU = "Your warning signs"
TRIGGERS_MENU = "Your triggers"
WRITE_OWN_BUTTON = "Write my own"
PICKED_SAVED = "Saved. `/plan show` shows your whole plan."
PICK_UNKNOWN = (
    "That menu is out of date (the group changed its lists). Nothing was saved: "
    "run `/plan edit` again for a fresh one."
)

# --- Saving -------------------------------------------------------------------------------------
SAVED = "Saved **{part}**. `/plan show` shows your whole plan."
NOT_SAVED = "Nothing was saved:"
TOO_LONG = "• **{label}** is {length:,} characters; it can be at most {limit:,}."

# --- Showing ------------------------------------------------------------------------------------
SHOW_TITLE = "**Your relapse-prevention plan**"
VIEW_TITLE = "**{member}'s relapse-prevention plan**"
NOT_WRITTEN = "_Not written yet: `/plan edit part:{part}`_"
NOT_WRITTEN_OTHER = "_Not written yet._"
PLAN_EMPTY = (
    "You haven't written a plan yet. It has five parts: a daily routine, the people who "
    "support you, coping strategies, your warning signs and triggers, and an emergency "
    "plan. Start with any of them: `/plan edit`."
)
PICKED_HEADER = "From the list:"
OWN_HEADER = "In your words:"
OWN_HEADER_OTHER = "In their words:"
SIGNS_HEADER = "Warning signs:"
TRIGGERS_HEADER = "Triggers:"
CALL_LINE = "Who to call: {text}"
GO_LINE = "Where to go: {text}"
DO_LINE = "What to do: {text}"

# --- Sharing --------------------------------------------------------------------------------------
SHARING_ON = (
    "Shared with the peer specialists since {when}. Each time one of them reads it is "
    "listed here. `/plan share off` stops it."
)
SHARING_OFF = "Only you can see your plan. `/plan share on` lets the peer specialists read it."
LOOKS = "Read by peer specialists {times}; the latest:"
TIMES = ("time", "times")
LOOK_LINE = "• {viewer}, {when}"
SHARED_NOW = (
    "Your plan is now shared with this server's peer specialists: they can read it with "
    "`/plan view`, and each time they do is listed in `/plan show`. `/plan share off` "
    "stops it at any time."
)
UNSHARED_NOW = "Your plan is private again: only you can see it."
ALREADY_SHARED = "Your plan is already shared with the peer specialists."
ALREADY_PRIVATE = "Your plan is already private: only you can see it."

# --- Specialists ---------------------------------------------------------------------------------
NOT_SHARED = "{member} hasn't shared a plan with the peer specialists."
VIEW_FOOTER = "{member} can see that you read this, and when."

# --- Other features ------------------------------------------------------------------------------
NOT_YOURS = "These buttons belong to someone else's plan, so nothing was changed."
