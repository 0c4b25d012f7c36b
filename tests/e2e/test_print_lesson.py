"""Printing a lesson (issue 18): the course and unit title and the lesson, nothing else."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in


def test_a_printed_lesson_shows_course_unit_and_text_without_the_pages_controls(
    page: Page, live_server: LiveServer, screens
) -> None:
    log_in(page, live_server, "jonas.becker@mueller-metallbau.example")
    page.goto(live_server("/learn/courses/it-sicherheit/phishing"))
    expect(page.locator("#feedback")).to_be_visible()  # on the screen
    page.emulate_media(media="print")
    expect(page.locator(".unit__course")).to_have_text("IT-Sicherheit am Arbeitsplatz")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    expect(page.locator(".prose").first).to_be_visible()
    for hidden in (".site-header", ".feedback", ".pager", ".unit-actions", "nav"):
        for element in page.locator(hidden).all():
            expect(element).to_be_hidden()
    expect(page.locator("main button:visible")).to_have_count(0)
    screens(page, "lesson-print")
