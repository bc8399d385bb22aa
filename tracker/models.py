"""Every model, imported in one place so the metadata (and Alembic) sees them all."""

from tracker.api.models import ApiToken
from tracker.auth.models import SignInThrottle
from tracker.calendar.models import CalendarOverride, OfficialDay
from tracker.catalog.models import Commitment, CommitmentVersion
from tracker.channels.models import Robot, RobotMessage
from tracker.closing.models import ClosedOpenItem, ClosedScore, MonthClose
from tracker.complaints.models import Complaint
from tracker.feeds.models import FeedKey
from tracker.imports.models import ImportedFile, ImportMapping
from tracker.ledger.models import (
    AuditEntry,
    BusinessEvent,
    CommitmentOwner,
    Deliverable,
    EventType,
    Submission,
    Waiver,
)
from tracker.org.models import Department, GroupSetting, Person, Store
from tracker.reminders.models import OutboxItem, OutboxMessage, SchedulerLease
from tracker.satisfaction.models import DecisionRating, Survey, SurveyAnswer, SurveyResponse
from tracker.scorecards.models import ScoreMonth

__all__ = [
    "ApiToken",
    "AuditEntry",
    "BusinessEvent",
    "CalendarOverride",
    "ClosedOpenItem",
    "ClosedScore",
    "Commitment",
    "CommitmentOwner",
    "CommitmentVersion",
    "DecisionRating",
    "Complaint",
    "Deliverable",
    "Department",
    "EventType",
    "FeedKey",
    "ImportedFile",
    "ImportMapping",
    "MonthClose",
    "OfficialDay",
    "GroupSetting",
    "OutboxItem",
    "OutboxMessage",
    "Person",
    "Robot",
    "RobotMessage",
    "SchedulerLease",
    "ScoreMonth",
    "SignInThrottle",
    "Store",
    "Submission",
    "Survey",
    "SurveyAnswer",
    "SurveyResponse",
    "Waiver",
]
