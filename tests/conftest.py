"""Fixtures: an app on a freshly migrated database (SQLite by default, PostgreSQL when
TRACKER_TEST_DATABASE_URL is set), its session, the default catalogue and a demo-like store."""

import os
import shutil
from datetime import UTC, datetime

import pytest
import sqlalchemy as sa

from tests import factories
from tracker import create_app
from tracker.extensions import db

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")


def _config(url: str, tmp_path) -> dict:
    return {
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


@pytest.fixture
def database_url(migrated_template, tmp_path):
    """A database at the latest schema and empty, for one test."""
    if PG_URL:
        yield PG_URL
        engine = sa.create_engine(PG_URL)
        with engine.begin() as conn:
            tables = [t for t in sa.inspect(conn).get_table_names() if t != "alembic_version"]
            conn.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
        engine.dispose()
        return
    path = tmp_path / "tracker.sqlite"
    shutil.copyfile(migrated_template.removeprefix("sqlite:///"), path)
    yield f"sqlite:///{path}"


@pytest.fixture
def app(database_url, tmp_path):
    app = create_app(_config(database_url, tmp_path))
    with app.app_context():
        yield app
        db.session.remove()
        db.engine.dispose()


@pytest.fixture
def session(app):
    return db.session


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def now():
    """A fixed instant for tests that only need one: Monday 16 Nov 2026, 10:00 in Shanghai."""
    return datetime(2026, 11, 16, 2, 0, tzinfo=UTC)


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
