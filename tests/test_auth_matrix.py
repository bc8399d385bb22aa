"""The authorization matrix of the whole app: every route of the start page, sign-in, profile,
scorecards and admin walked as every kind of person (the clerk's pages and the inbox are walked
the same way in test_ledger_access.py), and a check that no route escapes both walks."""

import re

import pytest

from tests import factories
from tests.pages import OVERDUE, deliver, token
from tests.test_ledger_access import PEOPLE
from tests.test_ledger_access import ROUTES as LEDGER_ROUTES

MONTH = "2026-10"
ADMIN = {"finance.admin@sh01.test"}
SCORECARD_READERS = {
    "sales.head@sh01.test",  # their own department
    "hr.head@sh01.test",
    "finance.head@sh01.test",
    "finance.lead@sh01.test",  # every store
    "finance.admin@sh01.test",
}
EVERYONE = set(PEOPLE) - {None}
LEADS = {"finance.lead@sh01.test", "finance.admin@sh01.test"}
RECEIVING = {"finance.clerk@sh01.test", "finance.head@sh01.test", "finance.clerk@bj01.test"}
COCKPIT = LEADS | RECEIVING | {"sales.head@sh01.test", "hr.head@sh01.test"}
PROVIDING_HEADS = {"sales.head@sh01.test", "hr.head@sh01.test"}
CLOSERS = {"finance.lead@sh01.test", "finance.admin@sh01.test"}

# (method, path, who is let in, the status they get); every other signed-in person gets 403,
# and a signed-out visitor is sent to sign in (GET) or refused for want of a CSRF token (POST).
ROUTES = [
    # Providing clerks' day is the start page itself; everyone else goes on to the cockpit.
    (
        "GET",
        "/",
        EVERYONE,
        {
            p: 200
            for p in ("sales.clerk@sh01.test", "insurance.clerk@sh01.test", "sales.clerk@bj01.test")
        },
    ),
    ("GET", "/now", COCKPIT, 200),
    ("GET", "/now/items?side=all&status=owed", LEADS, 200),
    ("GET", "/now/items?side=received&age_min=8", RECEIVING, 200),
    ("GET", "/now/items?side=provided&due=week", PROVIDING_HEADS, 200),
    ("GET", "/profile", EVERYONE, 200),
    ("POST", "/profile", EVERYONE, 302),
    ("GET", "/profile/password", EVERYONE, 200),
    ("POST", "/profile/password", EVERYONE, 200),  # the form again, with what is missing
    ("GET", f"/scorecards?month={MONTH}", SCORECARD_READERS, 200),
    ("GET", f"/scorecards/deliverables?month={MONTH}&measure=due", SCORECARD_READERS, 200),
    ("GET", f"/scorecards/export.csv?month={MONTH}", SCORECARD_READERS, 200),
    ("GET", f"/scorecards/export.xlsx?month={MONTH}", SCORECARD_READERS, 200),
    ("GET", f"/closing?month={MONTH}", CLOSERS, 200),
    ("POST", "/closing/close", CLOSERS, 400),  # no store or month given
    ("POST", "/closing/reopen", ADMIN, 400),  # the page again, asking for a reason
    ("GET", f"/scorecards/at-risk.csv?month={MONTH}", SCORECARD_READERS, 200),
    ("GET", "/admin", ADMIN, 200),
    ("GET", "/admin/stores", ADMIN, 200),
    ("GET", "/admin/stores/new", ADMIN, 200),
    ("POST", "/admin/stores/new", ADMIN, 200),  # the form again, with what is missing
    ("GET", "/admin/stores/SH01/edit", ADMIN, 200),
    ("GET", "/admin/stores/SH01/calendar", ADMIN, 200),
    ("POST", "/admin/stores/SH01/calendar/2026-12-31/remove", ADMIN, 302),
    ("GET", "/admin/stores/SH01/calendar/redate", ADMIN, 200),
    ("POST", "/admin/stores/SH01/calendar/redate", ADMIN, 302),
    ("GET", "/admin/official-calendar", ADMIN, 200),
    ("POST", "/admin/official-calendar", ADMIN, 200),  # the form again, with what is missing
    ("GET", "/admin/departments", ADMIN, 200),
    ("GET", "/admin/departments/new", ADMIN, 200),
    ("GET", "/admin/departments/sales/edit", ADMIN, 200),
    ("GET", "/admin/people", ADMIN, 200),
    ("GET", "/admin/people/new", ADMIN, 200),
    ("GET", "/admin/people/{person}/edit", ADMIN, 200),
    ("GET", "/admin/people/{person}/password", ADMIN, 200),
    ("POST", "/admin/people/{person}/active", ADMIN, 302),
    ("GET", "/admin/commitments", ADMIN, 200),
    ("GET", "/admin/commitments/sales-7", ADMIN, 200),
    ("GET", "/admin/commitments/sales-7/retire", ADMIN, 200),
    ("POST", "/admin/commitments/sales-7/retire", ADMIN, 400),  # not confirmed: asked again
    ("POST", "/admin/commitments/sales-7/reactivate", ADMIN, 409),  # not retired
    ("POST", "/admin/outbox/999999/retry", ADMIN, 404),
    ("GET", "/admin/test-email", ADMIN, 200),
    ("GET", "/admin/robots", ADMIN, 200),
    ("GET", "/admin/robots/new", ADMIN, 200),
    ("POST", "/admin/robots/new", ADMIN, 200),  # the form again, with what is missing
    ("GET", "/admin/robots/999999/edit", ADMIN, 404),
    ("POST", "/admin/robots/999999/test", ADMIN, 404),
    ("POST", "/admin/robots/999999/remove", ADMIN, 404),
    ("POST", "/admin/robots/messages/999999/retry", ADMIN, 404),
    ("GET", "/admin/risk-bands", ADMIN, 200),
    ("POST", "/admin/risk-bands", ADMIN, 200),  # the form again, with what is missing
    ("GET", "/imports", RECEIVING | LEADS, 200),
    ("POST", "/imports", RECEIVING | LEADS, 400),  # the form again: no file
    ("POST", "/imports/run", RECEIVING | LEADS, 400),  # nothing previewed
    ("GET", "/imports/mappings", ADMIN, 200),
    ("GET", "/imports/mappings/edit", ADMIN, 200),
    ("POST", "/imports/mappings/edit", ADMIN, 400),  # the form again, with what is missing
    ("GET", "/profile/tokens/new", EVERYONE, 200),
    ("POST", "/profile/tokens/new", EVERYONE, 201),  # a token, its secret shown once
    ("POST", "/profile/tokens/999999/revoke", EVERYONE, 404),
    ("GET", "/admin/tokens", ADMIN, 200),
    ("POST", "/admin/tokens/999999/revoke", ADMIN, 404),
    ("POST", "/profile/feed", EVERYONE, 302),
    ("GET", "/profile/reminders", EVERYONE, 200),
    ("POST", "/profile/reminders", EVERYONE, 302),  # what is not posted stays as it was
    ("GET", "/survey", EVERYONE, 200),
    ("POST", "/survey", EVERYONE - LEADS, 400),  # clerks and heads answer: the form again
    ("GET", "/survey/results", SCORECARD_READERS, 200),
    ("GET", "/survey/admin", ADMIN, 200),
    ("POST", "/survey/admin", ADMIN, 400),  # the form again, with what is missing
    ("POST", "/survey/admin/minimum", ADMIN, 400),
    ("GET", "/complaints", EVERYONE, 200),
    ("GET", "/complaints/new", EVERYONE, 200),
    ("POST", "/complaints/new", EVERYONE, 400),  # the form again, with what is missing
    ("GET", "/complaints/999999", EVERYONE, 404),
    ("POST", "/complaints/999999/open", EVERYONE, 404),
    ("POST", "/complaints/999999/answer", EVERYONE, 404),
    ("POST", "/complaints/999999/close", EVERYONE, 404),
    ("POST", "/complaints/999999/reopen", EVERYONE, 404),
    ("POST", "/logout", EVERYONE, 302),  # last: it signs the person out
]


@pytest.fixture
def world(session, store, people, now):
    """SH01 with a delivery, and a second store BJ01 with its own Sales and Finance clerks."""
    other = factories.create_store(session, now=now, code="BJ01", name="Beijing")
    for department in ("sales", "finance"):
        factories.create_person(session, other, department, now=now)
    session.commit()
    deliver(session, store, people["sales.clerk"], ago=OVERDUE)
    return {"person": people["sales.clerk"].id}


@pytest.mark.parametrize("email", PEOPLE, ids=lambda e: e or "signed-out")
def test_every_route_answers_each_person_as_their_role_allows(client, auth, world, email):
    if email:
        auth.login(email)
    wrong = []
    for method, template, allowed, status in ROUTES:
        path = template.format(**world)
        if method == "GET":
            response = client.get(path)
        else:
            data = {"csrf_token": token(client, "/profile")} if email else {}
            response = client.post(path, data=data)
        if not email:
            expected = 302 if method == "GET" else 400
        else:
            expected = status if email in allowed else 403
            if isinstance(status, dict):  # per person, else a redirect
                expected = status.get(email, 302) if email in allowed else 403
        if response.status_code != expected:
            wrong.append((email, method, path, response.status_code, expected))
    assert wrong == []


def test_signed_out_visitors_reach_only_the_sign_in_page_and_static_files(client, world):
    assert client.get("/login").status_code == 200
    assert client.get("/static/app.css").status_code == 200
    assert client.get("/").headers["Location"].startswith("/login")


def test_no_route_escapes_the_authorization_walks(app):
    """Adding a page means saying who may open it, here or in test_ledger_access.py."""
    # The calendar feed answers its secret key, not a session (tests/test_feeds_ical.py).
    walked = [path for _, path, _, _ in ROUTES + LEDGER_ROUTES] + ["/login", "/feed/key.ics"]
    missing = []
    for rule in app.url_map.iter_rules():
        if rule.endpoint == "static":
            continue
        if rule.rule.startswith("/api/"):  # tokens, not sign-ins: walked in tests/test_api.py
            continue
        pattern = re.sub(r"<(?:[^:>]+:)?[^>]+>", "[^/?]+", rule.rule)
        if not any(re.fullmatch(pattern, p.split("?")[0]) for p in walked):
            missing.append(rule.rule)
    assert missing == []
