"""Fixtures: an app on a freshly migrated database (SQLite by default, PostgreSQL when
TRACKER_TEST_DATABASE_URL is set), its session, the default catalogue and a demo-like store.

Time: `now` is the one fixed instant of the suite (Monday 16 Nov 2026, 10:00 in Shanghai, or
TRACKER_TEST_NOW, ISO 8601 with its offset), and the `app` fixture's clock shows it, so pages
and commands run through the client or runner see it too (docs/testing.md)."""

import contextvars
import os
import shutil
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa
from flask.testing import FlaskClient

from tests import factories
from tracker import create_app
from tracker.extensions import db

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")
DEFAULT_NOW = "2026-11-16T10:00+08:00"  # a Monday of an ordinary week in Shanghai


def test_now() -> datetime:
    """The suite's fixed now: TRACKER_TEST_NOW (ISO 8601 with an offset) or DEFAULT_NOW, in UTC."""
    text = os.environ.get("TRACKER_TEST_NOW") or DEFAULT_NOW
    instant = datetime.fromisoformat(text)
    if instant.tzinfo is None:
        raise ValueError(f"TRACKER_TEST_NOW must carry its UTC offset: {text!r}")
    return instant.astimezone(UTC)


test_now.__test__ = False  # a helper, not a test


def fixed_clock(instant: datetime):
    """A clock for `app.config["CLOCK"]` that always shows `instant`."""
    return lambda: instant


def _config(url: str, tmp_path, now: datetime | None = None) -> dict:
    return {
        "CLOCK": fixed_clock(now or test_now()),
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "SQLALCHEMY_DATABASE_URI": url,
        "UPLOAD_DIR": str(tmp_path / "uploads"),
        "MAIL_URL": "file://" + str(tmp_path / "outbox"),
        "BASE_URL": "http://tracker.test",
    }


@pytest.fixture(scope="session")
def migrated_template(tmp_path_factory):
    """Run the real migrations once: a SQLite file to copy, or the PostgreSQL test database."""
    if PG_URL:
        url = PG_URL
    else:
        url = "sqlite:///" + str(tmp_path_factory.mktemp("template") / "template.sqlite")
    app = create_app(_config(url, tmp_path_factory.mktemp("instance")))
    with app.app_context():
        if PG_URL:
            with db.engine.begin() as conn:
                conn.execute(sa.text("DROP SCHEMA public CASCADE; CREATE SCHEMA public"))
        from flask_migrate import upgrade

        upgrade(directory=app.extensions["migrate"].directory)
        db.engine.dispose()
    return url


def empty_postgres(url: str) -> None:
    """Empty the tables a test wrote to and restart the sequences it used, as TRUNCATE ...
    RESTART IDENTITY of every table would, in a tenth of its time: TRUNCATE makes new files for
    all the tables, a test writes to a few. DELETE with the foreign-key triggers off
    (`session_replication_role`, the test database's superuser) is safe because every table
    that holds a row is emptied."""
    engine = sa.create_engine(url, poolclass=sa.pool.NullPool)
    with engine.begin() as conn:
        tables = conn.scalars(
            sa.text(
                "SELECT quote_ident(tablename) FROM pg_tables "
                "WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )
        ).all()
        written = conn.scalars(
            sa.text(" UNION ALL ".join(f"(SELECT '{t}' FROM {t} LIMIT 1)" for t in tables))
        ).all()
        if written:
            conn.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for table in written:
                conn.execute(sa.text(f"DELETE FROM {table}"))
        for sequence in conn.scalars(
            sa.text(
                "SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) "
                "FROM pg_sequences WHERE schemaname = 'public' AND last_value IS NOT NULL"
            )
        ):
            conn.execute(sa.text("SELECT setval(:s, 1, false)"), {"s": sequence})
    engine.dispose()


@pytest.fixture
def database_url(migrated_template, tmp_path):
    """A database at the latest schema and empty, for one test."""
    if PG_URL:
        yield PG_URL
        empty_postgres(PG_URL)
        return
    path = tmp_path / "tracker.sqlite"
    shutil.copyfile(migrated_template.removeprefix("sqlite:///"), path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path, now):
    app = create_app(_config(database_url, tmp_path, now))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


class IsolatedClient(FlaskClient):
    """Each request runs in an empty context: its own app context, `g` and database session,
    as in production, even though the test itself holds an app context open. After a request,
    the test's session sees the request's committed changes once it expires its objects."""

    def open(self, *args, **kwargs):
        db.session.expire_all()
        return contextvars.Context().run(super().open, *args, **kwargs)


@pytest.fixture
def client(app):
    app.test_client_class = IsolatedClient
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now():
    """THE fixed now of the suite (see the module's docstring); the app's clock shows it."""
    return test_now()


@pytest.fixture
def catalog(session, now):
    """The default catalogue, loaded."""
    from tracker.catalog.service import load_catalog

    load_catalog(session, "dealership", now)
    session.commit()


@pytest.fixture
def store(session, catalog, now):
    """Store SH01 in Shanghai on China's working calendar."""
    s = factories.create_store(session, now=now)
    session.commit()
    return s


@pytest.fixture
def people(session, store, now):
    """A clerk and a head in every department of SH01, keyed like 'sales.clerk'."""
    result = factories.create_staff(session, store, now=now)
    session.commit()
    return result


class AuthActions:
    """Sign in and out through the real forms, CSRF token included (flaskr's `auth` fixture)."""

    def __init__(self, client):
        self._client = client

    def csrf_token(self, path: str = "/login") -> str:
        """The CSRF token of the form at `path`."""
        import re

        html = self._client.get(path).get_data(as_text=True)
        match = re.search(r'name="csrf_token"[^>]*value="([^"]+)"', html)
        assert match, f"no CSRF token on {path}"
        return match.group(1)

    def login(self, email: str, password: str = factories.PASSWORD):
        return self._client.post(
            "/login",
            data={"email": email, "password": password, "csrf_token": self.csrf_token()},
        )

    def logout(self):
        return self._client.post("/logout", data={"csrf_token": self.csrf_token("/profile")})


@pytest.fixture
def auth(client):
    return AuthActions(client)


@pytest.fixture
def smtp():
    """A real SMTP server (aiosmtpd) in the test process, keeping what it receives."""
    from tests.reminders_smtp import SMTPServer

    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture
def robots_clock():
    """The robots' tests' clock: a mutable instant (`robots_clock.at`), read as `robots_clock()`."""

    class Clock:
        at = test_now()

        def __call__(self):
            return self.at

    return Clock()


@pytest.fixture
def robot_server(robots_clock):
    """WeCom and DingTalk robots (a real HTTP server in the test process), on the test's clock."""
    from tests.robots_http import RobotServer

    server = RobotServer(robots_clock)
    yield server
    server.close()


@pytest.fixture
def schedulers(tmp_path):
    """`start(name, env, *options, as_of=...)`: a `tracker scheduler` process
    (tests.reminders_smtp.Scheduler); those still running are stopped at the end."""
    from tests.reminders_smtp import Scheduler

    started = []

    def start(name, env, *options, **kwargs):
        s = Scheduler(tmp_path, name, env, *options, **kwargs)
        started.append(s)
        return s

    yield start
    for s in started:
        s.stop()


@pytest.fixture
def make_outbox_app(database_url, tmp_path, smtp, robots_clock):
    """`make(**config)`: an app on the test database that mails the test's SMTP server and may
    post to its robots, on the robots' clock (tests.reminders_smtp.robot_apps)."""
    from tests.reminders_smtp import robot_apps

    with robot_apps(database_url, tmp_path, smtp.url, robots_clock) as make:
        yield make


@pytest.fixture
def outbox_app(make_outbox_app):
    """The reminders' and robots' tests' app (`make_outbox_app()`), its context pushed."""
    return make_outbox_app()
