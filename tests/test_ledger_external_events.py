"""Events other systems send (a DMS export, the API) carry their source and their own id: the
same id again records nothing and gives the first event back, and so do two sent at the same
moment (two connections, two transactions). Runs on SQLite and, with TRACKER_TEST_DATABASE_URL,
on PostgreSQL."""

import threading
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tracker.errors import BadInput
from tracker.extensions import db
from tracker.ledger import events
from tracker.ledger.models import BusinessEvent, Deliverable
from tracker.ledger.service import NewEvent
from tracker.org.models import Store


def _new(store, now, external_id="DMS-1", source="dms-daily", ref="D-1") -> NewEvent:
    return NewEvent(
        store=store,
        type="vehicle_delivered",
        occurred_at=now - timedelta(days=1),
        reference=ref,
        source=source,
        external_id=external_id,
    )


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_same_external_id_again_records_nothing_and_gives_the_first_event(session, store, now):
    first, made, created = events.record_external(session, _new(store, now), by=None, now=now)
    session.commit()
    assert created and made
    again, found, created_again = events.record_external(
        session, _new(store, now, ref="D-other"), by=None, now=now
    )
    session.commit()
    assert not created_again and again.id == first.id and again.reference == "D-1"
    assert {d.id for d in found} == {d.id for d in made}
    assert _count(session, BusinessEvent) == 1


def test_the_same_id_from_another_source_or_store_is_another_event(session, store, now):
    events.record_external(session, _new(store, now), by=None, now=now)
    events.record_external(session, _new(store, now, source="api"), by=None, now=now)
    session.commit()
    assert _count(session, BusinessEvent) == 2


@pytest.mark.parametrize(("source", "external_id"), [("", "X"), ("dms", ""), ("d" * 41, "X")])
def test_an_external_event_needs_a_source_and_an_id_of_sensible_length(
    session, store, now, source, external_id
):
    with pytest.raises(BadInput):
        events.record_external(
            session, _new(store, now, source=source, external_id=external_id), by=None, now=now
        )
    session.rollback()
    assert _count(session, BusinessEvent) == 0


def test_two_sent_at_the_same_moment_record_one_event(app, session, store, now):
    store_id = store.id
    session.commit()
    barrier = threading.Barrier(2, timeout=30)
    outcomes = []

    def send():
        with app.app_context(), db.engine.connect() as connection:
            with Session(bind=connection, expire_on_commit=False) as mine:
                here = mine.get(Store, store_id)
                barrier.wait()
                try:
                    event, _made, created = events.record_external(
                        mine, _new(here, now), by=None, now=now
                    )
                    mine.commit()
                    outcomes.append((event.id, created))
                except Exception as exc:  # noqa: BLE001 - reported below
                    mine.rollback()
                    outcomes.append(exc)

    threads = [threading.Thread(target=send) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(o, tuple) for o in outcomes), outcomes
    assert sorted(created for _id, created in outcomes) == [False, True]
    assert len({event_id for event_id, _created in outcomes}) == 1
    session.expire_all()
    assert _count(session, BusinessEvent) == 1
    assert _count(session, Deliverable) == len(
        session.scalars(select(Deliverable.id).where(Deliverable.event_id == outcomes[0][0])).all()
    )
