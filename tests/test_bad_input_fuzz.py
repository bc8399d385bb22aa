"""Property-based fuzz (hypothesis) over the form and query parameters of every route that
takes input, signed in as someone who may use it, with a valid CSRF token: never a 500, and a
refused request (4xx) leaves every table's row count as it was.

Bounded for CI: TRACKER_FUZZ_EXAMPLES examples per route (default 20), no deadline.
"""

import os
from datetime import timedelta

import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.pages import deliver, submit, token
from tracker.extensions import db

EXAMPLES = int(os.environ.get("TRACKER_FUZZ_EXAMPLES", "20"))

# The values fuzzing found harmful, values that are nearly right, and arbitrary text.
NASTY = [
    "",
    " ",
    "0",
    "1",
    "-1",
    "NaN",
    "sNaN",
    "-Infinity",
    "Infinity",
    "1e309",
    "1e20",
    "12.345",
    str(2**63),
    str(2**64),
    "\u00b9",
    "\u0662\u0660\u0662\u0666-11",
    "\uff12\uff10\uff12\uff16-11",
    "2026-11",
    "0001-01",
    "0001-01-01T00:00",
    "9999-12-31T23:59",
    "2026-11-16T09:00",
    "2026-11-16",
    "0001-01-01",
    "Asia/Shanghai",
    "../../etc/passwd",
    "A" * 2000,
    "a\x00b",
    "<script>alert(1)</script>",
    "=HYPERLINK(1)",
    "SH01",
    "sales",
    "sales-7",
    "clerk",
    "zh",
    "other",
    "x@y.cn",
    "1:1",
    "1:\u00b9",
    f"{2**64}:1",
]
NAMED = st.sampled_from(NASTY)
VALUE = st.one_of(NAMED, NAMED, NAMED, st.text(max_size=40))  # mostly the named ones

CLERK = "sales.clerk@sh01.test"
FINANCE = "finance.clerk@sh01.test"
LEAD = "finance.lead@sh01.test"
ADMIN = "finance.admin@sh01.test"
STORE_FIELDS = ["code", "name", "timezone", "country", "subdiv", "language"]
STORE_FIELDS += ["work_start", "work_end"]
COMMITMENT_FIELDS = ["title_zh", "title_en", "deadline_as_written", "evidence", "checklist"]
COMMITMENT_FIELDS += ["offset_days", "day_type", "at_time", "non_working", "trigger_after"]
COMMITMENT_FIELDS += ["frequency", "day", "recurring_day_type", "period_back"]
COMMITMENT_FIELDS += ["before_working_days", "on_due", "overdue_every_working_day"]
COMMITMENT_FIELDS += ["ladder", "preview_store", "save"]
SCOPE = ["month", "store", "provider", "page"]

# (who, method, path, token page, fields); {open} and {submitted} are deliverable ids.
ROUTES = [
    (CLERK, "GET", "/mine", None, ["status", "commitment", "overdue", "q", "page"]),
    (CLERK, "GET", "/deliverables/submit", None, ["ids"]),
    (
        CLERK,
        "POST",
        "/deliverables/submit",
        "/mine",
        ["items", "rows-0-reference", "rows-0-amount", "note", "late_reason"],
    ),
    (
        CLERK,
        "POST",
        "/deliverables/{open}/submit",
        "/mine",
        ["state_version", "reference", "amount", "note", "late_reason"],
    ),
    (
        CLERK,
        "POST",
        "/events/new",
        "/events/new",
        ["type", "reference", "customer", "vin", "amount", "occurred_at"],
    ),
    (CLERK, "GET", "/deals", None, ["ref"]),
    (ADMIN, "GET", "/admin/people", None, ["store", "q", "page"]),
    (ADMIN, "GET", "/admin/stores", None, ["q", "page"]),
    (CLERK, "POST", "/profile", "/profile", ["language"]),
    (LEAD, "GET", "/scorecards", None, SCOPE),
    (LEAD, "GET", "/scorecards/export.csv", None, SCOPE),
    (LEAD, "GET", "/scorecards/export.xlsx", None, SCOPE),
    (LEAD, "GET", "/scorecards/at-risk.csv", None, SCOPE),
    (
        LEAD,
        "GET",
        "/scorecards/deliverables",
        None,
        SCOPE + ["measure", "commitment", "reason", "bucket", "backlog"],
    ),
    (FINANCE, "GET", "/inbox", None, []),
    (FINANCE, "GET", "/complaints", None, ["page", "mine_page"]),
    (
        FINANCE,
        "POST",
        "/complaints/new",
        "/complaints/new",
        ["department", "severity", "what", "deliverable", "reference"],
    ),
    (
        FINANCE,
        "POST",
        "/inbox/{submitted}/accept",
        "/inbox",
        ["a{submitted}-state_version", "a{submitted}-checklist"],
    ),
    (
        FINANCE,
        "POST",
        "/inbox/{submitted}/return",
        "/inbox",
        ["r{submitted}-state_version", "r{submitted}-reason", "r{submitted}-note"],
    ),
    (
        FINANCE,
        "POST",
        "/inbox/{open}/waive",
        "/inbox",
        ["w{open}-state_version", "w{open}-reason"],
    ),
    (
        FINANCE,
        "POST",
        "/inbox/request",
        "/inbox/request",
        ["commitment", "note", "reference", "due_at"],
    ),
    (ADMIN, "POST", "/admin/stores/new", "/admin/stores/new", STORE_FIELDS),
    (ADMIN, "POST", "/admin/stores/SH01/edit", "/admin/stores/new", STORE_FIELDS),
    (
        ADMIN,
        "POST",
        "/admin/departments/new",
        "/admin/stores/new",
        ["code", "name_zh", "name_en"],
    ),
    (
        ADMIN,
        "POST",
        "/admin/people/new",
        "/admin/stores/new",
        ["email", "name", "role", "department", "store", "language", "password"],
    ),
    (
        ADMIN,
        "POST",
        "/admin/people/{clerk}/edit",
        "/admin/stores/new",
        ["name", "role", "department", "store", "language"],
    ),
    (ADMIN, "POST", "/admin/people/{clerk}/password", "/admin/stores/new", ["password", "confirm"]),
    (ADMIN, "POST", "/admin/people/{clerk}/active", "/admin/stores/new", ["active"]),
    (ADMIN, "POST", "/admin/risk-bands", "/admin/stores/new", ["bands"]),
    (ADMIN, "GET", "/admin/stores/SH01/calendar", None, ["year"]),
    (
        ADMIN,
        "POST",
        "/admin/stores/SH01/calendar",
        "/admin/stores/new",
        ["day", "working", "note"],
    ),
    (ADMIN, "GET", "/admin/commitments/sales-7", None, ["store"]),
    (ADMIN, "POST", "/admin/commitments/sales-7", "/admin/stores/new", COMMITMENT_FIELDS),
    (ADMIN, "POST", "/admin/commitments/loans-8", "/admin/stores/new", COMMITMENT_FIELDS),
    (ADMIN, "POST", "/admin/test-email", "/admin/stores/new", ["to"]),
    (LEAD, "GET", "/closing", None, ["month", "store"]),
    (LEAD, "POST", "/closing/close", "/closing", ["store", "month", "every_store", "with_open"]),
    (ADMIN, "POST", "/closing/reopen", "/closing", ["store", "month", "reason"]),
]


def row_counts() -> dict[str, int]:
    with db.engine.connect() as c:
        tables = sa.inspect(c).get_table_names()
        return {t: c.execute(sa.text(f"SELECT count(*) FROM {t}")).scalar() for t in tables}


@pytest.fixture
def ids(session, store, people):
    """An open deliverable (sales-7) and a submitted one (sales-2), and a clerk's id."""
    owed = deliver(session, store, people["sales.clerk"], ago=timedelta(days=1))
    submit(session, owed["sales-2"], people["sales.clerk"])
    return {
        "open": owed["sales-7"].id,
        "submitted": owed["sales-2"].id,
        "clerk": people["sales.clerk"].id,
    }


@pytest.mark.parametrize(
    "who, method, path, page, fields", ROUTES, ids=[f"{r[1]} {r[2]}" for r in ROUTES]
)
@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(data=st.data())
def test_no_input_gives_a_500_and_a_refusal_writes_nothing(
    client, auth, ids, who, method, path, page, fields, data
):
    if not getattr(client, "_fuzz_signed_in", False):
        auth.login(who)
        client._fuzz_signed_in = True
        client._fuzz_token = token(client, page) if page else None
    url = path.format(**ids)
    values = {f.format(**ids): data.draw(VALUE, label=f) for f in fields}
    before = row_counts()
    if method == "GET":
        response = client.get(url, query_string=values)
    else:
        response = client.post(url, data={"csrf_token": client._fuzz_token, **values})
    assert response.status_code < 500, (url, values)
    if response.status_code >= 400:
        assert row_counts() == before, (url, values, response.status_code)
