"""The scheduler's `import` job: the DMS's exports dropped into IMPORT_WATCH_DIR (or its
per-store subfolders) imported once each; a bad file is logged and does not stop the pass or
the scheduler. SQLite and PostgreSQL."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests import factories
from tracker import config
from tracker.imports.models import ImportedFile
from tracker.ledger.models import BusinessEvent
from tracker.reminders.scheduler import Scheduler
from tracker.spreadsheets import csv_text

HEADERS = ["type", "occurred_at", "reference", "external_id"]


def _csv(now, ids, days=1) -> bytes:
    at = (now - timedelta(days=days)).isoformat()
    rows = [["vehicle_delivered", at, f"D-{i}", f"X-{i}"] for i in ids]
    return csv_text(HEADERS, rows).encode("utf-8")


def _count(session, model) -> int:
    session.expire_all()
    return session.scalar(select(func.count()).select_from(model))


@pytest.fixture
def drop(app, tmp_path):
    folder = tmp_path / "dms"
    folder.mkdir()
    app.config.update(IMPORT_WATCH_DIR=str(folder), IMPORT_WATCH_STORE="SH01")
    return folder


def test_a_scheduler_pass_imports_a_dropped_file_once(app, session, store, drop, now, capsys):
    (drop / "2026-11-15.csv").write_bytes(_csv(now, [1, 2, 3]))
    scheduler = Scheduler(app, as_of=now)
    assert ("import", "SCHEDULER_IMPORT_SECONDS") in scheduler.job_names()

    scheduler.run_job("import")
    assert _count(session, BusinessEvent) == 3 and _count(session, ImportedFile) == 1
    assert "'created': 3" in capsys.readouterr().err

    scheduler.run_job("import")
    assert _count(session, BusinessEvent) == 3 and _count(session, ImportedFile) == 1
    assert "0 file(s) to report" in capsys.readouterr().err
    imported = session.scalar(select(ImportedFile))
    assert imported.imported_at == now and imported.created == 3


def test_a_bad_file_is_logged_and_the_other_files_still_go_in(
    app, session, store, drop, now, capsys
):
    (drop / "a-broken.xlsx").write_bytes(b"not a workbook")
    (drop / "b-wrong-type.csv").write_bytes(
        csv_text(HEADERS, [["car_wash", now.isoformat(), "D-9", "X-9"]]).encode()
    )
    (drop / "c-good.csv").write_bytes(_csv(now, [1, 2]))
    scheduler = Scheduler(app, as_of=now)
    scheduler.run_job("import")
    log = capsys.readouterr().err
    assert "a-broken.xlsx" in log and "'error':" in log  # unreadable: reported
    assert "b-wrong-type.csv" in log and "'errors': 1" in log  # its row in error: recorded
    assert _count(session, BusinessEvent) == 2
    names = set(session.scalars(select(ImportedFile.name)))
    assert names == {"b-wrong-type.csv", "c-good.csv"}
    scheduler.run_job("import")  # the broken file is reported again; nothing else happens
    assert "a-broken.xlsx" in capsys.readouterr().err and _count(session, BusinessEvent) == 2


def test_without_a_store_each_subfolder_is_the_store_of_its_code(
    app, session, store, drop, now, capsys
):
    app.config["IMPORT_WATCH_STORE"] = None
    factories.create_store(session, now=now, code="BJ01", name="Beijing")
    session.commit()
    for code, ids in (("SH01", [1, 2]), ("BJ01", [1]), ("NOPE", [5])):
        (drop / code).mkdir()
        (drop / code / "export.csv").write_bytes(_csv(now, ids))
    Scheduler(app, as_of=now).run_job("import")
    session.expire_all()
    stores = sorted(e.store.code for e in session.scalars(select(BusinessEvent)))
    assert stores == ["BJ01", "SH01", "SH01"]
    assert "no store with code 'NOPE'" in capsys.readouterr().err


def test_a_failing_import_job_does_not_stop_the_scheduler(app, session, store, drop, now, capsys):
    app.config["IMPORT_WATCH_MAPPING"] = "no-such-mapping"
    (drop / "x.csv").write_bytes(_csv(now, [1]))
    scheduler = Scheduler(app, as_of=now)
    scheduler.run_job("import")  # reported, not raised
    assert "no-such-mapping" in capsys.readouterr().err
    assert _count(session, BusinessEvent) == 0
    scheduler.run_job("recurring")  # the other jobs go on
    assert "job recurring" in capsys.readouterr().err


def test_no_import_job_without_a_watched_folder(app):
    assert "import" not in [name for name, _ in Scheduler(app).job_names()]


def test_the_watched_folder_is_set_in_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("TRACKER_IMPORT_WATCH_DIR", str(tmp_path))
    monkeypatch.setenv("TRACKER_IMPORT_WATCH_STORE", "SH01")
    monkeypatch.setenv("TRACKER_IMPORT_WATCH_MAPPING", "dms-daily")
    found = config.from_environment()
    assert found["IMPORT_WATCH_DIR"] == str(tmp_path)
    assert (found["IMPORT_WATCH_STORE"], found["IMPORT_WATCH_MAPPING"]) == ("SH01", "dms-daily")
