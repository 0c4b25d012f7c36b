"""An employee in the browser: continue a course, read a lesson, pass a knowledge check."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from tests.e2e.conftest import LiveServer
from tests.e2e.test_browser import log_in


def answer_right(page: Page, live_server: LiveServer, unit_id: str) -> None:
    """Fill the visible questions with the right answers, read from the server's key."""
    from sqlalchemy import select

    from lms.content.stored import stored_questions
    from lms.db import db
    from lms.demo import right_fields
    from lms.models import QuizAttempt
    from lms.services import quizzes

    number = int(re.search(r"/attempts/(\d+)", page.url).group(1))
    with live_server.app.app_context():
        attempt = db.session.scalar(
            select(QuizAttempt)
            .where(QuizAttempt.unit_id == unit_id, QuizAttempt.number == number)
            .order_by(QuizAttempt.id.desc())
        )
        public = quizzes.public_questions(attempt)
        keys = {q.id: q for q in stored_questions(attempt.version, attempt.language, unit_id)}
    for question_id in public:
        if not page.locator(f"#question-{question_id}").count():
            continue
        for field, value in right_fields(keys[question_id], public[question_id]).items():
            for one in value if isinstance(value, list) else [value]:
                control = page.locator(f'[name="{field}"]')
                tag = control.first.evaluate("e => e.tagName + ':' + (e.type || '')")
                if tag.startswith("SELECT"):
                    control.select_option(one)
                elif tag.endswith(("radio", "checkbox")):
                    page.locator(f'[name="{field}"][value="{one}"]').check()
                else:
                    control.fill(one)


def test_employee_continues_reads_and_passes(page: Page, live_server: LiveServer, screens) -> None:
    log_in(page, live_server, "jonas.becker@mueller-metallbau.example")
    expect(page.get_by_role("heading", level=1)).to_have_text("Meine Lernmodule")
    page.get_by_role("link", name="Weiter").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Geräte schützen – Bildschirm, USB-Sticks und Updates"
    )
    screens(page, "learner-lesson")
    page.get_by_role("button", name="Als erledigt markieren").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sicherheitsvorfälle melden")

    page.goto(live_server("/learn/courses/ki-im-betrieb"))
    page.get_by_role("button", name="Lernmodul beginnen").click()
    page.goto(live_server("/learn/courses/ki-im-betrieb/abschlusstest"))
    page.get_by_role("button", name="Wissenscheck beginnen").click()
    screens(page, "learner-quiz")
    while True:
        answer_right(page, live_server, "abschlusstest")
        next_page = page.get_by_role("button", name="Nächste Seite")
        if next_page.count():
            next_page.click()
            continue
        # The last page leads to the summary, whose one button hands in (issue 18).
        page.locator('button[value="summary"]').first.click()
        page.locator('button[value="submit"]').click()
        break
    expect(page.get_by_role("heading", level=1)).to_have_text("Ihr Ergebnis")
    expect(page.get_by_text("Bestanden", exact=True)).to_be_visible()
    screens(page, "learner-result")


def test_every_question_type_then_certificate_and_verify(
    page: Page, live_server: LiveServer, screens
) -> None:
    log_in(page, live_server, "piotr.nowak@mueller-metallbau.example")
    page.goto(live_server("/learn/courses/e2e-pruefung"))
    page.get_by_role("button", name="Lernmodul beginnen").click()
    page.get_by_role("button", name="Als erledigt markieren").click()
    page.get_by_role("button", name="Wissenscheck beginnen").click()
    while True:
        answer_right(page, live_server, "check")
        if page.get_by_role("button", name="Nächste Seite").count():
            page.get_by_role("button", name="Nächste Seite").click()
            continue
        # The last page leads to the summary, whose one button hands in (issue 18).
        page.locator('button[value="summary"]').first.click()
        page.locator('button[value="submit"]').click()
        break
    expect(page.get_by_text("Bestanden", exact=True)).to_be_visible()
    page.goto(live_server("/learn/"))
    card = page.locator("li.course-card", has=page.locator('a[href="/learn/courses/e2e-pruefung"]'))
    certificate_link = card.get_by_role("link", name="Zertifikat herunterladen (PDF)")
    with page.expect_download() as download_info:
        certificate_link.click()
    download = download_info.value
    assert download.suggested_filename == "zertifikat-e2e-pruefung.pdf"
    with open(download.path(), "rb") as pdf:
        assert pdf.read(4) == b"%PDF"
    code = certificate_link.get_attribute("href")
    code = code.rsplit("/", 1)[1].removesuffix(".pdf")
    page.goto(live_server(f"/verify/{code}"))
    expect(page.get_by_text("Dieses Zertifikat ist echt und gültig.")).to_be_visible()
    screens(page, "verify")
