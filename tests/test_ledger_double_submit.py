"""Two tabs (two connections, two transactions) acting on one deliverable at the same moment:
the first takes effect, the other gets a clear Conflict and writes nothing. Runs on SQLite
and, with TRACKER_TEST_DATABASE_URL, on PostgreSQL."""

import threading
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import Conflict
from tracker.extensions import db
from tracker.ledger import service as ledger
from tracker.ledger.models import AuditEntry, Deliverable, Submission
from tracker.org.models import Person

SH = ZoneInfo("Asia/Shanghai")
AT = datetime(2026, 10, 13, 15, 0, tzinfo=SH)
CHANGED = "was changed by someone else a moment ago (perhaps in another tab); nothing was done"


@pytest.fixture
def delivery(session, store, people):
    """sales-7 of a car delivered on Monday 12 Oct 2026, open, committed."""
    _, created = ledger.record_event(
        session,
        ledger.NewEvent(
            store=store,
            type="vehicle_delivered",
            occurred_at=AT - timedelta(days=1),
            reference="D-1",
        ),
        by=people["sales.clerk"],
        now=AT - timedelta(days=1),
    )
    d = next(d for d in created if d.commitment.code == "sales-7")
    session.commit()
    return d.id


def evidence(tab: str) -> ledger.Evidence:
    return ledger.Evidence(reference=f"D-1 from {tab}", file_path=f"{tab}.pdf")


def race(app, deliverable_id: int, actions: dict) -> dict:
    """Run each action in its own thread, connection and session. All read the deliverable,
    wait at a barrier, then act and commit. Returns each action's outcome (or exception)."""
    barrier = threading.Barrier(len(actions), timeout=30)
    outcomes = {}

    def tab(name, action):
        with app.app_context(), db.engine.connect() as connection:
            with Session(bind=connection, expire_on_commit=False) as session:
                try:
                    deliverable = session.get(Deliverable, deliverable_id)
                    seen = deliverable.status  # read before anyone writes
                    barrier.wait()
                    action(session, deliverable)
                    session.commit()
                    outcomes[name] = ("done", seen)
                except Exception as exc:  # noqa: BLE001 - reported to the test thread
                    session.rollback()
                    outcomes[name] = (exc, None)

    threads = [threading.Thread(target=tab, args=item) for item in actions.items()]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert not any(t.is_alive() for t in threads), "a tab hung"
    return outcomes


def person(session: Session, person_id: int) -> Person:
    # By id, read before the race: touching the test session's objects from a tab's thread
    # would make the two threads share that session.
    return session.get(Person, person_id)


def submitter(people, tab):
    clerk = people["sales.clerk"].id

    def act(session, d):
        ledger.submit(session, d, by=person(session, clerk), now=AT, evidence=evidence(tab))

    return act


def split(outcomes: dict) -> tuple[list, list]:
    done = [name for name, (result, _) in outcomes.items() if result == "done"]
    failed = [result for result, _ in outcomes.values() if result != "done"]
    return done, failed


def test_two_tabs_submitting_at_once_submit_once(app, session, people, delivery):
    outcomes = race(
        app, delivery, {"tab A": submitter(people, "tab A"), "tab B": submitter(people, "tab B")}
    )
    done, failed = split(outcomes)
    assert len(done) == 1, outcomes
    assert len(failed) == 1 and isinstance(failed[0], Conflict), outcomes
    assert f"deliverable {delivery} {CHANGED}" in failed[0].message
    assert all(seen in ("open", None) for _, seen in outcomes.values())
    session.expire_all()
    d = session.get(Deliverable, delivery)
    assert (d.status, d.state_version) == ("submitted", 2)
    (s,) = session.scalars(select(Submission).where(Submission.deliverable_id == delivery))
    assert s.reference == f"D-1 from {done[0]}" and s.seq == 1
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.entity_id == delivery).order_by(AuditEntry.id)
    ).all()
    assert actions == ["created", "submitted"]


def test_accept_and_return_at_once_take_effect_once(app, session, people, delivery):
    d = session.get(Deliverable, delivery)
    ledger.submit(session, d, by=people["sales.clerk"], now=AT, evidence=evidence("tab"))
    session.commit()
    clerk, head = people["finance.clerk"].id, people["finance.head"].id

    def accept(s, d):
        ledger.accept(s, d, by=person(s, clerk), now=AT + timedelta(hours=1))

    def give_back(s, d):
        ledger.return_deliverable(
            s,
            d,
            by=person(s, head),
            now=AT + timedelta(hours=1),
            reason="unsigned",
        )

    outcomes = race(app, delivery, {"accept": accept, "return": give_back})
    done, failed = split(outcomes)
    assert len(done) == 1 and len(failed) == 1, outcomes
    assert isinstance(failed[0], Conflict) and CHANGED in failed[0].message
    session.expire_all()
    d = session.get(Deliverable, delivery)
    (s,) = session.scalars(select(Submission).where(Submission.deliverable_id == delivery))
    if done == ["accept"]:
        assert (d.status, d.return_count, s.outcome) == ("accepted", 0, "accepted")
    else:
        assert (d.status, d.return_count, s.outcome) == ("returned", 1, "returned")
        assert s.return_reason == "unsigned"
    assert d.state_version == 3
    decisions = session.scalar(
        select(func.count())
        .select_from(AuditEntry)
        .where(AuditEntry.entity_id == delivery, AuditEntry.action.in_(["accepted", "returned"]))
    )
    assert decisions == 1


def test_stale_tab_cannot_submit_over_a_newer_state(session, people, delivery):
    d = session.get(Deliverable, delivery)
    seen_version = d.state_version  # the form in the stale tab carries this
    ledger.submit(session, d, by=people["sales.clerk"], now=AT, evidence=evidence("tab A"))
    ledger.return_deliverable(
        session, d, by=people["finance.clerk"], now=AT + timedelta(hours=1), reason="incomplete"
    )
    session.commit()
    assert d.status == "returned"  # submittable again, but not what the stale tab saw
    with pytest.raises(Conflict, match="changed by someone else a moment ago"):
        ledger.submit(
            session,
            d,
            by=people["sales.clerk"],
            now=AT + timedelta(hours=2),
            evidence=evidence("tab B"),
            expected_version=seen_version,
        )
    session.rollback()
    assert session.scalar(select(func.count()).select_from(Submission)) == 1
    assert d.status == "returned"
    ledger.submit(
        session,
        d,
        by=people["sales.clerk"],
        now=AT + timedelta(hours=2),
        evidence=evidence("tab B"),
        expected_version=d.state_version,
    )
    assert d.status == "submitted" and d.state_version == 4


def test_stale_tab_cannot_accept_a_resubmission_it_has_not_seen(session, people, delivery):
    d = session.get(Deliverable, delivery)
    ledger.submit(session, d, by=people["sales.clerk"], now=AT, evidence=evidence("first"))
    seen_version = d.state_version
    ledger.return_deliverable(
        session, d, by=people["finance.head"], now=AT + timedelta(hours=1), reason="unsigned"
    )
    ledger.submit(
        session, d, by=people["sales.clerk"], now=AT + timedelta(hours=2), evidence=evidence("2nd")
    )
    session.commit()
    with pytest.raises(Conflict, match="reload it to see where it stands"):
        ledger.accept(
            session,
            d,
            by=people["finance.clerk"],
            now=AT + timedelta(hours=3),
            expected_version=seen_version,
        )
    session.rollback()
    assert d.status == "submitted"


def test_second_submit_in_the_same_tab_is_refused(session, people, delivery):
    d = session.get(Deliverable, delivery)
    ledger.submit(session, d, by=people["sales.clerk"], now=AT, evidence=evidence("tab"))
    with pytest.raises(Conflict, match=f"deliverable {delivery} is submitted; nothing to submit"):
        ledger.submit(session, d, by=people["sales.clerk"], now=AT, evidence=evidence("tab"))


def test_two_processes_ensuring_recurring_items_at_once_create_each_once(app, session, store):
    """The scheduler and a `tracker sweep` started by hand (say) both fill the next weeks."""
    store_id = store.id
    barrier = threading.Barrier(2, timeout=30)
    outcomes = {}

    def job(name):
        with app.app_context(), db.engine.connect() as connection:
            with Session(bind=connection) as s:
                try:
                    stores = [s.get(type(store), store_id)]
                    barrier.wait()
                    created = ledger.ensure_recurring(s, now=AT, stores=stores)
                    s.commit()
                    outcomes[name] = len(created)
                except Exception as exc:  # noqa: BLE001 - reported to the test thread
                    s.rollback()
                    outcomes[name] = exc

    threads = [threading.Thread(target=job, args=(n,)) for n in ("scheduler", "by hand")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(n, int) for n in outcomes.values()), outcomes
    keys = session.scalars(select(Deliverable.dedupe_key)).all()
    assert len(keys) == len(set(keys)) == sum(outcomes.values()) > 0
