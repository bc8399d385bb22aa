"""Internal complaints: one person's complaint about a department's service in their store,
owned by the first person of that department to open it (first-contact responsibility) and
answered within a time limit set by its severity, in the store's working time."""

from datetime import datetime

from sqlalchemy import CheckConstraint, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.ledger.models import Deliverable
from tracker.org.models import Department, Person, Store
from tracker.types import UTCDateTime

SEVERITIES = ("urgent", "high", "normal", "low")
# new: filed, nobody has opened it; open: owned, not answered (again after a reopen);
# answered: waiting for the complainant to close or reopen it; closed: the complainant agreed.
STATUSES = ("new", "open", "answered", "closed")


class Complaint(db.Model):
    """A complaint about a department's service: what happened, its severity, its owner (the
    first of the department to open it) and its answer time (`due_at`, of the current round:
    a reopen starts a new round and a new time limit)."""

    __tablename__ = "complaint"
    __table_args__ = (
        CheckConstraint(f"severity IN {SEVERITIES!r}", name="severity"),
        CheckConstraint(f"status IN {STATUSES!r}", name="status"),
        Index("ix_complaint_department_store_status", "department_id", "store_id", "status"),
        Index("ix_complaint_store_month", "store_id", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    department_id: Mapped[int] = mapped_column(ForeignKey("department.id"))
    filed_by_id: Mapped[int] = mapped_column(ForeignKey("person.id"), index=True)
    severity: Mapped[str] = mapped_column(String(16))
    what: Mapped[str] = mapped_column(Text)
    deliverable_id: Mapped[int | None] = mapped_column(ForeignKey("deliverable.id"))
    reference: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16), default="new")
    filed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM of filing, in the store's zone
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"), index=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    round: Mapped[int] = mapped_column(default=1)
    round_started_at: Mapped[datetime] = mapped_column(UTCDateTime)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # None until the first answer; False once any round's answer came after its time limit.
    answered_in_time: Mapped[bool | None] = mapped_column()
    note: Mapped[str | None] = mapped_column(Text)  # the complainant's note when reopening
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)

    store: Mapped[Store] = relationship()
    department: Mapped[Department] = relationship()
    filed_by: Mapped[Person] = relationship(foreign_keys=[filed_by_id])
    owner: Mapped[Person | None] = relationship(foreign_keys=[owner_id])
    deliverable: Mapped[Deliverable | None] = relationship()

    @property
    def waiting_for_answer(self) -> bool:
        return self.status in ("new", "open")
