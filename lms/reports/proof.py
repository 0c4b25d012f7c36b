"""The proof of instruction ("Unterweisungsnachweis") of one module for a period.

One line per completion in the period, of the people in scope (also a training
done elsewhere that a manager confirmed for the module, marked as external): the content
version, when the online part was done, every in-person session attended for it (fully
or partly) with its trainers, every sign-off of an on-the-job task, each with its own
date, each package unit played (SCORM, cmi5: the package's identifier and version, passed
or completed), and, only where the company's privacy level allows it, the knowledge-check
result and the package's score, time and attempts.

A completion's evidence is what came after the person's previous completion of the
module, up to this one; a session counts from 30 minutes before its start, when a
check-in was possible (`evidence.counts_by`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.clock import day_start
from lms.models import (
    Completion,
    CourseVersion,
    Department,
    ExternalRecord,
    QuizAttempt,
    RecordStatus,
    UnitProgress,
    User,
)
from lms.packages.reporting import PackageResult, results_of_completions
from lms.reports.evidence import Attended, SignedOff, evidence


@dataclass(frozen=True)
class ProofLine:
    name: str
    department: str
    version: int | None  # None: training done elsewhere
    online_done: datetime | None
    sessions: tuple[Attended, ...]  # every session attended for it, fully or partly
    signoffs: tuple[SignedOff, ...]  # every sign-off of an on-the-job task
    result: Decimal | None  # best knowledge-check percentage, when results may be shown
    completed_at: datetime
    certificate: str
    external: str = ""  # training done elsewhere: its title and provider
    packages: tuple[PackageResult, ...] = ()  # each package unit played for it


@dataclass(frozen=True)
class Proof:
    lines: tuple[ProofLine, ...]
    with_results: bool

    @property
    def with_packages(self) -> bool:
        """Whether a line played a package (the proof then has columns for them)."""
        return any(line.packages for line in self.lines)


def proof_of_instruction(
    session: Session,
    company_id: int,
    course_id: int,
    start: date,
    end: date,
    *,
    department_ids: list[int] | None,
    with_results: bool,
    language: str = "",
) -> Proof:
    """The proof for completions from `start` to `end` (calendar days, inclusive); unit
    titles in `language` where the version has it."""
    begin, finish = day_start(start), day_start(date.fromordinal(end.toordinal() + 1))
    query = (
        select(Completion, User.display_name, Department.name, CourseVersion.number)
        .join(User, User.id == Completion.user_id)
        .join(CourseVersion, CourseVersion.id == Completion.version_id)
        .outerjoin(Department, Department.id == User.department_id)
        .where(
            Completion.company_id == company_id,
            Completion.course_id == course_id,
            Completion.completed_at >= begin,
            Completion.completed_at < finish,
        )
        .order_by(User.display_name, Completion.completed_at)
    )
    if department_ids is not None:
        query = query.where(User.department_id.in_(department_ids))
    rows = session.execute(query).all()
    found = evidence(session, course_id, {c.user_id for c, *_ in rows})
    previous = _previous_completions(session, company_id, course_id, [c for c, *_ in rows])
    online = _online_done(session, [c for c, *_ in rows])
    results = _best_results(session, [c for c, *_ in rows]) if with_results else {}
    packages = results_of_completions(
        session, [c for c, *_ in rows], language, with_results=with_results
    )
    lines = []
    for completion, name, department, number in rows:
        proof = found[completion.user_id].between(
            previous.get(completion.id), completion.completed_at
        )
        lines.append(
            ProofLine(
                name=name,
                department=department or "",
                version=number,
                online_done=online.get(completion.id),
                sessions=tuple(proof.sessions),
                signoffs=tuple(proof.signoffs),
                result=results.get(completion.id),
                completed_at=completion.completed_at,
                certificate=completion.code or "",
                packages=tuple(packages.get(completion.id, ())),
            )
        )
    lines.extend(_external_lines(session, company_id, course_id, begin, finish, department_ids))
    lines.sort(key=lambda line: (line.name, line.completed_at))
    return Proof(tuple(lines), with_results)


def _external_lines(
    session: Session,
    company_id: int,
    course_id: int,
    begin: datetime,
    finish: datetime,
    department_ids: list[int] | None,
) -> list[ProofLine]:
    """Confirmed training done elsewhere that counts for the module, in the period."""
    query = (
        select(ExternalRecord, User.display_name, Department.name)
        .join(User, User.id == ExternalRecord.user_id)
        .outerjoin(Department, Department.id == User.department_id)
        .where(
            ExternalRecord.company_id == company_id,
            ExternalRecord.course_id == course_id,
            ExternalRecord.status == RecordStatus.CONFIRMED.value,
            ExternalRecord.completed_at >= begin,
            ExternalRecord.completed_at < finish,
        )
    )
    if department_ids is not None:
        query = query.where(User.department_id.in_(department_ids))
    return [
        ProofLine(
            name=name,
            department=department or "",
            version=None,
            online_done=None,
            sessions=(),
            signoffs=(),
            result=None,
            completed_at=record.completed_at,
            certificate="",
            external=", ".join(part for part in (record.title, record.provider) if part),
        )
        for record, name, department in session.execute(query)
    ]


def _previous_completions(
    session: Session, company_id: int, course_id: int, completions: list[Completion]
) -> dict[int, datetime]:
    """When each person completed the module the time before each completion, if ever."""
    if not completions:
        return {}
    earlier = session.execute(
        select(Completion.user_id, Completion.completed_at).where(
            Completion.company_id == company_id,
            Completion.course_id == course_id,
            Completion.user_id.in_({c.user_id for c in completions}),
            Completion.completed_at < max(c.completed_at for c in completions),
        )
    ).all()
    result: dict[int, datetime] = {}
    for completion in completions:
        times = [
            at
            for user_id, at in earlier
            if user_id == completion.user_id and at < completion.completed_at
        ]
        if times:
            result[completion.id] = max(times)
    return result


def _online_done(session: Session, completions: list[Completion]) -> dict[int, datetime]:
    """When the last lesson or quiz before each completion was done."""
    if not completions:
        return {}
    rows = session.execute(
        select(UnitProgress.enrollment_id, UnitProgress.completed_at).where(
            UnitProgress.enrollment_id.in_([c.enrollment_id for c in completions]),
            UnitProgress.status.in_(["done", "passed"]),
        )
    ).all()
    result: dict[int, datetime] = {}
    for completion in completions:
        times = [
            at
            for enrollment_id, at in rows
            if enrollment_id == completion.enrollment_id and at <= completion.completed_at
        ]
        if times:
            result[completion.id] = max(times)
    return result


def _best_results(session: Session, completions: list[Completion]) -> dict[int, Decimal]:
    """The best submitted knowledge-check percentage of each completion's enrolment."""
    if not completions:
        return {}
    best: dict[int, Decimal | None] = dict(
        session.execute(
            select(QuizAttempt.enrollment_id, func.max(QuizAttempt.percent))
            .where(
                QuizAttempt.enrollment_id.in_([c.enrollment_id for c in completions]),
                QuizAttempt.status == "submitted",
            )
            .group_by(QuizAttempt.enrollment_id)
        ).all()
    )
    result = {}
    for completion in completions:
        value = best.get(completion.enrollment_id)
        if value is not None:
            result[completion.id] = value
    return result
