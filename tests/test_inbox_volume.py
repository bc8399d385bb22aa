"""The inbox at volume: filters and text search, sorting, paging with totals through 2,000 waiting
items at a constant number of queries, and batch decisions, all or nothing."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import insert, select

from tests.pages import OVERDUE, counted_queries, deliver, error_beside, snapshot, submit, token
from tracker.catalog.service import get_commitment
from tracker.inbox.service import CARDS_PER_PAGE
from tracker.ledger import service as ledger
from tracker.ledger.models import Deliverable, Submission

FINANCE = "finance.clerk@sh01.test"


def refreshed(session, d) -> Deliverable:
    session.expire_all()
    return session.get(Deliverable, d.id)


def cards(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<article id="d(\d+)" class="decision"', html)]


def rows(html: str) -> list[int]:
    return [int(i) for i in re.findall(r'<tr id="d(\d+)"', html)]


@pytest.fixture
def two_handed_in(session, store, people):
    """Two deliveries a month ago, each with its sales-7 (two checklist points) handed in."""
    made = []
    for ref, customer in (("D-1", "Wang Wei"), ("D-2", "Li Na")):
        d = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=ref, customer=customer)
        submit(session, d["sales-7"], people["sales.clerk"])
        made.append(d)
    return made


def batch(client, items, decision, **more):
    data = {"csrf_token": token(client, "/inbox"), "decision": decision, **more}
    data["pick"] = [str(d.id) for d in items]
    for d in items:
        data[f"a{d.id}-state_version"] = str(d.state_version)
        data.setdefault(f"a{d.id}-checklist", ["0", "1"])
    return client.post("/inbox/batch", data=data)


# --- paging at volume ---


def _waiting(session, store, count: int, now) -> None:
    """`count` handed-in sales-7 items, written straight to the tables (fast)."""
    c = get_commitment(session, "sales-7")
    due = now - timedelta(days=10)
    values = [
        {
            "commitment_id": c.id,
            "version_id": c.current_version_id,
            "store_id": store.id,
            "provider_id": c.provider_id,
            "receiver_id": c.receiver_id,
            "reference": f"V{i:05}",
            "due_at": due,
            "due_month": due.astimezone(store.zone).strftime("%Y-%m"),
            "status": "submitted",
            "state_version": 2,
            "created_at": due,
            "last_submitted_at": due + timedelta(minutes=i),
            "return_count": 0,
        }
        for i in range(count)
    ]
    session.execute(insert(Deliverable), values)
    ids = session.scalars(select(Deliverable.id).where(Deliverable.reference.like("V%"))).all()
    session.execute(
        insert(Submission),
        [{"deliverable_id": i, "seq": 1, "submitted_at": due, "outcome": "pending"} for i in ids],
    )
    session.commit()


def test_the_inbox_pages_through_2000_waiting_items_at_a_constant_number_of_queries(
    client, auth, session, store, people, now
):
    _waiting(session, store, 2000, now)
    auth.login(FINANCE)
    counts = {}
    for page in (1, 3, 50, 100):
        with counted_queries() as statements:
            response = client.get(f"/inbox?page={page}")
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert len(cards(html)) == CARDS_PER_PAGE
        first = (page - 1) * CARDS_PER_PAGE + 1
        assert f"{first:,}–{first + CARDS_PER_PAGE - 1:,} of 2,000" in html
        counts[page] = len(statements)
    assert len(set(counts.values())) == 1, counts
    filtered = client.get("/inbox?q=v0199&sort=due").get_data(as_text=True)
    assert len(cards(filtered)) == 10  # V01990..V01999


@pytest.mark.parametrize(
    ("query", "field", "message"),
    [
        ("due_from=garbage", "due_from", "Write a date as YYYY-MM-DD."),
        ("due_to=2026-13-45", "due_to", "Write a date as YYYY-MM-DD."),
        ("due_from=2026-11-20&due_to=2026-11-01", "due_to", "The last day comes before"),
        ("age_min=-3", "age_min", "Write a number of days from 0 to 3650."),
        ("age_max=99999999999999999999", "age_max", "Write a number of days"),
        ("provider=nobody", "provider", "Not one of the choices."),
        ("status=everything", "status", "Not one of the choices."),
        ("sort=evil", "sort", "Not one of the choices."),
    ],
)
def test_a_bad_filter_is_explained_beside_its_field_never_a_500(
    client, auth, two_handed_in, query, field, message
):
    auth.login(FINANCE)
    response = client.get(f"/inbox?{query}")
    assert response.status_code == 400
    assert message in (error_beside(response.get_data(as_text=True), field) or "")


@pytest.mark.parametrize("page", ["99999999999999999999999999", "abc", "-1"])
def test_a_page_number_that_is_not_one_says_so_and_shows_the_first(
    client, auth, two_handed_in, page
):
    auth.login(FINANCE)
    response = client.get(f"/inbox?page={page}")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "Not a page number: the first page is shown." in html
    assert len(cards(html)) == 2


def test_a_page_past_the_end_says_so_and_shows_the_last(client, auth, two_handed_in):
    auth.login(FINANCE)
    html = client.get("/inbox?page=999").get_data(as_text=True)
    assert "There is no page 999: the last page, 1, is shown." in html
    assert len(cards(html)) == 2


# --- filters and search ---


def test_text_search_finds_the_reference_the_customer_and_the_vin(
    client, auth, session, store, people, now, two_handed_in
):
    event, _ = ledger.record_event(
        session,
        ledger.NewEvent(
            store=store,
            type="vehicle_delivered",
            occurred_at=now - timedelta(days=1),
            reference="D-3",
            customer="Zhao Lei",
            vin="LSVAA4182E2123456",
        ),
        by=people["sales.clerk"],
        now=now,
    )
    session.commit()
    auth.login(FINANCE)
    by_vin = client.get("/inbox?q=e2123456").get_data(as_text=True)
    assert {d.event_id for d in map(lambda i: session.get(Deliverable, i), rows(by_vin))} == {
        event.id
    }
    by_customer = client.get("/inbox?q=li+na").get_data(as_text=True)
    assert cards(by_customer) == [two_handed_in[1]["sales-7"].id]
    assert rows(by_customer) == [two_handed_in[1]["sales-2"].id]
    by_reference = client.get("/inbox?q=d-1").get_data(as_text=True)
    assert cards(by_reference) == [two_handed_in[0]["sales-7"].id]
    assert "Nothing handed in matches" in client.get("/inbox?q=nobody").get_data(as_text=True)


def test_filters_by_status_provider_commitment_due_days_and_age(
    client, auth, session, store, people, now, two_handed_in
):
    fresh = deliver(session, store, people["sales.clerk"], ref="D-9")  # due in the days ahead
    auth.login(FINANCE)
    handed = {d["sales-7"].id for d in two_handed_in}
    owed_late = {d["sales-2"].id for d in two_handed_in}

    def seen(query):
        html = client.get(f"/inbox?{query}").get_data(as_text=True)
        return set(cards(html)), set(rows(html))

    assert seen("status=submitted") == (handed, set())
    assert seen("status=owed")[0] == set()
    assert seen("commitment=sales-7") == (handed, {fresh["sales-7"].id})
    assert seen("provider=insurance") == (set(), set())
    assert seen("age_min=8&status=owed") == (set(), owed_late)
    assert fresh["sales-2"].id not in seen("age_min=0")[1]  # not overdue: no age yet
    due_day = fresh["sales-2"].due_at.astimezone(store.zone).date().isoformat()
    assert fresh["sales-2"].id in seen(f"due_from={due_day}&due_to={due_day}")[1]
    assert seen(f"due_from={due_day}&due_to={due_day}")[0] == set()
    # the filters stay in the paging links and the batch form
    html = client.get("/inbox?status=submitted&q=D-").get_data(as_text=True)
    assert 'action="/inbox/batch?status=submitted&amp;q=D-"' in html


# --- batch decisions ---


def test_batch_accept_confirms_each_items_checklist(client, auth, session, two_handed_in):
    items = [d["sales-7"] for d in two_handed_in]
    auth.login(FINANCE)
    response = batch(client, items, "accept")
    assert response.status_code == 302
    assert "Accepted 2 items." in client.get(response.headers["Location"]).get_data(as_text=True)
    assert {refreshed(session, d).status for d in items} == {"accepted"}
    session.expire_all()
    assert [s.checklist for s in session.scalars(select(Submission))] == [[True, True]] * 2


def test_batch_return_with_one_reason_and_note(client, auth, session, two_handed_in):
    items = [d["sales-7"] for d in two_handed_in]
    auth.login(FINANCE)
    response = batch(client, items, "return", reason="unsigned", note="both unsigned")
    assert response.status_code == 302
    for d in items:
        d = refreshed(session, d)
        assert d.status == "returned" and d.return_count == 1
        s = d.submissions[-1]
        assert (s.return_reason, s.return_note) == ("unsigned", "both unsigned")


def test_a_batch_with_an_item_decided_a_moment_earlier_changes_nothing_and_names_it(
    client, auth, session, people, two_handed_in
):
    first, second = (d["sales-7"] for d in two_handed_in)
    auth.login(FINANCE)
    client.get("/inbox")  # the page as the clerk saw it
    ledger.accept(session, second, by=people["finance.head"], now=second.created_at)
    session.commit()
    before = snapshot()
    second.state_version = 2  # the version the page showed
    response = batch(client, [first, second], "accept")
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    stopped = re.search(r'id="batch-error"[^>]*>([^<]+)<', html).group(1)
    assert "Nothing was decided" in stopped and "(D-2)" in stopped
    assert snapshot() == before
    assert refreshed(session, first).status == "submitted"


def test_a_batch_with_a_point_unticked_or_a_missing_reason_changes_nothing(
    client, auth, session, two_handed_in
):
    first, second = (d["sales-7"] for d in two_handed_in)
    auth.login(FINANCE)
    before = snapshot()
    response = batch(client, [first, second], "accept", **{f"a{second.id}-checklist": ["0"]})
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "(D-2)" in re.search(r'id="batch-error"[^>]*>([^<]+)<', html).group(1)
    response = batch(client, [first], "return")
    assert response.status_code == 400
    assert "Choose a reason." in error_beside(response.get_data(as_text=True), "reason")
    response = batch(client, [], "accept")
    assert "Pick at least one item." in error_beside(response.get_data(as_text=True), "pick")
    assert snapshot() == before


def test_a_batch_with_another_stores_item_changes_nothing(
    client, auth, session, store, people, now, two_handed_in
):
    from tests import factories

    other = factories.create_store(session, now=now, code="BJ01")
    factories.create_person(session, other, "finance", now=now)
    session.commit()
    auth.login("finance.clerk@bj01.test")
    before = snapshot()
    response = batch(client, [two_handed_in[0]["sales-7"]], "accept")
    assert response.status_code == 400
    assert "Nothing was decided" in response.get_data(as_text=True)
    assert snapshot() == before
