"""The sign-in throttle under parallel requests against a real multi-threaded server, per account
and per client address, on SQLite and (with TRACKER_TEST_DATABASE_URL) PostgreSQL."""

import http.client
import threading
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import timedelta
from urllib.parse import urlencode

import pytest
from sqlalchemy import select
from werkzeug.serving import make_server

from tests import factories
from tests.conftest import _config
from tracker import clock, create_app
from tracker.auth import service
from tracker.auth.models import SignInThrottle
from tracker.auth.service import ACCOUNT, ADDRESS, SignInRefused, sign_in
from tracker.extensions import db

OWNER = "sales.clerk@sh01.test"


@contextmanager
def serving(app):
    """The app on a free port of 127.0.0.1, one thread per request, in this process."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield server.server_port
    finally:
        server.shutdown()
        thread.join(timeout=5)
        with app.app_context():
            db.engine.dispose()


@pytest.fixture
def server_app(database_url, tmp_path, people):
    """The app as deployed behind one proxy (it says who the client is), forms without CSRF
    (a token is a session's; the throttle is what is under test here)."""
    config = _config(database_url, tmp_path / "server")
    return create_app({**config, "WTF_CSRF_ENABLED": False, "TRUSTED_PROXIES": 1})


@pytest.fixture
def checked(monkeypatch):
    """How many passwords the service actually compared with a hash."""
    calls = []
    real = service.check_password_hash

    def counting(*args):
        calls.append(1)
        return real(*args)

    monkeypatch.setattr(service, "check_password_hash", counting)
    return calls


def attempt(port: int, email: str, password: str, address: str) -> tuple[int, str]:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = urlencode({"email": email, "password": password})
    headers = {
        "Content-Type": "application/x-www-form-urlencoded",
        "X-Forwarded-For": address,
        "Accept-Language": "en",
    }
    connection.request("POST", "/login", body, headers)
    response = connection.getresponse()
    text = response.read().decode()
    connection.close()
    return response.status, text


def in_parallel(port: int, tries: list[tuple[str, str, str]]) -> list[tuple[int, str]]:
    barrier = threading.Barrier(len(tries))

    def one(t):
        barrier.wait()
        return attempt(port, *t)

    with ThreadPoolExecutor(len(tries)) as pool:
        return list(pool.map(one, tries))


def test_thirty_parallel_wrong_passwords_check_at_most_the_limit_and_never_fail(
    server_app, session, checked
):
    with serving(server_app) as port:
        answers = in_parallel(
            port, [(OWNER, f"guess-number-{i}", "198.51.100.7") for i in range(30)]
        )
    assert sorted({status for status, _ in answers}) == [401]
    assert 1 <= len(checked) <= ACCOUNT.free
    waits = [t for _, t in answers if "Too many failed sign-ins" in t]
    assert len(waits) == 30 - len(checked)
    row = session.scalar(select(SignInThrottle).where(SignInThrottle.scope == "account"))
    assert row.key == OWNER and row.failures == len(checked)


def test_the_owner_elsewhere_waits_at_most_the_short_account_delay(server_app, session):
    with serving(server_app) as port:
        in_parallel(port, [(OWNER, f"guess-number-{i}", "198.51.100.7") for i in range(30)])
        status, _ = attempt(port, OWNER, factories.PASSWORD, "203.0.113.5")
    assert status == 401  # right now the account waits (30 s after its fifth failure)...
    later = clock.now() + ACCOUNT.wait_after(ACCOUNT.free) + timedelta(seconds=1)
    person = sign_in(session, OWNER, factories.PASSWORD, later, address="203.0.113.5")
    assert person.email == OWNER  # ...and no longer than that, while the guesser's address
    session.commit()
    with pytest.raises(SignInRefused) as refused:  # still waits its minute
        sign_in(session, OWNER, factories.PASSWORD, later, address="198.51.100.7")
    assert refused.value.wait_seconds > 0


def test_thirty_accounts_tried_from_one_address_are_slowed(server_app, session, people, checked):
    emails = sorted(p.email for p in people.values())
    emails += [f"nobody{i}@sh01.test" for i in range(30 - len(emails))]
    with serving(server_app) as port:
        answers = [attempt(port, email, "not-the-password", "198.51.100.9") for email in emails]
        assert len(checked) == ADDRESS.free  # unknown emails are checked (against a dummy) too
        others = attempt(port, OWNER, factories.PASSWORD, "203.0.113.5")
    assert [s for s, _ in answers] == [401] * 30
    assert all("Too many failed sign-ins" in t for _, t in answers[ADDRESS.free :])
    assert others[0] == 302  # another address is not slowed by it


def test_a_successful_sign_in_gives_back_its_attempts(session, people, now):
    for i in range(ACCOUNT.free - 1):
        with pytest.raises(SignInRefused):
            sign_in(session, OWNER, "wrong", now + timedelta(seconds=i), address="192.0.2.1")
    sign_in(session, OWNER, factories.PASSWORD, now + timedelta(seconds=5), address="192.0.2.1")
    rows = {r.scope: r.failures for r in session.scalars(select(SignInThrottle))}
    assert rows == {"address": ACCOUNT.free - 1}  # the account's count is gone, the address's
    # failures stay but the success was not counted against it


def test_counts_are_forgotten_after_a_quiet_while(session, people, now):
    for i in range(ACCOUNT.free):
        with pytest.raises(SignInRefused):
            sign_in(session, OWNER, "wrong", now + timedelta(seconds=i))
    later = now + ACCOUNT.forget + timedelta(seconds=10)
    with pytest.raises(SignInRefused) as refused:
        sign_in(session, OWNER, "wrong", later)
    assert refused.value.wait_seconds == 0  # counted as the first failure of a new run
    row = session.scalar(select(SignInThrottle))
    assert row.failures == 1


@pytest.mark.parametrize("proxies, expected", [(0, "127.0.0.1"), (1, "203.0.113.77")])
def test_the_client_address_comes_only_from_the_trusted_proxies(
    database_url, tmp_path, people, session, proxies, expected
):
    app = create_app({**_config(database_url, tmp_path / "p"), "WTF_CSRF_ENABLED": False,
                      "TRUSTED_PROXIES": proxies})  # fmt: skip
    response = app.test_client().post(
        "/login",
        data={"email": OWNER, "password": "wrong"},
        headers={"X-Forwarded-For": "203.0.113.77"},
    )
    assert response.status_code == 401
    keys = session.scalars(select(SignInThrottle.key).where(SignInThrottle.scope == "address"))
    assert list(keys) == [expected]
