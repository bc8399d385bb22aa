"""Exports as CSV and Excel, with every cell a person typed written as text, never a formula.

A department named `=HYPERLINK("http://...","hr")` must not become a live formula in the
finance lead's spreadsheet (CSV injection, OWASP). Spreadsheet programs read a cell as a formula
when it begins with `=`, `+`, `-` or `@`, and some after a tab or a carriage return; such text
is written with a leading apostrophe in CSV (the usual defence: Excel shows the text and drops
the apostrophe) and as a string cell in Excel.
"""

import csv
import io
import zipfile
from collections.abc import Iterable, Sequence
from decimal import Decimal
from itertools import zip_longest
from math import isinf, isnan
from typing import Any
from xml.sax.saxutils import escape

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
    text cells that stay text. Text, numbers and blanks (every export's) are written straight
    as the sheet's XML, as openpyxl would write them (inline strings); a workbook holding any
    other value (a date, a control character) is left to openpyxl's write-only workbook."""
    tables = [
        (str(title)[:31], [list(headers), *(list(r) for r in rows)])
        for title, headers, rows in sheets
    ]
    if all(_plain(v) for _title, table in tables for row in table for v in row):
        return _direct_xlsx(tables)
    return _openpyxl_xlsx(tables)


def _widths(table: list[list]) -> list[float]:
    """Each column fitted to its longest value, 10 to 40 characters."""
    return [
        min(max(10, max(len(str(value or "")) for value in column) + 2), 40)
        for column in zip_longest(*table)
    ]


_PLAIN = (str, int, float, Decimal, type(None))


def _plain(value: Any) -> bool:
    """A value written straight: text without control characters (XML cannot hold them;
    openpyxl refuses them), a number, a blank."""
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        return not ILLEGAL_CHARACTERS_RE.search(value)
    return isinstance(value, _PLAIN)


def _column(index: int) -> str:
    """The letters of a column (1: A, 27: AA)."""
    letters = ""
    while index:
        index, rest = divmod(index - 1, 26)
        letters = chr(65 + rest) + letters
    return letters


def _cell(ref: str, value: Any, style: str) -> str:
    """One cell as openpyxl writes it: text inline, numbers as "%.16g", blanks left out."""
    if value is None:
        return ""
    if value == "":
        return f'<c r="{ref}"{style} t="inlineStr"/>'
    if isinstance(value, str):
        space = ' xml:space="preserve"' if value.strip() and value != value.strip() else ""
        text = escape(value)
        return f'<c r="{ref}"{style} t="inlineStr"><is><t{space}>{text}</t></is></c>'
    if isinstance(value, bool):
        return f'<c r="{ref}"{style} t="b"><v>{int(value)}</v></c>'
    if isinstance(value, float) and (isnan(value) or isinf(value)):
        return ""
    if isinstance(value, Decimal) and not value.is_finite():
        return ""
    number = float(value) if isinstance(value, Decimal) else value
    return f'<c r="{ref}"{style} t="n"><v>{number:.16g}</v></c>'


def _sheet_xml(table: list[list]) -> str:
    cols = "".join(
        f'<col min="{i}" max="{i}" width="{w}" customWidth="1"/>'
        for i, w in enumerate(_widths(table), start=1)
    )
    letters = [_column(i) for i in range(1, max((len(r) for r in table), default=0) + 1)]
    rows = []
    for n, row in enumerate(table, start=1):
        style = ' s="1"' if n == 1 else ""
        cells = "".join(_cell(f"{letters[i]}{n}", v, style) for i, v in enumerate(row))
        rows.append(f'<row r="{n}">{cells}</row>')
    return (
        f'{_XML}<worksheet xmlns="{_MAIN}"><cols>{cols}</cols>'
        f"<sheetData>{''.join(rows)}</sheetData></worksheet>"
    )


_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_PKG = "http://schemas.openxmlformats.org/package/2006"
_SHEET_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
_STYLES = (
    f'{_XML}<styleSheet xmlns="{_MAIN}">'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/><family val="2"/></font>'
    '<font><b val="1"/><sz val="11"/><name val="Calibri"/><family val="2"/></font></fonts>'
    '<fills count="2"><fill><patternFill/></fill><fill><patternFill patternType="gray125"/>'
    "</fill></fills>"
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="2"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/></cellXfs>'
    '<cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/></cellStyles>'
    "</styleSheet>"
)


def _direct_xlsx(tables: list[tuple[str, list[list]]]) -> bytes:
    """The workbook's parts written as text: a worksheet each, and one bold style."""
    count = range(1, len(tables) + 1)
    parts = {
        "[Content_Types].xml": (
            f'{_XML}<Types xmlns="{_PKG}/content-types">'
            '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.'
            'relationships+xml"/><Default Extension="xml" ContentType="application/xml"/>'
            '<Override PartName="/xl/workbook.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.sheet.main+xml"/>'
            '<Override PartName="/xl/styles.xml" ContentType="application/vnd.openxmlformats-'
            'officedocument.spreadsheetml.styles+xml"/>'
            + "".join(
                f'<Override PartName="/xl/worksheets/sheet{i}.xml" ContentType="{_SHEET_TYPE}"/>'
                for i in count
            )
            + "</Types>"
        ),
        "_rels/.rels": (
            f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
            f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
            "</Relationships>"
        ),
        "xl/workbook.xml": (
            f'{_XML}<workbook xmlns="{_MAIN}" xmlns:r="{_REL}"><sheets>'
            + "".join(
                f'<sheet name="{escape(title, {chr(34): "&quot;"})}" sheetId="{i}" r:id="rId{i}"/>'
                for i, (title, _table) in zip(count, tables, strict=True)
            )
            + "</sheets></workbook>"
        ),
        "xl/_rels/workbook.xml.rels": (
            f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
            + "".join(
                f'<Relationship Id="rId{i}" Type="{_REL}/worksheet" '
                f'Target="worksheets/sheet{i}.xml"/>'
                for i in count
            )
            + f'<Relationship Id="rId{len(tables) + 1}" Type="{_REL}/styles" '
            'Target="styles.xml"/></Relationships>'
        ),
        "xl/styles.xml": _STYLES,
    }
    for i, (_title, table) in zip(count, tables, strict=True):
        parts[f"xl/worksheets/sheet{i}.xml"] = _sheet_xml(table)
    data = io.BytesIO()
    with zipfile.ZipFile(data, "w", zipfile.ZIP_DEFLATED) as package:
        for name, text in parts.items():
            package.writestr(name, text.encode("utf-8"))
    return data.getvalue()


def _openpyxl_xlsx(tables: list[tuple[str, list[list]]]) -> bytes:
    """The same workbook through openpyxl's write-only workbook (any value openpyxl takes)."""
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    book = Workbook(write_only=True)
    bold = Font(bold=True)
    for title, table in tables:
        ws = book.create_sheet(title)
        # Widths go before the rows in the file.
        for i, width in enumerate(_widths(table), start=1):
            ws.column_dimensions[_column(i)].width = width
        header = []
        for value in table[0]:
            cell = _text_cell(WriteOnlyCell(ws, value=value))
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in table[1:]:
            ws.append(
                [_text_cell(WriteOnlyCell(ws, value=v)) if is_formula_like(v) else v for v in row]
            )
    data = io.BytesIO()
    book.save(data)
    return data.getvalue()


def _text_cell(cell):
    """openpyxl takes text beginning with `=` for a formula: keep such a cell text."""
    if is_formula_like(cell.value):
        cell.data_type = "s"
    return cell
