"""Exports as CSV and Excel, with every cell a person typed written as text, never a formula.

A department named `=HYPERLINK("http://...","hr")` must not become a live formula in the
finance lead's spreadsheet (CSV injection, OWASP). Spreadsheet programs read a cell as a formula
when it begins with `=`, `+`, `-` or `@`, and some after a tab or a carriage return; such text
is written with a leading apostrophe in CSV (the usual defence: Excel shows the text and drops
the apostrophe) and as a string cell in Excel.
"""

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(value: Any) -> bool:
    """Whether a spreadsheet program would read this text as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_STARTS)


def csv_cell(value: Any) -> Any:
    """A value as a CSV cell: empty for None, text that looks like a formula quoted."""
    if value is None:
        return ""
    return "'" + value if is_formula_like(value) else value


def csv_text(headers: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    """A CSV document (UTF-8 with a BOM, so spreadsheet programs read Chinese)."""
    out = io.StringIO()
    out.write("\ufeff")
    writer = csv.writer(out)
    writer.writerow([csv_cell(h) for h in headers])
    writer.writerows([csv_cell(v) for v in row] for row in rows)
    return out.getvalue()


Sheet = tuple[str, Sequence[str], Iterable[Sequence[Any]]]


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook of (title, headers, rows) sheets: bold headers, readable widths, and
    text cells that stay text."""
    from openpyxl import Workbook
    from openpyxl.styles import Font

    book = Workbook()
    book.remove(book.active)
    for title, headers, rows in sheets:
        ws = book.create_sheet(str(title)[:31])
        for row in [headers, *rows]:
            ws.append(list(row))
        for row in ws.iter_rows():
            for cell in row:
                if is_formula_like(cell.value):
                    cell.data_type = "s"  # openpyxl took it for a formula: keep it as text
        for cell in ws[1]:
            cell.font = Font(bold=True)
        for column in ws.columns:
            width = max(len(str(c.value or "")) for c in column)
            ws.column_dimensions[column[0].column_letter].width = min(max(10, width + 2), 40)
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()
