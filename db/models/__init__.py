"""All tables, one module per feature, registered on one metadata (`db.base.Base`)."""

from db.models.checkins import Checkin, CheckinPreference, CheckinSchedule, CheckinSignal
from db.models.coping import JournalEntry
from db.models.core import AppMeta, AuditEntry, GuildSettings, Member
from db.models.helpnow import HelpEvent, HelpRequest
from db.models.meetings import Meeting, MeetingAttendance, MeetingOccurrence, MeetingPreference
from db.models.oncall import OnCallOverride, OnCallShift
from db.models.outbox import OutboxMessage
from db.models.partners import PartnerNudge, PartnerNudgeBlock, PartnerPreference, Partnership
from db.models.plans import PlanLook, RecoveryPlan
from db.models.sober import SoberCounter, SoberPreference, SoberRun

__all__ = [
    "AppMeta",
    "AuditEntry",
    "Checkin",
    "CheckinPreference",
    "CheckinSchedule",
    "CheckinSignal",
    "GuildSettings",
    "HelpEvent",
    "HelpRequest",
    "JournalEntry",
    "Meeting",
    "MeetingAttendance",
    "MeetingOccurrence",
    "MeetingPreference",
    "Member",
    "OnCallOverride",
    "OnCallShift",
    "OutboxMessage",
    "PartnerNudge",
    "PartnerNudgeBlock",
    "PartnerPreference",
    "Partnership",
    "PlanLook",
    "RecoveryPlan",
    "SoberCounter",
    "SoberPreference",
    "SoberRun",
]
