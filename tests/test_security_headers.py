"""Security headers on every response: pages, downloads, errors and static files."""

from pathlib import Path

import pytest

from tests.conftest import _config
from tests.pages import PDF, deliver, submit
from tracker import create_app

MONTH = "2026-10"
COMMON = {
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


def assert_secure(response, *, cached: bool = False):
    for name, value in COMMON.items():
        assert response.headers.get(name) == value, name
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "Server" not in response.headers
    if not cached:
        assert response.headers["Cache-Control"] == "no-store"


def test_the_sign_in_page_and_signed_in_pages(client, auth, people):
    assert_secure(client.get("/login"))
    auth.login("finance.lead@sh01.test")
    for path in ("/profile", "/mine", f"/scorecards?month={MONTH}"):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure(response)


def test_downloads_exports_and_evidence(app, client, auth, session, store, people):
    d = deliver(session, store, people["sales.clerk"])["sales-7"]
    s = submit(session, d, people["sales.clerk"])
    uploads = Path(app.config["UPLOAD_DIR"])
    uploads.mkdir(parents=True, exist_ok=True)
    (uploads / s.file_path).write_bytes(PDF)
    auth.login("finance.lead@sh01.test")
    for path in (
        f"/scorecards/export.csv?month={MONTH}",
        f"/scorecards/export.xlsx?month={MONTH}",
        f"/submissions/{s.id}/file",
    ):
        response = client.get(path)
        assert response.status_code == 200, path
        assert_secure(response)
    assert response.data == PDF


def test_errors_and_redirects(client, auth, people):
    assert_secure(client.get("/mine"))  # 302 to sign in
    auth.login("sales.clerk@sh01.test")
    assert_secure(client.get("/no-such-page"))
    assert_secure(client.get("/admin"))  # 403
    assert_secure(client.post("/profile", data={}))  # 400, no CSRF token


def test_static_files_may_be_cached_but_not_sniffed_or_framed(client):
    response = client.get("/static/scorecards.js")
    assert response.status_code == 200
    assert_secure(response, cached=True)
    assert response.headers.get("Cache-Control") != "no-store"


@pytest.mark.parametrize(
    "base, hsts", [("https://tracker.example.com", True), ("http://127.0.0.1:5000", False)]
)
def test_hsts_only_when_served_over_https(database_url, tmp_path, base, hsts):
    app = create_app({**_config(database_url, tmp_path), "BASE_URL": base})
    response = app.test_client().get("/login")
    assert ("Strict-Transport-Security" in response.headers) is hsts
    if hsts:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")


def test_no_template_has_inline_script_handlers_or_style_attributes():
    import re

    root = Path(__file__).resolve().parent.parent / "templates"
    found = []
    for path in root.rglob("*.html"):
        if path.parts[-2] == "email":  # emails are read in mail clients, not under this CSP
            continue
        text = path.read_text()
        for match in re.finditer(r"<script(?![^>]*\b(src=|type=\"application/json\"))[^>]*>", text):
            found.append((path.name, match.group(0)))
        for match in re.finditer(r"\s(on[a-z]+|style)\s*=", text):
            found.append((path.name, match.group(0)))
        if "<style" in text:
            found.append((path.name, "<style>"))
    assert found == []
