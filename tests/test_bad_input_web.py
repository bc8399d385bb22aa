"""Bad input on the pages never gives a 500: each kind of value found by fuzzing gets a clear
answer (beside the field, a 400 page or a 404) and writes nothing. Runs on SQLite and, with
TRACKER_TEST_DATABASE_URL, on PostgreSQL."""

import io
import re
from datetime import timedelta

import pytest

from tests.pages import PDF, deliver, error_beside, snapshot, token

CLERK = "sales.clerk@sh01.test"
FINANCE = "finance.clerk@sh01.test"
ADMIN = "finance.admin@sh01.test"
HUGE = str(2**64)  # above 2^63-1: no BIGINT holds it
BAD_AMOUNTS = ["NaN", "sNaN", "-NaN", "Infinity", "-Infinity", "1e309", "1e20", "1000000000000"]


@pytest.fixture
def owed(session, store, people):
    """A delivery ten days ago: sales-2 and sales-7 owed (overdue), one submitted for finance."""
    return deliver(session, store, people["sales.clerk"], ago=timedelta(days=10))


def event_form(client, **changes) -> dict:
    return {
        "csrf_token": token(client, "/events/new"),
        "type": "customer_payment",
        "reference": "P-9",
        "amount": "100.00",
        "occurred_at": "2026-11-16T09:00",
        **changes,
    }


# --- amounts ---


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_event_with_an_amount_no_column_holds_is_refused_beside_the_field(
    client, auth, people, amount
):
    auth.login(CLERK)
    before = snapshot()
    response = client.post("/events/new", data=event_form(client, amount=amount))
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "amount")
    assert snapshot() == before


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_submit_with_an_amount_no_column_holds_is_refused_beside_the_field(
    client, auth, owed, amount
):
    auth.login(CLERK)
    d = owed["sales-7"]
    before = snapshot()
    response = client.post(
        f"/deliverables/{d.id}/submit",
        data={
            "csrf_token": token(client, f"/deliverables/{d.id}/submit"),
            "state_version": str(d.state_version),
            "reference": "D-1001",
            "amount": amount,
            "late_reason": "late",
            "file": (io.BytesIO(PDF), "slip.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "amount")
    assert snapshot() == before


@pytest.mark.parametrize("amount", BAD_AMOUNTS)
def test_batch_submit_with_an_amount_no_column_holds_is_refused(client, auth, owed, amount):
    auth.login(CLERK)
    d = owed["sales-7"]
    page = f"/deliverables/submit?ids={d.id}"
    before = snapshot()
    response = client.post(
        "/deliverables/submit",
        data={
            "csrf_token": token(client, page),
            "items": f"{d.id}:{d.state_version}",
            "rows-0-reference": "D-1001",
            "rows-0-amount": amount,
            "late_reason": "late",
            "file": (io.BytesIO(PDF), "slip.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "rows-0-amount")
    assert snapshot() == before


# --- ids ---


@pytest.mark.parametrize(
    "path",
    [
        f"/deliverables/{HUGE}",
        f"/deliverables/{HUGE}/submit",
        f"/events/{HUGE}",
        f"/submissions/{HUGE}/file",
        "/deliverables/\u0662",  # an Arabic-Indic digit two
    ],
)
def test_an_id_out_of_the_database_range_in_a_path_is_not_found(client, auth, people, path):
    auth.login(CLERK)
    assert client.get(path).status_code == 404


def test_an_id_out_of_range_in_an_admin_path_is_not_found(client, auth, people):
    auth.login(ADMIN)
    assert client.get(f"/admin/people/{HUGE}/edit").status_code == 404
    csrf = token(client, "/admin/people")
    before = snapshot()
    response = client.post(f"/admin/outbox/{HUGE}/retry", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert snapshot() == before


def test_an_id_out_of_range_in_an_inbox_action_is_not_found(client, auth, people):
    auth.login(FINANCE)
    csrf = token(client, "/inbox")
    before = snapshot()
    response = client.post(f"/inbox/{HUGE}/accept", data={"csrf_token": csrf})
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize("ids", [HUGE, "\u00b9", "\u0662", "-1", "0"])
def test_ids_in_the_query_string_that_are_no_ids_choose_nothing(client, auth, owed, ids):
    auth.login(CLERK)
    response = client.get(f"/deliverables/submit?ids={ids}")
    assert response.status_code == 302  # "tick the deliverables first", back to the list


@pytest.mark.parametrize("items", [f"{HUGE}:1", f"1:{HUGE}", "\u00b9:1", "1:\u00b9"])
def test_batch_items_that_are_no_ids_choose_nothing(client, auth, owed, items):
    auth.login(CLERK)
    d = owed["sales-7"]
    csrf = token(client, f"/deliverables/submit?ids={d.id}")
    before = snapshot()
    response = client.post("/deliverables/submit", data={"csrf_token": csrf, "items": items})
    assert response.status_code == 302
    assert snapshot() == before


@pytest.mark.parametrize("version", [HUGE, "\u00b9", "\u0662"])
def test_a_state_version_that_is_no_number_is_refused_and_writes_nothing(
    client, auth, owed, version
):
    auth.login(CLERK)
    d = owed["sales-7"]
    before = snapshot()
    response = client.post(
        f"/deliverables/{d.id}/submit",
        data={
            "csrf_token": token(client, f"/deliverables/{d.id}/submit"),
            "state_version": version,
            "reference": "D-1001",
            "late_reason": "late",
            "file": (io.BytesIO(PDF), "slip.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert snapshot() == before


@pytest.mark.parametrize("version", [HUGE, "\u00b9"])
def test_an_inbox_decision_with_a_state_version_that_is_no_number_writes_nothing(
    client, auth, session, owed, people, version
):
    from tests.pages import submit

    d = owed["sales-7"]
    submit(session, d, people["sales.clerk"])
    auth.login(FINANCE)
    csrf = token(client, "/inbox")
    before = snapshot()
    response = client.post(
        f"/inbox/{d.id}/waive",
        data={"csrf_token": csrf, f"w{d.id}-state_version": version, f"w{d.id}-reason": "x"},
    )
    assert response.status_code < 500
    assert snapshot() == before


@pytest.mark.parametrize("commitment", ["\u00b9", "\u0662", HUGE, "-3"])
def test_a_commitment_filter_that_is_no_id_shows_every_commitment(client, auth, owed, commitment):
    auth.login(CLERK)
    response = client.get(f"/mine?commitment={commitment}")
    assert response.status_code == 200
    assert f'id="d{owed["sales-7"].id}"' in response.get_data(as_text=True)


# --- digits and years ---


@pytest.mark.parametrize("month", ["\u0662\u0660\u0662\u0666-11", "\uff12\uff10\uff12\uff16-11"])
@pytest.mark.parametrize(
    "path", ["/scorecards", "/scorecards/export.csv", "/scorecards/export.xlsx"]
)
def test_a_month_in_other_digits_is_refused_and_the_current_month_shown(
    client, auth, people, path, month
):
    auth.login("finance.lead@sh01.test")
    response = client.get(f"{path}?month={month}")
    assert response.status_code == 200
    disposition = response.headers.get("Content-Disposition", "")
    assert disposition.isascii()
    if path == "/scorecards":
        assert error_beside(response.get_data(as_text=True), "month")


@pytest.mark.parametrize("month", ["0001-01", "9999-12", "1999-12"])
def test_a_month_outside_the_years_is_refused_beside_the_field(client, auth, people, month):
    auth.login("finance.lead@sh01.test")
    response = client.get(f"/scorecards?month={month}")
    assert response.status_code == 200
    assert error_beside(response.get_data(as_text=True), "month")


@pytest.mark.parametrize("when", ["0001-01-01T00:00", "1999-12-31T23:59"])
def test_an_event_outside_the_years_is_refused_beside_the_field(client, auth, people, when):
    auth.login(CLERK)
    before = snapshot()
    response = client.post("/events/new", data=event_form(client, occurred_at=when))
    assert response.status_code == 400
    assert error_beside(response.get_data(as_text=True), "occurred_at")
    assert snapshot() == before


def refused_beside(client, path: str, field: str, fields: dict, status: int | None = None):
    """Post a form (with its CSRF token): the error stands beside `field`, no 500, and not a
    row of any table changed."""
    before = snapshot()
    response = client.post(path, data={"csrf_token": token(client, path), **fields})
    assert response.status_code == status if status else response.status_code < 500
    assert error_beside(response.get_data(as_text=True), field)
    assert snapshot() == before


STORE = {"country": "CN", "language": "zh", "work_start": "09:00", "work_end": "18:00"}


def test_a_request_due_after_the_years_is_refused_beside_the_field(client, auth, people):
    auth.login(FINANCE)
    page = client.get("/inbox/request").get_data(as_text=True)
    commitment = re.search(r'<option value="(\d+)"', page).group(1)
    fields = {"commitment": commitment, "note": "please", "due_at": "9999-12-31T23:59"}
    refused_beside(client, "/inbox/request", "due_at", fields)


def test_a_calendar_override_outside_the_years_is_refused(client, auth, people):
    auth.login(ADMIN)
    fields = {"day": "0001-01-01", "working": "0"}
    refused_beside(client, "/admin/stores/SH01/calendar", "day", fields, status=200)


# --- time zones ---


@pytest.mark.parametrize("zone", ["A" * 2000, "Asia/" + "x" * 300, "../../etc/passwd", "/etc/x"])
def test_a_time_zone_that_is_no_name_is_refused_before_any_file_lookup(client, auth, people, zone):
    auth.login(ADMIN)
    fields = {"code": "BJ01", "name": "Beijing", "timezone": zone, **STORE}
    refused_beside(client, "/admin/stores/new", "timezone", fields, status=200)


def test_a_long_time_zone_on_a_store_edit_is_refused(client, auth, people):
    auth.login(ADMIN)
    fields = {"name": "Shanghai", "timezone": "Z" * 2000, **STORE}
    refused_beside(client, "/admin/stores/SH01/edit", "timezone", fields)


# --- NUL bytes ---


@pytest.mark.parametrize(
    "path", ["/mine?q=a%00b", "/deals?ref=D%00", "/scorecards?store=SH%0001", "/mine?x%00=1"]
)
def test_a_nul_in_the_query_string_is_a_clear_400_in_the_persons_language(
    client, auth, session, people, path
):
    people["sales.clerk"].language = "zh"
    people["finance.lead"].language = "zh"
    session.commit()
    auth.login("finance.lead@sh01.test" if "scorecards" in path else CLERK)
    response = client.get(path)
    assert response.status_code == 400
    assert "NUL" in response.get_data(as_text=True)
    assert "不能使用" in response.get_data(as_text=True)


def test_a_nul_in_the_path_is_a_400(client, auth, people):
    auth.login(ADMIN)
    assert client.get("/admin/stores/SH%0001/edit").status_code == 400


@pytest.mark.parametrize("field", ["reference", "type", "occurred_at", "amount", "csrf_to\x00ken"])
def test_a_nul_in_any_form_field_is_a_400_and_writes_nothing(client, auth, people, field):
    auth.login(CLERK)
    form = event_form(client)
    if "\x00" in field:
        form[field] = "x"
    else:
        form[field] = form[field][:2] + "\x00" + form[field][2:]
    before = snapshot()
    response = client.post("/events/new", data=form)
    assert response.status_code == 400
    assert snapshot() == before


def test_a_nul_in_an_uploaded_file_name_is_a_400_and_writes_nothing(client, auth, owed):
    auth.login(CLERK)
    d = owed["sales-7"]
    before = snapshot()
    response = client.post(
        f"/deliverables/{d.id}/submit",
        data={
            "csrf_token": token(client, f"/deliverables/{d.id}/submit"),
            "state_version": str(d.state_version),
            "reference": "D-1001",
            "late_reason": "late",
            "file": (io.BytesIO(PDF), "sl\x00ip.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert snapshot() == before


def test_a_nul_in_a_json_body_is_answered_in_json(client, auth, people):
    auth.login(CLERK)
    before = snapshot()
    response = client.post(
        "/events/new",
        json={"reference": "a\x00b"},
        headers={"Accept": "application/json"},
    )
    assert response.status_code == 400
    assert "NUL" in response.get_json()["error"]
    assert snapshot() == before


def test_a_nul_at_sign_in_is_a_400_before_anyone_is_looked_up(client, auth, people):
    before = snapshot()
    response = client.post(
        "/login",
        data={"csrf_token": auth.csrf_token(), "email": "a\x00@b.c", "password": "x\x00"},
    )
    assert response.status_code == 400
    assert snapshot() == before
