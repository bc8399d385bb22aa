"""What the tracker leaves on disk is its own (0700 folders, 0600 files), and what it exports
never turns a name someone typed into a live spreadsheet formula."""

import csv
import io
import os
import re
import stat
import zipfile
from datetime import date, datetime
from decimal import Decimal

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


def _excel_text(value: str) -> str:
    """Text as Excel shows it: `_x0007_` is Excel's own escape of a control character (openpyxl
    reads the escape as written)."""
    return re.sub(r"_x([0-9A-F]{4})_", lambda m: chr(int(m[1], 16)), value)


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_excel_cells_that_would_be_formulas_stay_text(start):
    data = xlsx_bytes([("S", ["name", "n"], [[HOSTILE, -3], [start + "1+2", 2]])])
    ws = load_workbook(io.BytesIO(data))["S"]
    assert (ws["A2"].value, ws["A2"].data_type) == (HOSTILE, "s")
    assert (_excel_text(ws["A3"].value), ws["A3"].data_type) == (start + "1+2", "s")
    assert (ws["B2"].value, ws["B2"].data_type) == (-3, "n")  # a number stays a number
    with zipfile.ZipFile(io.BytesIO(data)) as package:
        assert b"<f>" not in package.read("xl/worksheets/sheet1.xml")  # no formula anywhere


def test_the_excel_export_has_bold_headers_fitted_columns_numbers_and_blanks():
    rows = [
        ["销售", 3, 0.125, Decimal("1234.50"), None, ""],
        ["short", -3, float("nan"), 10**6, float("inf"), Decimal("NaN")],
        ["a name longer than forty characters, cut to forty"],
    ]
    sheets = [
        ("Scorecard, a title over thirty-one characters", ["店", "n", "%", "金额 (¥, yuan)"], rows)
    ]
    sheets.append(("空", ["only", "headers"], []))
    book = load_workbook(io.BytesIO(xlsx_bytes(sheets)))
    assert book.sheetnames == ["Scorecard, a title over thirty-", "空"]
    ws = book.worksheets[0]
    assert ws.max_column == 4  # no cell for the blanks
    assert [(c.value, c.font.b) for c in ws[1]] == [("店", True), ("n", True), ("%", True),
                                                    ("金额 (¥, yuan)", True)]  # fmt: skip
    assert [c.value for c in ws[2]] == ["销售", 3, 0.125, 1234.5]
    assert [c.value for c in ws[3]] == ["short", -3, None, 1000000]
    assert [c.data_type for c in ws[3]] == ["s", "n", "n", "n"]
    assert not any(c.font.b for row in ws.iter_rows(min_row=2) for c in row)
    # Excel keeps a few pixels of padding beside the characters it shows (12 → 12.71).
    widths = {
        i: int(d.width) for d in ws.column_dimensions.values() for i in range(d.min, d.max + 1)
    }
    assert widths == {1: 40, 2: 10, 3: 10, 4: 14, 5: 10, 6: 10}  # 10 to 40
    headers_only = book["空"]
    assert [[c.value for c in r] for r in headers_only.iter_rows()] == [["only", "headers"]]
    assert headers_only["A1"].font.b


def test_control_characters_in_excel_text_are_escaped_and_the_file_opens():
    """openpyxl would refuse them (IllegalCharacterError); XlsxWriter writes Excel's escape."""
    typed = ["bell\x07 and nul\x00", "vertical\x0btab", "typed _x0041_ literally"]
    data = xlsx_bytes([("S", ["text"], [[t] for t in typed])])
    ws = load_workbook(io.BytesIO(data))["S"]
    read = [ws.cell(row=r, column=1).value for r in (2, 3, 4)]
    assert read[0] == "bell_x0007_ and nul_x0000_"
    assert [_excel_text(v) for v in read[:2]] == typed[:2]
    assert read[2] == "typed _x0041_ literally"  # its own escape escaped (_x005F_), read back


def test_an_excel_export_writes_dates_as_dates():
    when = [[date(2026, 12, 5), datetime(2026, 12, 5, 10, 30)]]
    ws = load_workbook(io.BytesIO(xlsx_bytes([("S", ["day", "at"], when)])))["S"]
    assert (ws["A2"].value, ws["A2"].is_date) == (datetime(2026, 12, 5), True)
    assert ws["B2"].value == datetime(2026, 12, 5, 10, 30)
