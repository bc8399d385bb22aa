from datetime import UTC, datetime

from tracker.ledger import service as ledger


def test_delivery_creates_the_sales_items_and_their_life_runs_to_accepted(session, store, people):
    at = datetime(2026, 9, 30, 2, 0, tzinfo=UTC)  # 10:00 in Shanghai, the eve of Golden Week
    _, created = ledger.record_event(
        session,
        store=store,
        type="vehicle_delivered",
        occurred_at=at,
        reference="D-1",
        by=people["sales.clerk"],
        now=at,
    )
    by_code = {d.commitment.code: d for d in created}
    assert set(by_code) == {"sales-2", "sales-7"}
    assert by_code["sales-7"].due_at == datetime(2026, 10, 10, 15, 59, 59, tzinfo=UTC)
    d = by_code["sales-7"]
    ledger.submit(
        session,
        d,
        by=people["sales.clerk"],
        now=datetime(2026, 10, 9, 3, tzinfo=UTC),
        evidence=ledger.Evidence(reference="D-1", file_path="x", file_name="x.pdf"),
    )
    ledger.accept(session, d, by=people["finance.clerk"], now=datetime(2026, 10, 9, 5, tzinfo=UTC))
    session.commit()
    assert d.status == "accepted" and d.lateness_seconds == 0
