"""Spreadsheet exports (lms.reports.tables): no cell can run as a formula, values survive."""

from __future__ import annotations

import csv
import io
import zipfile
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from markupsafe import Markup
from openpyxl import load_workbook

from lms.reports.tables import (
    CSV_CHUNK_SIZE,
    csv_chunks,
    neutralise,
    safe_sheet_title,
    xlsx_bytes,
)

BOM = "\ufeff"

DANGEROUS = [
    "=1+1",
    '=HYPERLINK("https://example.org","Klick")',
    "+49 170 1234567",
    "-2+3+cmd|' /C calc'!A0",
    "@SUM(A1:A9)",
    "\tTabulator",
    "\rWagenrücklauf",
    "   =1+1",
    "\n=1+1",
    "\u00a0@SUM(1)",
    "＝1+1",
    "＋1",
    "－1",
    "＠SUM(1)",
]

HARMLESS = ["Müller", "", "a=b", "Anna-Lena", "'schon zitiert", "1+1", "  Text", "E-Mail: a@b.de"]


@pytest.mark.parametrize("value", DANGEROUS)
def test_dangerous_starts_get_a_quote(value: str) -> None:
    assert neutralise(value) == "'" + value


@pytest.mark.parametrize("value", HARMLESS)
def test_harmless_text_is_unchanged(value: str) -> None:
    assert neutralise(value) == value


@pytest.mark.parametrize(
    "value",
    [
        5,
        -5,
        1.5,
        -1.5,
        Decimal("-2.50"),
        date(2026, 3, 1),
        datetime(2026, 3, 1, 14, 30),
        None,
        True,
    ],
)
def test_other_values_are_untouched(value: object) -> None:
    assert neutralise(value) is value


def test_markup_comes_back_as_plain_text() -> None:
    result = neutralise(Markup("=1+1"))
    assert result == "'=1+1"
    assert type(result) is str


# --- CSV ------------------------------------------------------------------------------


def read_csv(chunks: list[str], delimiter: str = ";") -> list[list[str]]:
    text = "".join(chunks)
    assert text.startswith(BOM)
    return list(csv.reader(io.StringIO(text[len(BOM) :], newline=""), delimiter=delimiter))


def test_csv_round_trip_with_neutralised_cells() -> None:
    header = ["Name", "=Kurs", "Notiz"]
    rows = [
        ["Jörg Müller", "Stapler; Teil 1", 'Er sagte "fertig"'],
        ['=HYPERLINK("http://x")', "Zeile 1\nZeile 2", "@SUM(A1)"],
        ["Anna-Lena", "-", "a,b"],
    ]
    assert read_csv(list(csv_chunks(header, rows))) == [
        ["Name", "'=Kurs", "Notiz"],
        ["Jörg Müller", "Stapler; Teil 1", 'Er sagte "fertig"'],
        ['\'=HYPERLINK("http://x")', "Zeile 1\nZeile 2", "'@SUM(A1)"],
        ["Anna-Lena", "'-", "a,b"],
    ]


def test_csv_starts_with_a_bom_and_uses_semicolons_and_crlf() -> None:
    text = "".join(csv_chunks(["A", "B"], [["1", "2"]]))
    assert text == BOM + "A;B\r\n1;2\r\n"


def test_csv_honours_another_delimiter() -> None:
    chunks = list(csv_chunks(["A", "B"], [["x;y", "a,b"], [Decimal("1.5"), 2.25]], delimiter=","))
    assert "".join(chunks).startswith(BOM + "A,B\r\n")
    assert read_csv(chunks, delimiter=",") == [["A", "B"], ["x;y", "a,b"], ["1.5", "2.25"]]


def test_csv_writes_dates_numbers_and_empty_cells() -> None:
    rows = [
        [
            date(2026, 3, 1),
            datetime(2026, 3, 1, 14, 30, 59, tzinfo=UTC),
            None,
            42,
            -7,
            Decimal("87.50"),
            0.5,
        ]
    ]
    assert read_csv(list(csv_chunks(list("ABCDEFG"), rows)))[1] == [
        "2026-03-01",
        "2026-03-01 14:30",
        "",
        "42",
        "-7",
        "87,50",  # German Excel reads a decimal comma
        "0,5",
    ]


def test_csv_writes_other_objects_as_neutralised_text() -> None:
    class Lazy:
        def __str__(self) -> str:
            return "=evil()"

    assert read_csv(list(csv_chunks(["A"], [[Lazy()]])))[1] == ["'=evil()"]


@pytest.mark.parametrize(
    ("delimiter", "decimal"), [("", None), (";;", None), ('"', None), (";", "")]
)
def test_csv_refuses_bad_separators_at_once(delimiter: str, decimal: str | None) -> None:
    with pytest.raises(ValueError):
        csv_chunks(["A"], [], delimiter=delimiter, decimal=decimal)


def test_csv_of_40000_rows_comes_in_chunks() -> None:
    header = ["Name", "E-Mail-Adresse", "Abteilung", "Lernmodul", "Abgeschlossen am"]
    rows = (
        [f"Person {n}", f"person{n}@example.org", "Lager", "=Stapler", date(2026, 1, 1)]
        for n in range(40_000)
    )
    chunks = list(csv_chunks(header, rows))
    assert len(chunks) > 10
    assert all(len(chunk) < CSV_CHUNK_SIZE + 200 for chunk in chunks)
    parsed = read_csv(chunks)
    assert len(parsed) == 40_001
    assert parsed[-1] == [
        "Person 39999",
        "person39999@example.org",
        "Lager",
        "'=Stapler",
        "2026-01-01",
    ]


# --- XLSX -----------------------------------------------------------------------------


def open_sheet(data: bytes) -> Any:
    return load_workbook(io.BytesIO(data)).active


def test_xlsx_header_values_and_dates() -> None:
    data = xlsx_bytes(
        "Team",
        ["Name", "Abgeschlossen am", "Zuletzt aktiv", "Ergebnis", "Versuche"],
        [
            ["Jörg Müller", date(2026, 3, 1), datetime(2026, 3, 1, 14, 30), Decimal("87.5"), 2],
            ["Anna Schmidt", None, datetime(2026, 3, 2, 8, 5, tzinfo=UTC), None, 0],
        ],
    )
    sheet = open_sheet(data)
    assert sheet.title == "Team"
    assert sheet.freeze_panes == "A2"
    rows = list(sheet.iter_rows())
    assert [cell.value for cell in rows[0]] == [
        "Name",
        "Abgeschlossen am",
        "Zuletzt aktiv",
        "Ergebnis",
        "Versuche",
    ]
    assert all(cell.font.b for cell in rows[0])
    name, completed, active, score, attempts = rows[1]
    assert name.value == "Jörg Müller" and not name.font.b
    assert completed.is_date and completed.value == datetime(2026, 3, 1)
    assert completed.number_format == "DD.MM.YYYY"
    assert active.is_date and active.value == datetime(2026, 3, 1, 14, 30)
    assert active.number_format == "DD.MM.YYYY HH:MM"
    assert score.value == 87.5 and score.data_type == "n"
    assert attempts.value == 2
    assert [cell.value for cell in rows[2]] == [
        "Anna Schmidt",
        None,
        datetime(2026, 3, 2, 8, 5),
        None,
        0,
    ]


def test_xlsx_text_never_becomes_a_formula() -> None:
    link = '=HYPERLINK("https://example.org","Klick")'
    data = xlsx_bytes("Team", ["=Kurs"], [[link], ["#N/A"], ["+49 170"], ["Steuer\x01zeichen"]])
    cells = [row[0] for row in open_sheet(data).iter_rows()]
    assert [cell.value for cell in cells] == [
        "'=Kurs",
        "'" + link,
        "#N/A",
        "'+49 170",
        "Steuerzeichen",
    ]
    assert all(cell.data_type == "s" for cell in cells)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        sheet_xml = archive.read("xl/worksheets/sheet1.xml").decode()
    assert "<f>" not in sheet_xml and "<f " not in sheet_xml


def test_xlsx_column_widths() -> None:
    sheet = open_sheet(xlsx_bytes("T", ["A", "B"], [], column_widths=[30, 12.5]))
    assert sheet.column_dimensions["A"].width == 30
    assert sheet.column_dimensions["B"].width == 12.5


@pytest.mark.parametrize(
    ("title", "expected"),
    [
        ("Team", "Team"),
        ("Lager [Halle 3/4]: *neu*?", "Lager -Halle 3-4-- -neu--"),
        ("a\\b", "a-b"),
        ("Abschlüsse vom 01.01.2026 bis 31.12.2026", "Abschlüsse vom 01.01.2026 bis 3"),
        ("'zitiert'", "zitiert"),
        ("   ", "Sheet1"),
    ],
)
def test_sheet_titles_follow_excels_rules(title: str, expected: str) -> None:
    assert safe_sheet_title(title) == expected
    assert open_sheet(xlsx_bytes(title, ["A"], [])).title == expected
