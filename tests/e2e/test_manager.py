"""A manager in the browser: assign a module to a department, see the matrix change, export it."""

from __future__ import annotations

import io

from openpyxl import load_workbook
from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in

MODULE = "KI im Betrieb – Grundlagen für Beschäftigte"


def test_manager_assigns_a_module_and_exports_the_matrix(
    page: Page, live_server: LiveServer, screens
) -> None:
    log_in(page, live_server, "sabine.krueger@mueller-metallbau.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Mein Team")
    page.get_by_label("Abteilung", exact=True).select_option(label="Verwaltung")
    page.get_by_label("Lernmodul", exact=True).select_option(label=MODULE)
    page.get_by_role("button", name="Anzeigen").click()
    expect(page.get_by_text("Niemand passt zu diesen Filtern.")).to_be_visible()

    page.get_by_role("link", name="Lernmodul zuweisen").first.click()
    page.get_by_label("Lernmodul", exact=True).select_option(label=MODULE)
    page.get_by_label("Einer Abteilung").check()
    page.get_by_label("Abteilung", exact=True).select_option(label="Verwaltung")
    page.get_by_label("Fällig am").fill("2099-06-30")
    page.get_by_label("Hinweis (optional)").fill("Bitte bis Ende Juni")
    screens(page, "manager-assign")
    page.get_by_role("button", name="Zuweisen").click()
    expect(page.get_by_role("status")).to_contain_text("Das Lernmodul ist 3 Personen zugewiesen.")

    page.get_by_label("Abteilung", exact=True).select_option(label="Verwaltung")
    page.get_by_role("button", name="Anzeigen").click()
    matrix = page.get_by_role("region", name="Personen und Lernmodule")
    row = matrix.get_by_role("row", name="Fatma Demir")
    expect(row).to_contain_text("nicht begonnen")
    expect(row).to_contain_text("fällig am 30.06.2099")
    screens(page, "manager-matrix")

    with page.expect_download() as download:
        page.get_by_role("link", name="Als Excel exportieren (XLSX)").click()
    sheet = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    rows = list(sheet.iter_rows(values_only=True))
    assert MODULE in rows[0]
    column = rows[0].index(MODULE)
    fatma = next(r for r in rows[1:] if r[0] == "Fatma Demir")
    assert fatma[column].startswith("nicht begonnen (fällig am 30.06.2099)")
    department = rows[0].index("Abteilung")
    assert {r[department] for r in rows[1:]} == {"Verwaltung"}
