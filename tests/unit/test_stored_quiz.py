"""Reading a quiz unit back from its version: parsed once per process, the same every time."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lms.content.importer import import_course
from lms.content.stored import stored_questions, stored_quiz_settings
from lms.models import CourseVersion
from tests.unit.test_course_parser import FULL_QUIZ, quiz, write_course


def test_a_quiz_is_read_from_the_spec_once_and_then_without_queries(
    app, db, tmp_path, count_queries
):
    folder = write_course(tmp_path, {"02-check.md": quiz(FULL_QUIZ, "max_attempts: 2\n")})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    version_id = db.scalar(select(CourseVersion.id))
    db.expunge_all()
    version = db.get(CourseVersion, version_id)
    assert version is not None

    count_queries.statements.clear()
    settings = stored_quiz_settings(version, "check")
    questions = stored_questions(version, "de", "check")
    assert settings is not None and settings.max_attempts == 2
    assert [q.id for q in questions][:2] == ["laenge", "merkmale"]
    assert stored_questions(version, "en", "check") == questions  # falls back to German

    db.expunge_all()  # a later request: a fresh version object, `spec` not loaded
    version = db.get(CourseVersion, version_id)
    assert version is not None
    count_queries.statements.clear()
    assert stored_quiz_settings(version, "check") == settings
    assert stored_questions(version, "de", "check") == questions
    assert stored_questions(version, "en", "check") == questions
    assert count_queries.count == 0, count_queries.statements
    assert stored_quiz_settings(version, "einstieg") is None  # a lesson
