"""This week's to-dos of a manager's team: the printable list, and how many people
without an e-mail address have something to do (the team page's hint and the weekly
digest, lms/services/reminders.py).

People without an address get no reminder mails: `lms reminders` posts their
reminders as notices, which they see only once they sign in. So the foreman prints
this list, with the company's sign-in code, and hands it round or hangs it up.

"This week" is what needs doing now: an assignment overdue or due within `WEEK_DAYS`
days and not done, a certificate expiring (within the company's lead time) or expired.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, and_, distinct, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.selectable import Subquery

from lms.clock import today
from lms.models import Company, Department, User
from lms.permissions import managed_department_ids
from lms.reports.compliance import (
    STATE_ORDER,
    CellState,
    Scope,
    cached_for_scope,
    cells,
    course_titles,
    title_languages,
)

WEEK_DAYS = 7
# Whatever its due date: it needs doing (or renewing) now.
_URGENT = (CellState.OVERDUE, CellState.EXPIRED, CellState.EXPIRING)
_NOT_DONE = (CellState.NOT_STARTED, CellState.IN_PROGRESS)


def due_this_week(state: CellState, due_on: date, local_today: date) -> bool:
    """Whether an assignment in `state`, due on `due_on`, is on this week's list."""
    if state in _URGENT:
        return True
    return state in _NOT_DONE and due_on <= local_today + timedelta(days=WEEK_DAYS)


def _due_this_week(cell_rows: Subquery, local_today: date) -> ColumnElement[bool]:
    """`due_this_week` in SQL, over the rows of `compliance.cells`."""
    c = cell_rows.c
    return or_(
        c.state.in_([s.value for s in _URGENT]),
        and_(
            c.state.in_([s.value for s in _NOT_DONE]),
            c.due_on <= local_today + timedelta(days=WEEK_DAYS),
        ),
    )


def without_email() -> ColumnElement[bool]:
    """People without an e-mail address (`User.has_email` in SQL)."""
    return or_(User.email.is_(None), User.email == "")


def count_without_email(session: Session, scope: Scope) -> int:
    """How many people without an e-mail address in `scope` have something to do this
    week: one query, kept in the cache with the team's figures (`cached_for_scope`:
    per company revision, day and departments; a changed address raises the revision)."""

    def count() -> int:
        cell_rows = cells(scope)
        stmt = (
            select(func.count(distinct(cell_rows.c.user_id)))
            .join(User, User.id == cell_rows.c.user_id)
            .where(without_email(), _due_this_week(cell_rows, scope.today))
        )
        return session.scalar(stmt) or 0

    return cached_for_scope(scope, ("to-do-without-email", WEEK_DAYS), count)


@dataclass(frozen=True)
class Line:
    """One thing one person has to do: a module, its state and the day that matters
    (the due date; the end of validity of an expiring or expired certificate)."""

    user_id: int
    name: str
    personnel_number: str | None
    department: str | None
    course_id: int
    title: str
    title_language: str
    state: CellState
    on: date


@dataclass(frozen=True)
class ToDoList:
    company: Company
    day: date  # the list's day, in the platform's time zone
    until: date  # the last day of "this week"
    departments: tuple[str, ...]  # the manager's departments; empty: the whole company
    without_email: tuple[Line, ...]  # people without an address (no reminder mails)
    with_email: tuple[Line, ...]

    @property
    def people_without_email(self) -> int:
        return len({line.user_id for line in self.without_email})

    @property
    def people_with_email(self) -> int:
        return len({line.user_id for line in self.with_email})


def this_week(session: Session, manager: User, now: datetime, lang: str) -> ToDoList:
    """The manager's list for this week: the people in their reach (their company,
    their departments if they are limited to some), each person's modules most urgent
    first, people without an e-mail address apart. Course titles in `lang`."""
    company = manager.company
    assert company is not None, "a manager belongs to a company"
    local_today = today(now)
    limited = managed_department_ids(manager)
    scope = Scope.of(company, now, local_today, limited)
    cell_rows = cells(scope)
    c = cell_rows.c
    rows = session.execute(
        select(
            c.user_id,
            c.course_id,
            c.state,
            c.due_on,
            c.valid_until,
            User.display_name,
            User.email,
            User.personnel_number,
            Department.name,
        )
        .join(User, User.id == c.user_id)
        .outerjoin(Department, Department.id == User.department_id)
        .where(_due_this_week(cell_rows, local_today))
        .order_by(User.display_name, User.id)
    ).all()
    course_ids = sorted({row.course_id for row in rows})
    titles = course_titles(session, course_ids, lang)
    languages = title_languages(session, course_ids, lang)
    lines: list[Line] = []
    position: dict[int, int] = {}  # each person's place in the order of names
    with_address: set[int] = set()
    for row in rows:
        position.setdefault(row.user_id, len(position))
        if row.email:
            with_address.add(row.user_id)
        state = CellState(row.state)
        renewal = state in (CellState.EXPIRING, CellState.EXPIRED) and row.valid_until
        lines.append(
            Line(
                user_id=row.user_id,
                name=row.display_name,
                personnel_number=row.personnel_number,
                department=row.name,
                course_id=row.course_id,
                title=titles.get(row.course_id, "?"),
                title_language=languages.get(row.course_id, lang),
                state=state,
                on=today(row.valid_until) if renewal else row.due_on,
            )
        )
    # By name, then each person's most urgent module first.
    lines.sort(
        key=lambda line: (
            position[line.user_id],
            STATE_ORDER.index(line.state),
            line.on,
            line.title.casefold(),
        )
    )
    departments = tuple(d.name for d in manager.managed_departments) if limited else ()
    return ToDoList(
        company=company,
        day=local_today,
        until=local_today + timedelta(days=WEEK_DAYS),
        departments=departments,
        without_email=tuple(line for line in lines if line.user_id not in with_address),
        with_email=tuple(line for line in lines if line.user_id in with_address),
    )
