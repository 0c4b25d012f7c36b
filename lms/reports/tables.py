"""Spreadsheet exports (CSV and XLSX) that are safe to open in Excel or LibreOffice.

Names, e-mail addresses and course titles in an export are typed by people, so a
cell may start like a formula ("=HYPERLINK(…)", "+49 …", "@SUM(…)"). Opened in a
spreadsheet program such a cell would run (CSV or formula injection, see OWASP).
Every text cell therefore goes through `neutralise`, which puts a single quote
in front of a dangerous start so the program shows the text as it is.

Values may be text, numbers (int, float, Decimal), dates, datetimes or None;
anything else is written as its text. Datetimes are written with the wall-clock
time they carry: convert them to the local time zone before passing them in.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import TypeVar, overload

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

__all__ = ["csv_chunks", "neutralise", "safe_sheet_title", "xlsx_bytes"]

_T = TypeVar("_T")

# Characters a spreadsheet program reads as the start of a formula (OWASP's list),
# with their full-width forms, which some programs normalise to the ASCII ones.
_FORMULA_STARTS = frozenset("=+-@\t\r＝＋－＠")
# Tab and carriage return are dangerous themselves, not only as whitespace before "=".
_DANGEROUS_FIRST = frozenset("\t\r")

CSV_CHUNK_SIZE = 32 * 1024
"""Characters `csv_chunks` collects before it yields them as one chunk."""

DATE_FORMAT = "DD.MM.YYYY"
DATETIME_FORMAT = "DD.MM.YYYY HH:MM"

# Excel's rules for sheet names: at most 31 characters, none of these.
_SHEET_TITLE_FORBIDDEN = re.compile(r"[\[\]:*?/\\]")
_SHEET_TITLE_MAX = 31
_SHEET_TITLE_FALLBACK = "Sheet1"

_MIN_COLUMN_WIDTH = 10
_MAX_COLUMN_WIDTH = 40


def _is_dangerous(text: str) -> bool:
    if not text:
        return False
    if text[0] in _DANGEROUS_FIRST:
        return True
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in _FORMULA_STARTS


@overload
def neutralise(value: str) -> str: ...
@overload
def neutralise(value: _T) -> _T: ...
def neutralise(value: object) -> object:
    """The value as a spreadsheet program should show it, never as a formula.

    A string that starts with "=", "+", "-", "@", a tab or a carriage return
    (also after leading whitespace, and the full-width "＝＋－＠") comes back with
    a single quote in front; every other value (harmless strings, numbers,
    dates, None) comes back unchanged.
    """
    if isinstance(value, str) and _is_dangerous(value):
        return "'" + str.__str__(value)  # a plain str, also for Markup and other subclasses
    return value


# --- CSV ------------------------------------------------------------------------------


def _csv_text(value: object, decimal: str) -> str:
    if type(value) is str:  # the common case first
        return neutralise(value)
    if value is None:
        return ""
    if isinstance(value, int):  # also bool: True/False
        return str(value)
    if isinstance(value, float | Decimal):
        text = str(value)
        return text if decimal == "." else text.replace(".", decimal)
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M")
    if isinstance(value, date):
        return value.isoformat()
    return neutralise(str(value))


def csv_chunks(
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    delimiter: str = ";",
    decimal: str | None = None,
) -> Iterator[str]:
    """The table as CSV text, in chunks of about `CSV_CHUNK_SIZE` characters.

    The first chunk starts with a byte order mark so that Excel reads the UTF-8
    (umlauts) right; encode the chunks as UTF-8. Lines end in CRLF. Every cell
    is neutralised (header included); dates are written as `YYYY-MM-DD`,
    datetimes as `YYYY-MM-DD HH:MM`, None as an empty cell. `delimiter` is ";"
    as German Excel expects; pass "," for English. Fractional numbers are
    written with `decimal` as separator, by default "," with ";" and "."
    otherwise, so that the spreadsheet program reads them as numbers.

    Rows are read one by one while the chunks are consumed, so the result can
    be streamed as a response body. Raises ValueError for a delimiter or decimal
    separator that is not a single character (at the call, not while streaming).
    """
    if len(delimiter) != 1 or delimiter in '"\r\n':
        raise ValueError(f"The delimiter must be one character other than a quote: {delimiter!r}")
    if decimal is None:
        decimal = "," if delimiter == ";" else "."
    if len(decimal) != 1:
        raise ValueError(f"The decimal separator must be one character: {decimal!r}")
    return _csv_chunks(header, rows, delimiter, decimal)


def _csv_chunks(
    header: Sequence[object], rows: Iterable[Sequence[object]], delimiter: str, decimal: str
) -> Iterator[str]:
    buffer = io.StringIO()
    buffer.write("\ufeff")
    writer = csv.writer(buffer, delimiter=delimiter, lineterminator="\r\n")
    writer.writerow([_csv_text(value, decimal) for value in header])
    for row in rows:
        writer.writerow([_csv_text(value, decimal) for value in row])
        if buffer.tell() >= CSV_CHUNK_SIZE:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    if buffer.tell():
        yield buffer.getvalue()


# --- XLSX -----------------------------------------------------------------------------


def safe_sheet_title(title: str) -> str:
    """`title` as Excel accepts it for a sheet's name.

    Each of []:*?/\\ becomes "-", control characters go, the name is cut to 31
    characters and loses leading and trailing spaces and apostrophes; an empty
    result becomes "Sheet1".
    """
    name = _SHEET_TITLE_FORBIDDEN.sub("-", title)
    name = ILLEGAL_CHARACTERS_RE.sub("", name)
    name = name.strip().strip("'")[:_SHEET_TITLE_MAX].strip().strip("'")
    return name or _SHEET_TITLE_FALLBACK


def _text_cell(sheet: object, text: str, font: Font | None = None) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=neutralise(ILLEGAL_CHARACTERS_RE.sub("", text)))
    # openpyxl reads a string starting with "=" as a formula and "#N/A" and the like
    # as errors; neutralising rules out the first, and this rules out both for good.
    cell.data_type = "s"
    if font is not None:
        cell.font = font
    return cell


def _xlsx_cell(sheet: object, value: object, font: Font | None = None) -> object:
    if isinstance(value, str):
        return _text_cell(sheet, value, font)
    if value is None:
        return WriteOnlyCell(sheet) if font is not None else None
    if isinstance(value, int | float | Decimal):  # bool included: Excel has booleans
        if font is None:
            return value
        cell = WriteOnlyCell(sheet, value=value)
    elif isinstance(value, datetime):
        cell = WriteOnlyCell(sheet, value=value.replace(tzinfo=None))
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, date):
        cell = WriteOnlyCell(sheet, value=value)
        cell.number_format = DATE_FORMAT
    else:
        return _text_cell(sheet, str(value), font)
    if font is not None:
        cell.font = font
    return cell


def _header_width(value: object) -> int:
    return min(max(len(str(value)) + 2, _MIN_COLUMN_WIDTH), _MAX_COLUMN_WIDTH)


def xlsx_bytes(
    sheet_title: str,
    header: Sequence[object],
    rows: Iterable[Sequence[object]],
    *,
    column_widths: Sequence[float] | None = None,
) -> bytes:
    """The table as an Excel workbook (.xlsx) with one sheet.

    The sheet is named after `sheet_title` made acceptable to Excel (see
    `safe_sheet_title`). The header row is bold and stays in view when scrolling.
    Every text cell (header included) is neutralised and stored as text, never
    as a formula; numbers stay numbers; dates and datetimes are real Excel
    dates shown as `DD.MM.YYYY` and `DD.MM.YYYY HH:MM` (a time zone, if any, is
    dropped: pass local times). `column_widths` are in Excel's units (about one
    character each), by default from the header's length, between 10 and 40.

    The workbook is written in openpyxl's write-only mode, which keeps memory
    flat for large tables.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=safe_sheet_title(sheet_title))
    sheet.freeze_panes = "A2"
    widths = column_widths if column_widths is not None else [_header_width(h) for h in header]
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    bold = Font(bold=True)
    sheet.append([_xlsx_cell(sheet, value, bold) for value in header])
    for row in rows:
        sheet.append([_xlsx_cell(sheet, value) for value in row])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()
