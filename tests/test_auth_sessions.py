"""Sessions end everywhere on sign-out, a password change and an administrator's reset; the
CSRF token is renewed at sign-in; `next` after sign-in is only ever a path on this site."""

from urllib.parse import urlsplit

import pytest

from tests import factories
from tests.pages import error_beside, token
from tracker.auth.sessions import safe_next

CLERK = "sales.clerk@sh01.test"
NEW = "a-fresh-Passphrase-7"


def copied_cookie(client) -> str:
    return client.get_cookie("session").value


def with_cookie(app, value: str):
    other = app.test_client()
    other.set_cookie("session", value)
    return other


def test_a_cookie_copied_before_sign_out_no_longer_opens_pages(app, client, auth, people):
    auth.login(CLERK)
    copy = copied_cookie(client)
    assert with_cookie(app, copy).get("/mine").status_code == 200
    auth.logout()
    response = with_cookie(app, copy).get("/mine")
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_sign_out_ends_the_persons_sessions_in_every_browser(app, client, auth, people):
    other = app.test_client()
    other_auth = type(auth)(other)
    other_auth.login(CLERK)
    auth.login(CLERK)
    auth.logout()
    assert other.get("/mine").status_code == 302


def test_an_administrators_reset_ends_the_persons_sessions(app, client, auth, people):
    auth.login(CLERK)
    copy = copied_cookie(client)
    admin = app.test_client()
    admin_auth = type(auth)(admin)
    admin_auth.login("finance.admin@sh01.test")
    path = f"/admin/people/{people['sales.clerk'].id}/password"
    response = admin.post(
        path, data={"password": NEW, "confirm": NEW, "csrf_token": token(admin, path)}
    )
    assert response.status_code == 302
    assert with_cookie(app, copy).get("/mine").status_code == 302
    assert client.get("/mine").status_code == 302
    assert admin.get("/admin/people").status_code == 200  # the administrator stays in


def test_changing_ones_password_needs_the_current_one_and_ends_the_other_sessions(
    app, client, auth, people
):
    elsewhere = app.test_client()
    type(auth)(elsewhere).login(CLERK)
    auth.login(CLERK)
    path = "/profile/password"
    wrong = {"current": "not-it-at-all", "password": NEW, "confirm": NEW}
    page = client.post(path, data={**wrong, "csrf_token": token(client, path)})
    assert error_beside(page.get_data(as_text=True), "current") == "the current password is wrong"
    assert elsewhere.get("/mine").status_code == 200  # nothing changed
    right = {"current": factories.PASSWORD, "password": NEW, "confirm": NEW}
    response = client.post(path, data={**right, "csrf_token": token(client, path)})
    assert response.status_code == 302
    assert client.get("/mine").status_code == 200  # this session goes on
    assert elsewhere.get("/mine").status_code == 302  # the other one ended
    auth.logout()
    assert auth.login(CLERK, factories.PASSWORD).status_code == 401
    assert auth.login(CLERK, NEW).status_code == 302


def test_the_csrf_token_from_before_sign_in_is_refused_after_it(client, auth, people):
    before = auth.csrf_token()
    response = client.post("/login", data={"email": CLERK, "password": factories.PASSWORD,
                                           "csrf_token": before})  # fmt: skip
    assert response.status_code == 302
    refused = client.post("/profile", data={"language": "en", "csrf_token": before})
    assert refused.status_code == 400
    accepted = client.post(
        "/profile", data={"language": "en", "csrf_token": token(client, "/profile")}
    )
    assert accepted.status_code == 302


def test_a_deactivated_persons_session_ends(client, auth, session, people):
    auth.login(CLERK)
    people["sales.clerk"].active = False
    session.commit()
    assert client.get("/mine").status_code == 302


HOSTILE = [
    "//localhost:9999/",
    "/\t/localhost:9999/",
    "/%09/localhost:9999/",  # as it arrives in request.args: decoded to a tab
    "\t//evil.example/",
    " //evil.example/",
    "/\\evil.example",
    "\\\\evil.example",
    "/\\/evil.example",
    "https://evil.example/",
    "http:evil.example",
    "javascript:alert(1)",
    "data:text/html,hi",
    "//evil.example@tracker.test/",
    "https:/evil.example",
    "/\r\nLocation: //evil.example",
    "/\x00//evil.example",
    "mine",
    "////evil.example",
    "/\u2028//evil.example",
]


@pytest.mark.parametrize("target", HOSTILE)
def test_a_next_that_is_not_a_path_on_this_site_is_refused(target):
    assert (
        safe_next(target) is None
        or safe_next(target).startswith("/")
        and not (safe_next(target).startswith("//"))
    )


@pytest.mark.parametrize("target", HOSTILE)
def test_signing_in_with_a_hostile_next_lands_on_this_site(client, auth, people, target):
    response = client.post(
        "/login",
        query_string={"next": target},
        data={"email": CLERK, "password": factories.PASSWORD, "csrf_token": auth.csrf_token()},
    )
    if "\x00" in target:  # refused before sign-in as bad input (tracker.guard): no redirect
        assert response.status_code == 400 and "Location" not in response.headers
        return
    assert response.status_code == 302
    location = response.headers["Location"]
    parts = urlsplit(location)
    assert not parts.scheme and not parts.netloc and "\\" not in location, location
    assert location.startswith("/") and not location.startswith("//"), location
    assert location.isprintable() and " " not in location, location


def test_the_reported_open_redirect_is_closed(client, auth, people):
    response = client.post(
        "/login?next=/%09/localhost:9999/",
        data={"email": CLERK, "password": factories.PASSWORD, "csrf_token": auth.csrf_token()},
    )
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(
    "target, kept",
    [
        ("/mine", "/mine"),
        ("/mine?status=overdue&commitment=3", "/mine?status=overdue&commitment=3"),
        ("/deliverables/42#top", "/deliverables/42"),
        ("/scorecards?month=2026-10", "/scorecards?month=2026-10"),
    ],
)
def test_a_local_next_is_kept_rebuilt_from_path_and_query(target, kept):
    assert safe_next(target) == kept
