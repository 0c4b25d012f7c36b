"""A trainer in the browser: uploads a course as a ZIP, sees a validation error with its
line, fixes it in the editor (with the live check), previews the quiz, publishes; a
learner then starts the new version while a learner who had started keeps the old one."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect

from lms.content.archive import CourseFiles, write_course_zip
from tests.e2e.conftest import LiveServer, PageFactory
from tests.e2e.test_browser import log_in

SLUG = "stapler-e2e"
COURSE = """---
title: Stapler sicher fahren
summary: Sicher mit dem Gabelstapler.
language: de
---
Alles über den Stapler.
"""
LESSON = """---
type: lesson
title: Vor der Fahrt
minutes: viele
---
Prüfen Sie vor jeder Fahrt die Bremsen.
"""
QUIZ = """---
type: quiz
title: Wissenscheck Stapler
pass_mark: 50
---

## Was prüfen Sie vor jeder Fahrt? {#vor-der-fahrt}

- (x) Die Bremsen
  > Richtig, die Bremsen zuerst.
- ( ) Das Radio
  > Das Radio ist nicht wichtig.
"""


def course_zip(tmp_path):
    files = CourseFiles(
        {
            f"{SLUG}/course.md": COURSE.encode(),
            f"{SLUG}/01-vor-der-fahrt.md": LESSON.encode(),
            f"{SLUG}/02-wissenscheck.md": QUIZ.encode(),
        }
    )
    path = tmp_path / f"{SLUG}.zip"
    path.write_bytes(write_course_zip(files))
    return path


def edit_lesson(page: Page, live_server: LiveServer, old: str, new: str) -> None:
    page.goto(live_server(f"/author/drafts/{SLUG}/files/01-vor-der-fahrt.md"))
    editor = page.get_by_label("Markdown von 01-vor-der-fahrt.md")
    editor.fill(editor.input_value().replace(old, new))


def test_trainer_uploads_fixes_previews_and_publishes_and_learners_keep_their_version(
    page: Page, new_page: PageFactory, live_server: LiveServer, tmp_path, screens
) -> None:
    log_in(page, live_server, "trainer@zukunftszentrum.example")
    page.goto(live_server("/author/drafts"))
    page.get_by_label("ZIP-Datei", exact=True).set_input_files(str(course_zip(tmp_path)))
    page.get_by_role("button", name="Hochladen und prüfen").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Entwurf von {SLUG}")
    expect(page.get_by_role("link", name="01-vor-der-fahrt.md:4")).to_be_visible()
    expect(page.get_by_role("button", name="Als neue Version veröffentlichen")).to_have_count(0)
    screens(page, "draft-with-error")

    # The editor's live check names the line, jumps to it, and clears once fixed.
    page.get_by_role("link", name="01-vor-der-fahrt.md:4").click()
    expect(page.get_by_role("button", name="Zeile 4")).to_be_visible()
    page.get_by_role("button", name="Zeile 4").click()
    editor = page.get_by_label("Markdown von 01-vor-der-fahrt.md")
    selected = editor.evaluate("e => e.value.substring(e.selectionStart, e.selectionEnd)")
    assert selected == "minutes: viele"
    editor.fill(editor.input_value().replace("minutes: viele", "minutes: 5"))
    expect(page.get_by_text("Keine Probleme in dieser Datei.")).to_be_visible()
    screens(page, "draft-editor")
    page.get_by_role("button", name="Speichern").click()
    expect(page.get_by_text("Keine Probleme gefunden.")).to_be_visible()

    # The quiz in the preview: graded with its feedback, nothing recorded.
    page.get_by_role("link", name="Vorschau als Lernende").click()
    page.get_by_role("link", name="Wissenscheck Stapler").click()
    page.get_by_label("Das Radio").check()
    page.get_by_role("button", name="Vorschau bewerten").click()
    expect(page.get_by_text("Das Radio ist nicht wichtig.")).to_be_visible()
    screens(page, "draft-quiz-preview")

    page.goto(live_server(f"/author/drafts/{SLUG}"))
    page.get_by_label("Was hat sich geändert?").fill("Erste Fassung")
    page.get_by_role("button", name="Als neue Version veröffentlichen").click()
    expect(page.get_by_text("Version 1 ist veröffentlicht.")).to_be_visible()

    # A learner starts version 1; the trainer publishes version 2.
    early = new_page(phone=True)
    log_in(early, live_server, "lena.hoffmann@mueller-metallbau.example")
    early.goto(live_server(f"/learn/courses/{SLUG}"))
    early.get_by_role("button", name="Lernmodul beginnen").click()
    early.goto(live_server(f"/learn/courses/{SLUG}/vor-der-fahrt"))
    expect(early.get_by_text("Prüfen Sie vor jeder Fahrt die Bremsen.")).to_be_visible()

    edit_lesson(page, live_server, "die Bremsen.", "die Bremsen und die Hupe.")
    page.get_by_role("button", name="Speichern").click()
    page.get_by_label("Was hat sich geändert?").fill("Hupe ergänzt")
    page.get_by_role("button", name="Als neue Version veröffentlichen").click()
    expect(page.get_by_text("Version 2 ist veröffentlicht.")).to_be_visible()
    expect(page.get_by_text("Hupe ergänzt")).to_be_visible()

    early.reload()
    expect(early.get_by_text("Prüfen Sie vor jeder Fahrt die Bremsen.")).to_be_visible()
    expect(early.get_by_text("und die Hupe")).to_have_count(0)
    late = new_page()
    log_in(late, live_server, "jonas.becker@mueller-metallbau.example")
    late.goto(live_server(f"/learn/courses/{SLUG}"))
    late.get_by_role("button", name="Lernmodul beginnen").click()
    late.goto(live_server(f"/learn/courses/{SLUG}/vor-der-fahrt"))
    expect(late.get_by_text(re.compile("die Bremsen und die Hupe"))).to_be_visible()
