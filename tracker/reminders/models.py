"""The outbox (one row per reminder, one per email) and the scheduler's lease."""

from datetime import datetime

from sqlalchemy import JSON, CheckConstraint, ForeignKey, Index, LargeBinary, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.complaints.models import Complaint
from tracker.extensions import db
from tracker.ledger.models import Deliverable
from tracker.org.models import Department, Person, Store
from tracker.types import UTCDateTime

# "decision", "decision_head": a submission waiting past its decision time (ledger.turnaround).
# The instant notices (tracker.reminders.notices): an item returned or waived, something handed
# in, a request raised.
NOTICE_KINDS = ("returned", "waived", "handed_in", "requested")
# A complaint's notice, answer time passed, escalation, its answer to the complainant
# (tracker.complaints.reminders).
COMPLAINT_KINDS = ("complaint", "complaint_due", "complaint_esc", "complaint_ans")
ITEM_KINDS = (
    "before",
    "due",
    "overdue",
    "escalation",
    "summary",
    "decision",
    "decision_head",
    *NOTICE_KINDS,
    *COMPLAINT_KINDS,
)
ITEM_STATUSES = ("pending", "batched", "sent", "cancelled", "failed")
MESSAGE_STATUSES = ("pending", "sent", "failed", "cancelled")


class OutboxItem(db.Model):
    """One reminder to one person, written once: `key` is unique over
    (deliverable, kind, step, recipient), or (store, department, day, recipient) for a summary."""

    __tablename__ = "outbox_item"
    __table_args__ = (
        CheckConstraint(f"kind IN {ITEM_KINDS!r}", name="kind"),
        CheckConstraint(f"status IN {ITEM_STATUSES!r}", name="status"),
        Index("ix_outbox_item_status_person", "status", "person_id"),
        # A message's items in a state (recording a message as sent, checking it again).
        Index("ix_outbox_item_message_status", "message_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    step: Mapped[int] = mapped_column(default=0)
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverable.id"), index=True)
    complaint_id: Mapped[int | None] = mapped_column(ForeignKey("complaint.id"), index=True)
    department_id: Mapped[int | None] = mapped_column(ForeignKey("department.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    eligible_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    message_id: Mapped[int | None] = mapped_column(ForeignKey("outbox_message.id"))
    # A summary's list of deliverable ids overdue to the department when it was written.
    payload: Mapped[dict | None] = mapped_column(JSON)
    cancelled_reason: Mapped[str | None] = mapped_column(String(40))

    deliverable: Mapped[Deliverable | None] = relationship()
    complaint: Mapped[Complaint | None] = relationship()
    department: Mapped[Department | None] = relationship()
    person: Mapped[Person] = relationship()
    store: Mapped[Store] = relationship()
    message: Mapped["OutboxMessage | None"] = relationship(back_populates="items")


class OutboxMessage(db.Model):
    """One digest email to one person: the items of one pass, rendered in their language.

    `message_id` (the Message-ID header) is derived from the items' keys, so the same message
    sent again after a crash carries the same Message-ID and can be recognised. `raw` is the
    whole email (headers, text and HTML parts) built when the digest is composed, or
    re-rendered before sending; delivery sends these bytes unchanged. Subject, address and
    bodies are kept beside them for the administrators' pages."""

    __tablename__ = "outbox_message"
    __table_args__ = (
        CheckConstraint(f"status IN {MESSAGE_STATUSES!r}", name="status"),
        Index("ix_outbox_message_status_next", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    message_id: Mapped[str] = mapped_column(String(255), unique=True)
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    language: Mapped[str] = mapped_column(String(5))
    to_address: Mapped[str] = mapped_column(String(254))
    subject: Mapped[str] = mapped_column(Text)
    body_text: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    raw: Mapped[bytes | None] = mapped_column(LargeBinary, deferred=True)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UTCDateTime)
    claimed_by: Mapped[str | None] = mapped_column(String(120))
    claimed_until: Mapped[datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    failed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship()
    store: Mapped[Store] = relationship()
    items: Mapped[list[OutboxItem]] = relationship(
        back_populates="message", order_by="OutboxItem.id"
    )


class SchedulerLease(db.Model):
    """Who runs the scheduler, on databases without advisory locks (SQLite): a row renewed by
    the holder and taken over by another process once `expires_at` has passed."""

    __tablename__ = "scheduler_lease"

    name: Mapped[str] = mapped_column(String(40), primary_key=True)
    holder: Mapped[str] = mapped_column(String(120))
    acquired_at: Mapped[datetime] = mapped_column(UTCDateTime)
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime)


class Preference(db.Model):
    """A person's choice of when the reminders reach them: the time of day of their digest
    (None: as soon as something waits in working time) and, for each group of instant notices,
    whether it arrives at once or waits for the digest. Overdue reminders and escalations have
    no choice: they always come, in the digest. No row: the defaults (all at once)."""

    __tablename__ = "reminder_preference"

    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"), primary_key=True)
    digest_at: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", the store's local time
    returned_at_once: Mapped[bool] = mapped_column(default=True, server_default=true())
    handed_in_at_once: Mapped[bool] = mapped_column(default=True, server_default=true())
    requested_at_once: Mapped[bool] = mapped_column(default=True, server_default=true())
