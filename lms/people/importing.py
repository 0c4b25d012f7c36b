"""Bulk import of a company's people from a CSV or XLSX file as HR exports it.

The file
--------
One header row, then one person per row. Columns are recognised by their
header, in German or English, in any order; case, spaces, hyphens, dots and
underscores do not matter:

    field             headers (any one)                                   required
    e-mail            E-Mail, E-Mail-Adresse, Mail, Email address         see below
    first name        Vorname, First name, Given name                     yes
    last name         Nachname, Familienname, Last name, Surname          yes
    personnel number  Personalnummer, Personal-Nr., Pers.-Nr.,            see below
                      Personnel number, Employee number, Employee ID
    department        Abteilung, Department                               no
    roles             Rolle, Rollen, Role, Roles                          no
    language          Sprache, Language                                   no

The file needs an e-mail column, a personnel number column or both. A row may
leave the address empty when it gives a personnel number: an employee without
an address (issue 19), who signs in with it and a PIN; a manager needs an
address. Other columns are ignored, with a notice. Rows whose cells are all empty are
skipped (Excel likes to end a CSV with `;;;;` lines); line numbers are those
an editor shows for CSV and the row numbers for XLSX, so they stay right.
The file has no dates, so there are none to check. Roles are "Mitarbeitende"
/ "employee" (also learner, Mitarbeiter…) and "Führungskraft" / "manager",
several separated by `,` `;` `/` or `|`; every imported person is a learner,
"manager" adds the manager role. Admin and trainer are refused: only an admin
grants them, one person at a time. Languages are `de`/`en` (or Deutsch,
German, Englisch, English).

CSV may be UTF-8 (with or without byte order mark), UTF-16 with byte order
mark ("Unicode text"), or Windows-1252 (German Excel's "CSV (Trennzeichen-
getrennt)"); the separator, `;` or `,` (or a tab), is detected from the header.
XLSX is read from its first sheet. Files over `MAX_BYTES`, with more than
`MAX_ROWS` rows, binary files, old `.xls` and password-protected workbooks are
refused with a problem.

Matching and changes
--------------------
People are matched by e-mail address (case does not matter) within the
company; a row without an address, or whose address nobody has yet, by personnel
number (so a person without an address can be given one by an import). A person
not found is created (and later invited, if they have an address); a person found is
updated where a non-empty cell differs: name (first and last name joined),
personnel number, roles, language. A different department is a move: the
person keeps every assignment they have (their history) and receives the
standing assignments of the new department (`assignments.apply_rules_to_newcomers`).
An empty cell leaves the stored value alone, so a file with fewer columns
never erases data. A personnel number is unique within the company; since
people are matched by e-mail, a person whose address changed shows up as
"personnel number already belongs to <old address>" (change the address
first, then import). The import never reactivates anyone: a deactivated person
in the file gets a notice. With `deactivate_missing` (off by default), the
active learners and managers of the company who are not in the file are
deactivated, which ends their sessions; people with the admin or trainer role,
and the person importing, are never deactivated by an import.

Problems
--------
Every problem has a line (0 for the whole file), a code and parameters; its
sentence is made in the reader's language when shown (`Problem.format()` gives
"line N: message"). Errors stop the whole import; notices do not. Departments
are not created by an import: an unknown department is an error, so a typo
does not become a new department. A cell that starts like a spreadsheet
formula (`=`, `+`, `-`, `@`, also after spaces, and their full-width forms)
is refused rather than neutralised: names and numbers never start so, and what
is stored would reappear in exports and on pages.

Flow
----
`read_file(data, filename)` → `plan(session, company, people_file)` (reads
only; the dry run) → `apply(session, company, plan, by, now)` (only a plan
without errors; flushes, never commits, so the caller's single transaction
makes it all or nothing). Importing the same file again plans only
"unchanged". An admin's import in the browser goes through `apply_and_invite`: the
plan carried out, the newcomers invited (queued in the outbox) and the audit entry
written, in the caller's transaction.
"""

from __future__ import annotations

import csv
import enum
import io
import re
import unicodedata
import warnings
import zipfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any, ClassVar

from flask_babel import LazyString
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.audit import service as audit
from lms.clock import today
from lms.models import Company, Department, Role, User
from lms.reports.compliance import cells_changed
from lms.services.account_mail import invite_all
from lms.services.accounts import (
    NewPerson,
    create_users,
    deactivate_user,
    normalize_email,
    sso_domain_owners,
)
from lms.services.assignments import apply_rules_to_newcomers

MAX_BYTES = 10 * 1024 * 1024
"""Larger files are refused (an HR export of 10,000 people is about 1 MB)."""
MAX_ROWS = 10_000
"""More data rows than this are refused."""
MAX_XLSX_UNPACKED = 100 * 1024 * 1024
"""A workbook that unpacks to more than this is refused (a zip bomb)."""


class Field(enum.StrEnum):
    EMAIL = "email"
    FIRST_NAME = "first_name"
    LAST_NAME = "last_name"
    PERSONNEL_NUMBER = "personnel_number"
    DEPARTMENT = "department"
    ROLES = "roles"
    LANGUAGE = "language"


REQUIRED = (Field.FIRST_NAME, Field.LAST_NAME)
# At least one of these: how a person is matched and signs in.
IDENTIFYING = (Field.EMAIL, Field.PERSONNEL_NUMBER)

# Longest value per field (the database columns).
_MAX_LENGTH = {
    Field.EMAIL: 254,
    Field.FIRST_NAME: 100,
    Field.LAST_NAME: 100,
    Field.PERSONNEL_NUMBER: 50,
    Field.DEPARTMENT: 120,
    Field.ROLES: 200,
    Field.LANGUAGE: 20,
}


def header_key(text: str) -> str:
    """A header or a value as compared: case-folded, without spaces, hyphens, dots, underscores."""
    return re.sub(r"[\s\-_.:/]+", "", unicodedata.normalize("NFKC", text)).casefold()


def _name_key(text: str) -> str:
    """A department's name as compared: case and runs of spaces do not matter."""
    return " ".join(text.split()).casefold()


_HEADERS: dict[str, Field] = {
    header_key(name): f
    for f, names in {
        Field.EMAIL: ("E-Mail", "E-Mail-Adresse", "Mail", "Mailadresse", "Email address"),
        Field.FIRST_NAME: ("Vorname", "First name", "Given name", "Firstname"),
        Field.LAST_NAME: ("Nachname", "Familienname", "Last name", "Surname", "Family name"),
        Field.PERSONNEL_NUMBER: (
            "Personalnummer",
            "Personal-Nr.",
            "Pers.-Nr.",
            "Personnel number",
            "Employee number",
            "Employee ID",
        ),
        Field.DEPARTMENT: ("Abteilung", "Department"),
        Field.ROLES: ("Rolle", "Rollen", "Role", "Roles"),
        Field.LANGUAGE: ("Sprache", "Language"),
    }.items()
    for name in names
}

_ROLE_NAMES: dict[str, Role] = {
    header_key(name): role
    for role, names in {
        Role.LEARNER: (
            "Mitarbeitende",
            "Mitarbeitender",
            "Mitarbeiter",
            "Mitarbeiterin",
            "Beschäftigte",
            "Lernende",
            "Employee",
            "Learner",
        ),
        Role.MANAGER: ("Führungskraft", "Fuehrungskraft", "Vorgesetzte", "Manager", "Managerin"),
        Role.TRAINER: ("Trainer", "Trainerin"),
        Role.ADMIN: ("Admin", "Administrator", "Administratorin"),
    }.items()
    for name in names
}

_LANGUAGES = {
    header_key(name): code
    for code, names in {
        "de": ("de", "Deutsch", "German"),
        "en": ("en", "Englisch", "English"),
    }.items()
    for name in names
}

_FORMULA_STARTS = frozenset("=+-@＝＋－＠")
_ROLE_SEPARATORS = re.compile(r"[,;/|]")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


# --- Problems -------------------------------------------------------------------------


# code -> message. Notices are listed in NOTICES; every other code is an error.
MESSAGES: dict[str, LazyString] = {
    # The file as a whole
    "file-empty": _l("The file is empty."),
    "file-too-large": _l("The file is larger than %(limit)s MB."),
    "too-many-rows": _l("The file has more than %(limit)s rows; split it into several files."),
    "not-a-table": _l(
        "The file is neither a CSV file nor an Excel workbook (.xlsx). "
        "Save it from Excel as CSV or as .xlsx."
    ),
    "xlsx-encrypted": _l(
        "The file is a password-protected workbook or an old Excel file (.xls). "
        "Save it as .xlsx without a password, or as CSV."
    ),
    "xlsx-unreadable": _l("The Excel workbook cannot be read. Save it again as .xlsx or as CSV."),
    "no-header": _l("The file has no header row."),
    "missing-column": _l("The column %(column)s is missing."),
    "duplicate-column": _l("The columns %(first)s and %(second)s both mean %(column)s."),
    "extra-column": _l("The column %(column)s is not imported and is ignored."),
    "no-rows": _l("The file lists nobody."),
    # One row
    "formula-cell": _l(
        "The cell in column %(column)s starts with =, +, - or @, like a spreadsheet formula. "
        "Remove the character."
    ),
    "too-long": _l("The cell in column %(column)s is longer than %(limit)s characters."),
    "email-missing": _l(
        "Neither an e-mail address nor a personnel number is given. A person without "
        "an address needs a personnel number: they sign in with it."
    ),
    "email-required": _l("A manager needs an e-mail address."),
    "email-invalid": _l("%(email)s is not a valid e-mail address."),
    "email-duplicate": _l("%(email)s is listed twice in the file (also in line %(other)s)."),
    "email-taken": _l("%(email)s belongs to an account outside this company."),
    "email-sso-domain": _l(
        "%(email)s is at a domain another company signs its people in for: only that "
        "company may have people with it."
    ),
    "name-missing": _l("First name and last name are both empty."),
    "personnel-number-duplicate": _l(
        "Personnel number %(number)s is listed twice in the file (also in line %(other)s)."
    ),
    "personnel-number-taken": _l("Personnel number %(number)s already belongs to %(email)s."),
    "unknown-department": _l(
        "There is no department %(department)s. Create it first or correct the name."
    ),
    "unknown-role": _l(
        "%(role)s is not a role. Use Mitarbeitende (employee) or Führungskraft (manager)."
    ),
    "role-not-allowed": _l(
        "The role %(role)s cannot be given by an import; an administrator grants it."
    ),
    "unknown-language": _l("%(language)s is not a language. Use de or en."),
    "inactive-person": _l(
        "%(email)s is deactivated; the import changes their data but does not reactivate them."
    ),
}

NOTICES = frozenset({"extra-column", "inactive-person"})


@dataclass(frozen=True)
class Problem:
    """A problem in line `line` of the file (0: the file as a whole)."""

    line: int
    code: str
    params: dict[str, Any] = field(default_factory=dict)
    # The sentences and which codes are only notices (another import's subclass has its own).
    messages: ClassVar[Mapping[str, LazyString]] = MESSAGES
    notices: ClassVar[frozenset[str]] = NOTICES

    @property
    def is_error(self) -> bool:
        return self.code not in self.notices

    def message(self) -> str:
        template = str(self.messages[self.code])
        return template % self.params if self.params else template

    def format(self) -> str:
        """`line N: message` in the current language (the whole file: just the message)."""
        if not self.line:
            return self.message()
        return str(_l("line %(line)s: %(message)s", line=self.line, message=self.message()))


# --- Reading the file -------------------------------------------------------------------


@dataclass(frozen=True)
class Row:
    """One person as the file gives them: stripped cell text per recognised column."""

    line: int
    values: dict[Field, str]


@dataclass(frozen=True)
class PeopleFile:
    """What `read_file` found: the recognised columns (with their headers) and the rows."""

    columns: dict[Field, str]
    rows: list[Row]
    problems: list[Problem]

    @property
    def readable(self) -> bool:
        """Whether rows could be read at all (no problem with the file or its columns)."""
        return not any(p.is_error for p in self.problems)


def read_file(data: bytes, filename: str = "") -> PeopleFile:
    """Read an uploaded CSV or XLSX file into rows; never raises for bad input."""
    try:
        lines = read_table(data, filename)
    except FileRefused as refused:
        return PeopleFile({}, [], [refused.problem])
    return _map_columns(lines)


class FileRefused(Exception):
    """The file as a whole cannot be read; `problem` says why (line 0)."""

    def __init__(self, code: str, **params: Any) -> None:
        super().__init__(code)
        self.problem = Problem(0, code, params)


def read_table(data: bytes, filename: str) -> list[tuple[int, list[str]]]:
    """The non-empty rows of a CSV or XLSX file as (line number, cells); FileRefused if
    it cannot be read (also used by the import of external training records)."""
    if len(data) > MAX_BYTES:
        raise FileRefused("file-too-large", limit=MAX_BYTES // (1024 * 1024))
    if not data.strip():
        raise FileRefused("file-empty")
    if data.startswith(b"PK\x03\x04"):
        return _read_xlsx(data)
    if data.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):  # OLE: encrypted .xlsx or .xls
        raise FileRefused("xlsx-encrypted")
    if filename.lower().endswith((".xlsx", ".xlsm")):
        raise FileRefused("xlsx-unreadable")
    return _read_csv(_decode(data))


def _decode(data: bytes) -> str:
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise FileRefused("not-a-table") from None
    elif b"\x00" in data:
        raise FileRefused("not-a-table")
    else:
        try:
            text = data.decode("utf-8-sig")  # also plain UTF-8
        except UnicodeDecodeError:
            try:
                text = data.decode("cp1252")
            except UnicodeDecodeError:
                raise FileRefused("not-a-table") from None
    # Control characters other than tab and line ends do not occur in a table.
    if any(unicodedata.category(c) == "Cc" and c not in "\t\r\n" for c in text):
        raise FileRefused("not-a-table")
    return text


def _delimiter(text: str) -> str:
    """`;`, `,` or a tab: whichever the first non-empty line (the header) has most of."""
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in (";", ",", "\t")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ";"


def _read_csv(text: str) -> list[tuple[int, list[str]]]:
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    rows: list[tuple[int, list[str]]] = []
    line = 1
    try:
        for cells in reader:
            if any(cell.strip() for cell in cells):
                rows.append((line, cells))
                if len(rows) > MAX_ROWS + 1:
                    raise FileRefused("too-many-rows", limit=MAX_ROWS)
            line = reader.line_num + 1
    except csv.Error:
        raise FileRefused("not-a-table") from None
    return rows


def _read_xlsx(data: bytes) -> list[tuple[int, list[str]]]:
    from openpyxl import load_workbook

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_XLSX_UNPACKED:
                raise FileRefused("file-too-large", limit=MAX_BYTES // (1024 * 1024))
        with warnings.catch_warnings():
            # Workbooks from other programs make openpyxl warn about styles it skips.
            warnings.simplefilter("ignore")
            workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
            try:
                sheet = workbook.worksheets[0]
                rows: list[tuple[int, list[str]]] = []
                for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                    cells = [_cell_text(value) for value in values]
                    if any(cell.strip() for cell in cells):
                        rows.append((number, cells))
                        if len(rows) > MAX_ROWS + 1:
                            raise FileRefused("too-many-rows", limit=MAX_ROWS)
            finally:
                workbook.close()
    except FileRefused:
        raise
    except Exception:  # openpyxl and zipfile raise many kinds for a broken workbook
        raise FileRefused("xlsx-unreadable") from None
    return rows


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a personnel number typed as a number
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value)


def _map_columns(lines: list[tuple[int, list[str]]]) -> PeopleFile:
    if not lines:
        return PeopleFile({}, [], [Problem(0, "no-header")])
    header_line, header = lines[0]
    problems: list[Problem] = []
    columns: dict[Field, str] = {}
    positions: dict[Field, int] = {}
    for index, raw in enumerate(header):
        name = raw.strip()
        if not name:
            continue
        recognised = _HEADERS.get(header_key(name))
        if recognised is None:
            problems.append(Problem(header_line, "extra-column", {"column": name}))
        elif recognised in columns:
            problems.append(
                Problem(
                    header_line,
                    "duplicate-column",
                    {"first": columns[recognised], "second": name, "column": columns[recognised]},
                )
            )
        else:
            columns[recognised] = name
            positions[recognised] = index
    for required in REQUIRED:
        if required not in columns:
            problems.append(
                Problem(header_line, "missing-column", {"column": _COLUMN_LABELS[required]})
            )
    if not any(f in columns for f in IDENTIFYING):
        problems.append(
            Problem(header_line, "missing-column", {"column": _COLUMN_LABELS[Field.EMAIL]})
        )
    if any(p.is_error for p in problems):
        return PeopleFile(columns, [], problems)
    if len(lines) - 1 > MAX_ROWS:
        return PeopleFile(columns, [], [Problem(0, "too-many-rows", {"limit": MAX_ROWS})])
    rows = [
        Row(
            line,
            {
                f: (cells[index].strip() if index < len(cells) else "")
                for f, index in positions.items()
            },
        )
        for line, cells in lines[1:]
    ]
    if not rows:
        problems.append(Problem(0, "no-rows"))
    return PeopleFile(columns, rows, problems)


# How a missing column is named in its problem: both languages, as the headers are.
_COLUMN_LABELS = {
    Field.EMAIL: "E-Mail (e-mail)",
    Field.FIRST_NAME: "Vorname (first name)",
    Field.LAST_NAME: "Nachname (last name)",
}


# --- Planning (the dry run) ------------------------------------------------------------


class Action(enum.StrEnum):
    CREATE = "create"
    UPDATE = "update"
    MOVE = "move"  # a new department, perhaps with other changes
    UNCHANGED = "unchanged"
    DEACTIVATE = "deactivate"


@dataclass(frozen=True)
class Change:
    """What the import does to one person.

    `updates` holds the new values of the fields that change (every field for
    a new person): display_name, personnel_number, department_id, manager
    (bool), language.
    """

    action: Action
    email: str | None  # None: a person without an address, known by `personnel_number`
    line: int = 0
    user_id: int | None = None
    updates: dict[str, Any] = field(default_factory=dict)
    department: str | None = None
    """The department's name, for showing, when one is set: new people and moves."""
    personnel_number: str | None = None
    """The person's personnel number (the row's, else the stored one), for showing."""

    @property
    def who(self) -> str:
        """Whom the change is about, as shown: the address, else the personnel number."""
        return self.email or self.personnel_number or ""

    def describe(self) -> str:
        """One line for the dry run, e.g. `line 4: move anna@example.com (department: Lager)`."""
        shown = []
        for name, value in self.updates.items():
            if name == "department_id":
                shown.append(f"department: {self.department or '–'}")
            elif name == "manager":
                shown.append("roles: " + ("employee, manager" if value else "employee"))
            else:
                label = name.replace("display_", "").replace("_", " ")
                shown.append(f"{label}: {'–' if value is None else value}")
        where = f"line {self.line}: " if self.line else ""
        details = f" ({', '.join(shown)})" if shown else ""
        return f"{where}{self.action} {self.who}{details}"


@dataclass
class ImportPlan:
    company_id: int
    changes: list[Change]
    problems: list[Problem]

    @property
    def has_errors(self) -> bool:
        return any(p.is_error for p in self.problems)

    def counts(self) -> dict[Action, int]:
        counts = dict.fromkeys(Action, 0)
        for change in self.changes:
            counts[change.action] += 1
        return counts


def plan(
    session: Session,
    company: Company,
    people_file: PeopleFile,
    *,
    deactivate_missing: bool = False,
    importer: User | None = None,
) -> ImportPlan:
    """What importing the file into `company` would do, and every problem. Writes nothing.

    `importer`, the person importing, is never among the people deactivated.
    """
    problems = list(people_file.problems)
    result = ImportPlan(company.id, [], problems)
    if not people_file.readable:
        return result
    departments = {
        _name_key(d.name): d
        for d in session.scalars(select(Department).where(Department.company_id == company.id))
    }
    people = list(
        session.scalars(
            select(User).where(User.company_id == company.id).options(selectinload(User.role_rows))
        )
    )
    by_email = {p.email: p for p in people if p.email}
    by_number = {p.personnel_number: p for p in people if p.personnel_number}
    elsewhere = _emails_elsewhere(
        session,
        company.id,
        {normalize_email(r.values.get(Field.EMAIL, "")) for r in people_file.rows},
    )
    seen_emails: dict[str, int] = {}
    seen_numbers: dict[str, int] = {}
    for row in people_file.rows:
        row_problems, change = _plan_row(
            row, people_file.columns, departments, by_email, by_number, elsewhere,
            seen_emails, seen_numbers,
        )  # fmt: skip
        problems.extend(row_problems)
        if change is not None:
            result.changes.append(change)
    if deactivate_missing:
        listed = {change.user_id for change in result.changes}
        for person in sorted(people, key=lambda p: p.sign_in_name):
            if (
                person.is_active
                and person is not importer
                and person.id not in listed
                and (person.email is None or person.email not in seen_emails)
                and not (person.has_role(Role.ADMIN) or person.has_role(Role.TRAINER))
            ):
                result.changes.append(
                    Change(
                        Action.DEACTIVATE,
                        person.email,
                        user_id=person.id,
                        personnel_number=person.personnel_number,
                    )
                )
    problems.sort(key=lambda p: (p.line, not p.is_error))
    return result


def _emails_elsewhere(session: Session, company_id: int, emails: set[str]) -> dict[str, str]:
    """Which of `emails` the company may not have, each with the problem's code: an
    account outside the company (another one, or the provider's), or an address at a
    domain another company signs its people in for (single sign-on)."""
    refused = {
        email: "email-sso-domain"
        for email, owner in sso_domain_owners(session, emails).items()
        if owner != company_id
    }
    found: set[str] = set()
    wanted = sorted(e for e in emails if e)
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        found.update(
            session.scalars(
                select(User.email).where(
                    User.email.in_(chunk),
                    (User.company_id != company_id) | User.company_id.is_(None),
                )
            )
        )
    return {**refused, **dict.fromkeys(found, "email-taken")}


def is_formula(text: str) -> bool:
    stripped = text.lstrip()
    return bool(stripped) and stripped[0] in _FORMULA_STARTS


def _plan_row(
    row: Row,
    columns: dict[Field, str],
    departments: dict[str, Department],
    by_email: dict[str, User],
    by_number: dict[str, User],
    elsewhere: dict[str, str],
    seen_emails: dict[str, int],
    seen_numbers: dict[str, int],
) -> tuple[list[Problem], Change | None]:
    line = row.line
    values = row.values
    problems: list[Problem] = []

    def problem(code: str, **params: Any) -> None:
        problems.append(Problem(line, code, params))

    for f, text in values.items():
        if is_formula(text):
            problem("formula-cell", column=columns[f])
        elif len(text) > _MAX_LENGTH[f]:
            problem("too-long", column=columns[f], limit=_MAX_LENGTH[f])
    bad_cells = {f for f, text in values.items() if is_formula(text) or len(text) > _MAX_LENGTH[f]}

    email = normalize_email(values.get(Field.EMAIL, ""))
    if Field.EMAIL not in bad_cells and email:  # none: known by the personnel number
        if not _EMAIL.fullmatch(email):
            problem("email-invalid", email=email)
        elif email in seen_emails:
            problem("email-duplicate", email=email, other=seen_emails[email])
        elif email in elsewhere:
            problem(elsewhere[email], email=email)
    if email and email not in seen_emails:
        seen_emails[email] = line
    existing = by_email.get(email) if email else None
    number = values.get(Field.PERSONNEL_NUMBER, "")
    if Field.PERSONNEL_NUMBER in bad_cells:
        number = ""
    holder = by_number.get(number) if number else None
    gives_address = False
    if existing is None and holder is not None and (not email or holder.email is None):
        # Known by the personnel number: a row without an address, or an address for
        # someone who had none.
        existing, gives_address = holder, bool(email)

    first = values.get(Field.FIRST_NAME, "")
    last = values.get(Field.LAST_NAME, "")
    name = " ".join(part for part in (first, last) if part)
    if not name:
        problem("name-missing")

    if number:
        if number in seen_numbers:
            problem("personnel-number-duplicate", number=number, other=seen_numbers[number])
        elif holder is not None and holder is not existing:
            problem(
                "personnel-number-taken", number=number, email=holder.email or holder.display_name
            )
        seen_numbers.setdefault(number, line)
    elif not email and not bad_cells & {Field.EMAIL, Field.PERSONNEL_NUMBER}:
        problem("email-missing")

    department_name = values.get(Field.DEPARTMENT, "")
    department = None
    if department_name and Field.DEPARTMENT not in bad_cells:
        department = departments.get(_name_key(department_name))
        if department is None:
            problem("unknown-department", department=department_name)

    manager: bool | None = None
    roles_text = values.get(Field.ROLES, "")
    if roles_text and Field.ROLES not in bad_cells:
        manager = False
        for token in filter(None, (t.strip() for t in _ROLE_SEPARATORS.split(roles_text))):
            role = _ROLE_NAMES.get(header_key(token))
            if role is None:
                problem("unknown-role", role=token)
            elif role in (Role.ADMIN, Role.TRAINER):
                problem("role-not-allowed", role=token)
            elif role is Role.MANAGER:
                manager = True
    has_address = bool(email) or (existing is not None and existing.email is not None)
    if manager and not has_address:
        problem("email-required")

    language: str | None = None
    language_text = values.get(Field.LANGUAGE, "")
    if language_text and Field.LANGUAGE not in bad_cells:
        language = _LANGUAGES.get(header_key(language_text))
        if language is None:
            problem("unknown-language", language=language_text)

    if any(p.is_error for p in problems):
        return problems, None
    if existing is None:
        updates: dict[str, Any] = {
            "display_name": name,
            "personnel_number": number or None,
            "department_id": department.id if department else None,
            "manager": bool(manager),
            "language": language,
        }
        return problems, Change(
            Action.CREATE,
            email or None,
            line,
            None,
            updates,
            department.name if department else None,
            number or None,
        )

    if not existing.is_active:
        problem("inactive-person", email=existing.sign_in_name)
    updates = {}
    if gives_address:
        updates["email"] = email
    if name != existing.display_name:
        updates["display_name"] = name
    if number and number != existing.personnel_number:
        updates["personnel_number"] = number
    if manager is not None and (
        manager != existing.has_role(Role.MANAGER) or not existing.has_role(Role.LEARNER)
    ):
        updates["manager"] = manager
    if language is not None and language != existing.language:
        updates["language"] = language
    moved = department is not None and department.id != existing.department_id
    if moved:
        assert department is not None
        updates["department_id"] = department.id
    action = Action.MOVE if moved else Action.UPDATE if updates else Action.UNCHANGED
    return problems, Change(
        action,
        existing.email if not gives_address else email,
        line,
        existing.id,
        updates,
        department.name if moved and department else None,
        number or existing.personnel_number,
    )


# --- Applying -----------------------------------------------------------------------------


class ImportRefused(ValueError):
    """`apply` was given a plan it must not carry out; `code` says why."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass
class ImportSummary:
    counts: dict[Action, int]
    new_people_ids: list[int]
    """The ids of the people created, to be invited once the transaction is committed.

    Ids rather than objects: holding thousands of new objects makes every later
    flush of the import slower (5,000 people: 42 s instead of 27 s on SQLite).
    """
    without_email: int = 0
    """How many of them have no address, so no invitation (set by `apply_and_invite`)."""


def apply(
    session: Session, company: Company, import_plan: ImportPlan, by: User | None, now: datetime
) -> ImportSummary:
    """Carry out a plan without errors in the caller's transaction (flushes, never commits).

    A plan with errors, of another company, naming people outside the company
    or deactivating `by` is refused (`ImportRefused`) before anything changes.
    If anything fails later, the caller rolls back and nothing is changed.
    `by` is the person importing (None for the command line).
    """
    if import_plan.has_errors:
        raise ImportRefused("plan-has-errors")
    if import_plan.company_id != company.id:
        raise ImportRefused("other-company")
    ids = [c.user_id for c in import_plan.changes if c.user_id is not None]
    people = _people_by_id(session, company.id, ids)
    if len(people) != len(set(ids)):
        raise ImportRefused("person-not-in-company")
    if by is not None and any(
        c.action is Action.DEACTIVATE and c.user_id == by.id for c in import_plan.changes
    ):
        raise ImportRefused("would-deactivate-importer")
    departments = {
        d.id: d
        for d in session.scalars(select(Department).where(Department.company_id == company.id))
    }
    day = today(now)
    # New people first, all at once (one flush, and the standing assignments of
    # all of them in one pass): one at a time, 5,000 people took 27 s on SQLite.
    creates = [c for c in import_plan.changes if c.action is Action.CREATE]
    new_people = create_users(session, [_new_person(company, c, departments) for c in creates], now)
    moved: list[User] = []
    for change in import_plan.changes:
        if change.action in (Action.UNCHANGED, Action.CREATE):
            continue
        assert change.user_id is not None  # every other change is about someone found
        if change.action is Action.DEACTIVATE:
            deactivate_user(session, people[change.user_id])
        else:
            _update(people[change.user_id], change, departments)
            if "department_id" in change.updates:
                moved.append(people[change.user_id])
    cells_changed(session, company.id)
    session.flush()
    # Assignments already made stay (the history); the new departments' standing
    # assignments are added.
    apply_rules_to_newcomers(session, moved, now, day)
    return ImportSummary(import_plan.counts(), [person.id for person in new_people])


def apply_and_invite(
    session: Session,
    actor: audit.Actor,
    company: Company,
    import_plan: ImportPlan,
    *,
    source: str,
    now: datetime,
    invite_lifetime: timedelta,
) -> ImportSummary:
    """`apply` the plan as `actor`, invite the people created and record the import
    (named by `source`, the file's name) in the audit log, all in the caller's
    transaction: the invitations are queued in the outbox and go out only if the
    import is kept. Raises `ImportRefused` as `apply` does."""
    summary = apply(session, company, import_plan, actor.user, now)
    newcomers = [session.get(User, user_id) for user_id in summary.new_people_ids]
    # People without an address get no mail: HR prints them a letter or a login card.
    with_email = [p for p in newcomers if p is not None and p.has_email]
    invite_all(session, with_email, now, invite_lifetime)
    summary.without_email = len(summary.new_people_ids) - len(with_email)
    counts = summary.counts
    audit.record(
        session,
        actor,
        "people.import",
        company.id,
        now,
        subject=source,
        changes={str(action): [None, counts[action]] for action in Action if counts[action]},
    )
    return summary


def _people_by_id(session: Session, company_id: int, ids: Sequence[int]) -> dict[int, User]:
    found: dict[int, User] = {}
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        found.update(
            (p.id, p)
            for p in session.scalars(
                select(User)
                .where(User.id.in_(chunk), User.company_id == company_id)
                .options(selectinload(User.role_rows))
            )
        )
    return found


def _roles(manager: bool) -> tuple[Role, ...]:
    return (Role.LEARNER, Role.MANAGER) if manager else (Role.LEARNER,)


def _new_person(company: Company, change: Change, departments: dict[int, Department]) -> NewPerson:
    values = change.updates
    department_id = values["department_id"]
    return NewPerson(
        email=change.email,
        display_name=values["display_name"],
        roles=_roles(values["manager"]),
        company=company,
        department=departments[department_id] if department_id is not None else None,
        language=values["language"],
        # Set with the account rather than after it: a later flush of thousands of
        # changed people costs seconds in the revision hook (compliance._raise_revisions).
        personnel_number=values["personnel_number"],
    )


def _update(person: User, change: Change, departments: dict[int, Department]) -> None:
    values = change.updates
    if "email" in values:
        person.email = values["email"]
    if "display_name" in values:
        person.display_name = values["display_name"]
    if "personnel_number" in values:
        person.personnel_number = values["personnel_number"]
    if "language" in values:
        person.language = values["language"]
    if "manager" in values:
        for role in _roles(values["manager"]):
            person.grant(role)
        if not values["manager"]:
            person.revoke(Role.MANAGER)
    if "department_id" in values:
        person.department = departments[values["department_id"]]
