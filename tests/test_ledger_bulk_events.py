"""The ledger's bulk path (`service.record_events`, behind `events.record_external_many` and so
the DMS import) writes exactly what recording the same events one by one (`record_event`)
writes: the same events, deliverables (commitment, version, due time, status, ...), checklist
points presented, and audit trail, in the same order; and a constant number of statements
whatever the number of rows (chunks of 1,000 rows on SQLite; COPY on PostgreSQL). Runs on
SQLite and, with TRACKER_TEST_DATABASE_URL, on PostgreSQL."""

from datetime import timedelta
from decimal import Decimal

import pytest
import sqlalchemy as sa
from sqlalchemy import select

from tracker.catalog import service as catalog
from tracker.catalog.dealership import EVENT_TYPES
from tracker.extensions import db
from tracker.ledger import events
from tracker.ledger.models import AuditEntry, BusinessEvent, Deliverable, Submission
from tracker.ledger.service import NewEvent, record_event


def _news(store, now, days=16, prefix="X") -> list[NewEvent]:
    """Every event type, on each of the `days` days before now (weekends, the store's holidays
    and swapped working days among them), in the morning and after 17:00 (sales-6)."""
    news = []
    for back in range(1, days + 1):
        day = (now - timedelta(days=back)).astimezone(store.zone)
        for hour in (9, 18):
            at = day.replace(hour=hour, minute=30, second=0, microsecond=0)
            for n, code in enumerate(EVENT_TYPES):
                news.append(
                    NewEvent(
                        store=store,
                        type=code,
                        occurred_at=at,
                        reference=f" HT-{back}-{n} ",
                        customer="王伟" if n % 2 else None,
                        vin="lsvab4187e2000001" if code.startswith("vehicle") else None,
                        amount=Decimal("1234.50") if n % 3 else None,
                        source="dms-daily",
                        external_id=f"{prefix}-{back}-{hour}-{n}",
                    )
                )
    return news


def _plain(table, rows, keys: dict) -> list[dict]:
    """Rows as comparable dicts, in id order: ids replaced by what they stand for."""
    out = []
    for row in rows:
        values = dict(row._mapping)
        values.pop("id")
        for column, mapping in keys.items():
            if column in values and values[column] is not None:
                values[column] = mapping[values[column]]
        out.append(values)
    return out


def _written(session) -> dict:
    """Everything recording wrote, ids replaced by the external id and commitment they mean."""
    tables = {m: m.__table__ for m in (BusinessEvent, Deliverable, Submission, AuditEntry)}
    rows = {m: session.execute(select(t).order_by(t.c.id)).all() for m, t in tables.items()}
    event_key = {e.id: e.external_id for e in rows[BusinessEvent]}
    deliverable_key = {d.id: (event_key[d.event_id], d.commitment_id) for d in rows[Deliverable]}
    dedupe = {
        f"e:{c}:{e}": f"e:{c}:{event_key[e]}"
        for e, (_x, c) in ((d.event_id, deliverable_key[d.id]) for d in rows[Deliverable])
    }
    return {
        "events": _plain(tables[BusinessEvent], rows[BusinessEvent], {}),
        "deliverables": _plain(
            tables[Deliverable],
            rows[Deliverable],
            {"event_id": event_key, "dedupe_key": dedupe},
        ),
        "submissions": _plain(
            tables[Submission], rows[Submission], {"deliverable_id": deliverable_key}
        ),
        "audit": _plain(tables[AuditEntry], rows[AuditEntry], {"entity_id": deliverable_key}),
    }


@pytest.mark.parametrize("actor", [None, "sales.clerk"])
def test_bulk_recording_writes_exactly_what_recording_one_by_one_writes(
    session, store, people, now, actor
):
    by = people[actor] if actor else None
    retired = catalog.get_commitment(session, "sales-7")
    catalog.retire_commitment(session, retired, now)  # retired: neither path makes it
    catalog.edit_commitment(  # a second version: both paths take the current one
        session, catalog.get_commitment(session, "sales-1"), {"offset_days": 2}, now, None
    )
    session.commit()
    news = _news(store, now)

    for new in news:
        record_event(session, new, by=by, now=now)
    one_by_one = _written(session)
    session.rollback()
    assert _written(session)["events"] == []

    results = events.record_external_many(session, store, news, by=by, now=now)
    in_bulk = _written(session)
    session.commit()

    assert len(one_by_one["events"]) == len(news) == len(results)
    assert {d["status"] for d in one_by_one["deliverables"]} == {"open", "submitted"}
    assert len(one_by_one["submissions"]) > 0
    for part in ("events", "deliverables", "submissions", "audit"):
        assert in_bulk[part] == one_by_one[part], part
    made = [d for r in results for d in r.deliverable_ids]
    assert len(made) == len(in_bulk["deliverables"]) and all(r.created for r in results)


def test_bulk_recording_gives_each_event_its_own_deliverables(session, store, now):
    news = _news(store, now, days=3)
    results = events.record_external_many(session, store, news, by=None, now=now)
    session.commit()
    for new, result in zip(news, results, strict=True):
        event = session.get(BusinessEvent, result.event_id)
        assert (event.external_id, event.type) == (new.external_id, new.type)
        owned = session.scalars(
            select(Deliverable.id).where(Deliverable.event_id == result.event_id)
        ).all()
        assert sorted(owned) == sorted(result.deliverable_ids)


def test_an_id_twice_in_one_batch_or_already_recorded_is_recorded_once(session, store, now):
    news = _news(store, now, days=1)
    first = events.record_external_many(session, store, news[:5], by=None, now=now)
    session.commit()
    again = events.record_external_many(session, store, news[3:] + news[3:4], by=None, now=now)
    session.commit()
    assert [r.created for r in again[:2]] == [False, False]
    assert [r.event_id for r in again[:2]] == [r.event_id for r in first[3:5]]
    assert all(r.created for r in again[2:-1]) and not again[-1].created
    assert again[-1].event_id == again[0].event_id and again[-1].deliverable_ids == ()
    count = session.scalar(select(sa.func.count()).select_from(BusinessEvent))
    assert count == len(news)


def test_recording_in_bulk_takes_as_many_statements_for_many_rows_as_for_few(session, store, now):
    def statements(news) -> int:
        assert store.code  # loaded again after the last rollback, before counting
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731 - the statement's text
        sa.event.listen(db.engine, "before_cursor_execute", listener)
        try:
            events.record_external_many(session, store, news, by=None, now=now)
        finally:
            sa.event.remove(db.engine, "before_cursor_execute", listener)
        session.rollback()
        return len(seen)

    few = _news(store, now, days=1)  # 40 events
    many = _news(store, now, days=12)  # 480 events, about 700 deliverables
    assert statements(many) == statements(few)  # on PostgreSQL, 4 COPYs besides
