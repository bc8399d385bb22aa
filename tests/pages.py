"""Helpers for the page tests: deals recorded through the service, queries counted."""

import re
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy import event

from tracker import clock
from tracker.extensions import db
from tracker.ledger import service as ledger

PDF = b"%PDF-1.4\n% a tiny test file\n"
# Long enough ago that sales-2 and sales-7 (2 and 3 working days) are overdue whatever holidays
# lie between (China's longest run is 9 days); ten days would not do on 10 Oct 2026, the Saturday
# worked after Golden Week.
OVERDUE = timedelta(days=30)


def deliver(
    session,
    store,
    person,
    *,
    ago: timedelta = timedelta(0),
    ref: str = "D-1001",
    customer: str = "Wang Wei",
):
    """A car delivered `ago` before the server's now (at 10:00 local so sales-6 stays out):
    returns {code: deliverable}. OVERDUE ago, sales-2 and sales-7 are overdue."""
    now = clock.now()
    local = (now - ago).astimezone(store.zone).replace(hour=10, minute=0, second=0, microsecond=0)
    at = min(local, now)
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(
            store=store, type="vehicle_delivered", occurred_at=at, reference=ref, customer=customer
        ),
        by=person,
        now=now,
    )
    session.commit()
    return {d.commitment.code: d for d in created}


def submit(session, deliverable, person, reason="late, sorry", at: datetime | None = None):
    """Hand a deliverable in through the service (with a file, as sales-7 needs)."""
    s = ledger.submit(
        session,
        deliverable,
        by=person,
        now=at or clock.now(),
        evidence=ledger.Evidence(
            reference=deliverable.reference, file_path="x.pdf", file_name="slip.pdf"
        ),
        late_reason=reason,
    )
    session.commit()
    return s


def token(client, path: str) -> str:
    """The CSRF token of the form at `path`."""
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def error_beside(html: str, field_id: str) -> str | None:
    """The error shown beside a field (the `_form.field` macro's markup), if any."""
    match = re.search(rf'id="{re.escape(field_id)}-error">([^<]+)<', html)
    return match.group(1) if match else None


@contextmanager
def counted_queries():
    """Count the SQL statements run inside the block."""
    statements = []

    def count(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(db.engine, "before_cursor_execute", count)


def snapshot(connection=None) -> dict[str, list[tuple]]:
    """Every row of every table, so an UPDATE shows as well as an INSERT or DELETE (for "a
    refusal writes nothing")."""
    if connection is None:
        with db.engine.connect() as c:
            return snapshot(c)
    tables = sa.inspect(connection).get_table_names()
    return {
        t: sorted(map(tuple, connection.execute(sa.text(f"SELECT * FROM {t}"))), key=repr)
        for t in tables
    }


def other_departments_history(session, store, people, now):
    """Earlier work of Loans, Insurance and Customer Service, so the scorecard has neighbours:
    imported history, as `tracker deliverable ... --at` would (the times are given)."""
    start = now - timedelta(days=12)
    plan = [  # (event type, provider, hours after the event it was handed in, returned first)
        ("loan_disbursed", "loans", 3, False),
        ("loan_disbursed", "loans", 5, False),
        ("loan_disbursed", "loans", 200, False),
        ("policy_issued", "insurance", 2, False),
        ("policy_issued", "insurance", 4, True),
        ("policy_issued", "insurance", None, False),
        ("vehicle_picked_up", "service", 1, False),
        ("vehicle_picked_up", "service", 30, True),
    ]
    finance = people["finance.clerk"]
    for n, (event_type, provider, hours, returned) in enumerate(plan):
        at = start + timedelta(hours=n)
        _, created = ledger.record_event(
            session,
            ledger.NewEvent(
                store=store,
                type=event_type,
                occurred_at=at,
                reference=f"H-{n:03d}",
                amount="1800.00",
            ),
            by=people[f"{provider}.clerk"],
            now=at,
        )
        if hours is None:
            continue
        for d in created:
            handed = at + timedelta(hours=hours)
            evidence = ledger.Evidence(reference=f"H-{n:03d}", amount="1800.00")
            by = people[f"{provider}.clerk"]
            ledger.submit(session, d, by=by, now=handed, evidence=evidence, late_reason="late")
            if returned:
                ledger.return_deliverable(
                    session, d, by=finance, now=handed + timedelta(hours=1), reason="incomplete"
                )
                handed += timedelta(hours=2)
                ledger.submit(session, d, by=by, now=handed, evidence=evidence, late_reason="x")
            ledger.accept(session, d, by=finance, now=handed + timedelta(hours=1))
    session.commit()
