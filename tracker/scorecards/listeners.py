"""What the scorecards do when the ledger announces something; `connect` is called by the app
factory, so pages, commands, the scheduler and the benchmark all listen."""

from sqlalchemy.orm import Session

from tracker.ledger.signals import deliverable_decided
from tracker.scorecards.service import record_final


def add_to_rollup(session: Session, *, deliverable_id: int, **_details) -> None:
    """A deliverable just accepted or waived joins the monthly roll-up, in the same transaction."""
    record_final(session, deliverable_id)


def connect() -> None:
    """Listen to the ledger (connecting twice is harmless: blinker keeps one connection)."""
    deliverable_decided.connect(add_to_rollup)
