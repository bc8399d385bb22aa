"""The REST API under /api/v1: tokens, problem details, events posted once, cursor paging,
ETags, and each resource through the same rules as the pages. Runs on SQLite and, with
TRACKER_TEST_DATABASE_URL, on PostgreSQL."""

import io
import json
import re
import threading
from calendar import isleap
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from tracker.api import service as api
from tracker.calendar.workdays import year_known
from tracker.ledger.models import BusinessEvent, Deliverable

PROBLEM = "application/problem+json"


def _token(session, person, now, **kw):
    kw.setdefault("name", None)
    kw.setdefault("expires_days", None)
    kw.setdefault("integration", False)
    _token_row, secret = api.create_token(session, person, now=now, **kw)
    session.commit()
    return {"Authorization": f"Bearer {secret}"}


def _event(now, external_id="DMS-1", **more):
    return {
        "type": "vehicle_delivered",
        "store": "SH01",
        "occurred_at": (now - timedelta(hours=2)).isoformat(),
        "reference": "D-100",
        "external_id": external_id,
        **more,
    }


def _count(session, model):
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


def test_without_a_valid_token_every_resource_answers_401_as_problem_details(client, people, now):
    for headers in ({}, {"Authorization": "Bearer nope"}, {"Authorization": "Basic x"}):
        r = client.get("/api/v1/deliverables", headers=headers)
        assert r.status_code == 401 and r.content_type == PROBLEM
        assert r.headers["WWW-Authenticate"].startswith("Bearer")
        assert r.json["status"] == 401 and r.json["detail"]


def test_an_expired_or_revoked_token_is_refused(client, session, people, now):
    person = people["sales.clerk"]
    token, secret = api.create_token(
        session, person, name="x", expires_days=1, integration=False, now=now - timedelta(days=2)
    )
    session.commit()
    r = client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"})
    assert r.status_code == 401
    headers = _token(session, person, now)
    assert client.get("/api/v1/events", headers=headers).status_code == 200
    (newest,) = [t for t in api.tokens_of(session, person) if t.expires_at is None]
    api.revoke(session, newest.id, by=person, now=now)
    session.commit()
    assert client.get("/api/v1/events", headers=headers).status_code == 401


def test_posting_an_event_answers_201_with_its_deliverables_then_200_with_the_first(
    client, session, people, now
):
    headers = _token(session, people["sales.clerk"], now)
    r = client.post("/api/v1/events", json=_event(now), headers=headers)
    assert r.status_code == 201, r.json
    body = r.json
    assert body["store"] == "SH01" and body["source"] == "api"
    assert body["deliverables"] and {"id", "commitment", "due_at", "status"} <= set(
        body["deliverables"][0]
    )
    again = client.post("/api/v1/events", json=_event(now, reference="other"), headers=headers)
    assert again.status_code == 200 and again.json["id"] == body["id"]
    assert again.json["reference"] == "D-100"
    assert _count(session, BusinessEvent) == 1


def test_two_posts_of_the_same_event_at_once_record_it_once(app, session, people, now):
    headers = _token(session, people["sales.clerk"], now)
    barrier = threading.Barrier(2, timeout=30)
    statuses = []

    def post():
        with app.test_client() as c:
            barrier.wait()
            statuses.append(c.post("/api/v1/events", json=_event(now), headers=headers).status_code)

    threads = [threading.Thread(target=post) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert sorted(statuses) == [200, 201]
    assert _count(session, BusinessEvent) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"occurred_at": "2026-11-16T10:00:00"}, "occurred_at"),
        ({"store": "NOPE"}, "store"),
        ({"vin": "SHORT"}, "vin"),
        ({"reference": "   "}, "reference"),
        ({"amount": "lots"}, "amount"),
    ],
)
def test_bad_input_is_422_with_the_field(client, session, people, now, change, field):
    headers = _token(session, people["sales.clerk"], now)
    r = client.post("/api/v1/events", json={**_event(now), **change}, headers=headers)
    assert r.status_code == 422 and r.content_type == PROBLEM
    assert field in r.json["errors"]
    assert _count(session, BusinessEvent) == 0


def test_an_unknown_event_type_or_a_future_time_is_422(client, session, people, now):
    headers = _token(session, people["sales.clerk"], now)
    for change in ({"type": "nope"}, {"occurred_at": (now + timedelta(days=1)).isoformat()}):
        r = client.post("/api/v1/events", json={**_event(now), **change}, headers=headers)
        assert r.status_code == 422 and r.content_type == PROBLEM and r.json["detail"]


def test_lists_page_with_a_cursor(client, session, people, now):
    headers = _token(session, people["sales.clerk"], now)
    for i in range(5):
        ev = _event(now, external_id=f"X{i}", reference=f"D-{i}")
        assert client.post("/api/v1/events", json=ev, headers=headers).status_code == 201
    seen, cursor = [], None
    while True:
        query = {"limit": 2, **({"cursor": cursor} if cursor else {})}
        r = client.get("/api/v1/events", query_string=query, headers=headers)
        assert r.status_code == 200
        seen += [e["reference"] for e in r.json["items"]]
        cursor = r.json["next_cursor"]
        if cursor is None:
            break
    assert seen == [f"D-{i}" for i in range(5)]
    bad = client.get("/api/v1/events?cursor=%21%21", headers=headers)
    assert bad.status_code == 422 and bad.content_type == PROBLEM


def test_a_single_object_carries_an_etag_and_if_none_match_gives_304(client, session, people, now):
    headers = _token(session, people["sales.clerk"], now)
    event = client.post("/api/v1/events", json=_event(now), headers=headers).json
    r = client.get(f"/api/v1/events/{event['id']}", headers=headers)
    assert r.status_code == 200 and r.headers["ETag"]
    again = client.get(
        f"/api/v1/events/{event['id']}", headers={**headers, "If-None-Match": r.headers["ETag"]}
    )
    assert again.status_code == 304
    d = event["deliverables"][0]["id"]
    first = client.get(f"/api/v1/deliverables/{d}", headers=headers)
    assert first.status_code == 200 and first.json["history"] is not None


def test_deliverables_are_listed_with_filters_and_what_one_may_not_see_is_404(
    client, session, people, now
):
    sales = _token(session, people["sales.clerk"], now)
    event = client.post("/api/v1/events", json=_event(now), headers=sales).json
    owed = client.get("/api/v1/deliverables?reference=D-100&status=open", headers=sales).json
    ours = [d for d in event["deliverables"] if "sales" in (d["provider"], d["receiver"])]
    assert {d["id"] for d in owed["items"]} == {d["id"] for d in ours}
    later = (now + timedelta(days=400)).isoformat()
    none = client.get("/api/v1/deliverables", query_string={"due_from": later}, headers=sales)
    assert none.json["items"] == []
    hr = _token(session, people["hr.clerk"], now)
    hidden = [d for d in event["deliverables"] if "hr" not in (d["provider"], d["receiver"])]
    r = client.get(f"/api/v1/deliverables/{hidden[0]['id']}", headers=hr)
    assert r.status_code == 404 and r.content_type == PROBLEM


def _evidence() -> dict:
    return {
        "reference": "R-1",
        "amount": "10.00",
        "note": "done",
        "late_reason": "late",
        "file": (io.BytesIO(b"%PDF-1.4\n%%EOF\n"), "slip.pdf"),
    }


def test_submit_with_evidence_then_the_receiver_accepts_or_returns(client, session, people, now):
    sales = _token(session, people["sales.clerk"], now)
    event = client.post("/api/v1/events", json=_event(now), headers=sales).json
    mine = [d for d in event["deliverables"] if d["provider"] == "sales"]
    d = mine[0]
    r = client.post(
        f"/api/v1/deliverables/{d['id']}/submit",
        data=_evidence(),
        headers=sales,
        content_type="multipart/form-data",
    )
    assert r.status_code == 200, r.json
    assert r.json["status"] == "submitted" and r.json["submissions"][0]["file_name"] == "slip.pdf"
    # The provider may not decide its own deliverable: 403 from the ledger's rule.
    refused = client.post(f"/api/v1/deliverables/{d['id']}/accept", json={}, headers=sales)
    assert refused.status_code == 403 and refused.content_type == PROBLEM
    receiver = _token(session, people[f"{d['receiver']}.clerk"], now)
    returned = client.post(
        f"/api/v1/deliverables/{d['id']}/return",
        json={"reason": "wrong_amount", "note": "check"},
        headers=receiver,
    )
    assert returned.status_code == 200, returned.json
    assert returned.json["status"] == "returned"
    assert [h["action"] for h in returned.json["history"]][-2:] == ["submitted", "returned"]
    unknown = client.post(
        f"/api/v1/deliverables/{d['id']}/return", json={"reason": "nope"}, headers=receiver
    )
    assert unknown.status_code == 422 and unknown.content_type == PROBLEM


def test_the_receiver_accepts_a_submission_and_a_stale_version_is_409(client, session, people, now):
    sales = _token(session, people["sales.clerk"], now)
    event = client.post("/api/v1/events", json=_event(now), headers=sales).json
    d = next(d for d in event["deliverables"] if d["provider"] == "sales")
    path = f"/api/v1/deliverables/{d['id']}"
    submitted = client.post(
        f"{path}/submit",
        data=_evidence(),
        headers=sales,
        content_type="multipart/form-data",
    )
    assert submitted.status_code == 200, submitted.json
    receiver = _token(session, people[f"{d['receiver']}.clerk"], now)
    stale = client.post(f"{path}/accept", json={"version": 1}, headers=receiver)
    assert stale.status_code == 409 and stale.content_type == PROBLEM
    version = submitted.json["version"]
    ok = client.post(f"{path}/accept", json={"version": version}, headers=receiver)
    assert ok.status_code == 200, ok.json
    assert ok.json["status"] == "accepted"


def test_an_integration_token_records_events_and_reads_but_decides_nothing(
    client, session, people, now
):
    dms = _token(session, people["sales.clerk"], now, integration=True, name="dms")
    event = client.post("/api/v1/events", json=_event(now), headers=dms)
    assert event.status_code == 201
    d = event.json["deliverables"][0]["id"]
    assert client.get(f"/api/v1/deliverables/{d}", headers=dms).status_code == 200
    for action, body in (("accept", {}), ("waive", {"reason": "x"})):
        r = client.post(f"/api/v1/deliverables/{d}/{action}", json=body, headers=dms)
        assert r.status_code == 403 and r.content_type == PROBLEM
    r = client.post(f"/api/v1/deliverables/{d}/submit", data={"note": "x"}, headers=dms)
    assert r.status_code == 403


def test_commitments_calendar_scorecard_and_cockpit(client, session, people, now):
    head = _token(session, people["finance.head"], now)
    clerk = _token(session, people["sales.clerk"], now)
    commitments = client.get("/api/v1/commitments?limit=200", headers=clerk)
    assert commitments.status_code == 200 and commitments.json["items"]
    year = now.astimezone(people["sales.clerk"].store.zone).year
    calendar = client.get(f"/api/v1/stores/SH01/calendar/{year}", headers=clerk)
    assert calendar.status_code == 200
    days = {d["date"]: d for d in calendar.json["days"]}
    assert len(days) == (366 if isleap(year) else 365)
    if year_known("CN", None, year, frozenset()):  # National Day, once the year is known
        assert days[f"{year}-10-01"]["working"] is False and days[f"{year}-10-01"]["holiday"]
    else:  # an unknown year counts only its weekends (and names no holiday)
        weekend = {k for k in days if date.fromisoformat(k).weekday() >= 5}
        assert {k for k, d in days.items() if not d["working"]} == weekend
        assert not any(d["holiday"] for d in days.values())
    assert client.get(f"/api/v1/stores/NOPE/calendar/{year}", headers=clerk).status_code == 404
    assert client.get("/api/v1/stores/SH01/calendar/1900", headers=clerk).status_code == 422
    month = now.strftime("%Y-%m")
    assert client.get(f"/api/v1/scorecards/{month}", headers=clerk).status_code == 403
    card = client.get(f"/api/v1/scorecards/{month}?level=department", headers=head)
    assert card.status_code == 200 and card.json["month"] == month
    assert client.get("/api/v1/scorecards/2026-13", headers=head).status_code == 422
    cockpit = client.get("/api/v1/cockpit", headers=head)
    assert cockpit.status_code == 200 and cockpit.json["sides"]
    assert client.get("/api/v1/cockpit", headers=clerk).status_code == 403


def test_the_openapi_document_and_its_page_need_no_token(client, app):
    r = client.get("/api/v1/openapi.json")
    assert r.status_code == 200
    paths = r.json["paths"]
    assert "/api/v1/events" in paths and "/api/v1/deliverables/{deliverable_id}/submit" in paths
    page = client.get("/api/v1/docs")
    assert page.status_code == 200 and b"swagger-ui-bundle.js" in page.data
    assert "script-src 'self';" in page.headers["Content-Security-Policy"]
    assert client.get("/api/v1/docs/swagger-ui-bundle.js").status_code == 200


def test_the_api_leaves_the_pages_csrf_and_their_errors_as_they_were(client, people):
    r = client.post("/login", data={"email": "x", "password": "y"})
    assert r.status_code == 400 and r.content_type.startswith("text/html")
    assert client.get("/no-such-page").content_type.startswith("text/html")


def test_token_create_prints_the_secret_once_and_list_and_revoke(runner, session, people):
    email = people["sales.clerk"].email
    out = runner.invoke(
        args=[
            "tracker",
            "token",
            "create",
            "--for",
            email,
            "--name",
            "dms",
            "--integration",
            "--expires-days",
            "30",
            "--json",
        ]  # fmt: skip
    )
    assert out.exit_code == 0, out.output
    created = json.loads(out.output)
    assert created["token"].startswith("trk_")
    listed = json.loads(runner.invoke(args=["tracker", "token", "list", "--json"]).output)
    assert [t["name"] for t in listed] == ["dms"] and "token" not in listed[0]
    assert created["token"] not in runner.invoke(args=["tracker", "token", "list"]).output
    revoked = runner.invoke(args=["tracker", "token", "revoke", str(created["id"]), "--json"])
    assert json.loads(revoked.output)["revoked_at"]
    bad = runner.invoke(args=["tracker", "token", "create", "--for", email, "--expires-days", "0"])
    assert bad.exit_code == 2
    assert _count(session, Deliverable) == 0


# The API's routes are walked here (tokens, not sign-ins); test_auth_matrix defers to this.
PUBLIC_API = {"/api/v1/openapi.json", "/api/v1/docs", "/api/v1/docs/<name>"}
FILLED = {
    "event_id": "1",
    "deliverable_id": "1",
    "code": "SH01",
    "year": "2026",
    "month": "2026-10",
}


def api_rules(app):
    return [r for r in app.url_map.iter_rules() if r.rule.startswith("/api/")]


def test_every_api_operation_but_the_document_answers_401_without_a_token(app, client, people):
    walked = 0
    for rule in api_rules(app):
        if rule.rule in PUBLIC_API:
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", lambda m: FILLED[m.group(1)], rule.rule)
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            response = client.open(path, method=method)
            assert response.status_code == 401, (method, path, response.status_code)
            assert response.content_type == PROBLEM
            walked += 1
    assert walked >= 12
