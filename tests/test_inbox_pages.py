"""The receiving inbox: accept with the checklist, return with a reason, waive, raise a
request; only the receiving department of the store may; constant queries."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.pages import OVERDUE, counted_queries, deliver, error_beside, submit, token
from tracker.inbox.service import CARDS_PER_PAGE
from tracker.ledger.models import Deliverable, Submission, Waiver

FINANCE = "finance.clerk@sh01.test"


@pytest.fixture
def handed_in(session, store, people):
    """A delivery a month ago whose sales-7 (two checklist points) was handed in late."""
    d = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    submit(session, d["sales-7"], people["sales.clerk"], reason="bank was slow")
    return d


def refreshed(session, d) -> Deliverable:
    session.expire_all()
    return session.get(Deliverable, d.id)


def post(client, path, data):
    return client.post(path, data={"csrf_token": token(client, "/inbox"), **data})


def test_only_a_receiving_department_has_an_inbox(client, auth, people):
    auth.login("sales.clerk@sh01.test")
    assert client.get("/inbox").status_code == 403
    assert client.get("/inbox/request").status_code == 403
    auth.logout()
    auth.login(FINANCE)
    assert client.get("/inbox").status_code == 200


def test_inbox_shows_what_was_handed_in_with_its_evidence_and_checklist(
    client, auth, session, handed_in
):
    auth.login(FINANCE)
    html = client.get("/inbox").get_data(as_text=True)
    d = handed_in["sales-7"]
    assert f'id="d{d.id}"' in html
    assert "bank was slow" in html and "slip.pdf" in html
    assert "Accessories slip" in html and "Order and delivery forms brought" in html
    # sales-2 is still owed and overdue: it is listed with a waiver form
    assert f'action="/inbox/{handed_in["sales-2"].id}/waive"' in html


def test_accept_with_every_checklist_point_ticked(client, auth, session, handed_in):
    d = handed_in["sales-7"]
    auth.login(FINANCE)
    response = post(
        client,
        f"/inbox/{d.id}/accept",
        {f"a{d.id}-checklist": ["0", "1"], f"a{d.id}-state_version": str(d.state_version)},
    )
    assert response.status_code == 302
    d = refreshed(session, d)
    assert d.status == "accepted" and d.lateness_seconds > 0
    assert session.scalars(select(Submission)).one().checklist == [True, True]


def test_accept_with_a_point_unticked_is_refused_beside_the_checklist(
    client, auth, session, handed_in
):
    d = handed_in["sales-7"]
    auth.login(FINANCE)
    response = post(client, f"/inbox/{d.id}/accept", {f"a{d.id}-checklist": ["0"]})
    assert response.status_code == 400
    assert "Tick every point of the checklist" in response.get_data(as_text=True)
    assert refreshed(session, d).status == "submitted"


def test_return_as_unsigned_with_a_note(client, auth, session, handed_in):
    d = handed_in["sales-7"]
    auth.login(FINANCE)
    response = post(
        client,
        f"/inbox/{d.id}/return",
        {f"r{d.id}-reason": "unsigned", f"r{d.id}-note": "customer signature missing"},
    )
    assert response.status_code == 302
    d = refreshed(session, d)
    assert d.status == "returned" and d.return_count == 1
    s = session.scalars(select(Submission)).one()
    assert (s.return_reason, s.return_note) == ("unsigned", "customer signature missing")


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"reason": ""}, "reason", "Choose a reason."),
        ({"reason": "lost"}, "reason", "Not a valid choice"),
        ({"reason": "other", "note": " "}, "note", "a note is needed"),
    ],
)
def test_bad_return_is_shown_beside_the_field_and_nothing_is_written(
    client, auth, session, handed_in, data, field, message
):
    d = handed_in["sales-7"]
    auth.login(FINANCE)
    response = post(client, f"/inbox/{d.id}/return", {f"r{d.id}-{k}": v for k, v in data.items()})
    assert response.status_code == 400
    assert message in error_beside(response.get_data(as_text=True), f"r{d.id}-{field}")
    assert refreshed(session, d).status == "submitted"


def test_return_labels_are_translated(client, auth, session, people, handed_in):
    people["finance.clerk"].language = "zh"
    session.commit()
    auth.login(FINANCE)
    html = client.get("/inbox").get_data(as_text=True)
    for label in ("不完整", "未签字", "金额错误", "其他"):
        assert label in html


def test_waive_an_overdue_item_with_a_reason(client, auth, session, handed_in):
    d = handed_in["sales-2"]
    auth.login(FINANCE)
    response = post(client, f"/inbox/{d.id}/waive", {f"w{d.id}-reason": "deal cancelled"})
    assert response.status_code == 302
    assert refreshed(session, d).status == "waived"
    assert session.scalars(select(Waiver)).one().reason == "deal cancelled"


def test_waive_without_a_reason_is_refused_beside_the_field(client, auth, session, handed_in):
    d = handed_in["sales-2"]
    auth.login(FINANCE)
    response = post(client, f"/inbox/{d.id}/waive", {f"w{d.id}-reason": ""})
    assert response.status_code == 400
    assert "A waiver needs a reason." in error_beside(
        response.get_data(as_text=True), f"w{d.id}-reason"
    )
    assert refreshed(session, d).status == "open"


def test_a_decision_on_a_stale_page_changes_nothing(client, auth, session, people, handed_in):
    d = handed_in["sales-7"]
    auth.login(FINANCE)
    stale = d.state_version
    post(client, f"/inbox/{d.id}/return", {f"r{d.id}-reason": "unsigned"})
    submit(session, refreshed(session, d), people["sales.clerk"], reason="signed now")
    response = post(
        client,
        f"/inbox/{d.id}/accept",
        {f"a{d.id}-checklist": ["0", "1"], f"a{d.id}-state_version": str(stale)},
    )
    assert response.status_code == 302
    assert "Someone changed this a moment ago" in client.get("/inbox").get_data(as_text=True)
    assert refreshed(session, d).status == "submitted"


@pytest.mark.parametrize("email", ["sales.clerk@sh01.test", "sales.head@sh01.test"])
def test_a_sales_person_cannot_accept_return_or_waive(client, auth, session, handed_in, email):
    d = handed_in["sales-7"]
    auth.login(email)
    assert post(client, f"/inbox/{d.id}/accept", {}).status_code == 403
    assert post(client, f"/inbox/{d.id}/return", {f"r{d.id}-reason": "other"}).status_code == 403
    assert post(client, f"/inbox/{handed_in['sales-2'].id}/waive", {}).status_code == 403
    assert refreshed(session, d).status == "submitted"


def test_finance_of_another_store_cannot_decide_this_stores_items(
    client, auth, session, handed_in, now
):
    other = factories.create_store(session, now=now, code="BJ01")
    factories.create_person(session, other, "finance", now=now)
    session.commit()
    d = handed_in["sales-7"]
    auth.login("finance.clerk@bj01.test")
    assert f'id="d{d.id}"' not in client.get("/inbox").get_data(as_text=True)
    response = post(client, f"/inbox/{d.id}/accept", {f"a{d.id}-checklist": ["0", "1"]})
    assert response.status_code == 403
    assert refreshed(session, d).status == "submitted"


def test_inbox_costs_the_same_queries_for_5_and_50_items(client, auth, session, store, people):
    auth.login(FINANCE)
    counts = {}
    done = 0
    for total in (5, 50):
        for i in range(done, total):
            d = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=f"D{i}")
            submit(session, d["sales-7"], people["sales.clerk"])
        done = total
        with counted_queries() as statements:
            html = client.get("/inbox").get_data(as_text=True)
        assert html.count('class="decision"') == min(total, CARDS_PER_PAGE)
        counts[total] = len(statements)
    assert counts[5] == counts[50]


def test_the_inbox_pages_through_everything_waiting_and_says_how_many(
    client, auth, session, store, people
):
    waiting = []
    for i in range(2 * CARDS_PER_PAGE + 5):
        d = deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=f"D{i}")
        submit(session, d["sales-7"], people["sales.clerk"])
        waiting.append(d["sales-7"].id)
    auth.login(FINANCE)
    seen = []
    for page in (1, 2, 3):
        html = client.get(f"/inbox?page={page}").get_data(as_text=True)
        seen += [int(i) for i in re.findall(r'<article id="d(\d+)" class="decision"', html)]
        first, last = (page - 1) * CARDS_PER_PAGE + 1, min(page * CARDS_PER_PAGE, len(waiting))
        assert f"{first}–{last} of {len(waiting)}" in html
        assert ("page=" + str(page + 1) in html) == (page < 3)
    assert sorted(seen) == sorted(waiting)  # each reachable, once, the oldest hand-in first
    assert seen[0] == waiting[0]
    past_the_end = client.get("/inbox?page=99").get_data(as_text=True)
    assert f"{2 * CARDS_PER_PAGE + 1}–{len(waiting)} of {len(waiting)}" in past_the_end


# --- requests ---


def test_raise_a_request_due_by_default_at_the_end_of_the_next_working_day(
    client, auth, session, people, now
):
    auth.login(FINANCE)
    page = client.get("/inbox/request").get_data(as_text=True)
    assert "Consumer Loans" in page
    commitment = _request_commitment(session, "loans-6")
    response = post(
        client,
        "/inbox/request",
        {"commitment": str(commitment.id), "note": "come to the bank with us", "due_at": ""},
    )
    assert response.status_code == 302
    session.expire_all()
    d = session.scalars(select(Deliverable)).one()
    assert d.request_note == "come to the bank with us" and d.provider_id == commitment.provider_id
    due_local = d.due_at.astimezone(d.store.zone)
    assert (due_local.hour, due_local.minute) == (23, 59)
    assert due_local.date() > now.astimezone(d.store.zone).date()
    assert "Requested from Consumer Loans" in client.get(response.headers["Location"]).get_data(
        as_text=True
    )


def test_raise_a_request_with_a_due_time_in_the_store_zone(client, auth, session, people, now):
    auth.login(FINANCE)
    commitment = _request_commitment(session, "loans-6")
    due = (now + timedelta(days=2)).astimezone(people["finance.clerk"].store.zone)
    response = post(
        client,
        "/inbox/request",
        {
            "commitment": str(commitment.id),
            "note": "bank at 15:00",
            "due_at": due.strftime("%Y-%m-%dT15:00"),
        },
    )
    assert response.status_code == 302
    session.expire_all()
    d = session.scalars(select(Deliverable)).one()
    assert d.due_at.astimezone(d.store.zone).strftime("%Y-%m-%d %H:%M") == due.strftime(
        "%Y-%m-%d 15:00"
    )


@pytest.mark.parametrize(
    ("data", "field", "message"),
    [
        ({"note": ""}, "note", "Required."),
        ({"due_at": "2020-01-01T10:00"}, "due_at", "must be in the future"),
    ],
)
def test_bad_request_is_shown_beside_the_field_and_nothing_is_written(
    client, auth, session, people, data, field, message
):
    auth.login(FINANCE)
    commitment = _request_commitment(session, "loans-6")
    response = post(
        client, "/inbox/request", {"commitment": str(commitment.id), "note": "x", **data}
    )
    assert response.status_code == 400
    assert message in error_beside(response.get_data(as_text=True), field)
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Deliverable)) == 0


def _request_commitment(session, code):
    from tracker.catalog.models import Commitment

    return session.scalars(select(Commitment).where(Commitment.code == code)).one()
