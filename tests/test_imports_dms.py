"""Events imported from DMS exports (CSV and Excel): the preview, all or none or the valid rows,
reasons for bad rows, the same file twice, two imports at once, the watched folder, the page.
Runs on SQLite and, with TRACKER_TEST_DATABASE_URL, on PostgreSQL."""

import io
import json
import re
import threading
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from tests.pages import token
from tracker.extensions import db
from tracker.imports import service
from tracker.imports.models import ImportedFile
from tracker.ledger.models import BusinessEvent, Deliverable
from tracker.org.models import Store
from tracker.spreadsheets import csv_text, xlsx_bytes

DOCS = Path(__file__).resolve().parent.parent / "docs"
HEADERS = ["流水号", "业务类型", "发生时间", "合同号", "客户名称", "车架号", "金额"]


@pytest.fixture
def mapping(session, store, now):
    spec = json.loads((DOCS / "dms-mapping.json").read_text(encoding="utf-8"))
    service.save_mapping(session, "dms-daily", spec["columns"], spec["types"], now=now)
    session.commit()
    return service.get_mapping(session, "dms-daily")


def _rows(store, now, n=3, start=1, days=1):
    """n deliveries `days` before now, on the store's wall clock without an offset."""
    local = (now - timedelta(days=days)).astimezone(store.zone)
    at = local.replace(hour=10, minute=0, second=0, microsecond=0)
    return [
        [f"X-{i}", "交车", at.strftime("%Y-%m-%d %H:%M"), f"HT-{i}", "王伟", "", "1000"]
        for i in range(start, start + n)
    ]


def _csv(rows) -> bytes:
    return csv_text(HEADERS, rows).encode("utf-8")


def _xlsx(rows) -> bytes:
    return xlsx_bytes([("导出", HEADERS, rows)])


def _count(session, model) -> int:
    return session.scalar(select(func.count()).select_from(model))


def test_the_preview_shows_each_rows_outcome_and_writes_nothing(session, store, mapping, now):
    rows = _rows(store, now, 2) + [["X-9", "洗车", "2026-01-01 10:00", "HT-9", "", "", ""]]
    table = service.read_table("e.csv", _csv(rows))
    outcome = service.preview(session, store, mapping, table, now=now)
    assert [r.status for r in outcome.rows] == ["new", "new", "error"]
    assert "unknown event type '洗车'" in outcome.rows[2].error.message
    assert outcome.rows[2].line == 4
    assert _count(session, BusinessEvent) == 0


def test_a_file_with_a_bad_row_imports_nothing_by_default(session, store, mapping, now):
    rows = _rows(store, now, 2) + [["X-9", "交车", "not a time", "HT-9", "", "", ""]]
    table = service.read_table("e.csv", _csv(rows))
    outcome = service.import_table(session, store, mapping, table, by=None, now=now)
    session.commit()
    assert not outcome.written and outcome.count("error") == 1
    assert "'not a time' is not a time" in outcome.rows[2].error.message
    assert _count(session, BusinessEvent) == 0


def test_valid_only_imports_the_good_rows_and_explains_the_others(session, store, mapping, now):
    future = (now + timedelta(days=2)).astimezone(store.zone).strftime("%Y-%m-%d %H:%M")
    rows = _rows(store, now, 2) + [
        ["X-8", "交车", future, "HT-8", "", "", ""],
        ["X-9", "交车", future, "", "", "", ""],
        [*_rows(store, now, 1, start=7)[0][:5], "SHORTVIN", ""],
    ]
    table = service.read_table("e.csv", _csv(rows))
    outcome = service.import_table(
        session, store, mapping, table, by=None, now=now, valid_only=True
    )
    session.commit()
    assert outcome.summary()["created"] == 2 and outcome.summary()["errors"] == 3
    reasons = [r.error.message for r in outcome.rows if r.error]
    assert "the event time is in the future" in reasons[0]
    assert "is empty" in reasons[1]
    assert "17 characters" in reasons[2]
    assert _count(session, BusinessEvent) == 2
    assert _count(session, Deliverable) == sum(r.deliverables for r in outcome.rows) > 0


@pytest.mark.parametrize("kind", ["csv", "xlsx"])
def test_the_same_file_twice_creates_nothing_the_second_time(session, store, mapping, now, kind):
    data = (_csv if kind == "csv" else _xlsx)(_rows(store, now, 3))
    first = service.import_table(
        session, store, mapping, service.read_table(f"e.{kind}", data), by=None, now=now
    )
    session.commit()
    events, deliverables = _count(session, BusinessEvent), _count(session, Deliverable)
    again = service.import_table(
        session, store, mapping, service.read_table(f"e.{kind}", data), by=None, now=now
    )
    session.commit()
    assert first.summary()["created"] == 3 and again.summary() == {
        "created": 0,
        "already": 3,
        "errors": 0,
        "deliverables": 0,
    }
    assert (_count(session, BusinessEvent), _count(session, Deliverable)) == (3, deliverables)
    assert events == 3


def test_times_without_an_offset_are_the_stores_and_due_times_follow_the_event(
    session, store, mapping, now
):
    rows = _rows(store, now, 1, days=20)
    table = service.read_table("e.xlsx", _xlsx(rows))
    service.import_table(session, store, mapping, table, by=None, now=now)
    session.commit()
    event = session.scalar(select(BusinessEvent))
    local = event.occurred_at.astimezone(store.zone)
    assert (local.hour, local.minute) == (10, 0)
    assert event.source == "dms-daily" and event.external_id == "X-1"
    due = session.scalars(select(Deliverable.due_at)).all()
    assert due and all(d - event.occurred_at < timedelta(days=20) for d in due)
    assert min(due) < now  # due after the delivery 20 days ago, not after the import


def test_an_excel_time_cell_is_read_in_the_stores_zone(session, store, mapping, now):
    at = (now - timedelta(days=1)).astimezone(store.zone).replace(tzinfo=None, microsecond=0)
    data = _xlsx([["X-1", "交车", at, "HT-1", "", "", 1000]])
    outcome = service.preview(session, store, mapping, service.read_table("e.xlsx", data), now=now)
    assert outcome.rows[0].status == "new"
    assert outcome.rows[0].new.occurred_at.replace(tzinfo=None) == at
    assert outcome.rows[0].new.occurred_at.utcoffset() == timedelta(hours=8)


def test_the_standard_mapping_reads_the_apis_field_names(session, store, now):
    at = (now - timedelta(hours=3)).isoformat()
    data = csv_text(
        ["type", "occurred_at", "reference", "external_id", "customer"],
        [["vehicle_delivered", at, "D-1", "S-1", "Li"]],
    ).encode()
    table = service.read_table("e.csv", data)
    mapping = service.get_mapping(session, "standard")
    outcome = service.import_table(session, store, mapping, table, by=None, now=now)
    assert outcome.summary()["created"] == 1


def test_the_sample_export_in_docs_reads_with_its_mapping(session, store, mapping):
    table = service.read_table("dms-sample.csv", (DOCS / "dms-sample.csv").read_bytes())
    events = [service.to_event(row, mapping, store) for row in table]
    assert len(events) == 5 and events[0].type == "vehicle_delivered"
    assert events[4].occurred_at.utcoffset() == timedelta(hours=8)


def test_two_imports_of_the_same_file_at_once_import_each_row_once(
    app, session, store, mapping, now
):
    store_id = store.id
    data = _csv(_rows(store, now, 20))
    barrier = threading.Barrier(2, timeout=30)
    outcomes = []

    def run():
        with app.app_context(), db.engine.connect() as connection:
            with Session(bind=connection, expire_on_commit=False) as mine:
                here = mine.get(Store, store_id)
                table = service.read_table("e.csv", data)
                barrier.wait()
                try:
                    outcome = service.import_table(mine, here, mapping, table, by=None, now=now)
                    mine.commit()
                    outcomes.append(outcome.summary())
                except Exception as exc:  # noqa: BLE001 - reported below
                    mine.rollback()
                    outcomes.append(exc)

    threads = [threading.Thread(target=run) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sorted(o["created"] for o in outcomes) == [0, 20]
    session.expire_all()
    assert _count(session, BusinessEvent) == 20


def test_the_watched_folder_imports_each_file_once(runner, session, store, mapping, now, tmp_path):
    folder = tmp_path / "drop"
    folder.mkdir()
    (folder / "a.csv").write_bytes(_csv(_rows(store, now, 2)))
    (folder / "b.xlsx").write_bytes(_xlsx(_rows(store, now, 2, start=3)))
    args = ["tracker", "import", "watch", str(folder), "--store", "SH01", "--mapping", "dms-daily"]
    first = runner.invoke(args=[*args, "--json"])
    assert first.exit_code == 0, first.output
    files = json.loads(first.output)["files"]
    assert [(f["file"], f["created"]) for f in files] == [("a.csv", 2), ("b.xlsx", 2)]
    (folder / "a-copy.csv").write_bytes((folder / "a.csv").read_bytes())
    again = runner.invoke(args=[*args, "--json"])
    assert json.loads(again.output)["files"] == []
    session.expire_all()
    assert _count(session, BusinessEvent) == 4 and _count(session, ImportedFile) == 2


def test_the_command_counts_created_already_and_errors(
    runner, session, store, mapping, now, tmp_path
):
    path = tmp_path / "e.csv"
    path.write_bytes(_csv(_rows(store, now, 2)))
    args = ["tracker", "import", "events", str(path), "--store", "SH01", "--mapping", "dms-daily"]
    dry = runner.invoke(args=[*args, "--dry-run", "--json"])
    assert json.loads(dry.output)["new"] == 2 and _count(session, BusinessEvent) == 0
    first = runner.invoke(args=[*args, "--json"])
    second = runner.invoke(args=[*args, "--json"])
    counts = [json.loads(r.output) for r in (first, second)]
    assert [(c["created"], c["already"], c["errors"]) for c in counts] == [(2, 0, 0), (0, 2, 0)]


@pytest.mark.parametrize(
    ("extra", "hint"),
    [(["--store", "NOPE"], "--store"), (["--mapping", "nope"], "--mapping")],
)
def test_the_command_refuses_an_unknown_store_or_mapping(runner, store, tmp_path, extra, hint):
    path = tmp_path / "e.csv"
    path.write_bytes(b"type\n")
    args = ["tracker", "import", "events", str(path), "--store", "SH01", *extra]
    result = runner.invoke(args=args)
    assert result.exit_code == 2 and hint in result.output


def test_a_receiving_clerk_previews_then_imports_on_the_page(
    client, auth, session, store, people, mapping, now
):
    auth.login("finance.clerk@sh01.test")
    rows = _rows(store, now, 2) + [["X-9", "洗车", "2026-01-01 10:00", "HT-9", "", "", ""]]
    form = {"csrf_token": token(client, "/imports"), "mapping": "dms-daily"}
    page = client.post(
        "/imports",
        data={**form, "file": (io.BytesIO(_csv(rows)), "e.csv")},
        content_type="multipart/form-data",
    )
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and "洗车" in html and 'class="row-error"' in html
    assert _count(session, BusinessEvent) == 0
    upload = re.search(r'name="upload"[^>]*value="([^"]+)"', html).group(1)
    nothing = client.post("/imports/run", data={**form, "upload": upload, "mode": "all"})
    assert nothing.status_code == 200 and _count(session, BusinessEvent) == 0
    done = client.post("/imports/run", data={**form, "upload": upload, "mode": "valid"})
    assert done.status_code == 200
    session.expire_all()
    assert _count(session, BusinessEvent) == 2


def test_a_providing_clerk_may_not_import(client, auth, people):
    auth.login("sales.clerk@sh01.test")
    assert client.get("/imports").status_code == 403
