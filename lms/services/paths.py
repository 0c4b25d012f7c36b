"""Following a learning path: where a person stands, which modules are still locked.

A module counts as done on a path once the person has completed it (a
completion that is not revoked, also from before the path was started). A
module of a path the person follows stays locked until every module named in
its `after` is done; the same module outside any followed path is never locked, and
neither is a module the person has already started (it is in progress).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.content.importer import live_versions, visible_to
from lms.models import (
    Completion,
    Course,
    CourseVersion,
    Enrollment,
    ExternalRecord,
    LearningPath,
    PathEnrollment,
    RecordStatus,
    User,
)
from lms.services import assignments, learning


class StepStatus(enum.StrEnum):
    DONE = "done"
    IN_PROGRESS = "in-progress"
    OPEN = "open"
    LOCKED = "locked"


@dataclass(frozen=True)
class Prerequisite:
    """A module to complete first, as a page names and links it."""

    slug: str
    title: str  # in the page's language where the module has it
    language: str  # of the title


@dataclass(frozen=True)
class StepState:
    course: Course
    version: CourseVersion
    status: StepStatus
    waits_for: tuple[Prerequisite, ...]  # the modules still to finish first
    texts: learning.CourseTexts  # the module's title and summary in the page's language


@dataclass(frozen=True)
class PathState:
    path: LearningPath
    steps: tuple[StepState, ...]
    following: bool

    @property
    def done(self) -> int:
        return sum(step.status is StepStatus.DONE for step in self.steps)

    @property
    def next_step(self) -> StepState | None:
        return next(
            (s for s in self.steps if s.status in (StepStatus.IN_PROGRESS, StepStatus.OPEN)), None
        )


def _done_courses(session: Session, user: User) -> set[int]:
    """The courses the person completed here, or elsewhere (a confirmed external
    record for the module), as the team's matrix counts them."""
    here = select(Completion.course_id).where(
        Completion.user_id == user.id, Completion.revoked_at.is_(None)
    )
    elsewhere = select(ExternalRecord.course_id).where(
        ExternalRecord.user_id == user.id,
        ExternalRecord.status == RecordStatus.CONFIRMED.value,
        ExternalRecord.course_id.is_not(None),
    )
    return {course_id for course_id in session.scalars(here.union(elsewhere)) if course_id}


def path_state(session: Session, user: User, path: LearningPath, language: str) -> PathState:
    """Each step of `path` for `user`: done, in progress, open, or locked (waiting for …)."""
    return path_states(session, user, [path], language)[0]


def path_states(
    session: Session, user: User, learning_paths: Sequence[LearningPath], language: str
) -> list[PathState]:
    """`path_state` for several paths with four queries in all."""
    if not learning_paths:
        return []
    slugs = {step["course"] for path in learning_paths for step in path.steps}
    versions = {course.slug: (course, version) for course, version in
                live_versions(session, Course.slug.in_(slugs))}  # fmt: skip
    done = _done_courses(session, user)
    started = set(
        session.scalars(select(Enrollment.course_id).where(Enrollment.user_id == user.id))
    )
    following = set(
        session.scalars(
            select(PathEnrollment.path_id).where(
                PathEnrollment.user_id == user.id,
                PathEnrollment.path_id.in_([p.id for p in learning_paths]),
            )
        )
    )
    texts = {
        slug: learning.course_texts(version, language) for slug, (_c, version) in versions.items()
    }
    states = []
    for path in learning_paths:
        steps = []
        for step in path.steps:
            found = versions.get(step["course"])
            if found is None:
                continue  # a module removed since the path was imported
            course, version = found
            missing = tuple(
                Prerequisite(slug, texts[slug].title, texts[slug].language)
                for slug in step["after"]
                if slug in versions and versions[slug][0].id not in done
            )
            if course.id in done:
                status = StepStatus.DONE
            elif course.id in started:
                status = StepStatus.IN_PROGRESS
            elif missing:
                status = StepStatus.LOCKED
            else:
                status = StepStatus.OPEN
            steps.append(StepState(course, version, status, missing, texts[step["course"]]))
        states.append(PathState(path, tuple(steps), path.id in following))
    return states


def locks(states: Sequence[PathState]) -> dict[int, tuple[Prerequisite, ...]]:
    """The modules the followed paths among `states` still lock (by course id), each with
    what to complete first."""
    found: dict[int, list[Prerequisite]] = {}
    for state in states:
        if not state.following:
            continue
        for step in state.steps:
            if step.status is StepStatus.LOCKED:
                first = found.setdefault(step.course.id, [])
                first += [module for module in step.waits_for if module not in first]
    return {course_id: tuple(first) for course_id, first in found.items()}


def waits_for(
    session: Session, user: User, course: Course, language: str
) -> tuple[Prerequisite, ...]:
    """The modules `user` must finish before starting `course`, by the paths they follow."""
    followed = session.scalars(
        select(LearningPath)
        .join(PathEnrollment, PathEnrollment.path_id == LearningPath.id)
        .where(PathEnrollment.user_id == user.id)
    ).all()
    relevant = [p for p in followed if any(step["course"] == course.slug for step in p.steps)]
    return locks(path_states(session, user, relevant, language)).get(course.id, ())


@dataclass(frozen=True)
class LearnerPaths:
    """The learning paths of a learner's start page, and the modules they still lock."""

    states: list[PathState]  # those followed first, then those open to the company
    locks: dict[int, tuple[Prerequisite, ...]]  # by course id: what to complete first


def learner_paths(session: Session, user: User, language: str) -> LearnerPaths:
    """The paths `user` follows or their company may follow, and what they lock, in six
    queries whatever the number of paths and modules."""
    every = session.scalars(select(LearningPath).order_by(LearningPath.title)).all()
    offered = set(_offered(session, every, user.company_id))
    states = [
        state
        for state in path_states(session, user, every, language)
        if state.following or state.path in offered
    ]
    return LearnerPaths(sorted(states, key=lambda state: not state.following), locks(states))


def paths_for(session: Session, company_id: int | None) -> list[LearningPath]:
    """The paths whose every module the company sees in its catalogue (two queries)."""
    every = session.scalars(select(LearningPath).order_by(LearningPath.title)).all()
    return _offered(session, every, company_id)


def is_offered(session: Session, path: LearningPath, company_id: int | None) -> bool:
    """Whether the company sees every module of `path` in its catalogue (one query)."""
    return bool(_offered(session, [path], company_id))


def _offered(
    session: Session, every: Sequence[LearningPath], company_id: int | None
) -> list[LearningPath]:
    if not every:
        return []
    slugs = {step["course"] for path in every for step in path.steps}
    query = select(Course.slug).where(Course.slug.in_(slugs))
    if company_id is not None:
        query = query.where(visible_to(company_id))
    seen = set(session.scalars(query))
    return [path for path in every if all(step["course"] in seen for step in path.steps)]


def follow(session: Session, user: User, path: LearningPath, now: datetime) -> PathEnrollment:
    """Start following a path; doing it twice changes nothing."""
    existing = session.scalar(
        select(PathEnrollment).where(
            PathEnrollment.user_id == user.id, PathEnrollment.path_id == path.id
        )
    )
    if existing is not None:
        return existing
    if user.company_id is None:
        raise learning.LearningError("no-company")
    row = PathEnrollment(company_id=user.company_id, user_id=user.id, path_id=path.id,
                         started_at=now)  # fmt: skip
    session.add(row)
    session.flush()
    return row


def assign_path(
    session: Session,
    actor: Actor,
    company_id: int,
    path: LearningPath,
    people: Sequence[User],
    due_on: date,
    note: str,
    now: datetime,
) -> int:
    """Assign every module of the path to the people (of the company `company_id`), due on
    one day, and let them follow it; the audit entry ("assignment.path") names whom.
    Returns the number of assignments made."""
    courses = {
        c.slug: c
        for c in session.scalars(
            select(Course).where(Course.slug.in_([s["course"] for s in path.steps]))
        )
    }
    made = 0
    for step in path.steps:
        course = courses.get(step["course"])
        if course is None:
            continue
        made += assignments.assign_to_people(
            session, actor.user, course, people, due_on, note, now
        ).total
    for person in people:
        follow(session, person, path, now)
    audit.record(
        session,
        actor,
        "assignment.path",
        company_id,
        now,
        subject=path.slug,
        subject_id=path.id,
        changes={
            "to": [None, ", ".join(p.display_name for p in people)],
            "due_on": [None, due_on.isoformat()],
            "assignments": [None, made],
        },
    )
    return made
