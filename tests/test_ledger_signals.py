"""The ledger announces each decision (`deliverable_decided`) in the transaction that made it;
the scorecards listen (tests/test_ledger_structure.py: the ledger never imports them)."""

from datetime import timedelta

from sqlalchemy import func, select

from tracker.ledger import service as ledger
from tracker.ledger.signals import deliverable_decided
from tracker.scorecards.models import ScoreMonth


def delivery(session, store, people, now) -> dict:
    """A car delivered an hour before `now`: {code: deliverable}."""
    at = now - timedelta(hours=1)
    new = ledger.NewEvent(store=store, type="vehicle_delivered", occurred_at=at, reference="D-1")
    _, created = ledger.record_event(session, new, by=people["sales.clerk"], now=at)
    return {d.commitment.code: d for d in created}


def test_accepting_and_waiving_announce_the_decision_returning_does_not(
    session, store, people, now
):
    heard = []
    made = delivery(session, store, people, now)
    slip, forms = made["sales-2"], made["sales-7"]
    evidence = ledger.Evidence(reference="D-1", file_path="x.pdf")
    clerk, finance = people["sales.clerk"], people["finance.clerk"]
    with deliverable_decided.connected_to(lambda sender, **kw: heard.append((sender, kw))):
        ledger.submit(session, slip, by=clerk, now=now, evidence=evidence)
        ledger.return_deliverable(session, slip, by=finance, now=now, reason="unsigned")
        ledger.submit(session, slip, by=clerk, now=now, evidence=evidence)
        ledger.accept(session, slip, by=finance, now=now)
        ledger.waive(session, forms, by=finance, now=now, reason="n/a")
    assert heard == [
        (session, {"deliverable_id": slip.id, "status": "accepted"}),
        (session, {"deliverable_id": forms.id, "status": "waived"}),
    ]


def test_the_scorecards_roll_up_a_decision_in_its_transaction(session, store, people, now):
    made = delivery(session, store, people, now)
    session.commit()
    ledger.waive(session, made["sales-7"], by=people["finance.clerk"], now=now, reason="n/a")
    assert session.scalar(select(func.sum(ScoreMonth.waived))) == 1
    session.rollback()
    assert session.scalar(select(func.count()).select_from(ScoreMonth)) == 0
