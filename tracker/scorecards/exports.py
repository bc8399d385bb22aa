"""The scorecard's tables written as files: CSV and an Excel workbook (bytes for a download)."""

import csv
import io

from tracker.scorecards.service import Sheet

CSV_TYPE = "text/csv; charset=utf-8"
XLSX_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def as_csv(sheet: Sheet) -> str:
    """One table as CSV (UTF-8 with a BOM, so spreadsheet programs read Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow(sheet.headers)
    writer.writerows(["" if v is None else v for v in row] for row in sheet.rows)
    return out.getvalue()


def as_xlsx(sheets: list[Sheet]) -> bytes:
    """The tables as one Excel workbook, a worksheet each, headers bold, columns fitted."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    for number, sheet in enumerate(sheets):
        ws = book.active if number == 0 else book.create_sheet()
        ws.title = sheet.title[:31]
        ws.append(sheet.headers)
        for row in sheet.rows:
            ws.append(row)
    for ws in book.worksheets:
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 40)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
