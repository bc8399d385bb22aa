"""Exports as CSV and Excel, with every cell a person typed written as text, never a formula.

A department named `=HYPERLINK("http://...","hr")` must not become a live formula in the
finance lead's spreadsheet (CSV injection, OWASP). Spreadsheet programs read a cell as a formula
when it begins with `=`, `+`, `-` or `@`, and some after a tab or a carriage return; such text
is written with a leading apostrophe in CSV (the usual defence: Excel shows the text and drops
the apostrophe) and as a string cell in Excel (written by XlsxWriter, whose conversions of
strings into formulas, numbers and links are off).
"""

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from itertools import zip_longest
from math import isinf, isnan
from typing import Any

import xlsxwriter

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

# Every cell is written by its type (`_write`), so no text ever becomes a formula, a number or
# a link; XlsxWriter's own conversions are switched off all the same. In memory: no temporary
# files (XlsxWriter ignores "constant_memory" in memory, so it is not asked for).
_OPTIONS = {
    "in_memory": True,
    "strings_to_formulas": False,
    "strings_to_numbers": False,
    "strings_to_urls": False,
}


def xlsx_bytes(sheets: Sequence[Sheet]) -> bytes:
    """An Excel workbook of (title, headers, rows) sheets, written by XlsxWriter: bold headers,
    columns fitted to their values, text that stays text (even `=...`), numbers (Decimal too)
    as numbers, None, empty text, NaN and infinity as blanks, dates as dates (a datetime at its
    own wall clock). Control characters are written as Excel writes them (`_x0007_`), so any
    reader opens the file; text is cut at Excel's 32,767 characters a cell."""
    data = io.BytesIO()
    book = xlsxwriter.Workbook(data, _OPTIONS)
    formats = {
        "bold": book.add_format({"bold": True}),
        "date": book.add_format({"num_format": "yyyy-mm-dd"}),
        "datetime": book.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"}),
    }
    for title, headers, rows in sheets:
        table = [list(headers), *(list(r) for r in rows)]
        ws = book.add_worksheet(str(title)[:31])
        for i, width in enumerate(_widths(table)):
            ws.set_column(i, i, width)
        for c, value in enumerate(table[0]):
            _write(ws, 0, c, value, formats, formats["bold"])
        for r, row in enumerate(table[1:], start=1):
            for c, value in enumerate(row):
                _write(ws, r, c, value, formats)
    book.close()
    return data.getvalue()


def _widths(table: list[list]) -> list[float]:
    """Each column fitted to its longest value, 10 to 40 characters."""
    return [
        min(max(10, max(len(str(value or "")) for value in column) + 2), 40)
        for column in zip_longest(*table)
    ]


def _write(ws, row: int, col: int, value: Any, formats: dict, bold=None) -> None:
    """One cell by its Python type; a blank for None, empty text, NaN and infinity."""
    if value is None or value == "":
        return
    if isinstance(value, str):
        ws.write_string(row, col, value, bold)
    elif isinstance(value, bool):
        ws.write_boolean(row, col, value, bold)
    elif isinstance(value, int | float | Decimal):
        if isinstance(value, Decimal) and not value.is_finite():
            return
        number = float(value)
        if not (isnan(number) or isinf(number)):
            ws.write_number(row, col, number, bold)
    elif isinstance(value, datetime):
        ws.write_datetime(row, col, value.replace(tzinfo=None), formats["datetime"])
    elif isinstance(value, date):
        ws.write_datetime(row, col, value, formats["date"])
    else:
        ws.write_string(row, col, str(value), bold)
