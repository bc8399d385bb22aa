"""Business events, deliverables, submissions, waivers and the audit trail."""

from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Index,
    Numeric,
    String,
    Text,
    UniqueConstraint,
    func,
    literal_column,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.catalog.models import Commitment, CommitmentVersion
from tracker.extensions import db
from tracker.org.models import Person, Store
from tracker.types import UTCDateTime

STATUSES = ("open", "submitted", "accepted", "returned", "waived")
OPEN_STATUSES = ("open", "returned")  # the provider still owes something
FINAL_STATUSES = ("accepted", "waived")  # decided for good: a deliverable never leaves them
LIVE_STATUSES = tuple(s for s in STATUSES if s not in FINAL_STATUSES)
LIVE_WHERE = "status IN ({})".format(", ".join(f"'{s}'" for s in LIVE_STATUSES))
RETURN_REASONS = ("incomplete", "unsigned", "wrong_amount", "other")
# Why a provider asks to pause a deliverable (a hold), and where a hold stands.
HOLD_REASONS = ("customer_signature", "bank", "insurer", "other")
HOLD_STATUSES = ("pending", "active", "refused", "ended", "withdrawn")


class EventType(db.Model):
    """A kind of business event a clerk can record, named in both languages (the data of the
    catalogue that brought it; `tracker.ledger.service.event_types` lists them)."""

    __tablename__ = "event_type"

    code: Mapped[str] = mapped_column(String(40), primary_key=True)
    name_en: Mapped[str] = mapped_column(String(200))
    name_zh: Mapped[str] = mapped_column(String(200))
    position: Mapped[int] = mapped_column()  # the order of the "What happened" list

    def name(self, language: str) -> str:
        """The name in this language (zh or en)."""
        return self.name_zh if language == "zh" else self.name_en


class BusinessEvent(db.Model):
    """Something that happened in a store (a car delivered, a loan paid out) with its reference."""

    __tablename__ = "business_event"
    __table_args__ = (
        # What a DMS export or the API says an event is: each (store, source, id) recorded once.
        Index("uq_business_event_external", "store_id", "source", "external_id", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), index=True)
    type: Mapped[str] = mapped_column(String(40))
    occurred_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reference: Mapped[str] = mapped_column(String(100), index=True)
    customer: Mapped[str | None] = mapped_column(String(200))
    vin: Mapped[str | None] = mapped_column(String(17))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    recorded_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
    # A wrongly recorded event is cancelled, never deleted: when and why (who: the audit trail).
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    cancel_reason: Mapped[str | None] = mapped_column(Text)
    # Where it came from when a system sent it (an import mapping's name, "api"), and that
    # system's own id for it; both None when a person recorded it.
    source: Mapped[str | None] = mapped_column(String(40))
    external_id: Mapped[str | None] = mapped_column(String(100))

    store: Mapped[Store] = relationship()
    recorded_by: Mapped[Person | None] = relationship(foreign_keys=[recorded_by_id])

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


class Deliverable(db.Model):
    """One occurrence of a commitment. Its due time is fixed when it is created."""

    __tablename__ = "deliverable"
    __table_args__ = (
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        Index("ix_deliverable_store_status_due", "store_id", "status", "due_at"),
        Index("ix_deliverable_month_provider", "due_month", "provider_id", "store_id"),
        Index("ix_deliverable_status_due", "status", "due_at"),
        # The deliverables behind a scorecard number: one month's, by due time (bench: 3-5 s
        # through ix_deliverable_status_due at 1.1M rows, every accepted one read).
        Index("ix_deliverable_month_due", "due_month", "due_at"),
        # The scorecards' live part: the deliverables not decided yet (a few percent), by month,
        # with every column it reads, so they are counted from this small index alone. A query
        # uses it when its WHERE holds LIVE_WHERE word for word (`live()`).
        Index(
            "ix_deliverable_live_month",
            "due_month",
            "store_id",
            "provider_id",
            "commitment_id",
            "due_at",
            "status",
            "held_since",
            # What the amounts at risk read of each (a deal: store, reference, event), so that
            # they are read from the index alone too (migration 0020).
            "event_id",
            "reference",
            "amount",
            "id",
            sqlite_where=text(LIVE_WHERE),
            postgresql_where=text(LIVE_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), index=True)
    version_id: Mapped[int] = mapped_column(ForeignKey("commitment_version.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    # Copied from the commitment, which never changes them, so lists and scorecards need no join.
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    receiver_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    event_id: Mapped[int | None] = mapped_column(ForeignKey("business_event.id"), index=True)
    # Makes creation idempotent: one deliverable per (commitment, store, occurrence) or per
    # (commitment, event); NULL for requests, each of which is its own occurrence.
    dedupe_key: Mapped[str | None] = mapped_column(String(120), unique=True)
    occurrence_date: Mapped[date | None] = mapped_column(Date)
    period: Mapped[str | None] = mapped_column(String(10))
    reference: Mapped[str | None] = mapped_column(String(100), index=True)
    request_note: Mapped[str | None] = mapped_column(Text)
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_month: Mapped[str] = mapped_column(String(7))  # YYYY-MM of the due day in the store's zone
    status: Mapped[str] = mapped_column(String(16), default="open")
    state_version: Mapped[int] = mapped_column(default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    last_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # Set on acceptance: the submission finally accepted decides on time and lateness.
    final_submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    lateness_seconds: Mapped[int | None]
    return_count: Mapped[int] = mapped_column(default=0)
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    # Who answers for it in the providing department: reminded first, the rest of the
    # department through the ladder (None: the whole department, as before owners).
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    # Set while an approved hold lasts: not overdue, nobody reminded (tracker.ledger.holds).
    held_since: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # While submitted: when the receiving side should have decided (its turnaround).
    decide_by: Mapped[datetime | None] = mapped_column(UTCDateTime)

    commitment: Mapped[Commitment] = relationship(lazy="joined")
    version: Mapped[CommitmentVersion] = relationship(lazy="joined")
    store: Mapped[Store] = relationship(lazy="joined")
    event: Mapped[BusinessEvent | None] = relationship()
    submissions: Mapped[list["Submission"]] = relationship(
        back_populates="deliverable", order_by="Submission.seq"
    )
    waiver: Mapped["Waiver | None"] = relationship(back_populates="deliverable")
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])

    def is_overdue(self, now: datetime) -> bool:
        """Still owed by the provider and past its due time."""
        return self.status in OPEN_STATUSES and self.due_at < now and self.held_since is None


def is_live():
    """LIVE_WHERE as an expression, its values written into the SQL rather than bound, so that
    the partial index `ix_deliverable_live_month` can serve the query."""
    return Deliverable.status.in_([literal_column(f"'{s}'") for s in LIVE_STATUSES])


# A deal's file (`/deals?ref=`) finds its events and deliverables by reference in any case,
# `lower(reference) = ?`, which the plain reference indexes cannot serve (bench: 160 ms of SQL
# at 11M deliverables, growing with the history). Migration 0018.
Index("ix_business_event_reference_lower", func.lower(BusinessEvent.reference))
Index("ix_deliverable_reference_lower", func.lower(Deliverable.reference))


class Submission(db.Model):
    """One hand-over of a deliverable; every one is kept, with the return reason if returned."""

    __tablename__ = "submission"
    __table_args__ = (
        UniqueConstraint("deliverable_id", "seq"),
        # A person's own submissions, latest first (the clerk's day). Migration 0020.
        Index("ix_submission_submitted_by", "submitted_by_id", "submitted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id"), index=True)
    seq: Mapped[int]
    submitted_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reference: Mapped[str | None] = mapped_column(String(100))
    amount: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    note: Mapped[str | None] = mapped_column(Text)
    late_reason: Mapped[str | None] = mapped_column(Text)
    file_name: Mapped[str | None] = mapped_column(String(255))
    file_path: Mapped[str | None] = mapped_column(String(500))
    file_type: Mapped[str | None] = mapped_column(String(100))
    file_size: Mapped[int | None]
    outcome: Mapped[str] = mapped_column(String(16), default="pending")
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    return_reason: Mapped[str | None] = mapped_column(String(32))
    return_note: Mapped[str | None] = mapped_column(Text)
    checklist: Mapped[list | None] = mapped_column(JSON)
    # The receiving side's turnaround: decide by, and once decided, the month of the decision
    # (store's zone) and the working time it took (tracker.ledger.holds.decision_fields).
    decide_by: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_month: Mapped[str | None] = mapped_column(String(7), index=True)
    decision_working_seconds: Mapped[int | None]

    deliverable: Mapped[Deliverable] = relationship(back_populates="submissions")
    submitted_by: Mapped[Person | None] = relationship(foreign_keys=[submitted_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class Waiver(db.Model):
    """A deliverable declared not applicable by the receiving side, with its reason."""

    __tablename__ = "waiver"

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id"), unique=True)
    reason: Mapped[str] = mapped_column(Text)
    waived_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    waived_at: Mapped[datetime] = mapped_column(UTCDateTime)

    deliverable: Mapped[Deliverable] = relationship(back_populates="waiver")


class CommitmentOwner(db.Model):
    """The default owner of a commitment's recurring and requested deliverables in one store,
    set by the providing department's head."""

    __tablename__ = "commitment_owner"
    __table_args__ = (UniqueConstraint("commitment_id", "store_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    person_id: Mapped[int] = mapped_column(ForeignKey("person.id"))
    set_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    set_at: Mapped[datetime] = mapped_column(UTCDateTime)

    person: Mapped[Person] = relationship(foreign_keys=[person_id])


class Hold(db.Model):
    """A provider's request to pause a deliverable, the receiving side's answer, and how long
    it lasted in working time (the due time moved later by as much when it ended)."""

    __tablename__ = "deliverable_hold"
    __table_args__ = (
        CheckConstraint(f"status IN {HOLD_STATUSES!r}", name="status"),
        Index("ix_deliverable_hold_deliverable", "deliverable_id", "status"),
        Index("ix_deliverable_hold_store_status", "store_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(ForeignKey("deliverable.id"))
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    reason: Mapped[str] = mapped_column(String(32))
    note: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), default="pending")
    requested_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # approved: the hold starts
    ended_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    working_seconds: Mapped[int | None]
    due_before: Mapped[datetime | None] = mapped_column(UTCDateTime)
    due_after: Mapped[datetime | None] = mapped_column(UTCDateTime)

    deliverable: Mapped[Deliverable] = relationship()
    requested_by: Mapped[Person | None] = relationship(foreign_keys=[requested_by_id])
    decided_by: Mapped[Person | None] = relationship(foreign_keys=[decided_by_id])


class AuditEntry(db.Model):
    """One change of state: who did what to which row, when by the server's clock."""

    __tablename__ = "audit_entry"
    __table_args__ = (Index("ix_audit_entry_entity", "entity", "entity_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    store_id: Mapped[int | None] = mapped_column(ForeignKey("store.id"))
    entity: Mapped[str] = mapped_column(String(40))
    entity_id: Mapped[int]
    action: Mapped[str] = mapped_column(String(40))
    from_status: Mapped[str | None] = mapped_column(String(16))
    to_status: Mapped[str | None] = mapped_column(String(16))
    detail: Mapped[dict | None] = mapped_column(JSON)

    actor: Mapped[Person | None] = relationship()
