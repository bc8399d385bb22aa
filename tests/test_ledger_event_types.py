"""Event types are data of their own (table `event_type`): the ledger, its form, the
catalogue's checks and the pages read them from there, not from the sample catalogue."""

from datetime import timedelta

import pytest

from tests.pages import counted_queries
from tracker.catalog import dealership
from tracker.catalog.service import create_commitment, load_catalog
from tracker.errors import BadInput
from tracker.ledger import service as ledger
from tracker.ledger.models import EventType
from tracker.org.service import get_department

SALES = "sales.clerk@sh01.test"
WASH_SLIP = {
    "title_zh": "洗车单",
    "title_en": "Wash slip",
    "evidence": ["file"],
    "offset_days": 3,
    "day_type": "calendar",
}


def test_the_table_holds_the_dealership_types_in_their_order(session, catalog):
    # Migration 0006 fills it (tests/test_migrations.py); load_catalog makes sure of it.
    assert [(t.code, t.name_en, t.name_zh) for t in ledger.event_types(session)] == [
        (code, en, zh) for code, (en, zh) in dealership.EVENT_TYPES.items()
    ]


def test_loading_a_catalogue_adds_its_missing_types_and_keeps_names_already_there(
    session, catalog, now
):
    session.get(EventType, "vehicle_delivered").name_en = "Car handed over"
    session.delete(session.get(EventType, "utility_bill"))
    session.flush()
    load_catalog(session, "dealership", now)
    names = ledger.event_type_names(session, "en")
    assert names["utility_bill"] == "Utility bill received"
    assert names["vehicle_delivered"] == "Car handed over"
    assert list(names)[-1] == "utility_bill"  # added at the end of the list


def test_an_event_type_added_as_data_is_recorded_offered_and_named(
    session, store, people, client, auth, now
):
    ledger.ensure_event_types(session, {"car_washed": ("Car washed", "洗车")})
    create_commitment(
        session,
        code="sales-99",
        provider=get_department(session, "sales"),
        receiver=get_department(session, "finance"),
        kind="event",
        event_type="car_washed",
        fields=WASH_SLIP,
        now=now,
    )
    at = now - timedelta(hours=1)
    new = ledger.NewEvent(store=store, type="car_washed", occurred_at=at, reference="W-1")
    event, (d,) = ledger.record_event(session, new, by=people["sales.clerk"], now=now)
    session.commit()
    assert d.commitment.code == "sales-99"
    auth.login(SALES)
    form = client.get("/events/new").get_data(as_text=True)
    assert 'value="car_washed"' in form
    page = client.get(f"/events/{event.id}").get_data(as_text=True)
    assert "洗车" in page or "Car washed" in page


def test_an_unknown_type_is_refused_by_the_ledger_and_the_catalogue(session, store, now):
    new = ledger.NewEvent(store=store, type="car_washed", occurred_at=now, reference="W-1")
    with pytest.raises(BadInput, match="unknown event type 'car_washed'; known: installment"):
        ledger.record_event(session, new, by=None, now=now)
    with pytest.raises(BadInput, match="unknown event type 'car_washed'"):
        create_commitment(
            session,
            code="sales-99",
            provider=get_department(session, "sales"),
            receiver=get_department(session, "finance"),
            kind="event",
            event_type="car_washed",
            fields=WASH_SLIP,
            now=now,
        )


def test_the_deal_file_names_every_event_with_one_query_for_the_names(
    session, store, people, client, auth, now
):
    for i in range(3):
        at = now - timedelta(hours=i + 1)
        new = ledger.NewEvent(store=store, type="customer_payment", occurred_at=at, reference="D-7")
        ledger.record_event(session, new, by=people["sales.clerk"], now=now)
    session.commit()
    auth.login(SALES)
    with counted_queries() as statements:
        html = client.get("/deals?ref=D-7").get_data(as_text=True)
    assert html.count("客户付款") + html.count("Customer payment") >= 3
    names = [s for s in statements if "event_type" in s.lower() and "from event_type" in s.lower()]
    assert len(names) == 1
