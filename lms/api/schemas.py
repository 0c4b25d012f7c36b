"""The API's request and response models (pydantic): what is validated, and what the
OpenAPI document describes (Spectree reads their JSON schemas)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Annotated, Literal

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from lms.input_checks import CONTROL_CHARACTERS, EARLIEST_DATE, LARGEST_ID, LATEST_DATE


def _clean_text(value: str) -> str:
    if CONTROL_CHARACTERS.search(value):
        raise ValueError("must not contain control characters")
    return value.strip()


def _day_in_range(value: date) -> date:
    if not EARLIEST_DATE <= value <= LATEST_DATE:
        raise ValueError(f"must lie between {EARLIEST_DATE} and {LATEST_DATE}")
    return value


# Moments before and after these compare as these do with every stored moment; outside
# them, moving a moment to UTC (or the database driver doing it) leaves Python's years.
_EARLIEST_MOMENT = datetime.combine(EARLIEST_DATE, time.min, UTC)
_LATEST_MOMENT = datetime.combine(LATEST_DATE, time.max, UTC)


def _as_utc(value: datetime) -> datetime:
    """An ISO 8601 moment in UTC (without an offset: read as UTC); one before 1900 or
    after 2100 as the edge of that range ("0001-01-01" still means "everything")."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=UTC)
    if value.year < EARLIEST_DATE.year:
        return _EARLIEST_MOMENT
    if value.year > LATEST_DATE.year:
        return _LATEST_MOMENT
    return value.astimezone(UTC)


Id = Annotated[int, Field(ge=1, le=LARGEST_ID)]
Day = Annotated[date, AfterValidator(_day_in_range)]
Moment = Annotated[datetime, AfterValidator(_as_utc)]


Clean = AfterValidator(_clean_text)
Text200 = Annotated[str, Field(max_length=200), Clean]
Title = Annotated[str, Field(min_length=1, max_length=200), Clean]
Text254 = Annotated[str, Field(max_length=254), Clean]
Text255 = Annotated[str, Field(max_length=255), Clean]
Text500 = Annotated[str, Field(max_length=500), Clean]


class Problem(BaseModel):
    """An error, as RFC 9457 problem details (application/problem+json)."""

    type: str = Field(description="A URI naming the kind of problem.")
    title: str
    status: int
    detail: str
    instance: str = Field(description="The path of the request.")
    errors: list[FieldError] | None = Field(
        default=None, description="For invalid input: each field that was wrong."
    )


class FieldError(BaseModel):
    in_: str = Field(alias="in", description="query or body")
    field: str
    message: str


# --- Queries ------------------------------------------------------------------------


class PageQuery(BaseModel):
    """Paging and the company (for provider tokens) of every list."""

    model_config = ConfigDict(extra="ignore")

    limit: int = Field(100, ge=1, le=200, description="Items per page (at most 200).")
    cursor: str | None = Field(
        None, max_length=200, description="The `next_cursor` of the previous page."
    )
    company_id: Id | None = Field(
        None,
        description="Provider tokens: only this company. A company's token may give its own.",
    )


class ChangedQuery(PageQuery):
    updated_since: Moment | None = Field(
        None, description="Only what changed at or after this moment (ISO 8601; UTC if no offset)."
    )


class PeopleQuery(ChangedQuery):
    active: bool | None = Field(None, description="Only active (true) or deactivated (false).")
    email: Text254 | None = Field(None, description="Only the person with this address.")
    external_id: Text255 | None = Field(None, description="Only the person with this id.")


class AssignmentQuery(ChangedQuery):
    person_id: Id | None = None
    course_id: Id | None = None
    open: bool | None = Field(None, description="Only open (true) or ended (false) ones.")


class CompletionQuery(ChangedQuery):
    person_id: Id | None = None
    course_id: Id | None = None


class CertificateQuery(CompletionQuery):
    pass


class RecordQuery(ChangedQuery):
    person_id: Id | None = None


class SessionQuery(PageQuery):
    course_id: Id | None = None
    starts_after: Moment | None = Field(None, description="Only sessions starting after this.")


class BookingQuery(PageQuery):
    person_id: Id | None = None
    session_id: Id | None = None


# --- Resources ----------------------------------------------------------------------


class DepartmentRef(BaseModel):
    id: int
    name: str


class Person(BaseModel):
    """A person of a company (learner, manager)."""

    id: int
    company_id: int
    display_name: str
    email: str | None = Field(description="null for people who sign in with a PIN.")
    personnel_number: str | None = Field(description="The company's own number for the person.")
    department: DepartmentRef | None
    roles: list[str] = Field(description="learner, manager")
    active: bool = Field(description="False once deactivated (the person cannot sign in).")
    language: str | None = Field(description="de or en; null: the company's language.")
    external_id: str | None = Field(description="The person's id in the HR or identity system.")
    created_at: datetime
    updated_at: datetime | None = Field(
        description="When name, address, department or active last changed (not roles)."
    )


class Department(BaseModel):
    id: int
    company_id: int
    name: str
    external_id: str | None
    people: int = Field(description="Active people in the department.")
    created_at: datetime | None
    updated_at: datetime | None


class CourseRef(BaseModel):
    id: int
    slug: str
    title: str


class Assignment(BaseModel):
    """A person must complete a module by a day. Ended ones stay as history."""

    id: int
    company_id: int
    person_id: int
    course: CourseRef
    due_on: date = Field(description="The day it must be completed by (Europe/Berlin).")
    note: str
    reason: str = Field(description="person, department, company, newcomer, requalification")
    status: Literal["open", "withdrawn", "replaced"]
    assigned_at: datetime
    ended_at: datetime | None
    updated_at: datetime | None


class NewAssignment(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: Id
    course_id: Id
    due_on: Day
    note: Text500 = ""
    retake: bool = Field(False, description="Earlier completions no longer count.")


class Certificate(BaseModel):
    code: str = Field(description="The public verification code, e.g. ABCD-EFGH-JKLM.")
    verification_url: str = Field(description="The public page that confirms the certificate.")
    valid_until: datetime | None = Field(description="null: valid without end.")
    revoked: bool


class Completion(BaseModel):
    """A module completed on a version. `best_score_percent` and `attempts` are null
    unless the company's privacy level is "results"."""

    id: int
    company_id: int
    person_id: int
    course: CourseRef
    version: int = Field(description="The number of the module's version completed.")
    completed_at: datetime
    certificate: Certificate | None
    best_score_percent: float | None = Field(
        description='Best knowledge-check result; null at the privacy level "status".'
    )
    attempts: int | None = Field(
        description='Knowledge-check attempts handed in; null at the privacy level "status".'
    )


class TrainingRecord(BaseModel):
    """Training done elsewhere (a forklift licence, first aid)."""

    id: int
    company_id: int
    person_id: int
    course_id: int | None
    title: str
    provider: str
    status: str = Field(description="confirmed, pending or rejected")
    completed_at: datetime
    valid_until: datetime | None
    created_at: datetime


class NewTrainingRecord(BaseModel):
    model_config = ConfigDict(extra="forbid")

    person_id: Id
    title: Title
    provider: Text200 = ""
    completed_on: Day
    valid_until: Day | None = None
    course_id: Id | None = Field(None, description="The module it counts for, if any.")


class Course(BaseModel):
    """A module in the company's catalogue, in its live version."""

    id: int
    slug: str
    title: str
    language: str
    version: int
    minutes: int
    units: int
    valid_for: str | None
    shared: bool = Field(description="In every company's catalogue (else opened to some).")


class PathStep(BaseModel):
    course_slug: str
    after: list[str]


class LearningPath(BaseModel):
    id: int
    slug: str
    title: str
    summary: str
    language: str
    steps: list[PathStep]


class InPersonSession(BaseModel):
    """A session of an in-person part (Präsenztermin)."""

    id: int
    course: CourseRef
    unit_id: str
    starts_at: datetime
    ends_at: datetime
    place: str
    room: str
    capacity: int
    free: int
    booking_deadline: datetime
    cancelled: bool


class Booking(BaseModel):
    id: int
    company_id: int
    person_id: int
    session_id: int
    status: str = Field(description="confirmed, requested, waitlisted, cancelled, declined")
    attendance: str | None = Field(description="present, partial, absent, excused")
    created_at: datetime
    updated_at: datetime


def page_model(item: type[BaseModel], name: str) -> type[BaseModel]:
    """A list page of `item`: the items, the cursor and link of the next page."""
    from pydantic import create_model

    return create_model(
        name,
        items=(list[item], ...),  # type: ignore[valid-type]
        next_cursor=(str | None, Field(None, description="Give as `cursor` for the next page.")),
        next=(str | None, Field(None, description="The next page's address.")),
        __doc__=f"A page of {item.__name__} items.",
    )


PeoplePage = page_model(Person, "PeoplePage")
DepartmentPage = page_model(Department, "DepartmentPage")
AssignmentPage = page_model(Assignment, "AssignmentPage")
CompletionPage = page_model(Completion, "CompletionPage")
TrainingRecordPage = page_model(TrainingRecord, "TrainingRecordPage")
CoursePage = page_model(Course, "CoursePage")
LearningPathPage = page_model(LearningPath, "LearningPathPage")
SessionPage = page_model(InPersonSession, "SessionPage")
BookingPage = page_model(Booking, "BookingPage")

Problem.model_rebuild()
