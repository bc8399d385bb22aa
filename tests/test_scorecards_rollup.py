"""The scorecards' monthly roll-up: every accept and waive adds its deliverable once, so after any
sequence of decisions the roll-up equals one rebuilt from the deliverables, and every number of
a scorecard still counts exactly the deliverables listed behind it."""

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from tests import factories
from tracker.catalog.dealership import EVENT_TYPES
from tracker.catalog.service import get_commitment
from tracker.errors import TrackerError
from tracker.ledger import service as ledger
from tracker.ledger.models import RETURN_REASONS, Deliverable
from tracker.org.models import Store
from tracker.org.service import get_department
from tracker.scorecards import service
from tracker.scorecards.models import ScoreMonth

SH = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 8, 3, 9, 0, tzinfo=SH)
READ_AT = datetime(2026, 11, 10, 10, 0, tzinfo=SH)
COUNTED = ("due", "on_time", "late", "open_overdue", "waived", "accepted", "first_pass")


def rollup_rows(session) -> list[tuple]:
    return sorted(tuple(r) for r in session.execute(select(*ScoreMonth.__table__.c)).all())


def play(session, rng: random.Random, deliverable, staff) -> None:
    """One random life: left open, or submitted (on time or late), returned for random reasons
    a few times, then accepted, or left waiting, or waived while owed."""
    provider = staff[f"{deliverable.commitment.provider.code}.clerk"]
    receiver = staff[f"{deliverable.commitment.receiver.code}.head"]
    at = deliverable.due_at + timedelta(hours=rng.choice([-30, -5, -1, 2, 26, 80]))
    for _round in range(rng.randint(0, 3)):
        if rng.random() < 0.15:
            ledger.waive(session, deliverable, by=receiver, now=at, reason="not needed")
            return
        ledger.submit(
            session,
            deliverable,
            by=provider,
            now=at,
            evidence=ledger.Evidence(
                reference=deliverable.reference, amount="100", file_path="f.pdf"
            ),
            late_reason="held up" if at > deliverable.due_at else None,
        )
        at += timedelta(hours=rng.randint(1, 20))
        outcome = rng.random()
        if outcome < 0.2:
            return  # waiting for a decision
        if outcome < 0.6:
            ledger.accept(session, deliverable, by=receiver, now=at)
            return
        reason = rng.choice(RETURN_REASONS)
        ledger.return_deliverable(
            session, deliverable, by=receiver, now=at, reason=reason, note="see the file"
        )
        at += timedelta(hours=rng.randint(1, 40))


@pytest.fixture
def quarter(session, people, store, now):
    """Three months of events in SH01 and BJ02, every deliverable living a random life."""
    bj = factories.create_store(session, now=now, code="BJ02")
    staff = {store.code: people, bj.code: factories.create_staff(session, bj, now=now)}
    session.commit()
    rng = random.Random(20261123)
    made = 0
    for day in range(0, 90, 2):
        for shop in (store, bj):
            kind = rng.choice(sorted(EVENT_TYPES))
            at = START + timedelta(days=day, hours=rng.randint(0, 8))
            _event, deliverables = ledger.record_event(
                session,
                ledger.NewEvent(
                    store=shop, type=kind, occurred_at=at, reference=f"R{day}-{shop.code}"
                ),
                by=None,
                now=at,
            )
            session.commit()
            for d in deliverables:
                try:
                    play(session, rng, d, staff[shop.code])
                except TrackerError:
                    session.rollback()  # a life this commitment refuses: leave it as it is
                    continue
                session.commit()
                made += 1
    assert made > 60
    return made


def test_the_rollup_equals_one_rebuilt_from_the_deliverables(session, quarter):
    statuses = set(session.scalars(select(Deliverable.status)))
    assert {"open", "submitted", "returned", "accepted", "waived"} <= statuses
    kept = rollup_rows(session)
    assert kept, "nothing was decided"
    service.rebuild_rollup(session)
    assert rollup_rows(session) == kept


def test_every_number_counts_the_deliverables_listed_behind_it(session, quarter):
    months = sorted(set(session.scalars(select(Deliverable.due_month))))
    stores = {s.code: s for s in session.scalars(select(Store))}
    checked = 0
    for month in months:
        for row in service.scorecard(session, month=month, now=READ_AT, level="commitment"):
            commitment = get_commitment(session, row.commitment)
            for measure in COUNTED:
                behind = service.deliverables_behind(
                    session,
                    now=READ_AT,
                    measure=measure,
                    month=month,
                    store=stores[row.store],
                    commitment=commitment,
                )
                assert getattr(row, measure) == len(behind), (month, row.store, row.commitment)
                checked += 1
    assert checked > 100


def test_return_reasons_count_decided_and_waiting_deliverables_alike(session, quarter):
    months = sorted(set(session.scalars(select(Deliverable.due_month))))
    stores = {s.code: s for s in session.scalars(select(Store))}
    seen = 0
    for month in months:
        for r in service.return_reasons(session, month=month):
            behind = service.deliverables_behind(
                session,
                now=READ_AT,
                measure="returned",
                month=month,
                store=stores[r.store],
                provider=get_department(session, r.provider),
                reason=r.reason,
            )
            assert r.count == len(behind)
            seen += r.count
    assert seen > 5


def test_a_refused_second_decision_adds_nothing(session, people, store, now):
    _event, (d,) = ledger.record_event(
        session,
        ledger.NewEvent(store=store, type="vehicle_returned", occurred_at=now, reference="TWICE"),
        by=None,
        now=now,
    )
    clerk, head = people["service.clerk"], people["finance.head"]
    evidence = ledger.Evidence(reference="TWICE", amount="100", file_path="f.pdf")
    ledger.submit(session, d, by=clerk, now=now, evidence=evidence)
    ledger.accept(session, d, by=head, now=now + timedelta(hours=1))
    session.commit()
    once = rollup_rows(session)
    with pytest.raises(TrackerError):
        ledger.accept(session, d, by=head, now=now + timedelta(hours=2))
    session.rollback()
    with pytest.raises(TrackerError):
        ledger.waive(session, d, by=head, now=now + timedelta(hours=2), reason="again")
    session.rollback()
    assert rollup_rows(session) == once
    (row,) = once
    columns = [c.name for c in ScoreMonth.__table__.c]
    assert dict(zip(columns, row, strict=True))["due"] == 1
