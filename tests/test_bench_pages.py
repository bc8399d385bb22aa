"""The page bench opens every GET page of the app as its typical user: a page added later is
measured without touching the bench, or listed as skipped with the reason."""

from datetime import datetime

import pytest

from bench.generate import generate
from bench.pages import ROLES, SKIP, roles_for, run_pages, table

NOW = "2026-11-18T10:30:00+08:00"


@pytest.fixture
def measured(app, session, database_url):
    generate(database_url, stores=1, days=45, now=NOW, fresh=False, log=lambda _t: None)
    session.expire_all()
    return run_pages(
        database_url, now=datetime.fromisoformat(NOW), samples=1, only=None, twin=False
    )


def test_every_get_page_is_measured_or_skipped_with_its_reason(app, measured):
    rules = {r.rule for r in app.url_map.iter_rules() if "GET" in r.methods}
    assert {r["rule"] for r in measured["pages"]} == rules
    skipped = {r["rule"]: r["skipped"] for r in measured["pages"] if r.get("skipped")}
    meant = {  # the endpoints SKIP names, each with its reason
        r.rule
        for r in app.url_map.iter_rules()
        if "GET" in r.methods and any(r.endpoint.startswith(p) for p in SKIP)
    }
    assert set(skipped) == meant and "/static/<path:filename>" in meant, skipped
    for row in measured["pages"]:
        if row.get("skipped"):
            continue
        assert row["status"] in (200, 302), row
        assert row["queries"] >= 0 and row["p95_ms"] >= row["p50_ms"] > 0, row
        assert {"sql_p95_ms", "floor_p95_ms", "ratio_limit_ms", "met"} <= set(row), row
    assert measured["target"]["p95_ms"] == 150
    assert "/inbox [receiving]" in table(measured)


def test_each_page_is_opened_as_its_typical_user(measured):
    roles = {(r["rule"], r["role"]) for r in measured["pages"]}
    assert ("/inbox", "receiving") in roles
    assert ("/mine", "clerk") in roles and ("/mine", "head") in roles
    assert ("/scorecards", "lead") in roles and ("/scorecards", "head") in roles
    assert ("/admin/people", "admin") in roles
    assert ("/login", "anonymous") in roles


def test_a_pages_user_comes_from_the_longest_matching_endpoint_prefix():
    assert roles_for("scorecards.index") == ROLES["scorecards.index"]
    assert roles_for("scorecards.export_csv") == ROLES["scorecards."]
    assert roles_for("someone_new.page") == ("lead",)
    assert roles_for("x.page", {"x.": ("admin",)}) == ("admin",)


def test_the_api_is_opened_with_a_token_and_the_feed_with_its_key(measured):
    rows = {(r["rule"], r["role"]): r for r in measured["pages"]}
    for rule, role in (
        ("/api/v1/deliverables", "clerk"),
        ("/api/v1/deliverables/<int:deliverable_id>", "clerk"),
        ("/api/v1/scorecards/<month>", "lead"),
        ("/api/v1/stores/<code>/calendar/<int:year>", "lead"),
        ("/feed/<key>.ics", "clerk"),
        ("/feed/<key>.ics", "head"),
    ):
        assert rows[rule, role]["status"] == 200, rows[rule, role]
    assert rows["/api/v1/docs/<name>", "lead"]["skipped"]
