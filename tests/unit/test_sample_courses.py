"""The sample courses in courses/: clean, and together they use the whole format."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from lms.content.parser import parse_course
from lms.content.spec import QuestionType, UnitType

COURSES = Path(__file__).resolve().parents[2] / "courses"
FOLDERS = sorted(p for p in COURSES.iterdir() if p.is_dir() and not p.name.startswith("_"))


@pytest.mark.parametrize("folder", FOLDERS, ids=[f.name for f in FOLDERS])
def test_sample_course_has_no_problems(app, folder):
    with app.test_request_context(headers={"Accept-Language": "en"}):
        result = parse_course(folder)
        assert [p.format() for p in result.problems] == []
    spec = result.spec
    assert spec.language == "de"
    assert 5 <= len(spec.main_units) <= 9
    assert all(5 <= unit.minutes <= 15 for unit in spec.main_units)


def test_samples_use_every_unit_and_question_type(app):
    specs = [parse_course(folder).spec for folder in FOLDERS]
    assert len(specs) >= 3
    units = [unit for spec in specs for unit in spec.main_units]
    assert {unit.type for unit in units} == set(UnitType)
    assert {q.type for unit in units for q in unit.questions} == set(QuestionType)


def test_the_yearly_instruction_is_fully_translated(app):
    spec = parse_course(COURSES / "it-sicherheit").spec
    assert str(spec.valid_for) == "12 months"
    assert [u.id for u in spec.units["en"]] == [u.id for u in spec.units["de"]]
    assert spec.texts["en"].title != spec.texts["de"].title


def test_every_sample_quiz_can_be_passed_with_its_own_answer_key(app, db):
    """Right answers built from each quiz's key score 100 % through forms and graders."""
    from datetime import UTC, datetime

    from lms.content.importer import import_course
    from lms.demo import take_quiz
    from lms.models import QuizAttempt
    from lms.services import learning
    from tests.factories import make_company, make_user

    now = datetime.now(UTC)
    user = make_user(db, make_company(db))
    with app.test_request_context():
        for folder in FOLDERS:
            course = import_course(db, folder, now).version.course
            enrollment = learning.enroll(db, user, course, now)
            for unit in enrollment.version.rendered["units"]["de"]:
                if unit["type"] == "quiz":
                    take_quiz(db, enrollment, unit["id"], now, right=True)
    attempts = db.scalars(select(QuizAttempt)).all()
    assert len(attempts) >= 4
    graded = [a for a in attempts if a.status == "submitted"]
    assert all(a.percent == 100 for a in graded), [(a.unit_id, a.percent) for a in graded]
    # The data protection check's essay waits for a trainer; the rest of it is right.
    (waiting,) = [a for a in attempts if a.status == "grading"]
    assert all(
        answer.correct for answer in waiting.answers if answer.question_id != "datenpanne-rat"
    )
