"""What the tracker leaves on disk is its own (0700 folders, 0600 files), and what it exports
never turns a name someone typed into a live spreadsheet formula."""

import csv
import io
import os
import stat

import pytest
from openpyxl import load_workbook

from tracker import create_app, files
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
