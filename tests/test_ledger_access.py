"""Who may open which page of the clerk's side and the receiving inbox: every route walked as
every kind of person, including other departments and another store."""

from pathlib import Path

import pytest
from sqlalchemy import select

from tests import factories
from tests.pages import OVERDUE, PDF, deliver, token
from tracker.ledger import service as ledger
from tracker.ledger.models import Submission

PEOPLE = [
    None,  # signed out
    "sales.clerk@sh01.test",
    "sales.head@sh01.test",
    "insurance.clerk@sh01.test",
    "hr.head@sh01.test",
    "finance.clerk@sh01.test",
    "finance.head@sh01.test",
    "finance.lead@sh01.test",
    "finance.admin@sh01.test",
    "sales.clerk@bj01.test",
    "finance.clerk@bj01.test",
]
SH01 = {p for p in PEOPLE if p and p.endswith("@sh01.test")}
SALES_SH01 = {"sales.clerk@sh01.test", "sales.head@sh01.test"}
FINANCE_SH01 = {p for p in SH01 if p.startswith("finance.")}
RECEIVERS = FINANCE_SH01 | {"finance.clerk@bj01.test"}
EVERYONE = set(PEOPLE) - {None}
# The head of the department that recorded the event, and the receiving department (Finance).
AMENDERS = {"sales.head@sh01.test"} | FINANCE_SH01

HEADS = {"sales.head@sh01.test", "hr.head@sh01.test", "finance.head@sh01.test"}
HEADS |= {"finance.admin@sh01.test"}

# (method, path template, who gets the page (or, for a POST, reaches the form: 400 for the
# empty form), the status they get). Everyone else signed in gets 403; signed out, the sign-in.
ROUTES = [
    ("GET", "/mine", EVERYONE, 200),
    ("GET", "/events/new", EVERYONE, 200),
    ("GET", "/deals?ref=D-1001", EVERYONE, 200),
    ("GET", "/events/{event}", SH01, 200),
    ("GET", "/events/{event}/correct", AMENDERS, 200),
    ("POST", "/events/{event}/correct", AMENDERS, 400),
    ("GET", "/events/{event}/cancel", AMENDERS, 200),
    ("POST", "/events/{event}/cancel", AMENDERS, 400),
    # A deliverable and its evidence: its two departments, leads and administrators only.
    ("GET", "/deliverables/{sales7}", SALES_SH01 | FINANCE_SH01, 200),
    ("GET", "/submissions/{submission}/file", SALES_SH01 | FINANCE_SH01, 200),
    ("GET", "/deliverables/{sales2}/submit", SALES_SH01, 200),
    ("GET", "/deliverables/submit?ids={sales2}", SALES_SH01, 200),
    ("POST", "/deliverables/{sales2}/submit", SALES_SH01, 400),
    ("GET", "/inbox", RECEIVERS, 200),
    ("GET", "/inbox/request", RECEIVERS, 200),
    ("POST", "/inbox/batch", RECEIVERS, 400),  # nothing picked
    ("POST", "/inbox/{sales7}/accept", FINANCE_SH01, 400),
    ("POST", "/inbox/{sales7}/return", FINANCE_SH01, 400),
    ("POST", "/inbox/{sales2}/waive", FINANCE_SH01, 400),
    # Owners: a clerk of the providing department takes an item over; its head (or an
    # administrator) reassigns it and sets the default owners of the department's items.
    ("POST", "/deliverables/{sales2}/take", SALES_SH01, 302),
    (
        "POST",
        "/deliverables/{sales2}/owner",
        {"sales.head@sh01.test", "finance.admin@sh01.test"},
        302,
    ),
    ("GET", "/owners", HEADS, 200),
    ("POST", "/owners", HEADS, 302),
    # Holds: the provider asks (the empty form: 400), the receiver answers, either side ends
    # it (nothing to answer or end here: told on the page they are sent back to).
    ("POST", "/deliverables/{sales2}/hold", SALES_SH01, 400),
    ("POST", "/deliverables/{sales2}/hold/approve", FINANCE_SH01, 302),
    ("POST", "/deliverables/{sales2}/hold/refuse", FINANCE_SH01, 302),
    ("POST", "/deliverables/{sales2}/hold/release", SALES_SH01 | FINANCE_SH01, 302),
]


@pytest.fixture
def world(session, store, people, now, app):
    """SH01 with a late delivery (sales-7 handed in with a file, sales-2 still owed) and a
    second store BJ01 with its own Sales and Finance clerks."""
    other = factories.create_store(session, now=now, code="BJ01", name="Beijing")
    for department in ("sales", "finance"):
        factories.create_person(session, other, department, now=now)
    session.commit()
    made = deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    folder = Path(app.config["UPLOAD_DIR"])
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "kept.pdf").write_bytes(PDF)
    ledger.submit(
        session,
        made["sales-7"],
        by=people["sales.clerk"],
        now=now,
        evidence=ledger.Evidence(reference="D-1001", file_path="kept.pdf", file_name="slip.pdf"),
        late_reason="late",
    )
    session.commit()
    return {
        "sales7": made["sales-7"].id,
        "sales2": made["sales-2"].id,
        "event": made["sales-7"].event_id,
        "submission": session.scalars(select(Submission.id)).one(),
    }


@pytest.mark.parametrize("email", PEOPLE, ids=lambda e: e or "signed-out")
def test_every_route_answers_each_person_as_their_role_store_and_department_allow(
    client, auth, world, email
):
    if email:
        auth.login(email)
    wrong = []
    for method, template, allowed, status in ROUTES:
        path = template.format(**world)
        if method == "GET":
            response = client.get(path)
        else:
            data = {"csrf_token": token(client, "/events/new")} if email else {}
            response = client.post(path, data=data)
        expected = (
            (302 if method == "GET" else 400)
            if not email
            else (status if email in allowed else 403)
        )
        if response.status_code != expected:
            wrong.append((method, path, response.status_code, expected))
    assert wrong == []


def test_signed_out_people_are_sent_to_sign_in(client, world):
    response = client.get("/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_an_unrelated_department_sees_the_deal_but_none_of_what_others_owe_in_it(
    client, auth, world
):
    auth.login("insurance.clerk@sh01.test")
    html = client.get("/deals?ref=D-1001").get_data(as_text=True)
    assert f'href="/events/{world["event"]}"' in html  # the deal itself
    assert f'href="/deliverables/{world["sales7"]}"' not in html
    assert f'href="/deliverables/{world["sales2"]}"' not in html
    event = client.get(f"/events/{world['event']}").get_data(as_text=True)
    assert f'href="/deliverables/{world["sales7"]}"' not in event
    auth.logout()
    auth.login("finance.clerk@sh01.test")  # the receiving department sees all of it
    html = client.get("/deals?ref=D-1001").get_data(as_text=True)
    assert f'href="/deliverables/{world["sales7"]}"' in html
