"""Import of external training records from a CSV or XLSX file, with a dry run.

The file is read like the people import's (`people_import.read_table`: encodings,
separators, size and row limits, workbooks). One header row, German or English,
any order; other columns are ignored with a notice:

    field        headers (any one)                                      required
    e-mail       E-Mail, Mail, Email address                            one of the two
    personnel    Personalnummer, Personal-Nr., Personnel number, …
    title        Schulung, Nachweis, Bezeichnung, Training, Title        yes
    provider     Anbieter, Schulungsanbieter, Provider                  no
    completed    Datum, Abgeschlossen am, Date, Completed on            yes
    valid until  Gültig bis, Valid until, Expires                       no
    module       Modul, Module                                          no

People are found by e-mail address or personnel number among the company's people
(a manager limited to departments: only theirs). Dates are 31.12.2026, 31.12.26,
2026-12-31 or a date cell. A module is named by its title or its short name (slug)
from the company's catalogue; a confirmed record for a module counts like
completing it. A row equal to a record the person has (same title, day and module)
is unchanged, so importing a file again changes nothing. Applying writes every new
record in the caller's transaction, confirmed, or nothing when the plan has errors.
"""

from __future__ import annotations

import enum
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.clock import day_end, day_start, local_zone
from lms.input_checks import date_in_range
from lms.models import Company, ExternalRecord, RecordStatus, User
from lms.people import importing as people_import
from lms.people.importing import MAX_BYTES as MAX_BYTES
from lms.people.importing import MESSAGES as FILE_MESSAGES
from lms.people.importing import FileRefused, header_key, is_formula, read_table
from lms.reports.compliance import cells_changed
from lms.services.accounts import normalize_email
from lms.training_records.service import module_validity


class Column(enum.StrEnum):
    EMAIL = "email"
    PERSONNEL_NUMBER = "personnel_number"
    TITLE = "title"
    PROVIDER = "provider"
    COMPLETED = "completed"
    VALID_UNTIL = "valid_until"
    MODULE = "module"


_HEADERS: dict[str, Column] = {
    header_key(name): column
    for column, names in {
        Column.EMAIL: ("E-Mail", "E-Mail-Adresse", "Mail", "Email address"),
        Column.PERSONNEL_NUMBER: (
            "Personalnummer",
            "Personal-Nr.",
            "Pers.-Nr.",
            "Personnel number",
            "Employee number",
            "Employee ID",
        ),
        Column.TITLE: ("Schulung", "Nachweis", "Bezeichnung", "Training", "Title"),
        Column.PROVIDER: ("Anbieter", "Schulungsanbieter", "Provider"),
        Column.COMPLETED: ("Datum", "Abgeschlossen am", "Date", "Completed on", "Completed"),
        Column.VALID_UNTIL: ("Gültig bis", "Gueltig bis", "Valid until", "Expires"),
        Column.MODULE: ("Modul", "Module"),
    }.items()
    for name in names
}
_LABELS = {
    Column.TITLE: "Schulung (training)",
    Column.COMPLETED: "Datum (date)",
    Column.EMAIL: "E-Mail (e-mail) / Personalnummer (personnel number)",
}
_MAX_LENGTH = {
    Column.EMAIL: 254,
    Column.PERSONNEL_NUMBER: 40,
    Column.TITLE: 200,
    Column.PROVIDER: 200,
    Column.COMPLETED: 40,
    Column.VALID_UNTIL: 40,
    Column.MODULE: 200,
}

MESSAGES: dict[str, LazyString] = {
    **FILE_MESSAGES,
    "person-missing": _l("Neither an e-mail address nor a personnel number is given."),
    "unknown-person": _l("Nobody here has the e-mail address or personnel number %(who)s."),
    "title-missing": _l("The training's name is missing."),
    "date-missing": _l("The date of the training is missing."),
    "date-invalid": _l("%(value)s is not a date. Write it as 31.12.2026."),
    "date-future": _l("The date %(value)s lies in the future."),
    "valid-before-done": _l("The record would be valid only until before the training."),
    "unknown-module": _l("There is no module %(module)s in this company's catalogue."),
    "own-record": _l("You cannot record a training for yourself; another manager does."),
    "duplicate-row": _l("This record is listed twice in the file (also in line %(other)s)."),
}
NOTICES = frozenset({"extra-column"})


class Problem(people_import.Problem):
    """A problem in line `line` of the file (0: the file as a whole)."""

    messages = MESSAGES
    notices = NOTICES


@dataclass(frozen=True)
class NewRecord:
    line: int
    user_id: int
    name: str
    title: str
    provider: str
    completed_on: date
    valid_until: date | None
    course_id: int | None
    module: str  # the module's title, for showing ("" without one)


@dataclass
class RecordPlan:
    new: list[NewRecord]
    unchanged: int
    problems: list[Problem]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)


def plan(
    session: Session,
    company: Company,
    data: bytes,
    filename: str,
    *,
    modules: dict[int, tuple[str, str]],
    department_ids: Sequence[int] | None,
    today: date,
    importer: User | None = None,
) -> RecordPlan:
    """What importing the file would record, and every problem. Writes nothing.

    `modules`: the catalogue's courses as {id: (slug, title)}; `department_ids`: the
    departments whose people may be named (None: the whole company).
    """
    result = RecordPlan([], 0, [])
    try:
        lines = read_table(data, filename)
    except FileRefused as refused:
        result.problems.append(Problem(0, refused.problem.code, refused.problem.params))
        return result
    positions = _columns(lines, result.problems)
    if positions is None:
        return result
    people_query = select(User).where(User.company_id == company.id)
    if department_ids is not None:
        people_query = people_query.where(User.department_id.in_(list(department_ids)))
    people = list(session.scalars(people_query))
    by_email = {p.email: p for p in people if p.email}  # people without one: by number
    by_number = {p.personnel_number: p for p in people if p.personnel_number}
    module_keys: dict[str, int] = {}
    for module_id, (slug, module_title) in modules.items():
        module_keys[header_key(slug)] = module_id
        module_keys[header_key(module_title)] = module_id
    # By day: records are stored at a moment of their day (its end; its start before).
    zone = local_zone()
    existing = {
        (r.user_id, r.title.casefold(), r.completed_at.astimezone(zone).date(), r.course_id)
        for r in session.scalars(
            select(ExternalRecord).where(
                ExternalRecord.company_id == company.id,
                ExternalRecord.status != RecordStatus.REJECTED.value,
            )
        )
    }
    seen: dict[tuple[Any, ...], int] = {}
    header_line = lines[0][0]
    for line, cells in lines[1:]:
        values = {
            column: (cells[index].strip() if index < len(cells) else "")
            for column, index in positions.items()
        }
        problems: list[Problem] = []

        def problem(
            code: str, _line: int = line, _to: list[Problem] = problems, **params: Any
        ) -> None:
            _to.append(Problem(_line, code, params))

        for column, text in values.items():
            if is_formula(text):
                problem("formula-cell", column=_header(lines, positions, column))
            elif len(text) > _MAX_LENGTH[column]:
                problem(
                    "too-long",
                    column=_header(lines, positions, column),
                    limit=_MAX_LENGTH[column],
                )
        if problems:
            result.problems.extend(problems)
            continue
        person = _person(values, by_email, by_number, problem)
        if person is not None and importer is not None and person.id == importer.id:
            problem("own-record")
            person = None
        title = values.get(Column.TITLE, "")
        if not title:
            problem("title-missing")
        completed = _date(values.get(Column.COMPLETED, ""), problem, required=True)
        if completed is not None and completed > today:
            problem("date-future", value=values[Column.COMPLETED])
        valid_until = _date(values.get(Column.VALID_UNTIL, ""), problem, required=False)
        if completed and valid_until and valid_until < completed:
            problem("valid-before-done")
        course_id: int | None = None
        module = values.get(Column.MODULE, "")
        if module:
            course_id = module_keys.get(header_key(module))
            if course_id is None:
                problem("unknown-module", module=module)
        if problems or person is None or completed is None:
            result.problems.extend(problems)
            continue
        key = (person.id, title.casefold(), completed, course_id)
        if key in seen:
            problem("duplicate-row", other=seen[key])
            result.problems.extend(problems)
            continue
        seen[key] = line
        if key in existing:
            result.unchanged += 1
            continue
        result.new.append(
            NewRecord(
                line,
                person.id,
                person.display_name,
                title,
                values.get(Column.PROVIDER, ""),
                completed,
                valid_until,
                course_id,
                modules[course_id][1] if course_id is not None else "",
            )
        )
    if header_line and not lines[1:]:
        result.problems.append(Problem(0, "no-rows"))
    return result


def _header(
    lines: list[tuple[int, list[str]]], positions: dict[Column, int], column: Column
) -> str:
    return lines[0][1][positions[column]].strip()


def _columns(
    lines: list[tuple[int, list[str]]], problems: list[Problem]
) -> dict[Column, int] | None:
    """The position of each recognised column, or None when the header is unusable."""
    if not lines:
        problems.append(Problem(0, "no-header"))
        return None
    header_line, header = lines[0]
    positions: dict[Column, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip()
        if not name:
            continue
        column = _HEADERS.get(header_key(name))
        if column is None:
            problems.append(Problem(header_line, "extra-column", {"column": name}))
        elif column in positions:
            first = header[positions[column]].strip()
            problems.append(
                Problem(
                    header_line,
                    "duplicate-column",
                    {"first": first, "second": name, "column": first},
                )
            )
        else:
            positions[column] = index
    missing = [c for c in (Column.TITLE, Column.COMPLETED) if c not in positions]
    if Column.EMAIL not in positions and Column.PERSONNEL_NUMBER not in positions:
        missing.insert(0, Column.EMAIL)
    for column in missing:
        problems.append(Problem(header_line, "missing-column", {"column": _LABELS[column]}))
    if any(p.is_error for p in problems):
        return None
    return positions


def _person(
    values: dict[Column, str],
    by_email: dict[str, User],
    by_number: dict[str, User],
    problem: Any,
) -> User | None:
    email = normalize_email(values.get(Column.EMAIL, ""))
    number = values.get(Column.PERSONNEL_NUMBER, "")
    if not email and not number:
        problem("person-missing")
        return None
    person = by_email.get(email) if email else None
    if person is None and number:
        person = by_number.get(number)
    if person is None:
        problem("unknown-person", who=email or number)
    return person


_DATE = re.compile(r"(\d{1,2})\.(\d{1,2})\.(\d{2}|\d{4})")
_ISO = re.compile(r"(\d{4})-(\d{2})-(\d{2})(?:[T ]00:00(?::00)?)?")


def _date(text: str, problem: Any, *, required: bool) -> date | None:
    """A German (31.12.2026, 31.12.26) or ISO date, or a workbook's date cell."""
    if not text:
        if required:
            problem("date-missing")
        return None
    found = None
    try:
        if match := _DATE.fullmatch(text):
            day, month, year = (int(part) for part in match.groups())
            found = date(year + 2000 if year < 100 else year, month, day)
        elif match := _ISO.fullmatch(text):
            year, month, day = (int(part) for part in match.groups())
            found = date(year, month, day)
    except ValueError:
        pass
    if found is not None and date_in_range(found):  # not the year 1 or 9999
        return found
    problem("date-invalid", value=text)
    return None


def apply(
    session: Session,
    actor: Actor,
    company: Company,
    plan: RecordPlan,
    filename: str,
    now: datetime,
) -> list[ExternalRecord]:
    """Write the plan's new records of the file `filename`, confirmed by `actor`;
    only a plan without errors."""
    if plan.has_errors:
        raise ValueError("a plan with errors is not applied")
    records = [
        ExternalRecord(
            company_id=company.id,
            user_id=new.user_id,
            course_id=new.course_id,
            title=new.title,
            provider=new.provider,
            completed_at=day_end(new.completed_on),
            valid_until=day_start(new.valid_until)
            if new.valid_until
            else module_validity(session, new.course_id, day_end(new.completed_on))
            if new.course_id is not None
            else None,
            status=RecordStatus.CONFIRMED.value,
            created_at=now,
            created_by_id=actor.user_id,
            decided_at=now,
            decided_by_id=actor.user_id,
        )
        for new in plan.new
    ]
    session.add_all(records)
    cells_changed(session, company.id)
    session.flush()
    audit.record(
        session,
        actor,
        "record.import",
        company.id,
        now,
        subject=filename,
        changes={"new": [None, len(records)], "unchanged": [None, plan.unchanged]},
    )
    return records
