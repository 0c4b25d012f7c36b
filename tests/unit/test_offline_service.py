"""What "Für unterwegs speichern" lists for a module: its lessons and the course files
their text shows (lms/offline/service.py)."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from lms.offline import service


def enrollment_with(units: list[dict[str, Any]]) -> Any:
    version = SimpleNamespace(content={"units": {"de": units}}, language="de")
    return SimpleNamespace(version=version)


def test_lessons_are_listed_with_their_course_files_once_each() -> None:
    html = (
        '<p><img alt="Plan" src="/content/kurs/0123456789abcdef/assets/plan.png"></p>'
        "<p><img alt='Noch einmal' src='/content/kurs/0123456789abcdef/assets/plan.png'></p>"
        '<p><a href="/content/kurs/0123456789abcdef/assets/a%20b&amp;c.pdf">PDF</a></p>'
        '<p><a href="https://example.org/content/x.png">außen</a> <img src="/static/x.png"></p>'
    )
    units = [
        {"id": "einstieg", "type": "lesson", "title": "Einstieg", "html": html},
        {"id": "check", "type": "quiz", "title": "Wissenscheck", "html": '<img src="/content/q">'},
        {"id": "ohne", "type": "lesson", "title": "Ohne Bild", "html": "<p>Text</p>"},
        {"id": "termin", "type": "in-person", "title": "Termin", "html": ""},
    ]
    lessons = service.offline_lessons(enrollment_with(units), "de")
    assert lessons == [
        service.OfflineLesson(
            "einstieg",
            "Einstieg",
            (
                "/content/kurs/0123456789abcdef/assets/plan.png",
                "/content/kurs/0123456789abcdef/assets/a%20b&c.pdf",
            ),
        ),
        service.OfflineLesson("ohne", "Ohne Bild", ()),
    ]


def test_the_page_language_is_used_where_the_module_has_it() -> None:
    version = SimpleNamespace(
        content={
            "units": {
                "de": [{"id": "a", "type": "lesson", "title": "Deutsch", "html": ""}],
                "en": [{"id": "a", "type": "lesson", "title": "English", "html": ""}],
            }
        },
        language="de",
    )
    enrollment: Any = SimpleNamespace(version=version)
    assert [lesson.title for lesson in service.offline_lessons(enrollment, "en")] == ["English"]
    assert [lesson.title for lesson in service.offline_lessons(enrollment, "fr")] == ["Deutsch"]
