"""Shared set-up of the REST API's tests: tokens, a module, a completion."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from lms.audit.service import Actor
from lms.content.importer import import_course
from lms.models import Completion, Course, CourseVersion, Enrollment, TokenKind, TokenScope
from lms.tokens import service as tokens
from tests.unit.test_course_parser import write_course


def make_token(db, admin, company, scope=TokenScope.READ_WRITE, **kwargs):
    created = tokens.create(
        db,
        Actor(admin),
        TokenKind.API,
        company,
        "HR-Sync",
        datetime.now(UTC),
        scope=scope,
        **kwargs,
    )
    db.flush()
    return created.value


def auth(value):
    return {"Authorization": f"Bearer {value}"}


def import_test_course(app, db, tmp_path):
    folder = write_course(tmp_path, {})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def make_completion(db, person, course, code, at=None):
    version = db.scalar(select(CourseVersion).where(CourseVersion.course_id == course.id))
    at = at or datetime.now(UTC)
    enrollment = Enrollment(company_id=person.company_id, user_id=person.id,
                            course_id=course.id, version_id=version.id, enrolled_at=at,
                            counts_from=at, completed_at=at)  # fmt: skip
    db.add(enrollment)
    db.flush()
    completion = Completion(company_id=person.company_id, user_id=person.id,
                            enrollment_id=enrollment.id, course_id=course.id,
                            version_id=version.id, completed_at=at, code=code)  # fmt: skip
    db.add(completion)
    db.flush()
    return completion
