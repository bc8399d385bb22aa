"""`flask db upgrade` builds the whole schema on an empty database, equal to the models; the
migrations go down to nothing and up again. On SQLite, and on PostgreSQL when
TRACKER_TEST_DATABASE_URL is set (in a database of its own, made and dropped here)."""

import logging
import os

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.engine import make_url

from tracker import create_app
from tracker.extensions import db

PG_URL = os.environ.get("TRACKER_TEST_DATABASE_URL")


def _sqlite(tmp_path):
    yield f"sqlite:///{tmp_path / 'empty.sqlite'}"


def _postgresql(tmp_path):
    url = make_url(PG_URL)
    name = f"{url.database}_migrations"
    admin = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        c.execute(sa.text(f'CREATE DATABASE "{name}"'))
    yield url.set(database=name).render_as_string(hide_password=False)
    with admin.connect() as c:
        c.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


BACKENDS = [pytest.param(_sqlite, id="sqlite")]
if PG_URL:
    BACKENDS.append(pytest.param(_postgresql, id="postgresql"))


@pytest.fixture(params=BACKENDS)
def empty_app(request, tmp_path):
    """An app on an empty database (no tables at all)."""
    backend = request.param(tmp_path)
    url = next(backend)
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test",
            "SQLALCHEMY_DATABASE_URI": url,
            "UPLOAD_DIR": str(tmp_path / "uploads"),
            "MAIL_URL": "file://" + str(tmp_path / "outbox"),
        }
    )
    with app.app_context():
        assert sa.inspect(db.engine).get_table_names() == []
        yield app
        db.session.remove()
        db.engine.dispose()
    next(backend, None)


def _flask_db(app, *args):
    result = app.test_cli_runner().invoke(args=["db", *args])
    assert result.exit_code == 0, result.output + repr(result.exception)
    return result


def _differences(app) -> list:
    with db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection, opts={"compare_type": True, "compare_server_default": False}
        )
        return compare_metadata(context, db.metadata)


def _tables() -> set[str]:
    return set(sa.inspect(db.engine).get_table_names())


def test_upgrade_on_an_empty_database_gives_the_schema_of_the_models(empty_app):
    _flask_db(empty_app, "upgrade")
    assert _tables() == set(db.metadata.tables) | {"alembic_version"}
    assert _differences(empty_app) == []


def test_downgrade_to_base_and_upgrade_again(empty_app):
    _flask_db(empty_app, "upgrade")
    _flask_db(empty_app, "downgrade", "base")
    assert _tables() <= {"alembic_version"}
    _flask_db(empty_app, "upgrade")
    assert _tables() == set(db.metadata.tables) | {"alembic_version"}
    assert _differences(empty_app) == []


def test_tracker_init_migrates_an_empty_database(empty_app):
    result = empty_app.test_cli_runner().invoke(args=["tracker", "init", "--json"])
    assert result.exit_code == 0, result.output
    assert _tables() == set(db.metadata.tables) | {"alembic_version"}
    again = empty_app.test_cli_runner().invoke(args=["tracker", "init", "--json"])
    assert again.exit_code == 0, again.output  # nothing to do the second time


def test_migrating_inside_the_app_leaves_the_trackers_loggers_working(empty_app):
    logger = logging.getLogger("tracker.calendar")
    assert not logger.disabled
    _flask_db(empty_app, "upgrade")
    assert not logger.disabled  # alembic's fileConfig would disable it by default


def test_the_rollup_migration_fills_in_what_was_decided_before_it(empty_app):
    from datetime import UTC, datetime, timedelta

    from alembic.script import ScriptDirectory

    from tests import factories
    from tracker.catalog.service import load_catalog
    from tracker.ledger import service as ledger
    from tracker.scorecards.service import rebuild_rollup

    _flask_db(empty_app, "upgrade")
    session = db.session
    now = datetime(2026, 10, 12, 2, 0, tzinfo=UTC)
    load_catalog(session, "dealership", now)
    store = factories.create_store(session, now=now)
    staff = factories.create_staff(session, store, now=now)
    evidence = ledger.Evidence(reference="R", amount="100", file_path="f.pdf")
    for i, fate in enumerate(["accept", "late", "return", "waive", "open", "accept"]):
        at = now + timedelta(days=i)
        _e, (d,) = ledger.record_event(
            session,
            ledger.NewEvent(store=store, type="vehicle_returned", occurred_at=at, reference="R"),
            by=None,
            now=at,
        )
        head, clerk = staff["finance.head"], staff["service.clerk"]
        if fate == "waive":
            ledger.waive(session, d, by=head, now=at, reason="n/a")
        elif fate != "open":
            late = fate == "late"
            at = at + timedelta(days=2 if late else 0)
            reason = "x" if late else None
            ledger.submit(session, d, by=clerk, now=at, evidence=evidence, late_reason=reason)
            if fate == "return":
                ledger.return_deliverable(session, d, by=head, now=at, reason="unsigned")
                ledger.submit(session, d, by=clerk, now=at, evidence=evidence, late_reason="x")
            ledger.accept(session, d, by=head, now=at)
    session.commit()
    table = db.metadata.tables["score_month"]
    kept = sorted(tuple(r) for r in session.execute(sa.select(*table.c)))
    assert sum(r[table.c.keys().index("due")] for r in kept) == 5

    script = ScriptDirectory.from_config(empty_app.extensions["migrate"].migrate.get_config())
    rollup = next(r for r in script.walk_revisions() if "roll-up" in (r.doc or ""))
    session.remove()
    _flask_db(empty_app, "downgrade", rollup.down_revision)
    assert "score_month" not in _tables()
    _flask_db(empty_app, "upgrade")
    filled = sorted(tuple(r) for r in db.session.execute(sa.select(*table.c)))
    assert filled == kept
    rebuild_rollup(db.session)
    assert sorted(tuple(r) for r in db.session.execute(sa.select(*table.c))) == kept
    db.session.rollback()


def test_the_event_types_migration_fills_the_table_with_the_catalogues_types(empty_app):
    from tracker.catalog.dealership import EVENT_TYPES

    _flask_db(empty_app, "upgrade", "0005")
    assert "event_type" not in _tables()
    _flask_db(empty_app, "upgrade")
    table = db.metadata.tables["event_type"]
    rows = db.session.execute(
        sa.select(table.c.code, table.c.name_en, table.c.name_zh).order_by(table.c.position)
    ).all()
    assert [tuple(r) for r in rows] == [(c, en, zh) for c, (en, zh) in EVENT_TYPES.items()]
    db.session.remove()
    _flask_db(empty_app, "downgrade", "0005")
    assert "event_type" not in _tables()
