"""Which companies see a course in their catalogue: all of them (shared), or those listed.
Each change writes its audit entry. (Which of the provider's trainers may change a
course is `drafts.set_editors`.)"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.models import Company, Course, CourseCompany


def open_course(
    session: Session,
    actor: audit.Actor,
    course: Course,
    *,
    shared: bool,
    companies: Sequence[Company] = (),
    now: datetime,
) -> None:
    """Open the course to every company, or only to `companies` (none: to nobody).

    Assignments made before stay; the course only leaves the other catalogues.
    """
    before = sorted(
        session.scalars(
            select(CourseCompany.company_id).where(CourseCompany.course_id == course.id)
        )
    )
    was_shared = course.shared
    session.execute(delete(CourseCompany).where(CourseCompany.course_id == course.id))
    course.shared = shared
    wanted = {} if shared else {c.id: c for c in companies}
    for company in wanted.values():
        session.add(CourseCompany(course_id=course.id, company_id=company.id))
    session.flush()
    audit.record(
        session,
        actor,
        "catalogue.update",
        None,
        now,
        subject=course.slug,
        subject_id=course.id,
        changes={"shared": [was_shared, shared], "companies": [before, sorted(wanted)]},
    )
