"""The API's resources: people, departments, assignments, completions and certificates,
training elsewhere, the catalogue (modules, learning paths), in-person sessions and
their bookings. Views are thin: scope the query to the token's company, page it,
turn rows into the pydantic models; writes call the audited services."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from flask import url_for
from pydantic import BaseModel
from spectree import Response as Responses
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload
from werkzeug.http import generate_etag, parse_etags

from lms.api import bp, schemas, spec, token
from lms.api.paging import Page, company_scope, page_of, page_of_list, scoped
from lms.api.problems import ApiProblem
from lms.audit.trail import request_network
from lms.clock import now, today
from lms.content.importer import catalogue, live_versions, visible_to
from lms.db import db
from lms.in_person.booking import open_to
from lms.models import (
    Assignment,
    Booking,
    Company,
    Completion,
    Course,
    CourseVersion,
    Department,
    Enrollment,
    ExternalRecord,
    InPersonSession,
    LearningPath,
    QuizAttempt,
    User,
    UserRole,
)
from lms.permissions import public
from lms.services import assignments as assigning
from lms.services.paths import paths_for
from lms.tokens import service as tokens
from lms.training_records import service as records

# --- Helpers --------------------------------------------------------------------------

# What a view returns (Spectree reads the views' annotations, so no names from
# flask.typing, whose aliases refer to names it imports only for type checkers).
Answer = BaseModel | tuple[BaseModel, int, dict[str, str]]


def _list(page: Page, model: type[Any], items: list[Any]) -> Answer:
    body = model(items=items, next_cursor=page.next_cursor, next=page.next_url)
    return body, 200, page.headers()


def _not_found(what: str) -> ApiProblem:
    return ApiProblem(404, f"No such {what}, or not visible to this token.")


def _one(model: type[Any], object_id: int, what: str, *options: Any) -> Any:
    """`model` by id within the token's company (404 for another company's id)."""
    stmt = select(model).where(model.id == object_id).options(*options)
    if model is User:  # the provider's staff belong to no company: nobody's people
        stmt = stmt.where(User.company_id.is_not(None))
    stmt = scoped(stmt, model.company_id, token().company_id)
    found = db.session.scalars(stmt).unique().one_or_none()
    if found is None:
        raise _not_found(what)
    return found


def _titles(course_ids: Iterable[int]) -> dict[int, tuple[str, str]]:
    """(slug, live title) of each course."""
    ids = sorted(set(course_ids))
    if not ids:
        return {}
    return {c.id: (c.slug, v.title) for c, v in live_versions(db.session, Course.id.in_(ids))}


def _course_ref(course_id: int, titles: dict[int, tuple[str, str]]) -> schemas.CourseRef:
    slug, title = titles.get(course_id, ("", ""))
    return schemas.CourseRef(id=course_id, slug=slug, title=title)


def _actor() -> Any:
    return tokens.actor_for(token(), request_network())


# --- People ---------------------------------------------------------------------------


# The people list reads columns, not ORM objects: a page of 200 costs a third as much.
_PERSON_COLUMNS = (
    User.id, User.company_id, User.display_name, User.email, User.personnel_number,
    User.department_id, Department.name.label("department_name"), User.is_active,
    User.language, User.external_id, User.created_at, User.updated_at,
)  # fmt: skip


def _people(rows: Sequence[Any]) -> list[schemas.Person]:
    roles: dict[int, list[str]] = {row.id: [] for row in rows}
    if roles:
        for user_id, role in db.session.execute(
            select(UserRole.user_id, UserRole.role)
            .where(UserRole.user_id.in_(list(roles)))
            .order_by(UserRole.role)
        ):
            roles[user_id].append(role)
    return [
        schemas.Person(
            id=row.id,
            company_id=row.company_id,
            display_name=row.display_name,
            email=row.email,
            personnel_number=row.personnel_number,
            department=schemas.DepartmentRef(id=row.department_id, name=row.department_name)
            if row.department_id is not None
            else None,
            roles=roles[row.id],
            active=row.is_active,
            language=row.language,
            external_id=row.external_id,
            created_at=row.created_at,
            updated_at=row.updated_at,
        )
        for row in rows
    ]


def _people_query(company_id: int | None) -> Any:
    stmt = (
        select(*_PERSON_COLUMNS)
        .outerjoin(Department, Department.id == User.department_id)
        .where(User.company_id.is_not(None), User.erased_at.is_(None))
    )
    return scoped(stmt, User.company_id, company_id)


@bp.get("/people")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.PeoplePage), tags=["people"],
               operation_id="listPeople")  # fmt: skip
def list_people(query: schemas.PeopleQuery) -> Answer:
    """List the company's people

    People of the company (for a provider token: of every company, or of `company_id`),
    in id order. `updated_since` finds those whose data (name, address, department,
    roles' holder, active) changed: a change of roles alone does not move `updated_at`.
    """
    stmt = _people_query(company_scope(query.company_id))
    if query.updated_since is not None:
        stmt = stmt.where(User.updated_at >= query.updated_since)
    if query.active is not None:
        stmt = stmt.where(User.is_active.is_(query.active))
    if query.email:
        stmt = stmt.where(func.lower(User.email) == query.email.lower())
    if query.external_id:
        stmt = stmt.where(User.external_id == query.external_id)
    page = page_of(stmt, User.id, query.cursor, query.limit, objects=False)
    return _list(page, schemas.PeoplePage, _people(page.rows))


@bp.get("/people/<int:person_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.Person), tags=["people"],
               operation_id="getPerson")  # fmt: skip
def get_person(person_id: int) -> Answer:
    """One person"""
    found = db.session.execute(
        _people_query(token().company_id).where(User.id == person_id)
    ).one_or_none()
    if found is None:
        raise _not_found("person")
    return _people([found])[0]


# --- Departments ----------------------------------------------------------------------


def _departments(rows: Sequence[Department]) -> list[schemas.Department]:
    ids = [d.id for d in rows]
    counts: dict[int, int] = {}
    if ids:
        counts = dict(
            db.session.execute(  # type: ignore[arg-type]
                select(User.department_id, func.count())
                .where(User.department_id.in_(ids), User.is_active.is_(True))
                .group_by(User.department_id)
            ).all()
        )
    return [
        schemas.Department(
            id=d.id,
            company_id=d.company_id,
            name=d.name,
            external_id=d.external_id,
            people=counts.get(d.id, 0),
            created_at=d.created_at,
            updated_at=d.updated_at,
        )
        for d in rows
    ]


@bp.get("/departments")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.DepartmentPage), tags=["departments"],
               operation_id="listDepartments")  # fmt: skip
def list_departments(query: schemas.ChangedQuery) -> Answer:
    """List the company's departments

    `updated_since` finds renamed or new departments; people joining or leaving one
    do not move its `updated_at` (see the people's).
    """
    company_id = company_scope(query.company_id)
    stmt = scoped(select(Department), Department.company_id, company_id)
    if query.updated_since is not None:
        stmt = stmt.where(Department.updated_at >= query.updated_since)
    page = page_of(stmt, Department.id, query.cursor, query.limit)
    return _list(page, schemas.DepartmentPage, _departments(page.rows))


@bp.get("/departments/<int:department_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.Department), tags=["departments"],
               operation_id="getDepartment")  # fmt: skip
def get_department(department_id: int) -> Answer:
    """One department"""
    return _departments([_one(Department, department_id, "department")])[0]


# --- Assignments ----------------------------------------------------------------------


def _assignments(rows: Sequence[Assignment]) -> list[schemas.Assignment]:
    titles = _titles(a.course_id for a in rows)
    return [
        schemas.Assignment(
            id=a.id,
            company_id=a.company_id,
            person_id=a.user_id,
            course=_course_ref(a.course_id, titles),
            due_on=a.due_on,
            note=a.note,
            reason=a.reason,
            status="open" if a.ended_at is None else (a.ended_reason or "withdrawn"),  # type: ignore[arg-type]
            assigned_at=a.assigned_at,
            ended_at=a.ended_at,
            updated_at=a.updated_at,
        )
        for a in rows
    ]


@bp.get("/assignments")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.AssignmentPage), tags=["assignments"],
               operation_id="listAssignments")  # fmt: skip
def list_assignments(query: schemas.AssignmentQuery) -> Answer:
    """List assignments

    Open and ended ones (withdrawn, or replaced by a newer one for the same module).
    `updated_since` finds new, moved and ended assignments; whether one is fulfilled
    follows from the completions, which do not change it.
    """
    company_id = company_scope(query.company_id)
    stmt = scoped(select(Assignment), Assignment.company_id, company_id)
    if query.updated_since is not None:
        stmt = stmt.where(Assignment.updated_at >= query.updated_since)
    if query.person_id is not None:
        stmt = stmt.where(Assignment.user_id == query.person_id)
    if query.course_id is not None:
        stmt = stmt.where(Assignment.course_id == query.course_id)
    if query.open is not None:
        stmt = stmt.where(
            Assignment.ended_at.is_(None) if query.open else Assignment.ended_at.is_not(None)
        )
    page = page_of(stmt, Assignment.id, query.cursor, query.limit)
    return _list(page, schemas.AssignmentPage, _assignments(page.rows))


@bp.get("/assignments/<int:assignment_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.Assignment), tags=["assignments"],
               operation_id="getAssignment")  # fmt: skip
def get_assignment(assignment_id: int) -> Answer:
    """One assignment"""
    return _assignments([_one(Assignment, assignment_id, "assignment")])[0]


def _body_given(body: BaseModel | None) -> None:
    """A body of another type (a form, a multipart body without its boundary) reaches
    the view as nothing: refused as not JSON, like any other."""
    if body is None:
        raise ApiProblem(415, "Send the request body as application/json.")


@bp.post("/assignments")
@public
@spec.validate(
    resp=Responses(
        HTTP_201=schemas.Assignment,
        HTTP_409=(schemas.Problem, "The person is deactivated."),
        HTTP_422=(schemas.Problem, "Invalid fields, or the module is not in the catalogue."),
    ),
    tags=["assignments"],
    operation_id="createAssignment",
)
def create_assignment(json: schemas.NewAssignment) -> Answer:
    """Assign a module to a person

    The person must complete the module (`course_id`, from the company's catalogue) by
    `due_on`. An open assignment of the same module is replaced (it stays as history).
    Needs a read-write token. Audited, with the token as the actor.
    """
    _body_given(json)
    person = _one(User, json.person_id, "person")
    if person.erased_at is not None:
        raise _not_found("person")
    company = db.session.get(Company, person.company_id)
    course = db.session.get(Course, json.course_id)
    assert company is not None
    if course is None or not _in_catalogue(course, company.id):
        raise ApiProblem(
            422,
            "The module is not in the company's catalogue.",
            errors=[{"in": "body", "field": "course_id", "message": "not in the catalogue"}],
        )
    if not person.is_active:
        raise ApiProblem(409, "The person is deactivated; reactivate them first.")
    at = now()
    if json.due_on < today(at):  # as the managers' form: overdue from the start is a typo
        problem = [{"in": "body", "field": "due_on", "message": "in the past"}]
        raise ApiProblem(422, "The due day lies in the past.", errors=problem)
    assigning.assign_course(
        db.session, _actor(), company, course, people=[person], department=None,
        due_on=json.due_on, note=json.note, now=at, today=today(at), retake=json.retake,
    )  # fmt: skip
    made = assigning.open_assignments(db.session, [person.id], course.id)[person.id]
    location = url_for("api.get_assignment", assignment_id=made.id, _external=True)
    return _assignments([made])[0], 201, {"Location": location}


def _in_catalogue(course: Course, company_id: int) -> bool:
    return bool(db.session.scalar(select(Course.id).where(Course.id == course.id,
                                                          visible_to(company_id))))  # fmt: skip


@bp.post("/assignments/<int:assignment_id>/cancel")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.Assignment,
                              HTTP_409=(schemas.Problem, "A newer assignment replaced it."),
                              HTTP_412=(schemas.Problem, "It changed since the If-Match tag.")),
               tags=["assignments"], operation_id="cancelAssignment")  # fmt: skip
def cancel_assignment(assignment_id: int) -> Answer:
    """Withdraw an assignment

    The assignment ends (status "withdrawn") and stays in the history. Withdrawing a
    withdrawn one changes nothing; one replaced by a newer assignment answers 409.
    With `If-Match` (the ETag of its GET, compared weakly), a changed assignment
    answers 412. Needs a read-write token. Audited.
    """
    assignment = _one(Assignment, assignment_id, "assignment")
    _check_if_match(_assignments([assignment])[0])
    if assignment.ended_at is not None and assignment.ended_reason == "replaced":
        raise ApiProblem(409, "A newer assignment of the module replaced this one; cancel that.")
    if assignment.ended_at is None:
        assigning.withdraw(db.session, _actor(), assignment, now())
    return _assignments([assignment])[0]


def _check_if_match(current: Any) -> None:
    from flask import request

    header = request.headers.get("If-Match")
    if not header:
        return
    etag = generate_etag(current.model_dump_json().encode())
    if not parse_etags(header).contains_weak(etag):
        raise ApiProblem(412, "It changed since you read it; read it again.")


# --- Completions and certificates -----------------------------------------------------


def _results_companies(company_ids: Iterable[int]) -> set[int]:
    """The companies (of `company_ids`) at the privacy level "results"."""
    ids = sorted(set(company_ids))
    if not ids:
        return set()
    return set(db.session.scalars(
        select(Company.id).where(Company.id.in_(ids), Company.privacy_level == "results")
    ))  # fmt: skip


def _scores(rows: Sequence[Completion]) -> dict[tuple[int, int], tuple[Any, int]]:
    """(best percent, attempts) per person and module, for companies at "results" only."""
    allowed = _results_companies(c.company_id for c in rows)
    users = sorted({c.user_id for c in rows if c.company_id in allowed})
    if not users:
        return {}
    found = db.session.execute(
        select(
            QuizAttempt.user_id, Enrollment.course_id, func.max(QuizAttempt.percent), func.count()
        )
        .join(Enrollment, Enrollment.id == QuizAttempt.enrollment_id)
        .where(
            QuizAttempt.user_id.in_(users),
            QuizAttempt.status == "submitted",
            QuizAttempt.company_id.in_(sorted(allowed)),
        )
        .group_by(QuizAttempt.user_id, Enrollment.course_id)
    )
    return {(user, course): (best, count) for user, course, best, count in found}


def _completions(rows: Sequence[Completion]) -> list[schemas.Completion]:
    scores = _scores(rows)
    allowed = _results_companies(c.company_id for c in rows)
    out = []
    for c in rows:
        best, attempts = scores.get((c.user_id, c.course_id), (None, 0))
        with_results = c.company_id in allowed
        certificate = None
        if c.code:
            certificate = schemas.Certificate(
                code=c.code,
                verification_url=url_for("main.verify", code=c.code, _external=True),
                valid_until=c.valid_until,
                revoked=c.revoked_at is not None,
            )
        out.append(
            schemas.Completion(
                id=c.id,
                company_id=c.company_id,
                person_id=c.user_id,
                course=schemas.CourseRef(id=c.course_id, slug=c.course.slug, title=c.version.title),
                version=c.version.number,
                completed_at=c.completed_at,
                certificate=certificate,
                best_score_percent=float(best) if with_results and best is not None else None,
                attempts=attempts if with_results else None,
            )
        )
    return out


_COMPLETION_LOADING = (joinedload(Completion.course), joinedload(Completion.version))


def _completion_query(query: schemas.CompletionQuery) -> Any:
    company_id = company_scope(query.company_id)
    stmt = scoped(select(Completion), Completion.company_id, company_id)
    stmt = stmt.options(*_COMPLETION_LOADING)
    if query.updated_since is not None:
        stmt = stmt.where(Completion.completed_at >= query.updated_since)
    if query.person_id is not None:
        stmt = stmt.where(Completion.user_id == query.person_id)
    if query.course_id is not None:
        stmt = stmt.where(Completion.course_id == query.course_id)
    return stmt


@bp.get("/completions")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.CompletionPage), tags=["completions"],
               operation_id="listCompletions")  # fmt: skip
def list_completions(query: schemas.CompletionQuery) -> Answer:
    """List completions

    Modules completed, with the certificate where there is one. `updated_since`
    compares the completion's moment: a certificate revoked later does not move it.
    Scores and attempts only for companies at the privacy level "results".
    """
    page = page_of(_completion_query(query), Completion.id, query.cursor, query.limit)
    return _list(page, schemas.CompletionPage, _completions(page.rows))


@bp.get("/completions/<int:completion_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.Completion), tags=["completions"],
               operation_id="getCompletion")  # fmt: skip
def get_completion(completion_id: int) -> Answer:
    """One completion"""
    return _completions([_one(Completion, completion_id, "completion", *_COMPLETION_LOADING)])[0]


@bp.get("/certificates")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.CompletionPage), tags=["completions"],
               operation_id="listCertificates")  # fmt: skip
def list_certificates(query: schemas.CertificateQuery) -> Answer:
    """List certificates

    The completions that gave a certificate, with its verification code, the public
    verification address, `valid_until` and whether it was revoked.
    """
    stmt = _completion_query(query).where(Completion.code.is_not(None))
    page = page_of(stmt, Completion.id, query.cursor, query.limit)
    return _list(page, schemas.CompletionPage, _completions(page.rows))


# --- Training elsewhere ---------------------------------------------------------------


def _record(r: ExternalRecord) -> schemas.TrainingRecord:
    return schemas.TrainingRecord(
        id=r.id, company_id=r.company_id, person_id=r.user_id, course_id=r.course_id,
        title=r.title, provider=r.provider, status=r.status, completed_at=r.completed_at,
        valid_until=r.valid_until, created_at=r.created_at,
    )  # fmt: skip


@bp.get("/training-records")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.TrainingRecordPage), tags=["training records"],
               operation_id="listTrainingRecords")  # fmt: skip
def list_training_records(query: schemas.RecordQuery) -> Answer:
    """List training done elsewhere

    `updated_since` compares when a record was entered or decided (confirmed, rejected).
    """
    company_id = company_scope(query.company_id)
    stmt = scoped(select(ExternalRecord), ExternalRecord.company_id, company_id)
    if query.updated_since is not None:
        changed = func.coalesce(ExternalRecord.decided_at, ExternalRecord.created_at)
        stmt = stmt.where(changed >= query.updated_since)
    if query.person_id is not None:
        stmt = stmt.where(ExternalRecord.user_id == query.person_id)
    page = page_of(stmt, ExternalRecord.id, query.cursor, query.limit)
    return _list(page, schemas.TrainingRecordPage, [_record(r) for r in page.rows])


@bp.get("/training-records/<int:record_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.TrainingRecord), tags=["training records"],
               operation_id="getTrainingRecord")  # fmt: skip
def get_training_record(record_id: int) -> Answer:
    """One record of training done elsewhere"""
    return _record(_one(ExternalRecord, record_id, "training record"))


@bp.post("/training-records")
@public
@spec.validate(resp=Responses(HTTP_201=schemas.TrainingRecord), tags=["training records"],
               operation_id="createTrainingRecord")  # fmt: skip
def create_training_record(json: schemas.NewTrainingRecord) -> Answer:
    """Record training done elsewhere

    Confirmed at once, as a manager's entry is. With `course_id` it counts for that
    module like a completion (valid as long as completing the module would be, unless
    `valid_until` is given). Needs a read-write token. Audited.
    """
    _body_given(json)
    person = _one(User, json.person_id, "person")
    if person.erased_at is not None:
        raise _not_found("person")
    if json.course_id is not None:
        course = db.session.get(Course, json.course_id)
        if course is None or not _in_catalogue(course, person.company_id):
            raise ApiProblem(422, "The module is not in the company's catalogue.",
                             errors=[{"in": "body", "field": "course_id",
                                      "message": "not in the catalogue"}])  # fmt: skip
    if json.completed_on > today():  # as the form and the import: done is done already
        raise ApiProblem(422, "The training cannot be completed in the future.",
                         errors=[{"in": "body", "field": "completed_on",
                                  "message": "in the future"}])  # fmt: skip
    values = records.RecordInput(
        title=json.title, provider=json.provider, completed_on=json.completed_on,
        valid_until=json.valid_until, course_id=json.course_id,
    )  # fmt: skip
    try:
        made = records.record_for(db.session, _actor(), person, values, now())
    except records.RecordError as error:
        field = "valid_until" if error.code == "valid-before-done" else "person_id"
        problem = [{"in": "body", "field": field, "message": error.code}]
        raise ApiProblem(
            422, f"The record cannot be saved ({error.code}).", errors=problem
        ) from None
    location = url_for("api.get_training_record", record_id=made.id, _external=True)
    return _record(made), 201, {"Location": location}


# --- Catalogue ------------------------------------------------------------------------


def _course(course: Course, version: CourseVersion) -> schemas.Course:
    return schemas.Course(
        id=course.id, slug=course.slug, title=version.title, language=version.language,
        version=version.number, minutes=version.minutes, units=version.unit_count,
        valid_for=version.valid_for, shared=course.shared,
    )  # fmt: skip


def _catalogue(company_id: int | None) -> list[tuple[Course, CourseVersion]]:
    return catalogue(db.session, company_id)


@bp.get("/courses")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.CoursePage), tags=["catalogue"],
               operation_id="listCourses")  # fmt: skip
def list_courses(query: schemas.PageQuery) -> Answer:
    """List the modules in the catalogue

    The modules open to the company, in their live version (a provider token without
    `company_id`: every module).
    """
    rows = _catalogue(company_scope(query.company_id))
    page = page_of_list(rows, lambda row: row[0].id, query.cursor, query.limit)
    return _list(page, schemas.CoursePage, [_course(c, v) for c, v in page.rows])


@bp.get("/courses/<int:course_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.Course), tags=["catalogue"],
               operation_id="getCourse")  # fmt: skip
def get_course(course_id: int) -> Answer:
    """One module of the catalogue"""
    for course, version in _catalogue(token().company_id):
        if course.id == course_id:
            return _course(course, version)
    raise _not_found("module")


def _path(path: LearningPath) -> schemas.LearningPath:
    return schemas.LearningPath(
        id=path.id, slug=path.slug, title=path.title, summary=path.summary,
        language=path.language,
        steps=[schemas.PathStep(course_slug=s["course"], after=list(s.get("after", [])))
               for s in path.steps],
    )  # fmt: skip


@bp.get("/learning-paths")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.LearningPathPage), tags=["catalogue"],
               operation_id="listLearningPaths")  # fmt: skip
def list_learning_paths(query: schemas.PageQuery) -> Answer:
    """List the learning paths

    The paths whose every module the company sees in its catalogue.
    """
    rows = paths_for(db.session, company_scope(query.company_id))
    page = page_of_list(rows, lambda path: path.id, query.cursor, query.limit)
    return _list(page, schemas.LearningPathPage, [_path(p) for p in page.rows])


@bp.get("/learning-paths/<int:path_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.LearningPath), tags=["catalogue"],
               operation_id="getLearningPath")  # fmt: skip
def get_learning_path(path_id: int) -> Answer:
    """One learning path"""
    for path in paths_for(db.session, token().company_id):
        if path.id == path_id:
            return _path(path)
    raise _not_found("learning path")


# --- In-person sessions and bookings --------------------------------------------------


def _sessions(rows: Sequence[InPersonSession]) -> list[schemas.InPersonSession]:
    titles = _titles(s.course_id for s in rows)
    return [
        schemas.InPersonSession(
            id=s.id,
            course=_course_ref(s.course_id, titles),
            unit_id=s.unit_id,
            starts_at=s.starts_at,
            ends_at=s.ends_at,
            place=s.place,
            room=s.room,
            capacity=s.capacity,
            free=s.free,
            booking_deadline=s.booking_deadline,
            cancelled=s.cancelled,
        )
        for s in rows
    ]


def _session_query(company_id: int | None) -> Any:
    stmt = select(InPersonSession)
    if company_id is not None:
        stmt = stmt.where(open_to(company_id), InPersonSession.course_id.in_(
            select(Course.id).where(visible_to(company_id))))  # fmt: skip
    return stmt


@bp.get("/sessions")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.SessionPage), tags=["in-person sessions"],
               operation_id="listSessions")  # fmt: skip
def list_sessions(query: schemas.SessionQuery) -> Answer:
    """List in-person sessions

    The sessions open to the company's people (not limited to other companies), of
    modules in its catalogue; cancelled ones included (`cancelled`).
    """
    stmt = _session_query(company_scope(query.company_id))
    if query.course_id is not None:
        stmt = stmt.where(InPersonSession.course_id == query.course_id)
    if query.starts_after is not None:
        stmt = stmt.where(InPersonSession.starts_at > query.starts_after)
    page = page_of(stmt, InPersonSession.id, query.cursor, query.limit)
    return _list(page, schemas.SessionPage, _sessions(page.rows))


@bp.get("/sessions/<int:session_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.InPersonSession), tags=["in-person sessions"],
               operation_id="getSession")  # fmt: skip
def get_session(session_id: int) -> Answer:
    """One in-person session"""
    stmt = _session_query(token().company_id).where(InPersonSession.id == session_id)
    found = db.session.scalars(stmt).one_or_none()
    if found is None:
        raise _not_found("session")
    return _sessions([found])[0]


def _booking(b: Booking) -> schemas.Booking:
    return schemas.Booking(
        id=b.id, company_id=b.company_id, person_id=b.user_id, session_id=b.session_id,
        status=b.status, attendance=b.attendance, created_at=b.created_at,
        updated_at=b.updated_at,
    )  # fmt: skip


@bp.get("/bookings")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.BookingPage), tags=["in-person sessions"],
               operation_id="listBookings")  # fmt: skip
def list_bookings(query: schemas.BookingQuery) -> Answer:
    """List the bookings of the company's people

    Places at in-person sessions (and on their waiting lists), with the attendance taken.
    """
    company_id = company_scope(query.company_id)
    stmt = scoped(select(Booking), Booking.company_id, company_id)
    if query.person_id is not None:
        stmt = stmt.where(Booking.user_id == query.person_id)
    if query.session_id is not None:
        stmt = stmt.where(Booking.session_id == query.session_id)
    page = page_of(stmt, Booking.id, query.cursor, query.limit)
    return _list(page, schemas.BookingPage, [_booking(b) for b in page.rows])


@bp.get("/bookings/<int:booking_id>")
@public
@spec.validate(resp=Responses(HTTP_200=schemas.Booking), tags=["in-person sessions"],
               operation_id="getBooking")  # fmt: skip
def get_booking(booking_id: int) -> Answer:
    """One booking"""
    return _booking(_one(Booking, booking_id, "booking"))
