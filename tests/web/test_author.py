"""The trainer's read-only course view: versions, a check of the folder, previews."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from lms.content.importer import import_course
from tests.unit.test_course_parser import FULL_QUIZ, quiz, write_course

EN = {"Accept-Language": "en"}

PRACTICAL = """\
---
type: practical
title: Arbeitsplatz
---
Zeigen Sie es Ihrer Führungskraft.

## Checkliste
- [ ] Bildschirm sperren {#sperren}
"""


@pytest.fixture
def course_folder(app, db, tmp_path):
    folder = write_course(
        tmp_path,
        {
            "02-check.md": quiz(FULL_QUIZ),
            "03-praxis.md": PRACTICAL,
            "01-einstieg.en.md": "---\ntype: lesson\ntitle: Getting started\n---\nHello **world**.\n",
        },
    )
    app.config["COURSES_DIR"] = str(tmp_path)
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
        (folder / "01-einstieg.md").write_text(LESSON_V2)
        import_course(db, folder, datetime.now(UTC))
    return folder


LESSON_V2 = "---\ntype: lesson\ntitle: Einstieg\n---\nZweite Fassung.\n"


def test_course_list_shows_the_live_version(client, world, login, course_folder):
    login(world.trainer)
    page = client.get("/author/", headers=EN).get_data(as_text=True)
    assert "Testkurs" in page and ">2<" in page


def test_course_page_lists_every_version_with_a_preview(client, world, login, course_folder):
    login(world.trainer)
    page = client.get("/author/courses/testkurs", headers=EN).get_data(as_text=True)
    assert "Preview of version 1" in page and "Preview of version 2" in page
    assert page.index("Preview of version 2") < page.index("Preview of version 1")


def test_preview_shows_each_version_as_imported(client, world, login, course_folder):
    login(world.trainer)
    old = client.get("/author/courses/testkurs/v1/einstieg").get_data(as_text=True)
    new = client.get("/author/courses/testkurs/v2/einstieg").get_data(as_text=True)
    assert "Worum es geht" in old and "Zweite Fassung" not in old
    assert "Zweite Fassung" in new


def test_preview_in_english_uses_the_translation(client, world, login, course_folder):
    login(world.trainer)
    page = client.get("/author/courses/testkurs/v1/einstieg?lang=en").get_data(as_text=True)
    assert "<h1>Getting started</h1>" in page and 'lang="en"' in page


def test_quiz_preview_shows_questions_without_answers(client, world, login, course_folder):
    login(world.trainer)
    page = client.get("/author/courses/testkurs/v2/check", headers=EN).get_data(as_text=True)
    assert page.count('class="question"') == 8
    assert "12 Zeichen" in page and 'type="radio"' in page and "disabled" in page
    assert 'aria-label="Gap 1"' in page and "<select" in page
    assert "Richtig." not in page  # choice feedback only after submission
    assert "Lange Passphrasen sind sicher." not in page  # explanation too
    assert "correct" not in page


def test_practical_preview_shows_the_checklist_once(client, world, login, course_folder):
    login(world.trainer)
    page = client.get("/author/courses/testkurs/v2/praxis", headers=EN).get_data(as_text=True)
    assert page.count("Bildschirm sperren") == 1 and "{#sperren}" not in page


def test_check_page_lists_problems_with_file_and_line(client, world, login, course_folder):
    (course_folder / "04-kaputt.md").write_text(quiz("## F? {#f}\n- ( ) a\n- ( ) b\n"))
    login(world.trainer)
    page = client.get("/author/courses/testkurs/check").get_data(as_text=True)
    assert "testkurs/04-kaputt.md:5" in page
    assert "Die Frage hat keine richtige Antwort." in page


def test_unknown_courses_versions_and_units_answer_404(client, world, login, course_folder):
    login(world.trainer)
    for path in (
        "/author/courses/gibtsnicht",
        "/author/courses/testkurs/v9/",
        "/author/courses/testkurs/v1/gibtsnicht",
    ):
        assert client.get(path).status_code == 404


def test_learners_and_managers_cannot_preview(client, world, login, course_folder):
    login(world.a.manager)
    assert client.get("/author/courses/testkurs/v1/").status_code == 403
