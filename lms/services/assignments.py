"""Assigning courses: to people, to a department or to the whole company.

Plain functions over a session; they flush and never commit. Every person
has at most one open assignment per course; a new one replaces it (the
manager's latest word counts) and the replaced row stays as history. A
department or company assignment is also a standing rule: people who join
later receive it with `newcomer_days` to do it.

Nothing here ends an assignment when the course is completed: whether it is
fulfilled, expiring or expired follows from the completions (see
`lms.reports.compliance`), so a yearly recertification needs no new row. A
new course version that asks for requalification does make a new row, which
earlier completions do not fulfil.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import (
    Assignment,
    AssignmentRule,
    Company,
    Course,
    CourseVersion,
    Department,
    User,
)
from lms.notices import service as notices
from lms.reports.compliance import cells_changed

MIN_NEWCOMER_DAYS = 14


class AssignmentError(ValueError):
    """An assignment that cannot be made; `code` names why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class AssignResult:
    """How many people got the course newly, and how many had it already (now replaced)."""

    created: int = 0
    replaced: int = 0

    @property
    def total(self) -> int:
        return self.created + self.replaced


def open_assignments(
    session: Session, user_ids: Iterable[int], course_id: int
) -> dict[int, Assignment]:
    ids = list(user_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(Assignment).where(
            Assignment.user_id.in_(ids),
            Assignment.course_id == course_id,
            Assignment.ended_at.is_(None),
        )
    )
    return {row.user_id: row for row in rows}


def _end(assignment: Assignment, reason: str, actor: User | None, now: datetime) -> None:
    assignment.ended_at = now
    assignment.ended_reason = reason
    assignment.ended_by_id = actor.id if actor is not None else None


def assign_to_people(
    session: Session,
    actor: User | None,
    course: Course,
    people: Sequence[User],
    due_on: date,
    note: str,
    now: datetime,
    *,
    reason: str = "person",
    retake: bool = False,
    rule: AssignmentRule | None = None,
) -> AssignResult:
    """Give each person an open assignment of `course` due on `due_on`.

    With `retake`, completions before `now` no longer count: people who have
    completed the course must take it again.
    """
    result = AssignResult()
    existing = open_assignments(session, (p.id for p in people), course.id)
    satisfied_after = now if retake else None
    for person in people:
        if person.company_id is None:
            raise AssignmentError("no-company")
        old = existing.get(person.id)
        keep_after = satisfied_after
        if old is not None:
            if old.satisfied_after is not None and (
                keep_after is None or old.satisfied_after > keep_after
            ):
                keep_after = old.satisfied_after
            _end(old, "replaced", actor, now)
            result.replaced += 1
        else:
            result.created += 1
        # The replaced row must be closed before the new one exists (one open row each).
        session.flush()
        session.add(
            Assignment(
                company_id=person.company_id,
                user_id=person.id,
                course_id=course.id,
                rule_id=rule.id if rule is not None else None,
                due_on=due_on,
                note=note.strip()[:500],
                reason=reason,
                satisfied_after=keep_after,
                assigned_by_id=actor.id if actor is not None else None,
                assigned_at=now,
            )
        )
    cells_changed(session, *{p.company_id for p in people})
    session.flush()
    notices.post_assigned(session, people, course, due_on, now)
    return result


def members(session: Session, company_id: int, department_id: int | None) -> list[User]:
    """The active people of a department, or of the whole company."""
    stmt = select(User).where(User.company_id == company_id, User.is_active.is_(True))
    if department_id is not None:
        stmt = stmt.where(User.department_id == department_id)
    return list(session.scalars(stmt.order_by(User.id)))


def assign_to_group(
    session: Session,
    actor: User | None,
    company: Company,
    course: Course,
    department: Department | None,
    due_on: date,
    note: str,
    now: datetime,
    *,
    today: date,
    retake: bool = False,
) -> tuple[AssignmentRule, AssignResult]:
    """Assign `course` to a department (or the whole company) as a standing rule."""
    if department is not None and department.company_id != company.id:
        raise AssignmentError("wrong-company")
    rule = AssignmentRule(
        company_id=company.id,
        course_id=course.id,
        department_id=department.id if department is not None else None,
        due_on=due_on,
        newcomer_days=max(MIN_NEWCOMER_DAYS, (due_on - today).days),
        note=note.strip()[:500],
        created_by_id=actor.id if actor is not None else None,
        created_at=now,
    )
    session.add(rule)
    session.flush()
    people = members(session, company.id, rule.department_id)
    reason = "department" if department is not None else "company"
    result = assign_to_people(
        session, actor, course, people, due_on, note, now, reason=reason, retake=retake, rule=rule
    )
    return rule, result


def assign_course(
    session: Session,
    actor: Actor,
    company: Company,
    course: Course,
    *,
    people: Sequence[User] | None,
    department: Department | None,
    due_on: date,
    note: str,
    now: datetime,
    today: date,
    retake: bool = False,
) -> AssignResult:
    """Assign `course` to `people`, or (`people` None) to `department` or, without one,
    the whole company as a standing rule; the audit entry names whom and how many."""
    if people is not None:
        result = assign_to_people(
            session, actor.user, course, people, due_on, note, now, retake=retake
        )
        target = ", ".join(p.display_name for p in people)
    else:
        _rule, result = assign_to_group(
            session, actor.user, company, course, department, due_on, note, now,
            today=today, retake=retake,
        )  # fmt: skip
        target = department.name if department is not None else company.name
    audit.record(
        session,
        actor,
        "assignment.create",
        company.id,
        now,
        subject=course.slug,
        subject_id=course.id,
        changes={
            "to": [None, target],
            "due_on": [None, due_on.isoformat()],
            "people": [None, result.total],
            "retake": [None, retake],
        },
    )
    return result


def withdraw(session: Session, actor: Actor, assignment: Assignment, now: datetime) -> None:
    """Withdraw one person's assignment (it stays in the history)."""
    if assignment.ended_at is None:
        _end(assignment, "withdrawn", actor.user, now)
        cells_changed(session, assignment.company_id)
        session.flush()
    person = session.get(User, assignment.user_id)
    audit.record(session, actor, "assignment.withdraw", assignment.company_id, now,
                 subject=person.display_name if person is not None else "",
                 subject_id=assignment.id)  # fmt: skip


def withdraw_rule(session: Session, actor: Actor, rule: AssignmentRule, now: datetime) -> int:
    """Withdraw a department or company assignment and the open assignments it made;
    returns how many people it is withdrawn from."""
    ended = 0
    if rule.withdrawn_at is None:
        rule.withdrawn_at = now
        rule.withdrawn_by_id = actor.user_id
        rows = session.scalars(
            select(Assignment).where(Assignment.rule_id == rule.id, Assignment.ended_at.is_(None))
        ).all()
        for row in rows:
            _end(row, "withdrawn", actor.user, now)
        cells_changed(session, rule.company_id)
        session.flush()
        ended = len(rows)
    audit.record(session, actor, "assignment.withdraw", rule.company_id, now,
                 subject=f"rule {rule.id}", subject_id=rule.id,
                 changes={"people": [ended, 0]})  # fmt: skip
    return ended


def active_rules(session: Session, company_id: int) -> list[AssignmentRule]:
    return list(
        session.scalars(
            select(AssignmentRule)
            .where(AssignmentRule.company_id == company_id, AssignmentRule.withdrawn_at.is_(None))
            .order_by(AssignmentRule.created_at.desc())
        )
    )


def apply_rules_to_newcomer(session: Session, user: User, now: datetime, today: date) -> int:
    """Give a person who joined (or moved to) a department its standing assignments.

    Each is due on the rule's date, but no sooner than `newcomer_days` from
    today. Courses the person has open already are left alone.
    """
    return apply_rules_to_newcomers(session, [user], now, today)


def apply_rules_to_newcomers(
    session: Session, users: Sequence[User], now: datetime, today: date
) -> int:
    """`apply_rules_to_newcomer` for many people at once: a few queries, one flush.

    Each person gets exactly what the single call would give them; returns how
    many assignments were made in all.
    """
    people = [u for u in users if u.company_id is not None and u.is_active]
    if not people:
        return 0
    company_ids = sorted({u.company_id for u in people if u.company_id is not None})
    rules: dict[int, list[AssignmentRule]] = {company_id: [] for company_id in company_ids}
    for rule in session.scalars(
        select(AssignmentRule)
        .where(AssignmentRule.company_id.in_(company_ids), AssignmentRule.withdrawn_at.is_(None))
        .order_by(AssignmentRule.id)
    ):
        rules[rule.company_id].append(rule)
    have: dict[int, set[int]] = {u.id: set() for u in people}
    ids = list(have)
    for start in range(0, len(ids), 500):
        for user_id, course_id in session.execute(
            select(Assignment.user_id, Assignment.course_id).where(
                Assignment.user_id.in_(ids[start : start + 500]), Assignment.ended_at.is_(None)
            )
        ):
            have[user_id].add(course_id)
    made: list[tuple[User, AssignmentRule, date]] = []
    for user in people:
        assert user.company_id is not None
        open_courses = have[user.id]
        for rule in rules[user.company_id]:
            if rule.department_id not in (None, user.department_id):
                continue
            if rule.course_id in open_courses:
                continue
            due = max(rule.due_on, today + timedelta(days=rule.newcomer_days))
            session.add(
                Assignment(
                    company_id=user.company_id,
                    user_id=user.id,
                    course_id=rule.course_id,
                    rule_id=rule.id,
                    due_on=due,
                    note=rule.note,
                    reason="newcomer",
                    assigned_by_id=rule.created_by_id,
                    assigned_at=now,
                )
            )
            open_courses.add(rule.course_id)
            made.append((user, rule, due))
    if made:
        cells_changed(session, *{u.company_id for u in people})
    session.flush()
    notices.post_many(
        session, [(user, notices.ASSIGNED, notices.assigned_params(rule.course, due))
                  for user, rule, due in made], now
    )  # fmt: skip
    return len(made)


def requalify(session: Session, version: CourseVersion, now: datetime, today: date) -> int:
    """A new version asks for requalification: every open assignment of the course is due again.

    Completions before the new version no longer fulfil it; each person gets the
    company's lead time (`recertification_lead_days`) to requalify.
    """
    rows = session.execute(
        select(Assignment, Company.recertification_lead_days)
        .join(Company, Company.id == Assignment.company_id)
        .where(Assignment.course_id == version.course_id, Assignment.ended_at.is_(None))
    ).all()
    for old, _lead_days in rows:
        _end(old, "replaced", None, now)
    session.flush()
    for old, lead_days in rows:
        session.add(
            Assignment(
                company_id=old.company_id,
                user_id=old.user_id,
                course_id=old.course_id,
                rule_id=old.rule_id,
                due_on=max(old.due_on, today + timedelta(days=lead_days)),
                note=old.note,
                reason="requalification",
                satisfied_after=now,
                assigned_at=now,
            )
        )
    cells_changed(session, *{old.company_id for old, _lead_days in rows})
    session.flush()
    return len(rows)


def history(session: Session, user: User) -> list[Assignment]:
    """Every assignment of a person, open and ended, newest first."""
    return list(
        session.scalars(
            select(Assignment)
            .where(Assignment.user_id == user.id)
            .order_by(Assignment.assigned_at.desc(), Assignment.id.desc())
        )
    )
