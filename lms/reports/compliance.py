"""The team's compliance: the state of every open assignment, computed in SQL.

Each cell of the matrix (a person and an assigned course) is in one state:

- completed: a completion fulfils the assignment and its certificate is valid;
- expiring: it is valid, but runs out within the company's lead time
  (a recertification is due by then);
- expired: the certificate has run out and no new completion followed;
- overdue: not fulfilled, and the due date has passed;
- in progress: not fulfilled, the person has started the course;
- not started: none of these.

The state is one SQL expression (`cells`), so that pages, counts, filters and
exports agree and the work stays in the database however large the team.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, NamedTuple, TypeVar, cast

from sqlalchemy import (
    Select,
    and_,
    bindparam,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
    update,
)
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import BindParameter
from sqlalchemy.sql.selectable import Subquery

from lms.cache import remembered
from lms.clock import day_start
from lms.models import (
    Assignment,
    Company,
    Completion,
    CourseVersion,
    Department,
    Enrollment,
    ExternalRecord,
    RecordStatus,
    User,
)

PAGE_SIZE = 50

T = TypeVar("T")


class CellState(enum.StrEnum):
    NOT_STARTED = "not_started"
    IN_PROGRESS = "in_progress"
    COMPLETED = "completed"
    EXPIRING = "expiring"
    OVERDUE = "overdue"
    EXPIRED = "expired"


# In the order a manager reads them: what needs action first.
STATE_ORDER = (
    CellState.OVERDUE,
    CellState.EXPIRED,
    CellState.EXPIRING,
    CellState.NOT_STARTED,
    CellState.IN_PROGRESS,
    CellState.COMPLETED,
)
PROBLEM_STATES = (CellState.OVERDUE, CellState.EXPIRED)

SORTS = ("name", "department", "problems")


@dataclass(frozen=True)
class Scope:
    """Whose cells: one company, maybe limited to departments, at one moment.

    `revision` (the company's creation time and `Company.revision`) lets the
    counts over the whole team be cached until something changes; None: no cache.
    """

    company_id: int
    now: datetime
    today: date
    lead_days: int
    department_ids: Sequence[int] | None = None  # None: the whole company
    revision: tuple[datetime, int] | None = None

    @classmethod
    def of(
        cls, company: Company, moment: datetime, today: date, department_ids: Sequence[int] | None
    ) -> Scope:
        """The scope of a page, with the company's revision for the caches."""
        return cls(
            company.id,
            moment,
            today,
            company.recertification_lead_days,
            None if department_ids is None else tuple(department_ids),
            (company.created_at, company.revision),
        )


@dataclass(frozen=True)
class Filters:
    department_id: int | None = None
    course_id: int | None = None
    state: CellState | None = None
    sort: str = "name"
    page: int = 1


class Cell(NamedTuple):
    """One person's open assignment of one course, and its state (a tuple: pages make
    thousands of them)."""

    user_id: int
    course_id: int
    assignment_id: int
    state: CellState
    due_on: date
    completed_at: datetime | None
    valid_until: datetime | None
    external: bool = False  # fulfilled by a training recorded as done elsewhere

    @property
    def renewal_due(self) -> datetime | None:
        """When a recertification is due: the end of the current certificate's validity."""
        return self.valid_until if self.state in (CellState.EXPIRING, CellState.EXPIRED) else None


@dataclass(frozen=True)
class Row:
    user_id: int
    name: str
    email: str | None  # None: a learner without an address (issue 19)
    department_id: int | None
    problems: int
    personnel_number: str | None = None


@dataclass
class Matrix:
    rows: list[Row]
    courses: list[tuple[int, str]]  # (course id, title), the columns
    cells: dict[tuple[int, int], Cell]
    total: int  # people matching the filters
    page: int
    pages: int
    # per course id: {state: count}; and over all courses
    counts: dict[int, dict[CellState, int]] = field(default_factory=dict)
    state_totals: dict[CellState, int] = field(default_factory=dict)

    def cell(self, user_id: int, course_id: int) -> Cell | None:
        return self.cells.get((user_id, course_id))


def cells(scope: Scope, user_ids: Sequence[int] | None = None) -> Subquery:
    """One row per open assignment in scope: user, course, due date, state and dates.

    With `user_ids`, only those people's rows (the database then reads only their
    completions, which keeps one page of the matrix cheap).
    """
    return _cells(
        scope.company_id,
        scope.today,
        day_start(scope.today),
        day_start(scope.today + timedelta(days=scope.lead_days + 1)),
        None if user_ids is None else list(user_ids),
        None if scope.department_ids is None else list(scope.department_ids),
    )


def _cells(
    company_id: Any,
    today: Any,
    today_starts: Any,
    soon: Any,
    people: Any,
    department_ids: list[int] | None,
) -> Subquery:
    """`cells` from values or bound parameters: `people` is None (the whole company), a
    list of ids, or one person's id as a parameter. Certificates are valid through the
    day their validity ends (pages show that date): expired from `today_starts` (the
    next day's start) on, expiring before `soon` (the end of the lead time)."""

    def among(column: Any) -> Any:
        return column.in_(people) if isinstance(people, list) else column == people

    done = select(
        Completion.user_id,
        Completion.course_id,
        Completion.completed_at,
        Completion.valid_until,
        literal(False).label("external"),
    ).where(Completion.company_id == company_id, Completion.revoked_at.is_(None))
    # Training elsewhere, confirmed and recorded for the module, counts like a completion.
    outside = select(
        ExternalRecord.user_id,
        ExternalRecord.course_id,
        ExternalRecord.completed_at,
        ExternalRecord.valid_until,
        literal(True).label("external"),
    ).where(
        ExternalRecord.company_id == company_id,
        ExternalRecord.status == RecordStatus.CONFIRMED.value,
        ExternalRecord.course_id.is_not(None),
    )
    if people is not None:
        # A page's people: found by person, so the database reads only their rows.
        done = done.where(among(Completion.user_id))
        outside = outside.where(among(ExternalRecord.user_id))
    both = union_all(done, outside).subquery("done")
    latest = select(
        both.c.user_id,
        both.c.course_id,
        func.max(both.c.completed_at).label("completed_at"),
        func.max(both.c.valid_until).label("valid_until"),
        func.sum(case((both.c.valid_until.is_(None), 1), else_=0)).label("unlimited"),
        func.max(case((both.c.external, both.c.completed_at), else_=None)).label("external_at"),
    ).group_by(both.c.user_id, both.c.course_id)
    completions = latest.subquery("last_completion")
    c = completions.c
    fulfilled = and_(
        c.completed_at.is_not(None),
        or_(Assignment.satisfied_after.is_(None), c.completed_at > Assignment.satisfied_after),
    )
    limited = and_(c.unlimited == 0, c.valid_until.is_not(None))
    state = case(
        (
            fulfilled,
            case(
                (and_(limited, c.valid_until < today_starts), CellState.EXPIRED.value),
                (and_(limited, c.valid_until < soon), CellState.EXPIRING.value),
                else_=CellState.COMPLETED.value,
            ),
        ),
        (Assignment.due_on < today, CellState.OVERDUE.value),
        (
            and_(Enrollment.id.is_not(None), Enrollment.completed_at.is_(None)),
            CellState.IN_PROGRESS.value,
        ),
        else_=CellState.NOT_STARTED.value,
    )
    stmt = (
        select(
            Assignment.user_id,
            Assignment.course_id,
            Assignment.id.label("assignment_id"),
            Assignment.due_on,
            state.label("state"),
            case((fulfilled, c.completed_at), else_=None).label("completed_at"),
            case((and_(fulfilled, limited), c.valid_until), else_=None).label("valid_until"),
            and_(fulfilled, c.external_at == c.completed_at).label("external"),
        )
        .join(User, User.id == Assignment.user_id)
        .outerjoin(
            completions,
            and_(c.user_id == Assignment.user_id, c.course_id == Assignment.course_id),
        )
        .outerjoin(
            Enrollment,
            and_(
                Enrollment.user_id == Assignment.user_id,
                Enrollment.course_id == Assignment.course_id,
            ),
        )
        .where(Assignment.ended_at.is_(None), User.is_active.is_(True))
    )
    if people is None:
        stmt = stmt.where(Assignment.company_id == company_id)
    else:
        # The company is checked on the people, whose rows are read anyway.
        stmt = stmt.where(among(Assignment.user_id), User.company_id == company_id)
    if department_ids is not None:
        stmt = stmt.where(User.department_id.in_(department_ids))
    return stmt.subquery("cells")


_PersonColumns = tuple[int, str, str | None, int | None, str | None]


def _people(scope: Scope, filters: Filters) -> Select[int, str, str | None, int | None, str | None]:
    """The people in scope and in the department filter, in the order of the sort."""
    stmt = select(
        User.id, User.display_name, User.email, User.department_id, User.personnel_number
    ).where(User.company_id == scope.company_id, User.is_active.is_(True))
    if scope.department_ids is not None:
        stmt = stmt.where(User.department_id.in_(list(scope.department_ids)))
    if filters.department_id is not None:
        stmt = stmt.where(User.department_id == filters.department_id)
    if filters.sort == "department":
        department_name = (
            select(Department.name).where(Department.id == User.department_id).scalar_subquery()
        )
        stmt = stmt.order_by(department_name.is_(None), department_name, User.display_name)
    else:
        stmt = stmt.order_by(User.display_name)
    return stmt.order_by(User.id)


def _row(values: Sequence[Any], problems: int) -> Row:
    return Row(values[0], values[1], values[2], values[3], problems, values[4])


_STATE_OF = {state.value: state for state in CellState}


def _cell(values: Any) -> Cell:
    user_id, course_id, assignment_id, due_on, state, completed_at, valid_until, external = values
    return Cell(
        user_id,
        course_id,
        assignment_id,
        _STATE_OF[state],
        due_on,
        completed_at,
        valid_until,
        bool(external),
    )


def _live_versions() -> Select[int, int, str]:
    courses: BindParameter[list[int]] = bindparam("course_ids", expanding=True)
    newest = (
        select(CourseVersion.course_id, func.max(CourseVersion.number).label("number"))
        .where(CourseVersion.course_id.in_(courses))
        .group_by(CourseVersion.course_id)
        .subquery()
    )
    return select(CourseVersion.course_id, CourseVersion.id, CourseVersion.content_hash).join(
        newest,
        and_(
            CourseVersion.course_id == newest.c.course_id,
            CourseVersion.number == newest.c.number,
        ),
    )


# Built once, like `_ONE_PERSON`: the start page asks for the titles on every visit.
_LIVE_VERSIONS = _live_versions()


def course_titles(session: Session, course_ids: Sequence[int], lang: str) -> dict[int, str]:
    """The live title of each course, in `lang` when the course has it."""
    if not course_ids:
        return {}
    live = session.execute(_LIVE_VERSIONS, {"course_ids": list(course_ids)}).all()
    # A version's title never changes after import: the titles of these live versions
    # are kept under their ids and content hashes.
    return remembered(("course-titles", lang, *sorted(live)), lambda: _titles(session, live, lang))


def _titles(session: Session, live: Sequence[Any], lang: str) -> dict[int, str]:
    titles = {}
    for course_id, version_id, _hash in live:
        version = session.get_one(CourseVersion, version_id)
        texts = version.content["texts"]
        titles[course_id] = (texts.get(lang) or texts[version.language])["title"]
    return titles


def title_languages(session: Session, course_ids: Sequence[int], lang: str) -> dict[int, str]:
    """The language each course's live title (`course_titles`) is written in: `lang`
    when the course has texts of its own in `lang`, else its main language (a page
    marks a title in another language than its own with `lang`)."""
    if not course_ids:
        return {}
    live = session.execute(_LIVE_VERSIONS, {"course_ids": list(course_ids)}).all()
    return remembered(
        ("course-title-languages", lang, *sorted(live)),
        lambda: _title_languages(session, live, lang),
    )


def _title_languages(session: Session, live: Sequence[Any], lang: str) -> dict[int, str]:
    languages = {}
    for course_id, version_id, _hash in live:
        version = session.get_one(CourseVersion, version_id)
        texts = version.content["texts"]
        own = texts.get(lang)
        # A language without a course.<lang>.md repeats the main language's texts.
        languages[course_id] = lang if own and own != texts[version.language] else version.language
    return languages


def _columns(session: Session, course_ids: Sequence[int], lang: str) -> list[tuple[int, str]]:
    return _sorted_columns(course_ids, course_titles(session, course_ids, lang))


def _sorted_columns(course_ids: Sequence[int], titles: Mapping[int, str]) -> list[tuple[int, str]]:
    return sorted(
        ((i, titles.get(i, "?")) for i in course_ids), key=lambda item: item[1].casefold()
    )


def assigned_courses(session: Session, scope: Scope, lang: str) -> list[tuple[int, str]]:
    """The courses with open assignments in scope, by title (for the course filter)."""
    counts, _totals = cached_for_scope(
        scope, ("counts", None, None), lambda: _counts(session, cells(scope), Filters())
    )
    return _columns(session, list(counts), lang)


def matrix(
    session: Session,
    scope: Scope,
    filters: Filters,
    lang: str,
    *,
    page_size: int | None = PAGE_SIZE,
    titles: Mapping[int, str] | None = None,
) -> Matrix:
    """One page of the matrix (all rows with `page_size=None`), with counts over all rows.

    A fixed number of queries, whatever the size of the team. `titles`: the course
    titles in `lang` when the caller has them (`assigned_courses`), saving their query.
    """
    people: list[_PersonColumns] = list(
        cached_for_scope(
            scope,
            # "people-2": the rows gained the personnel number (issue 19).
            ("people-2", filters.department_id, filters.sort),
            lambda: tuple(
                cast(_PersonColumns, tuple(p)) for p in session.execute(_people(scope, filters))
            ),
        )
    )
    if filters.course_id is not None or filters.state is not None:
        matching = cached_for_scope(scope, ("matching", filters.course_id, filters.state),
                           lambda: _matching(session, cells(scope), filters))  # fmt: skip
        people = [p for p in people if p[0] in matching]
    problems: dict[int, int] = {}
    if filters.sort == "problems":
        problems = cached_for_scope(scope, ("problems",), lambda: _problems(session, cells(scope)))
        people.sort(key=lambda p: -problems.get(p[0], 0))  # stable: by name within
    total = len(people)
    pages = max(1, -(-total // page_size)) if page_size else 1
    page = min(max(1, filters.page), pages)
    if page_size:
        people = people[(page - 1) * page_size : page * page_size]
    rows = [_row(values, problems.get(values[0], 0)) for values in people]
    counts, totals = cached_for_scope(
        scope,
        ("counts", filters.department_id, filters.course_id),
        lambda: _counts(session, cells(scope), filters),
    )
    if titles is None:
        columns = _columns(session, list(counts), lang)
    else:
        columns = _sorted_columns(list(counts), titles)

    user_ids = tuple(r.user_id for r in rows)
    found: dict[tuple[int, int], Cell] = cached_for_scope(
        scope,
        ("page", user_ids, filters.course_id),
        lambda: _page_cells(session, scope, user_ids, filters.course_id),
    )

    return Matrix(rows, columns, found, total, page, pages, counts, totals)


def _page_cells(
    session: Session, scope: Scope, user_ids: Sequence[int], course_id: int | None
) -> dict[tuple[int, int], Cell]:
    """The cells of these people (one page), by person and course."""
    if not user_ids:
        return {}
    page_cells = cells(scope, user_ids)
    stmt = select(page_cells)
    if course_id is not None:
        stmt = stmt.where(page_cells.c.course_id == course_id)
    found = {}
    for values in session.execute(stmt):
        cell = _cell(values)
        found[(cell.user_id, cell.course_id)] = cell
    return found


def _counts(
    session: Session, cell_rows: Subquery, filters: Filters
) -> tuple[dict[int, dict[CellState, int]], dict[CellState, int]]:
    """How many cells are in each state, per course and over all courses (state filter ignored)."""
    stmt = select(cell_rows.c.course_id, cell_rows.c.state, func.count()).group_by(
        cell_rows.c.course_id, cell_rows.c.state
    )
    if filters.department_id is not None:
        stmt = stmt.join(User, User.id == cell_rows.c.user_id).where(
            User.department_id == filters.department_id
        )
    if filters.course_id is not None:
        stmt = stmt.where(cell_rows.c.course_id == filters.course_id)
    counts: dict[int, dict[CellState, int]] = {}
    totals: dict[CellState, int] = dict.fromkeys(STATE_ORDER, 0)
    for course_id, state, number in session.execute(stmt):
        counts.setdefault(course_id, {})[CellState(state)] = number
        totals[CellState(state)] += number
    return counts, totals


def state_counts(
    session: Session, scope: Scope, filters: Filters | None = None
) -> tuple[dict[int, dict[CellState, int]], dict[CellState, int]]:
    """Per course and in all: how many assignments in scope are in each state; one query."""
    return _counts(session, cells(scope), filters or Filters())


def cached_for_scope(scope: Scope, what: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`, kept in the cache for one company revision, day and scope.

    Counts over a whole team cost a pass over every assignment, a page of the matrix
    a few thousand cells. The key holds the company, its revision, the day, the lead
    time and the manager's departments, so a value is never shown after a change of
    the company's cells, on another day, or to a manager of other departments. No
    cache without `scope.revision`.
    """
    if scope.revision is None:
        return compute()
    key = (
        "team",
        scope.company_id,
        *scope.revision,
        scope.today,
        scope.lead_days,
        scope.department_ids,
        *what,
    )
    return remembered(key, compute)


def _matching(session: Session, cell_rows: Subquery, filters: Filters) -> frozenset[int]:
    """The people with a cell of the filtered course and state."""
    stmt = select(cell_rows.c.user_id).distinct()
    if filters.course_id is not None:
        stmt = stmt.where(cell_rows.c.course_id == filters.course_id)
    if filters.state is not None:
        stmt = stmt.where(cell_rows.c.state == filters.state.value)
    return frozenset(session.scalars(stmt))


def _problems(session: Session, cell_rows: Subquery) -> dict[int, int]:
    """How many overdue or expired assignments each person has (only those with any)."""
    stmt = (
        select(cell_rows.c.user_id, func.count())
        .where(cell_rows.c.state.in_([s.value for s in PROBLEM_STATES]))
        .group_by(cell_rows.c.user_id)
    )
    return {user_id: number for user_id, number in session.execute(stmt)}


def cells_changed(session: Session, *company_ids: int | None) -> None:
    """Raise the revision of these companies: their team overview changed.

    Every service that changes what a cell or a row of the overview shows calls it
    in the same transaction: assignments, completions (also external), enrolments,
    and people's names, addresses, departments and activity. Cached figures and
    pages are kept per revision (`cached_for_scope`), so they are computed anew at
    the next request of every worker and instance. (tests/conftest.py checks on
    every commit of the suite that no such change forgot to call it.)
    """
    ids = sorted({company_id for company_id in company_ids if company_id is not None})
    if ids:
        session.execute(
            update(Company).where(Company.id.in_(ids)).values(revision=Company.revision + 1)
        )
        session.info.setdefault(REVISED, set()).update(ids)


# session.info: the companies whose revision this transaction raised.
REVISED = "lms.revised_companies"


def _one_person() -> Select[Any]:
    found = _cells(
        bindparam("company_id"),
        bindparam("today"),
        bindparam("today_starts"),
        bindparam("soon"),
        bindparam("user_id"),
        None,
    )
    return select(found).order_by(found.c.due_on)


# Built once: the learner's start page asks for one person's cells on every visit, and
# building the statement anew took as long as running it.
_ONE_PERSON = _one_person()


def person_cells(session: Session, scope: Scope, user_id: int) -> list[Cell]:
    """Every open assignment of one person with its state (departments aside)."""
    values = {
        "company_id": scope.company_id,
        "today": scope.today,
        "today_starts": day_start(scope.today),
        "soon": day_start(scope.today + timedelta(days=scope.lead_days + 1)),
        "user_id": user_id,
    }
    return [_cell(row) for row in session.execute(_ONE_PERSON, values)]
