"""Taking a course: enrolling, completing units, moving to a new version, completion.

Plain functions over a session; they flush and never commit. The learner's
version is pinned at enrolment. Progress belongs to a unit id, so it carries
over when the learner moves to a newer version, unless a version in between
asks for requalification: then only progress made after the move counts.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, insert, select
from sqlalchemy.orm import Session

from lms import certificates
from lms.content.importer import latest_version
from lms.lti import grades as lti_grades
from lms.models import (
    Completion,
    Course,
    CourseVersion,
    Enrollment,
    UnitFeedback,
    UnitProgress,
    User,
)
from lms.reports.compliance import cells_changed
from lms.services import xapi
from lms.webhooks import events as webhook_events
from lms.webhooks import service as webhooks


class LearningError(ValueError):
    """A learning action that cannot be done; `code` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


class UnitStatus(enum.StrEnum):
    DONE = "done"  # lesson read
    PASSED = "passed"  # quiz passed
    ATTENDED = "attended"  # in-person session attended
    SIGNED_OFF = "signed_off"  # practical task signed off
    ACCEPTED = "accepted"  # hand-in accepted by a trainer
    OPEN = "open"  # not yet completed by the learner
    PENDING = "pending"  # waits for a trainer or supervisor to record it


# Who completes each unit type: the learner (here) or someone else (recorded later).
# A hand-in waits for the learner first (to hand in), then for a trainer's grade.
LEARNER_COMPLETES = {"lesson", "quiz", "handin", "package"}


@dataclass(frozen=True)
class UnitState:
    unit: dict[str, Any]
    status: UnitStatus
    completed_at: datetime | None

    @property
    def complete(self) -> bool:
        return self.status not in (UnitStatus.OPEN, UnitStatus.PENDING)


@dataclass(frozen=True)
class CourseProgress:
    enrollment: Enrollment
    version: CourseVersion
    units: tuple[UnitState, ...]

    @property
    def done(self) -> int:
        return sum(state.complete for state in self.units)

    @property
    def total(self) -> int:
        return len(self.units)

    @property
    def minutes_left(self) -> int:
        return sum(int(state.unit["minutes"]) for state in self.units if not state.complete)

    @property
    def next_unit(self) -> dict[str, Any] | None:
        """The first unit the learner can do now; else the first unit still missing."""
        for state in self.units:
            if state.status is UnitStatus.OPEN:
                return state.unit
        return next((state.unit for state in self.units if not state.complete), None)

    @property
    def complete(self) -> bool:
        return self.done == self.total

    @property
    def last_requirement_met(self) -> datetime | None:
        """When the module's last requirement was met: the latest completion moment of its
        units (None while one is missing). See `_complete_if_done`."""
        moments = [state.completed_at for state in self.units]
        if not moments or None in moments:
            return None
        return max(moment for moment in moments if moment is not None)


def rendered_units(version: CourseVersion, language: str) -> list[dict[str, Any]]:
    """The units of a version in `language`, or in its main language."""
    units = version.content["units"]
    chosen: list[dict[str, Any]] = units.get(language) or units[version.language]
    return chosen


def unit_of_type(enrollment: Enrollment, unit_id: str, unit_type: str) -> dict[str, Any] | None:
    """The unit `unit_id` of the enrolment's version (main language) if it is of
    `unit_type` (a practical task, a hand-in), else None."""
    units = rendered_units(enrollment.version, enrollment.version.language)
    unit = next((u for u in units if u["id"] == unit_id), None)
    return unit if unit is not None and unit["type"] == unit_type else None


@dataclass(frozen=True)
class CourseTexts:
    """A version's title, summary, audience and description as a page in one language
    shows them, with the language each is written in: a page marks text in another
    language than its own with `lang`."""

    title: str
    summary: str
    audience: str
    description_html: str
    language: str  # of the title, audience and description
    summary_language: str
    # The topics (tags:) and their language; versions imported before topics have none.
    tags: tuple[str, ...] = ()
    tags_language: str = ""


def course_texts(version: CourseVersion, language: str) -> CourseTexts:
    """The texts of `version` in `language` where the course has them, else in its main
    language."""
    texts = version.content["texts"]
    main = texts[version.language]
    chosen = texts.get(language)
    # A version keeps texts for every language its units come in: a language without a
    # course.<lang>.md repeats the main language's texts, and a translation without a
    # summary keeps the original's.
    if chosen is None or chosen == main:
        chosen, written_in = main, version.language
    else:
        written_in = language
    summary_in = version.language if chosen["summary"] == main["summary"] else written_in
    tags = tuple(chosen.get("tags") or ())
    return CourseTexts(
        title=chosen["title"],
        summary=chosen["summary"] or "",
        audience=chosen.get("audience") or "",
        description_html=chosen.get("description_html") or "",
        language=written_in,
        summary_language=summary_in,
        tags=tags,
        tags_language=version.language if tags == tuple(main.get("tags") or ()) else written_in,
    )


def get_enrollment(session: Session, user: User, course: Course) -> Enrollment | None:
    return session.scalar(
        select(Enrollment).where(Enrollment.user_id == user.id, Enrollment.course_id == course.id)
    )


def enroll(session: Session, user: User, course: Course, now: datetime) -> Enrollment:
    """Enrol the learner on the live version; enrolling twice changes nothing."""
    existing = get_enrollment(session, user, course)
    if existing is not None:
        return existing
    if user.company_id is None:
        raise LearningError("no-company")
    version = latest_version(session, course)
    if version is None:
        raise LearningError("no-version")
    enrollment = Enrollment(
        company_id=user.company_id,
        user_id=user.id,
        course_id=course.id,
        version_id=version.id,
        enrolled_at=now,
        counts_from=now,
    )
    session.add(enrollment)
    cells_changed(session, enrollment.company_id)
    session.flush()
    return enrollment


def course_progress(session: Session, enrollment: Enrollment, language: str) -> CourseProgress:
    """The status of every unit of the learner's version."""
    return progresses(session, [enrollment], language)[0]


# Built once: every learner page runs it, and building a statement costs more than
# running it. Plain columns: the rows are only read here, never changed.
_PROGRESS_OF = (
    select(
        UnitProgress.enrollment_id,
        UnitProgress.unit_id,
        UnitProgress.status,
        UnitProgress.completed_at,
    )
    .where(UnitProgress.enrollment_id.in_(bindparam("ids", expanding=True)))
    .order_by(UnitProgress.completed_at)
)


def progresses(
    session: Session, enrollments: Sequence[Enrollment], language: str
) -> list[CourseProgress]:
    """`course_progress` for several enrolments with one query for all their progress."""
    if not enrollments:
        return []
    rows = session.execute(_PROGRESS_OF, {"ids": [e.id for e in enrollments]}).all()
    result = []
    for enrollment in enrollments:
        by_unit = {
            row.unit_id: row
            for row in rows
            if row.enrollment_id == enrollment.id and row.completed_at >= enrollment.counts_from
        }
        states = []
        for unit in rendered_units(enrollment.version, language):
            row = by_unit.get(unit["id"])
            if row is not None:
                states.append(UnitState(unit, UnitStatus(row.status), row.completed_at))
            elif unit["type"] in LEARNER_COMPLETES:
                states.append(UnitState(unit, UnitStatus.OPEN, None))
            else:
                states.append(UnitState(unit, UnitStatus.PENDING, None))
        result.append(CourseProgress(enrollment, enrollment.version, tuple(states)))
    return result


def mark_lesson_done(
    session: Session, enrollment: Enrollment, unit_id: str, now: datetime
) -> CourseProgress:
    """Record that the learner read a lesson; doing it twice records it once."""
    units = {u["id"]: u for u in rendered_units(enrollment.version, enrollment.version.language)}
    unit = units.get(unit_id)
    if unit is None:
        raise LearningError("unknown-unit")
    if unit["type"] != "lesson":
        raise LearningError("not-a-lesson")
    if _record(session, enrollment, unit_id, UnitStatus.DONE, now):
        xapi.record(session, enrollment, "experienced", now, unit=unit_id)
    progress = course_progress(session, enrollment, enrollment.version.language)
    _complete_if_done(session, enrollment, progress, now)
    return progress


def record_quiz_passed(
    session: Session, enrollment: Enrollment, unit_id: str, now: datetime
) -> CourseProgress:
    """Record a passed quiz (called by the grading of an attempt)."""
    _record(session, enrollment, unit_id, UnitStatus.PASSED, now)
    progress = course_progress(session, enrollment, enrollment.version.language)
    _complete_if_done(session, enrollment, progress, now)
    return progress


def record_package_done(
    session: Session, enrollment: Enrollment, unit_id: str, passed: bool, now: datetime
) -> CourseProgress:
    """Record a package unit whose items are all done (`lms.packages.runtime` and the
    cmi5 statements decide that): "passed" if they passed by score, else "done"; once
    per round."""
    _record(session, enrollment, unit_id, UnitStatus.PASSED if passed else UnitStatus.DONE, now)
    progress = course_progress(session, enrollment, enrollment.version.language)
    _complete_if_done(session, enrollment, progress, now)
    return progress


# Who records what for the units a learner cannot complete alone.
RECORDED_BY_STAFF = {
    "in-person": UnitStatus.ATTENDED,
    "practical": UnitStatus.SIGNED_OFF,
    "handin": UnitStatus.ACCEPTED,
}


def record_outcome(
    session: Session, enrollment: Enrollment, unit_id: str, now: datetime
) -> CourseProgress:
    """Record that the learner attended an in-person unit or had a practical task signed off."""
    units = {u["id"]: u for u in rendered_units(enrollment.version, enrollment.version.language)}
    unit = units.get(unit_id)
    if unit is None:
        raise LearningError("unknown-unit")
    status = RECORDED_BY_STAFF.get(unit["type"])
    if status is None:
        raise LearningError("not-recorded-by-staff")
    _record(session, enrollment, unit_id, status, now)
    progress = course_progress(session, enrollment, enrollment.version.language)
    _complete_if_done(session, enrollment, progress, now)
    return progress


# Built once, as _PROGRESS_OF: handing in a quiz runs it while it holds the write
# lock on SQLite. The row is written without an ORM object (nothing reads it back
# as an object in the same request; pages read it with _PROGRESS_OF), and only if
# the unit is not recorded in this round yet: one statement instead of a look-up
# and an insert.
_RECORD_ONCE = (
    insert(UnitProgress)
    .from_select(
        [
            "company_id",
            "enrollment_id",
            "unit_id",
            "version_id",
            "status",
            "completed_at",
            "counts_from",
        ],
        select(
            bindparam("company_id", type_=UnitProgress.company_id.type),
            bindparam("enrollment_id", type_=UnitProgress.enrollment_id.type),
            bindparam("unit_id", type_=UnitProgress.unit_id.type),
            bindparam("version_id", type_=UnitProgress.version_id.type),
            bindparam("status", type_=UnitProgress.status.type),
            bindparam("completed_at", type_=UnitProgress.completed_at.type),
            bindparam("since", type_=UnitProgress.counts_from.type),
        ).where(
            ~select(UnitProgress.id)
            .where(
                UnitProgress.enrollment_id == bindparam("enrollment_id"),
                UnitProgress.unit_id == bindparam("unit_id"),
                UnitProgress.completed_at
                >= bindparam("since", type_=UnitProgress.completed_at.type),
            )
            # Its own FROM: correlated to the INSERT's table, PostgreSQL would see none.
            .correlate(None)
            .exists()
        ),
    )
    .returning(UnitProgress.id)
)


def _record(
    session: Session, enrollment: Enrollment, unit_id: str, status: UnitStatus, now: datetime
) -> bool:
    """Record a completed unit; False if it was recorded already in this round."""
    session.flush()  # what the session holds first, as a query would (autoflush)
    recorded = session.connection().execute(
        _RECORD_ONCE,
        {
            "company_id": enrollment.company_id,
            "enrollment_id": enrollment.id,
            "unit_id": unit_id,
            "version_id": enrollment.version_id,
            "status": status.value,
            "completed_at": now,
            "since": enrollment.counts_from,
        },
    )
    # The id it returns, not the row count: drivers differ in what they count here.
    return recorded.first() is not None


def _complete_if_done(
    session: Session, enrollment: Enrollment, progress: CourseProgress, now: datetime
) -> None:
    """Complete the module once every unit is complete, dated when the last requirement
    was met, whatever the order in which the units were recorded.

    That moment is the latest of the units' own completion moments: a lesson when it was
    marked done, a knowledge check when it was passed, a practical task when it was
    signed off, an in-person part when the session attended began (or at the check-in,
    if that came in the 30 minutes before; see `lms.in_person.booking.attendance_moment`).
    Attendance entered days after a session therefore dates the completion neither to
    the day it was entered nor back to the session when another unit was met later.
    """
    if enrollment.completed_at is not None or not progress.complete:
        return
    at = progress.last_requirement_met or now
    enrollment.completed_at = at
    done = Completion(
        company_id=enrollment.company_id,
        user_id=enrollment.user_id,
        enrollment_id=enrollment.id,
        course_id=enrollment.course_id,
        version_id=enrollment.version_id,
        completed_at=at,
        code=certificates.new_code(),
        valid_until=certificates.add_period(at, enrollment.version.valid_for),
    )
    session.add(done)
    xapi.record(session, enrollment, "completed", at)
    cells_changed(session, enrollment.company_id)
    session.flush()
    # The company's systems learn of it (webhook "completion.recorded"), in this
    # transaction. Training recorded elsewhere (ExternalRecord) is no such event.
    webhooks.emit(
        session,
        enrollment.company_id,
        webhook_events.COMPLETION_RECORDED,
        lambda: webhook_events.completion(session, done, enrollment),
        now,
        user_id=enrollment.user_id,
    )
    # A module launched from a company's learning platform (LTI) reports back there.
    lti_grades.queue_scores(session, enrollment, at, now)


def newer_version(session: Session, enrollment: Enrollment) -> CourseVersion | None:
    """The live version if it is newer than the learner's, else None."""
    live = latest_version(session, enrollment.course)
    if live is None or live.number <= enrollment.version.number:
        return None
    return live


def requalification_between(
    session: Session, enrollment: Enrollment, target: CourseVersion
) -> bool:
    """Whether a version after the learner's, up to `target`, asks for requalification."""
    return bool(
        session.scalar(
            select(CourseVersion.id)
            .where(
                CourseVersion.course_id == enrollment.course_id,
                CourseVersion.number > enrollment.version.number,
                CourseVersion.number <= target.number,
                CourseVersion.requalification.is_(True),
            )
            .limit(1)
        )
    )


def move_to_live_version(session: Session, enrollment: Enrollment, now: datetime) -> bool:
    """Move the learner to the live version; False if they are on it already.

    Completed units carry over by unit id. Across a requalification, nothing
    carries over and a completed course must be taken again (its completion
    stays on record).
    """
    live = newer_version(session, enrollment)
    if live is None:
        return False
    if requalification_between(session, enrollment, live):
        enrollment.counts_from = now
        enrollment.completed_at = None
    enrollment.version_id = live.id
    enrollment.version = live
    cells_changed(session, enrollment.company_id)
    session.flush()
    return True


def give_feedback(
    session: Session,
    enrollment: Enrollment,
    unit_id: str,
    rating: int,
    comment: str,
    now: datetime,
) -> UnitFeedback:
    """Store the learner's rating (1–5) and comment on a unit; a second time updates it."""
    units = {u["id"] for u in rendered_units(enrollment.version, enrollment.version.language)}
    if unit_id not in units:
        raise LearningError("unknown-unit")
    if not 1 <= rating <= 5:
        raise LearningError("bad-rating")
    feedback = session.scalar(
        select(UnitFeedback).where(
            UnitFeedback.user_id == enrollment.user_id,
            UnitFeedback.course_id == enrollment.course_id,
            UnitFeedback.unit_id == unit_id,
        )
    )
    if feedback is None:
        feedback = UnitFeedback(
            company_id=enrollment.company_id,
            user_id=enrollment.user_id,
            course_id=enrollment.course_id,
            unit_id=unit_id,
            created_at=now,
        )
        session.add(feedback)
    feedback.version_id = enrollment.version_id
    feedback.rating = rating
    feedback.comment = comment.strip()[:2000]
    feedback.updated_at = now
    session.flush()
    return feedback


def start_new_round(session: Session, enrollment: Enrollment, now: datetime) -> bool:
    """Take a completed course again (a recertification or requalification).

    Progress from the last round no longer counts and the learner moves to the
    live version; the completion and its certificate stay on record. False if
    the course is not completed (a round is under way already).
    """
    if enrollment.completed_at is None:
        return False
    live = latest_version(session, enrollment.course)
    if live is not None:
        enrollment.version_id = live.id
        enrollment.version = live
    enrollment.counts_from = now
    enrollment.completed_at = None
    cells_changed(session, enrollment.company_id)
    session.flush()
    return True
