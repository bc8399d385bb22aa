"""The scorecards' monthly roll-up of decided deliverables.

Accepted and waived are final: once a deliverable gets there it never changes again, so its
contribution to every number of the scorecard is fixed and is added here, once, in the same
transaction as the change (`tracker.scorecards.service.record_final`). The scorecard reads these
few thousand rows for the decided part and the deliverable table only for what is still owed or
waiting for a decision (open, returned, submitted: the small live part). See
docs/scorecards.md."""

from sqlalchemy import BigInteger, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from tracker.extensions import db


class ScoreMonth(db.Model):
    """Decided deliverables of one commitment in one store, by month of the due day: counts
    by outcome, the summed lateness of the late ones, and how many were returned at least once
    for each reason."""

    __tablename__ = "score_month"
    __table_args__ = (Index("ix_score_month_month_provider", "due_month", "provider_id"),)

    due_month: Mapped[str] = mapped_column(String(7), primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), primary_key=True)
    # Decided (accepted or waived) deliverables due that month.
    due: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    waived: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    first_pass: Mapped[int] = mapped_column(default=0)
    # Sum over the late ones of the seconds from the due time to the accepted submission.
    late_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    # Deliverables returned at least once for each reason (ledger.models.RETURN_REASONS).
    returned_incomplete: Mapped[int] = mapped_column(default=0)
    returned_unsigned: Mapped[int] = mapped_column(default=0)
    returned_wrong_amount: Mapped[int] = mapped_column(default=0)
    returned_other: Mapped[int] = mapped_column(default=0)
