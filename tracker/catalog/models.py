"""The commitment catalogue: what one department owes another, versioned."""

from datetime import datetime, time

from sqlalchemy import JSON, CheckConstraint, ForeignKey, String, Text, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.calendar.deadlines import Rule
from tracker.catalog import wording
from tracker.extensions import db
from tracker.org.models import Department
from tracker.types import UTCDateTime

KINDS = ("recurring", "event", "request", "checklist")


class Commitment(db.Model):
    """A catalogue entry (an internal SLA). Its provider, receiver and kind never change;
    everything else lives in versions, so editing never touches deliverables already created."""

    __tablename__ = "commitment"
    __table_args__ = (CheckConstraint(f"kind IN {KINDS!r}", name="kind"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    catalog: Mapped[str] = mapped_column(String(40), default="dealership")
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    receiver_id: Mapped[int] = mapped_column(ForeignKey("department.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    event_type: Mapped[str | None] = mapped_column(String(40), index=True)
    current_version_id: Mapped[int | None] = mapped_column(
        ForeignKey("commitment_version.id", use_alter=True, name="fk_commitment_current_version")
    )
    retired_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)

    provider: Mapped[Department] = relationship(foreign_keys=[provider_id], lazy="joined")
    receiver: Mapped[Department] = relationship(foreign_keys=[receiver_id], lazy="joined")
    current: Mapped["CommitmentVersion"] = relationship(
        foreign_keys=[current_version_id], post_update=True, lazy="joined"
    )

    @property
    def retired(self) -> bool:
        """True once the commitment has been retired: it makes no new deliverables."""
        return self.retired_at is not None


class CommitmentVersion(db.Model):
    """One version of a commitment's wording, evidence, checklist, deadline rule and reminders."""

    __tablename__ = "commitment_version"
    __table_args__ = (UniqueConstraint("commitment_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), index=True)
    number: Mapped[int]
    title_zh: Mapped[str] = mapped_column(Text)
    title_en: Mapped[str] = mapped_column(Text)
    deadline_as_written: Mapped[str | None] = mapped_column(Text)
    evidence: Mapped[list] = mapped_column(JSON, default=list)
    checklist: Mapped[list] = mapped_column(JSON, default=list)
    # The deadline rule (see tracker.calendar.deadlines.Rule).
    frequency: Mapped[str | None] = mapped_column(String(16))
    day: Mapped[int | None]
    offset_days: Mapped[int] = mapped_column(default=0)
    day_type: Mapped[str] = mapped_column(String(16), default="calendar")
    at_time: Mapped[time | None] = mapped_column(Time)
    non_working: Mapped[str] = mapped_column(String(16), default="keep")
    # Recurring items report on an earlier period: 1 = the month (week, day) before the due one.
    period_back: Mapped[int] = mapped_column(default=0)
    # Only events at or after this local time of day trigger the commitment (sales-6: after 17:00).
    trigger_after: Mapped[time | None] = mapped_column(Time)
    reminder_policy: Mapped[dict] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))

    commitment: Mapped[Commitment] = relationship(foreign_keys=[commitment_id])

    def title(self, lang: str = "en") -> str:
        """The title in that language."""
        return self.title_zh if lang == "zh" else self.title_en

    def deadline_written(self, lang: str = "en") -> str | None:
        """The source list's wording of the deadline, in that language (catalog.wording)."""
        return wording.deadline_as_written(self.deadline_as_written, lang)

    def triggered_at(self, local_time: time) -> bool:
        """Whether an event at this local time of day calls for a deliverable."""
        return self.trigger_after is None or local_time >= self.trigger_after

    def rule(self, kind: str) -> Rule:
        """The deadline rule of this version; checklist points are due by the event day's end."""
        return Rule(
            kind="event" if kind == "checklist" else kind,
            frequency=self.frequency,
            day=self.day,
            offset_days=self.offset_days,
            day_type=self.day_type,
            at_time=self.at_time,
            non_working=self.non_working,
        )
