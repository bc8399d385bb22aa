"""API tokens in the profile (made and shown once, listed, revoked) and for administrators
(/admin/tokens): revoking on a page closes the API to that token; only its owner or an
administrator may revoke; every form needs its CSRF token. SQLite and PostgreSQL."""

import re

from sqlalchemy import select

from tracker.api import service as api
from tracker.api.models import ApiToken

ADMIN = "finance.admin@sh01.test"


def _token(session, person, now, name="script"):
    token, secret = api.create_token(
        session, person, name=name, expires_days=None, integration=False, now=now
    )
    session.commit()
    return token, {"Authorization": f"Bearer {secret}"}


def _csrf(client, path="/profile") -> str:
    html = client.get(path).get_data(as_text=True)
    return re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html).group(1)


def test_the_profile_lists_ones_tokens_without_their_secrets(client, auth, session, people, now):
    token, headers = _token(session, people["sales.clerk"], now, name="my script")
    _token(session, people["hr.clerk"], now, name="not mine")
    auth.login("sales.clerk@sh01.test")
    html = client.get("/profile").get_data(as_text=True)
    assert 'id="api-tokens"' in html and "my script" in html and "not mine" not in html
    assert headers["Authorization"].removeprefix("Bearer ") not in html
    assert token.token_hash not in html


def test_a_token_made_in_the_profile_is_shown_once_and_opens_the_api(client, auth, session, people):
    auth.login("sales.clerk@sh01.test")
    data = {"csrf_token": _csrf(client, "/profile/tokens/new"), "name": "laptop"}
    made = client.post("/profile/tokens/new", data={**data, "expires_days": "30"})
    assert made.status_code == 201 and made.headers["Cache-Control"] == "no-store"
    secret = re.search(r'id="new-token"[^>]*value="([^"]+)"|value="(trk_[^"]+)"', made.text)
    secret = next(s for s in secret.groups() if s)
    assert secret.startswith("trk_")
    api_answer = client.get("/api/v1/events", headers={"Authorization": f"Bearer {secret}"})
    assert api_answer.status_code == 200
    assert secret not in client.get("/profile").get_data(as_text=True)
    assert session.scalar(select(ApiToken.name)) == "laptop"


def test_a_bad_expiry_is_said_beside_the_field_and_makes_nothing(client, auth, session, people):
    auth.login("sales.clerk@sh01.test")
    data = {"csrf_token": _csrf(client, "/profile/tokens/new"), "expires_days": "0"}
    r = client.post("/profile/tokens/new", data=data)
    assert r.status_code == 400 and 'id="expires_days-error"' in r.text
    assert session.scalar(select(ApiToken.id)) is None


def test_revoking_in_the_profile_makes_the_api_answer_401(client, auth, session, people, now):
    token, headers = _token(session, people["sales.clerk"], now)
    assert client.get("/api/v1/events", headers=headers).status_code == 200
    auth.login("sales.clerk@sh01.test")
    r = client.post(f"/profile/tokens/{token.id}/revoke", data={"csrf_token": _csrf(client)})
    assert r.status_code == 302
    assert client.get("/api/v1/events", headers=headers).status_code == 401
    assert "revoked" in client.get("/profile").get_data(as_text=True)


def test_someone_elses_token_cannot_be_revoked(client, auth, session, people, now):
    token, headers = _token(session, people["hr.clerk"], now)
    auth.login("sales.clerk@sh01.test")
    data = {"csrf_token": _csrf(client)}
    assert client.post(f"/profile/tokens/{token.id}/revoke", data=data).status_code == 403
    assert client.post(f"/admin/tokens/{token.id}/revoke", data=data).status_code == 403
    assert client.post("/profile/tokens/999999/revoke", data=data).status_code == 404
    assert client.get("/api/v1/events", headers=headers).status_code == 200


def test_revoking_needs_the_forms_csrf_token(client, auth, session, people, now):
    token, headers = _token(session, people["sales.clerk"], now)
    auth.login("sales.clerk@sh01.test")
    assert client.post(f"/profile/tokens/{token.id}/revoke").status_code == 400
    bad = {"csrf_token": "forged"}
    assert client.post(f"/profile/tokens/{token.id}/revoke", data=bad).status_code == 400
    assert client.post("/profile/tokens/new", data={"name": "x"}).status_code == 400
    assert client.get("/api/v1/events", headers=headers).status_code == 200


def test_administrators_list_every_token_and_revoke_any(client, auth, session, people, now):
    token, headers = _token(session, people["hr.clerk"], now, name="hr script")
    auth.login("sales.clerk@sh01.test")
    assert client.get("/admin/tokens").status_code == 403
    auth.logout()
    auth.login(ADMIN)
    page = client.get("/admin/tokens").get_data(as_text=True)
    assert "hr script" in page and "hr.clerk@sh01.test" in page and "SH01" in page
    assert "/admin/tokens" in client.get("/admin").get_data(as_text=True)
    csrf = _csrf(client, "/admin/tokens")
    r = client.post(f"/admin/tokens/{token.id}/revoke", data={"csrf_token": csrf})
    assert r.status_code == 302 and r.headers["Location"].endswith("/admin/tokens")
    assert client.get("/api/v1/events", headers=headers).status_code == 401
    assert f'data-token="{token.id}"' not in client.get("/admin/tokens").get_data(as_text=True)


def test_the_token_pages_read_in_chinese(client, auth, session, people, now):
    _token(session, people["sales.clerk"], now)
    people["sales.clerk"].language = "zh"
    session.commit()
    auth.login("sales.clerk@sh01.test")
    assert "API 令牌" in client.get("/profile").get_data(as_text=True)
    assert "令牌" in client.get("/profile/tokens/new").get_data(as_text=True)


def test_the_token_lists_cost_the_same_queries_for_2_and_30_tokens(
    client, auth, session, store, people, now
):
    from tests import factories
    from tests.pages import counted_queries

    other = factories.create_store(session, now=now, code="BJ01", name="Beijing")
    bj = factories.create_person(session, other, "sales", now=now)
    session.commit()

    def counts() -> list[int]:
        found = []
        for path in ("/profile", "/admin/tokens"):
            with counted_queries() as statements:
                assert client.get(path).status_code == 200
            found.append(len(statements))
        return found

    auth.login(ADMIN)
    for owner in (people["finance.admin"], bj):
        _token(session, owner, now)
    few = counts()
    for i in range(14):
        for owner in (people["finance.admin"], bj, people[f"{('sales', 'hr')[i % 2]}.clerk"]):
            _token(session, owner, now, name=f"t{i}")
    assert counts() == few
