"""What the tracker leaves on disk is its own (0700 folders, 0600 files), and what it exports
never turns a name someone typed into a live spreadsheet formula."""

import csv
import io
import os
import stat
from datetime import date, datetime
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from tracker import create_app, files, spreadsheets
from tracker.extensions import db
from tracker.spreadsheets import csv_text, xlsx_bytes

HOSTILE = '=HYPERLINK("http://evil.test","hr")'


def _mode(path) -> int:
    return stat.S_IMODE(os.stat(path).st_mode)


def test_a_new_instance_folder_database_and_secret_are_private(tmp_path):
    instance = tmp_path / "instance"
    os.environ["TRACKER_INSTANCE_PATH"] = str(instance)
    try:
        app = create_app()  # the embedded default: SQLite in instance/, a key made once
    finally:
        del os.environ["TRACKER_INSTANCE_PATH"]
    with app.app_context():
        with db.engine.begin() as conn:  # WAL mode makes the -wal and -shm files
            conn.exec_driver_sql("CREATE TABLE t (x)")
            conn.exec_driver_sql("INSERT INTO t VALUES (1)")
        made = sorted(p.name for p in instance.iterdir())
        assert "tracker.sqlite-wal" in made and "tracker.sqlite-shm" in made
        for name in ("tracker.sqlite", "tracker.sqlite-wal", "tracker.sqlite-shm", "secret_key"):
            assert _mode(instance / name) == 0o600, name
        db.engine.dispose()
    assert _mode(instance) == 0o700


def test_an_existing_database_readable_by_others_is_made_private(tmp_path):
    path = tmp_path / "old.sqlite"
    path.write_bytes(b"")
    path.chmod(0o644)
    files.protect_sqlite(f"sqlite:///{path}")
    assert _mode(path) == 0o600


def test_a_stricter_mode_set_by_the_operator_is_kept(tmp_path):
    folder = tmp_path / "f"
    folder.mkdir(mode=0o500)
    files.private_folder(folder)
    assert _mode(folder) == 0o500


def test_mail_written_as_files_is_private(app, tmp_path):
    from tracker.reminders.transport import EmlFileEmailBackend

    backend = EmlFileEmailBackend(file_path=str(tmp_path / "mail"))
    backend.write_bytes(b"Subject: x\r\n\r\nbody", "<1@tracker.test>")
    assert _mode(tmp_path / "mail") == 0o700
    (written,) = (tmp_path / "mail").iterdir()
    assert _mode(written) == 0o600


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_csv_cells_that_would_be_formulas_are_written_as_text(start):
    text = csv_text(["name"], [[start + "1+2"], ["plain"], [-3]])
    rows = list(csv.reader(io.StringIO(text.lstrip("\ufeff"))))
    assert rows[1] == ["'" + start + "1+2"]
    assert rows[2] == ["plain"]
    assert rows[3] == ["-3"]  # a number stays a number


def test_excel_cells_that_would_be_formulas_stay_text():
    book = load_workbook(io.BytesIO(xlsx_bytes([("S", ["name", "n"], [[HOSTILE, -3]])])))
    cell, number = book["S"]["A2"], book["S"]["B2"]
    assert (cell.value, cell.data_type) == (HOSTILE, "s")
    assert (number.value, number.data_type) == (-3, "n")


def _cells(data: bytes) -> list:
    """Everything a reader sees of a workbook: titles, values, types, bold, widths."""
    seen = []
    for ws in load_workbook(io.BytesIO(data)).worksheets:
        seen.append((ws.title, ws.max_row, ws.max_column))
        seen += [(c.coordinate, c.value, c.data_type, c.font.b) for r in ws.iter_rows() for c in r]
        seen.append(sorted((k, d.width) for k, d in ws.column_dimensions.items() if d.width))
    return seen


def test_the_excel_export_written_straight_reads_as_openpyxl_writes_it():
    """Text, numbers and blanks are written as XML by the tracker itself (fast); anything else
    goes through openpyxl. A reader sees the same workbook either way."""
    rows = [
        ["销售", 3, 0.125, Decimal("1234.50"), None, ""],
        [HOSTILE, -3, float("nan"), 10**6, " padded ", "+1"],
        ["short"],
    ]
    sheets = [("Scorecard, a title over thirty-one characters", ["店", "n", "%", "¥"], rows)]
    sheets.append(("Empty", ["only", "headers"], []))
    straight = spreadsheets.xlsx_bytes(sheets)
    through_openpyxl = spreadsheets._openpyxl_xlsx(
        [(str(t)[:31], [list(h), *map(list, r)]) for t, h, r in sheets]
    )
    assert _cells(straight) == _cells(through_openpyxl)
    assert _cells(straight)[1] == ("A1", "店", "s", True)


def test_an_excel_export_with_a_date_goes_through_openpyxl():
    book = load_workbook(io.BytesIO(xlsx_bytes([("S", ["when"], [[date(2026, 12, 5)]])])))
    assert book["S"]["A2"].value == datetime(2026, 12, 5)
