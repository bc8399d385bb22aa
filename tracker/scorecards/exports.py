"""The scorecard's tables written as files: CSV and an Excel workbook (bytes for a download),
through `tracker.spreadsheets`, which keeps names typed by people from becoming formulas."""

from tracker import spreadsheets
from tracker.scorecards.service import Sheet

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def as_csv(sheet: Sheet) -> str:
    """One table as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese)."""
    return spreadsheets.csv_text(sheet.headers, sheet.rows)


def as_xlsx(sheets: list[Sheet]) -> bytes:
    """The tables as one Excel workbook, a worksheet each, headers bold, columns fitted."""
    return spreadsheets.xlsx_bytes([(s.title, s.headers, s.rows) for s in sheets])
