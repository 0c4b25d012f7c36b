"""Which companies see a course in their catalogue: all of them (shared), or those listed."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete
from sqlalchemy.orm import Session

from lms.models import Company, Course, CourseCompany


def open_course(
    session: Session, course: Course, *, shared: bool, companies: Sequence[Company] = ()
) -> None:
    """Open the course to every company, or only to `companies` (none: to nobody).

    Assignments made before stay; the course only leaves the other catalogues.
    """
    session.execute(delete(CourseCompany).where(CourseCompany.course_id == course.id))
    course.shared = shared
    if not shared:
        for company in {c.id: c for c in companies}.values():
            session.add(CourseCompany(course_id=course.id, company_id=company.id))
    session.flush()
