"""The clerk's pages: our department's list, submitting (one or several), recording an event,
the deal file and a deliverable's history; bad input beside the field, nothing written."""

import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from tests import factories
from tests.pages import OVERDUE, PDF, counted_queries, deliver, error_beside, submit, token
from tracker.ledger import service as ledger
from tracker.ledger.models import BusinessEvent, Deliverable, Submission

CLERK = "sales.clerk@sh01.test"


def submissions(session) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(Submission))


def post_submit(client, d, **fields):
    data = {
        "csrf_token": token(client, f"/deliverables/{d.id}/submit"),
        "state_version": str(d.state_version),
        "reference": d.reference or "",
        "file": (io.BytesIO(PDF), "slip.pdf"),
        **fields,
    }
    return client.post(
        f"/deliverables/{d.id}/submit", data=data, content_type="multipart/form-data"
    )


@pytest.fixture
def late(session, store, people):
    """A delivery a month ago: its sales-2 and sales-7 are overdue."""
    return deliver(session, store, people["sales.clerk"], ago=OVERDUE)


# --- our department ---


def test_our_department_shows_overdue_first_with_how_late_and_how_long_is_left(
    client, auth, session, store, people, late
):
    fresh = deliver(session, store, people["sales.clerk"], ref="D-2002")
    auth.login(CLERK)
    html = client.get("/mine").get_data(as_text=True)
    overdue_row = html.index(f'id="d{late["sales-7"].id}"')
    fresh_row = html.index(f'id="d{fresh["sales-7"].id}"')
    assert overdue_row < fresh_row
    assert " late</span>" in html and " left</span>" in html
    assert 'class="overdue"' in html


@pytest.mark.parametrize(
    ("query", "shows_late", "shows_fresh"),
    [
        ("", True, True),
        ("?overdue=y", True, False),
        ("?q=2002", False, True),
        ("?q=d-1001", True, False),
        ("?status=accepted", False, False),
    ],
)
def test_filters_narrow_our_department_list(
    client, auth, session, store, people, late, query, shows_late, shows_fresh
):
    fresh = deliver(session, store, people["sales.clerk"], ref="D-2002")
    auth.login(CLERK)
    html = client.get("/mine" + query).get_data(as_text=True)
    assert (f'id="d{late["sales-7"].id}"' in html) is shows_late
    assert (f'id="d{fresh["sales-7"].id}"' in html) is shows_fresh


def test_our_department_filter_by_commitment(client, auth, session, store, people, late):
    auth.login(CLERK)
    commitment_id = late["sales-7"].commitment_id
    html = client.get(f"/mine?commitment={commitment_id}").get_data(as_text=True)
    assert f'id="d{late["sales-7"].id}"' in html
    assert f'id="d{late["sales-2"].id}"' not in html


def _many_deliveries(session, store, person, count):
    for i in range(count):
        deliver(session, store, person, ago=timedelta(days=i % 12), ref=f"D-{i:04d}")


def test_our_department_page_costs_the_same_queries_for_5_and_50_rows(
    client, auth, session, store, people
):
    auth.login(CLERK)
    person = people["sales.clerk"]
    counts = {}
    for total_deliveries in (3, 25):  # sales-2 and sales-7 each: 6 and 50 rows
        have = session.scalar(select(func.count()).select_from(BusinessEvent))
        _many_deliveries(session, store, person, total_deliveries - have)
        with counted_queries() as statements:
            html = client.get("/mine?status=all").get_data(as_text=True)
        counts[html.count('<tr id="d')] = len(statements)
    assert sorted(counts) == [6, 50]
    assert counts[6] == counts[50]


# --- submitting one ---


def test_submit_keeps_the_file_and_takes_the_time_from_the_server(
    client, auth, session, store, people, late, app, now
):
    d = late["sales-7"]
    auth.login(CLERK)
    response = post_submit(client, d, late_reason="the customer signed late", amount="12.50")
    assert response.status_code == 302
    session.expire_all()
    s = session.scalars(select(Submission).where(Submission.deliverable_id == d.id)).one()
    assert s.file_name == "slip.pdf" and s.file_type == "application/pdf"
    assert s.file_size == len(PDF) and s.file_path != "slip.pdf"
    assert (Path(app.config["UPLOAD_DIR"]) / s.file_path).read_bytes() == PDF
    assert s.submitted_at == now  # the server's clock, not a time from the form
    assert s.late_reason == "the customer signed late" and str(s.amount) == "12.50"
    assert session.get(Deliverable, d.id).status == "submitted"


def test_submit_form_offers_the_deals_reference_and_no_time_field(
    client, auth, session, store, people, late
):
    auth.login(CLERK)
    html = client.get(f"/deliverables/{late['sales-7'].id}/submit").get_data(as_text=True)
    assert re.search(r'id="reference"[^>]*value="D-1001"', html)
    assert 'type="datetime-local"' not in html and "taken from the server" in html


def test_evidence_file_is_downloaded_only_by_people_of_the_store(
    client, auth, session, store, people, late, now
):
    d = late["sales-7"]
    auth.login(CLERK)
    post_submit(client, d, late_reason="late")
    s = session.scalars(select(Submission)).one()
    download = client.get(f"/submissions/{s.id}/file")
    assert download.status_code == 200 and download.data == PDF
    assert "slip.pdf" in download.headers["Content-Disposition"]
    other = factories.create_store(session, now=now, code="BJ01")
    factories.create_person(session, other, "sales", now=now)
    session.commit()
    auth.logout()
    auth.login("sales.clerk@bj01.test")
    assert client.get(f"/submissions/{s.id}/file").status_code == 403


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"late_reason": ""}, "late_reason", "It is past the due time: say why it is late."),
        ({"late_reason": "x", "reference": "  "}, "reference", "This deliverable needs it."),
        ({"late_reason": "x", "file": (io.BytesIO(b""), "")}, "file", "This deliverable needs it."),
        (
            {"late_reason": "x", "file": (io.BytesIO(b"MZ"), "tool.exe")},
            "file",
            "Only these files: pdf, jpg, jpeg, png, xlsx, csv, txt.",
        ),
        ({"late_reason": "x", "amount": "12.345"}, "amount", "at most two decimals"),
    ],
    ids=["late-without-reason", "blank-reference", "no-file", "exe", "amount"],
)
def test_bad_submission_is_shown_beside_the_field_and_nothing_is_written(
    client, auth, session, store, people, late, app, fields, field_id, message
):
    auth.login(CLERK)
    response = post_submit(client, late["sales-7"], **fields)
    assert response.status_code == 400
    assert message in error_beside(response.get_data(as_text=True), field_id)
    assert submissions(session) == 0
    assert session.get(Deliverable, late["sales-7"].id).status == "open"
    uploads = Path(app.config["UPLOAD_DIR"])
    assert not uploads.exists() or not any(uploads.iterdir())


def test_a_file_over_the_size_limit_is_refused_beside_the_field(
    client, auth, session, store, people, late, app
):
    app.config["UPLOAD_MAX_BYTES"] = 2 * 2**20
    auth.login(CLERK)
    big = (io.BytesIO(b"x" * (2 * 2**20 + 1)), "scan.pdf")
    response = post_submit(client, late["sales-7"], late_reason="x", file=big)
    assert response.status_code == 400
    assert "too big" in error_beside(response.get_data(as_text=True), "file")
    assert submissions(session) == 0


def test_a_submission_without_its_csrf_token_is_refused(client, auth, session, store, people, late):
    auth.login(CLERK)
    d = late["sales-7"]
    response = client.post(
        f"/deliverables/{d.id}/submit",
        data={"reference": "D-1001", "late_reason": "x", "file": (io.BytesIO(PDF), "a.pdf")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert submissions(session) == 0


def test_a_stale_tab_is_told_someone_else_changed_it_and_nothing_is_written(
    client, auth, session, store, people, late, now
):
    d = late["sales-7"]
    auth.login(CLERK)
    stale_version = d.state_version
    submit(session, d, people["sales.clerk"])  # the other tab
    ledger.return_deliverable(session, d, by=people["finance.clerk"], now=now, reason="unsigned")
    session.commit()
    response = post_submit(client, d, late_reason="x", state_version=str(stale_version))
    assert response.status_code == 302
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Someone changed this a moment ago" in page
    assert submissions(session) == 1
    assert session.get(Deliverable, d.id).status == "returned"


def test_a_clerk_submits_only_for_their_own_department(client, auth, session, store, people, late):
    auth.login("insurance.clerk@sh01.test")
    d = late["sales-7"]
    assert client.get(f"/deliverables/{d.id}/submit").status_code == 403
    response = post_submit(client, d, late_reason="x")
    assert response.status_code == 403
    assert submissions(session) == 0


def test_another_stores_deliverable_is_not_shown(client, auth, session, store, people, late, now):
    other = factories.create_store(session, now=now, code="BJ01")
    factories.create_person(session, other, "sales", now=now)
    session.commit()
    auth.login("sales.clerk@bj01.test")
    d = late["sales-7"]
    assert client.get(f"/deliverables/{d.id}").status_code == 403
    assert client.get(f"/deliverables/{d.id}/submit").status_code == 403
    assert f'id="d{d.id}"' not in client.get("/mine?status=all").get_data(as_text=True)
    deal_file = client.get("/deals?ref=D-1001").get_data(as_text=True)
    assert "sales-7" not in deal_file and "No event with this reference" in deal_file


# --- several at once ---


def test_several_deliverables_are_submitted_in_one_go(client, auth, session, store, people, late):
    ids = sorted(
        [late["sales-2"].id, late["sales-7"].id], key=lambda i: session.get(Deliverable, i).due_at
    )
    auth.login(CLERK)
    page = client.get(f"/deliverables/submit?ids={ids[0]}&ids={ids[1]}")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    items = ",".join(f"{i}:1" for i in ids)
    assert f'value="{items}"' in html
    assert 'name="rows-0-reference"' in html and 'name="rows-1-reference"' in html
    response = client.post(
        "/deliverables/submit",
        data={
            "csrf_token": token(client, "/mine"),
            "items": items,
            "rows-0-reference": "D-1001",
            "rows-1-reference": "D-1001",
            "late_reason": "waited for the bank",
            "file": (io.BytesIO(PDF), "slips.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    session.expire_all()
    rows = session.scalars(select(Submission).order_by(Submission.deliverable_id)).all()
    assert [s.deliverable_id for s in rows] == sorted(ids)
    assert {s.file_name for s in rows} == {"slips.pdf"} and len({s.file_path for s in rows}) == 1


def test_a_batch_keeps_each_items_own_reference_amount_and_file(
    client, auth, session, store, people, app
):
    """Three card slips handed in together stay three: each its own reference and amount, one
    with its own file and two sharing the batch's file."""
    deals = [
        deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=f"D-20{i}")
        for i in range(3)
    ]
    chosen = sorted((deal["sales-7"] for deal in deals), key=lambda d: d.due_at)
    items = ",".join(f"{d.id}:{d.state_version}" for d in chosen)
    auth.login(CLERK)
    html = client.get("/deliverables/submit?" + "&".join(f"ids={d.id}" for d in chosen)).get_data(
        as_text=True
    )
    for i, d in enumerate(chosen):  # each row starts with its own reference
        assert f'name="rows-{i}-reference"' in html and f'value="{d.reference}"' in html
    data = {"csrf_token": token(client, "/mine"), "items": items, "late_reason": "bank"}
    for i, d in enumerate(chosen):
        data[f"rows-{i}-reference"] = f"{d.reference}/slip"
        data[f"rows-{i}-amount"] = f"{100 * (i + 1)}.50"
    data["rows-1-file"] = (io.BytesIO(PDF), "own.pdf")
    data["file"] = (io.BytesIO(PDF), "shared.pdf")
    response = client.post("/deliverables/submit", data=data, content_type="multipart/form-data")
    assert response.status_code == 302
    session.expire_all()
    got = {
        s.deliverable_id: (s.reference, s.amount, s.file_name, s.file_path)
        for s in session.scalars(select(Submission))
    }
    assert [got[d.id][:3] for d in chosen] == [
        (f"{chosen[0].reference}/slip", Decimal("100.50"), "shared.pdf"),
        (f"{chosen[1].reference}/slip", Decimal("200.50"), "own.pdf"),
        (f"{chosen[2].reference}/slip", Decimal("300.50"), "shared.pdf"),
    ]
    assert got[chosen[0].id][3] == got[chosen[2].id][3] != got[chosen[1].id][3]
    stored = {p.name for p in Path(app.config["UPLOAD_DIR"]).iterdir()}
    assert stored == {got[chosen[0].id][3], got[chosen[1].id][3]}  # the shared file once


def test_a_batch_row_without_a_file_and_no_shared_file_is_refused_beside_that_row(
    client, auth, session, store, people
):
    deals = [
        deliver(session, store, people["sales.clerk"], ago=OVERDUE, ref=f"D-30{i}")
        for i in range(2)
    ]
    chosen = sorted((deal["sales-7"] for deal in deals), key=lambda d: d.due_at)
    auth.login(CLERK)
    response = client.post(
        "/deliverables/submit",
        data={
            "csrf_token": token(client, "/mine"),
            "items": ",".join(f"{d.id}:{d.state_version}" for d in chosen),
            "rows-0-reference": "D-300",
            "rows-0-file": (io.BytesIO(PDF), "own.pdf"),
            "rows-1-reference": "",
            "late_reason": "bank",
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    html = response.get_data(as_text=True)
    assert "needs it" in error_beside(html, "rows-1-reference")
    assert "its own or one for all" in error_beside(html, "rows-1-file")
    assert submissions(session) == 0


def test_several_at_once_is_all_or_nothing(client, auth, session, store, people, late, app):
    auth.login(CLERK)
    submit(session, late["sales-2"], people["sales.clerk"])  # meanwhile, in another tab
    items = f"{late['sales-2'].id}:1,{late['sales-7'].id}:1"
    response = client.post(
        "/deliverables/submit",
        data={
            "csrf_token": token(client, "/mine"),
            "items": items,
            "rows-0-reference": "D-1001",
            "rows-1-reference": "D-1001",
            "late_reason": "x",
            "file": (io.BytesIO(PDF), "slips.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 302
    assert submissions(session) == 1
    assert session.get(Deliverable, late["sales-7"].id).status == "open"
    assert not any(Path(app.config["UPLOAD_DIR"]).iterdir())


def test_several_at_once_late_needs_a_reason_beside_the_field(
    client, auth, session, store, people, late
):
    auth.login(CLERK)
    response = client.post(
        "/deliverables/submit",
        data={
            "csrf_token": token(client, "/mine"),
            "items": f"{late['sales-7'].id}:1",
            "rows-0-reference": "D-1001",
            "file": (io.BytesIO(PDF), "slips.pdf"),
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "say why it is late" in error_beside(response.get_data(as_text=True), "late_reason")
    assert submissions(session) == 0


def test_several_at_once_refuses_another_departments_item(
    client, auth, session, store, people, late
):
    auth.login("insurance.clerk@sh01.test")
    assert client.get(f"/deliverables/submit?ids={late['sales-7'].id}").status_code == 403


# --- recording an event ---


def test_recording_a_delivery_shows_what_it_created_due_in_the_store_zone(
    client, auth, session, store, people
):
    auth.login(CLERK)
    # Monday 2025-11-17 10:00 in Shanghai (explicit, and past whatever the fixed now); sales-7
    # is due three working days later.
    response = client.post(
        "/events/new",
        data={
            "csrf_token": token(client, "/events/new"),
            "type": "vehicle_delivered",
            "reference": "D-3003",
            "customer": "Li Na",
            "vin": "lsvaa4182e2123456",
            "occurred_at": "2025-11-17T10:00",
        },
    )
    assert response.status_code == 302
    session.expire_all()
    event = session.scalars(select(BusinessEvent)).one()
    assert event.occurred_at.isoformat() == "2025-11-17T02:00:00+00:00"
    assert event.vin == "LSVAA4182E2123456" and event.recorded_by_id == people["sales.clerk"].id
    html = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Accessories slip" in html or "sales-7" in html
    assert "2025-11-20 23:59" in html  # Thursday, end of day, Shanghai time


def test_the_event_form_explains_the_time_is_when_it_happened(client, auth, people, now):
    auth.login(CLERK)
    html = client.get("/events/new").get_data(as_text=True)
    assert "The time it happened" in html and "Asia/Shanghai" in html
    now_local = now.astimezone(people["sales.clerk"].store.zone)
    assert now_local.strftime("%Y-%m-%dT") in html  # defaults to now


@pytest.mark.parametrize(
    ("fields", "field_id", "message"),
    [
        ({"occurred_at": "A DAY AFTER NOW"}, "occurred_at", "in the future"),
        ({"reference": ""}, "reference", "Required."),
        ({"vin": "TOO-SHORT"}, "vin", "A VIN has 17 characters."),
        ({"occurred_at": "yesterday"}, "occurred_at", "Required."),  # not a time: none given
    ],
)
def test_bad_event_is_shown_beside_the_field_and_nothing_is_written(
    client, auth, session, people, now, fields, field_id, message
):
    auth.login(CLERK)
    local = now.astimezone(people["sales.clerk"].store.zone)
    if fields.get("occurred_at") == "A DAY AFTER NOW":
        fields = {"occurred_at": (local + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M")}
    data = {
        "csrf_token": token(client, "/events/new"),
        "type": "vehicle_delivered",
        "reference": "D-1",
        "occurred_at": (local - timedelta(hours=1)).strftime("%Y-%m-%dT%H:%M"),
        **fields,
    }
    response = client.post("/events/new", data=data)
    assert response.status_code == 400
    assert message in (error_beside(response.get_data(as_text=True), field_id) or "missing")
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(BusinessEvent)) == 0
    assert session.scalar(select(func.count()).select_from(Deliverable)) == 0


# --- deal file and deliverable ---


def test_deal_file_shows_everything_owed_for_the_reference_across_departments(
    client, auth, session, store, people, late, now
):
    ledger.record_event(
        session,
        ledger.NewEvent(
            store=store,
            type="installment_signed",
            occurred_at=now - timedelta(hours=1),
            reference="D-1001",
        ),
        by=people["loans.clerk"],
        now=now,
    )
    session.commit()
    auth.login("finance.clerk@sh01.test")
    html = client.get("/deals?ref=d-1001").get_data(as_text=True)
    for code in ("sales-2", "sales-7", "loans-1", "sales-5"):
        assert code in html
    assert "Consumer Loans" in html and "Sales" in html
    assert len(re.findall(r'href="/events/\d+"', html)) == 2


def _event(session, store, person, now, ref, *, customer=None, vin=None, amount=None, ago=0):
    ledger.record_event(
        session,
        ledger.NewEvent(
            store=store,
            type="installment_signed",
            occurred_at=now - timedelta(hours=1 + ago),
            reference=ref,
            customer=customer,
            vin=vin,
            amount=amount,
        ),
        by=person,
        now=now,
    )
    session.commit()


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ("2611", ["D26118801", "D26110042"]),  # part of the deal number, latest first
        ("d2611880", ["D26118801"]),  # any case
        ("li na", ["D26110042"]),  # the customer
        ("LSVAB4", ["D26118801"]),  # part of the VIN
        ("366,000.00", ["D26110042"]),  # the amount, as people write it
        ("366000", ["D26110042"]),
        ("50%", []),  # % and _ are letters here, not wildcards
        ("_", []),
    ],
)
def test_a_deal_is_found_by_part_of_its_number_the_customer_the_vin_or_the_amount(
    client, auth, session, store, people, now, text, found
):
    clerk = people["loans.clerk"]
    _event(
        session,
        store,
        clerk,
        now,
        "D26110042",
        customer="Li Na",
        amount=Decimal("366000.00"),
        ago=2,
    )
    _event(session, store, clerk, now, "D26118801", customer="Zhao Lei", vin="LSVAB4AZ1N2000001")
    auth.login("finance.clerk@sh01.test")
    html = client.get("/deals", query_string={"q": text}).get_data(as_text=True)
    listed = re.findall(r'href="/deals\?ref=([^"]+)"', html)
    assert listed == found
    if not found:
        assert "No deal in your store matches" in html


def test_the_deal_page_lists_the_stores_recent_deals_and_never_another_stores(
    client, auth, session, store, people, now
):
    other = factories.create_store(session, code="BJ01", now=now)
    session.commit()
    outsider = factories.create_staff(session, other, now=now)["loans.clerk"]
    session.commit()
    for i in range(3):
        _event(session, store, people["loans.clerk"], now, f"D-50{i}", ago=i)
    _event(session, other, outsider, now, "D-999")
    auth.login("finance.clerk@sh01.test")
    html = client.get("/deals").get_data(as_text=True)
    assert re.findall(r'href="/deals\?ref=([^"]+)"', html) == ["D-500", "D-501", "D-502"]
    elsewhere = client.get("/deals?q=D-999").get_data(as_text=True)
    assert "ref=D-999" not in elsewhere and "No deal in your store matches" in elsewhere


def test_a_deal_search_pages_with_its_total(client, auth, session, store, people, now):
    for i in range(4):
        _event(session, store, people["loans.clerk"], now, f"D-60{i}", ago=i)
    found = ledger.find_deals(session, store.id, "D-60", per_page=3)
    assert [d.reference for d in found.rows] == ["D-600", "D-601", "D-602"] and found.total == 4
    later = ledger.find_deals(session, store.id, "D-60", page=2, per_page=3)
    assert [d.reference for d in later.rows] == ["D-603"] and later.first == 4
    auth.login("finance.clerk@sh01.test")
    assert "Deals: 4" in client.get("/deals?q=D-60").get_data(as_text=True)


def test_deliverable_page_shows_every_submission_and_the_whole_history(
    client, auth, session, store, people, late, now
):
    d = late["sales-7"]
    submit(session, d, people["sales.clerk"], reason="bank was slow")
    ledger.return_deliverable(
        session, d, by=people["finance.clerk"], now=now, reason="unsigned", note="sign p.2"
    )
    session.commit()
    auth.login(CLERK)
    html = client.get(f"/deliverables/{d.id}").get_data(as_text=True)
    assert "Accessories slip" in html  # the checklist of the version
    assert "bank was slow" in html and "unsigned" in html and "sign p.2" in html
    for action in ("created", "submitted", "returned"):
        assert f'<td data-label="What">{action}' in html
    assert "finance clerk" in html and "sales clerk" in html
    assert f'href="/deliverables/{d.id}/submit"' in html  # returned: the clerk may submit again


def test_pages_render_in_chinese_for_a_chinese_speaking_clerk(
    client, auth, session, store, people, late
):
    people["sales.clerk"].language = "zh"
    session.commit()
    auth.login(CLERK)
    mine = client.get("/mine").get_data(as_text=True)
    assert "本部门事项" in mine and "交车" not in mine.split("<main")[0]
    assert "逾期" in mine
    form = client.get(f"/deliverables/{late['sales-7'].id}/submit").get_data(as_text=True)
    assert "装饰单" in form
    event = client.get("/events/new").get_data(as_text=True)
    assert "交车" in event


def _visible_text(html: str) -> str:
    main = html.split("<main", 1)[1]
    main = re.sub(r"<(script|style)\b.*?</\1>", " ", main, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", main))


def _english_messages() -> list[str]:
    from babel.messages.pofile import read_po

    path = Path(__file__).resolve().parent.parent / "translations/ledger/zh/LC_MESSAGES"
    with (path / "messages.po").open("rb") as f:
        ids = [m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id]
    return [i for i in ids if "%" not in i and len(i) >= 3]


def test_every_clerk_and_inbox_page_reads_in_chinese_with_no_english_left(
    client, auth, session, store, people, late, now
):
    for person in people.values():
        person.language = "zh"
    d = late["sales-7"]
    submit(session, d, people["sales.clerk"], reason="客户晚到")
    ledger.return_deliverable(
        session, d, by=people["finance.clerk"], now=now, reason="unsigned", note="请签字"
    )
    session.commit()
    submit(session, d, people["sales.clerk"], reason="客户晚到")
    english = _english_messages()
    pages = {
        "sales.clerk": [
            "/mine?status=all",
            f"/deliverables/{late['sales-2'].id}/submit",
            f"/deliverables/submit?ids={late['sales-2'].id}",
            "/events/new",
            f"/events/{d.event_id}",
            "/deals?ref=D-1001",
            f"/deliverables/{d.id}",
        ],
        "finance.clerk": ["/inbox", "/inbox/request"],
    }
    left = []
    for who, paths in pages.items():
        auth.login(f"{who}@sh01.test")
        for path in paths:
            text = _visible_text(client.get(path).get_data(as_text=True))
            left += [(path, m) for m in english if re.search(rf"\b{re.escape(m)}\b", text)]
        if who == "sales.clerk":  # and the errors beside the fields
            response = post_submit(client, late["sales-2"], reference="", file=(io.BytesIO(), ""))
            text = _visible_text(response.get_data(as_text=True))
            assert "此事项必须提供。" in text and "请说明逾期原因" in text
            left += [("bad submit", m) for m in english if re.search(rf"\b{re.escape(m)}\b", text)]
        auth.logout()
    assert left == []
