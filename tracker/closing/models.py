"""Month close: a store's month closed by the finance lead, with the scorecard as it stood.

A close is a row of `month_close`; reopening it fills its `reopened_*` columns and closing
again adds a new row, so the table is the close's own history. At most one close of a store
and month is current (not reopened): a partial unique index holds that, also against two
leads closing at the same moment. The scorecard's figures at the close are kept in
`closed_score`, one row per (store, provider, commitment) as the scorecard computed them; the
deliverables still undecided at the close are listed in `closed_open_item`, so a later
decision on one of them is known as a post-close adjustment without comparing clocks."""

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, String, Text, text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from tracker.extensions import db
from tracker.ledger.models import Deliverable
from tracker.org.models import Person, Store
from tracker.types import UTCDateTime

CURRENT_WHERE = "reopened_at IS NULL"


class MonthClose(db.Model):
    """One close of one store's month: who closed it and when, and, once reopened, who
    reopened it, when and why."""

    __tablename__ = "month_close"
    __table_args__ = (
        Index(
            "uq_month_close_current",
            "store_id",
            "month",
            unique=True,
            sqlite_where=text(CURRENT_WHERE),
            postgresql_where=text(CURRENT_WHERE),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    month: Mapped[str] = mapped_column(String(7))  # YYYY-MM, months of the due day (due_month)
    closed_at: Mapped[datetime] = mapped_column(UTCDateTime)
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    # Deliverables due that month still undecided at the close (acknowledged when > 0).
    open_items: Mapped[int] = mapped_column(default=0)
    reopened_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    reopened_by_id: Mapped[int | None] = mapped_column(ForeignKey("person.id"))
    reopen_reason: Mapped[str | None] = mapped_column(Text)

    store: Mapped[Store] = relationship()
    closed_by: Mapped[Person | None] = relationship(foreign_keys=[closed_by_id])
    reopened_by: Mapped[Person | None] = relationship(foreign_keys=[reopened_by_id])


class ClosedScore(db.Model):
    """The scorecard of one commitment in one store for a closed month, as it stood at the
    close: the same numbers the scorecard adds up (`scorecards.service.NUMBERS`) and the
    returns by reason."""

    __tablename__ = "closed_score"
    __table_args__ = (Index("ix_closed_score_month_store", "due_month", "store_id"),)

    close_id: Mapped[int] = mapped_column(ForeignKey("month_close.id"), primary_key=True)
    provider_id: Mapped[int] = mapped_column(ForeignKey("department.id"), primary_key=True)
    commitment_id: Mapped[int] = mapped_column(ForeignKey("commitment.id"), primary_key=True)
    # Copied from the close, so the scorecard narrows these rows as it does the roll-up's.
    store_id: Mapped[int] = mapped_column(ForeignKey("store.id"))
    due_month: Mapped[str] = mapped_column(String(7))
    due: Mapped[int] = mapped_column(default=0)
    on_time: Mapped[int] = mapped_column(default=0)
    late: Mapped[int] = mapped_column(default=0)
    open_overdue: Mapped[int] = mapped_column(default=0)
    waived: Mapped[int] = mapped_column(default=0)
    open: Mapped[int] = mapped_column(default=0)
    submitted: Mapped[int] = mapped_column(default=0)
    accepted: Mapped[int] = mapped_column(default=0)
    first_pass: Mapped[int] = mapped_column(default=0)
    late_seconds: Mapped[int] = mapped_column(BigInteger, default=0)
    returned_incomplete: Mapped[int] = mapped_column(default=0)
    returned_unsigned: Mapped[int] = mapped_column(default=0)
    returned_wrong_amount: Mapped[int] = mapped_column(default=0)
    returned_other: Mapped[int] = mapped_column(default=0)


class ClosedOpenItem(db.Model):
    """A deliverable that was not decided yet when its month was closed."""

    __tablename__ = "closed_open_item"

    close_id: Mapped[int] = mapped_column(ForeignKey("month_close.id"), primary_key=True)
    deliverable_id: Mapped[int] = mapped_column(
        ForeignKey("deliverable.id"), primary_key=True, index=True
    )


# The month of a store's first deliverable, found by an index lookup (`service.open_months`).
Index("ix_deliverable_store_month", Deliverable.store_id, Deliverable.due_month)
