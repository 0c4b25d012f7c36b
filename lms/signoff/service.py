"""Practical tasks (a course's `practical` units; "Praxisaufgabe", in English "on-the-job
task"): the supervisor or trainer ticks the checklist and signs the task off.

Who may sign off a learner's task: a manager of the learner's company who sees the
learner's department (a manager limited to departments only those), or a trainer
who serves the learner's company. Nobody signs off their own task. A sign-off
needs every checklist item ticked; it completes the unit for the current round.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import Enrollment, PracticalSignoff, Role, User
from lms.services import learning


class SignoffError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def may_sign_off(signer: User, learner: User) -> bool:
    if signer.id == learner.id or learner.company_id is None:
        return False
    if signer.has_role(Role.TRAINER) and any(
        company.id == learner.company_id for company in signer.trainer_companies
    ):
        return True
    if signer.has_role(Role.MANAGER) and signer.company_id == learner.company_id:
        limited = [d.id for d in signer.managed_departments]
        return not limited or learner.department_id in limited
    return False


def practical_unit(enrollment: Enrollment, unit_id: str) -> dict[str, Any]:
    unit = learning.unit_of_type(enrollment, unit_id, "practical")
    if unit is None:
        raise SignoffError("not-practical")
    return unit


def current(session: Session, enrollment: Enrollment, unit_id: str) -> PracticalSignoff | None:
    """The checklist of the enrolment's current round, if anyone has started it."""
    return session.scalar(
        select(PracticalSignoff).where(
            PracticalSignoff.enrollment_id == enrollment.id,
            PracticalSignoff.unit_id == unit_id,
            PracticalSignoff.counts_from == enrollment.counts_from,
        )
    )


def save(
    session: Session,
    actor: Actor,
    enrollment: Enrollment,
    unit_id: str,
    ticked: Iterable[str],
    comment: str,
    *,
    sign: bool,
    now: datetime,
) -> PracticalSignoff:
    """Keep the ticked items and the comment; with `sign`, sign the task off (by
    `actor`, who has been checked with `may_sign_off`). Written to the audit log.

    A signed-off task stays as it is (a new round starts a new checklist).
    """
    unit = practical_unit(enrollment, unit_id)
    items = [item["id"] for item in unit["checklist"]]
    chosen = [item for item in items if item in set(ticked)]
    row = current(session, enrollment, unit_id)
    if row is not None and row.signed_off_at is not None:
        raise SignoffError("signed-off-already")
    if sign and len(chosen) != len(items):
        raise SignoffError("not-all-ticked")
    if row is None:
        row = PracticalSignoff(
            company_id=enrollment.company_id,
            user_id=enrollment.user_id,
            enrollment_id=enrollment.id,
            course_id=enrollment.course_id,
            unit_id=unit_id,
            counts_from=enrollment.counts_from,
        )
        session.add(row)
    row.version_id = enrollment.version_id
    row.ticked = chosen
    row.comment = comment.strip()[:1000]
    row.updated_by_id = actor.user_id
    row.updated_at = now
    if sign:
        row.signed_off_by_id = actor.user_id
        row.signed_off_at = now
    session.flush()
    if sign:
        learning.record_outcome(session, enrollment, unit_id, now)
    learner = session.get(User, enrollment.user_id)
    assert learner is not None
    audit.record(
        session,
        actor,
        "signoff.sign" if sign else "signoff.tick",
        learner.company_id,
        now,
        subject=f"{learner.display_name}: {unit['title']}",
        subject_id=row.id,
        changes={"ticked": [None, len(row.ticked)], "comment": [None, row.comment]},
    )
    return row


@dataclass(frozen=True)
class OpenPracticalTask:
    """A practical unit of an enrolment that is not signed off in the current round."""

    enrollment: Enrollment
    unit: dict[str, Any]
    ticked: int


def open_practical_tasks(
    session: Session, learners: Iterable[User], language: str
) -> list[OpenPracticalTask]:
    """Every practical task of these learners still waiting for a sign-off."""
    by_id = {learner.id: learner for learner in learners}
    if not by_id:
        return []
    enrollments = list(
        session.scalars(select(Enrollment).where(Enrollment.user_id.in_(list(by_id))))
    )
    progress = learning.progresses(session, enrollments, language)
    started = {
        (row.enrollment_id, row.unit_id, row.counts_from): len(row.ticked)
        for row in session.scalars(
            select(PracticalSignoff).where(
                PracticalSignoff.enrollment_id.in_([e.id for e in enrollments])
            )
        )
    }
    tasks = []
    for course_progress in progress:
        enrollment = course_progress.enrollment
        for state in course_progress.units:
            if state.unit["type"] == "practical" and not state.complete:
                key = (enrollment.id, state.unit["id"], enrollment.counts_from)
                tasks.append(OpenPracticalTask(enrollment, state.unit, started.get(key, 0)))
    return tasks
