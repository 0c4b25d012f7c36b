"""What SCIM requests do to a company's people and departments.

A SCIM User is a person of the token's company, a Group one of its departments
(members: the people whose department it is). Every function takes the company's id
and finds rows only within it, so a token never reaches another company: an id of
another company is simply not found.

Changes go through the audited services of `lms.services.companies` (add_person,
update_person, deactivate_person, reactivate_person, add_department, …), so the
audit log, the team overview's revisions, standing assignments and webhooks follow as
they do for the admin's forms. A person created here is invited by e-mail unless the
company signs in through its identity provider (SSO enabled): then there is nothing
to set up.

DELETE never erases: the person is deactivated (their history and certificates
stay) and no longer listed over SCIM (an audit entry "person.scim_remove" marks
it, until an admin or a new POST of the same userName reactivates them).

The request bodies are read leniently, as Entra ID writes them: operation names in
any case ("Replace"), booleans as strings ("False"), operations without a path whose
value holds several attributes ("name.givenName": …), filtered paths
(`emails[type eq "work"].value`, `members[value eq "42"]`) and the enterprise
extension's attributes by their full URN.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.orm import Session, aliased

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.input_checks import as_id
from lms.models import AuditEntry, Company, Department, Role, SsoSettings, User
from lms.services import companies
from lms.services.accounts import (
    AccountError,
    NewPerson,
    check_sso_domain,
    create_user,
    normalize_email,
)

REMOVED = "person.scim_remove"
LANGUAGES = ("de", "en")
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:user"
CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:user"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:group"


class ScimError(Exception):
    """A request SCIM answers with an error: HTTP status, scimType and detail."""

    def __init__(self, status: int, detail: str, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.scim_type = scim_type


def not_found(kind: str, resource_id: object) -> ScimError:
    return ScimError(404, f"{kind} {resource_id} not found")


# --- What SCIM sees of a person --------------------------------------------------------


@dataclass(frozen=True)
class PersonState:
    """The fields of a person SCIM reads and writes."""

    email: str | None = None
    personnel_number: str | None = None
    display_name: str = ""
    language: str | None = None
    external_id: str | None = None
    department: str | None = None  # the department's name
    active: bool = True
    # Name parts a request sent (name.givenName, …): the display name when the request
    # names none itself.
    given_name: str | None = field(default=None, compare=False)
    family_name: str | None = field(default=None, compare=False)
    display_named: bool = field(default=False, compare=False)

    @property
    def user_name(self) -> str:
        return self.email or self.personnel_number or ""

    def finished(self) -> PersonState:
        """The state with the display name settled from what the request sent."""
        name = self.display_name.strip()
        if not self.display_named and (self.given_name or self.family_name):
            name = " ".join(p for p in (self.given_name, self.family_name) if p).strip()
        if len(name) > LIMITS["displayName"]:
            raise ScimError(400, f"The name must be at most {LIMITS['displayName']} characters",
                            "invalidValue")  # fmt: skip
        return replace(self, display_name=name or self.user_name, given_name=None,
                       family_name=None, display_named=False)  # fmt: skip


def state_of(person: User) -> PersonState:
    return PersonState(
        email=person.email,
        personnel_number=person.personnel_number,
        display_name=person.display_name,
        language=person.language,
        external_id=person.external_id,
        department=person.department.name if person.department else None,
        active=person.is_active,
    )


def _given_and_family(display_name: str) -> tuple[str, str]:
    """A display name split as "given family" (the last word is the family name)."""
    given, _, family = display_name.strip().rpartition(" ")
    return given, family


def as_bool(value: Any) -> bool:
    """A SCIM boolean, also as Entra ID sends it: "True", "false"."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.strip().lower() in ("true", "false"):
        return value.strip().lower() == "true"
    raise ScimError(400, f"Not a boolean: {value!r}", "invalidValue")


# What a text value must not hold: C0 control characters but tab and line breaks
# (PostgreSQL refuses NUL), and halves of surrogate pairs (JSON's "\ud800" is no text).
_UNSAFE = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff]")
# The longest value each attribute's column holds.
LIMITS = {
    "email": 254,
    "displayName": 200,
    "personnelNumber": 50,
    "externalId": 255,
    "department": 120,
}


def _text(value: Any, what: str, limit: int | None = None) -> str | None:
    """A string value (numbers as their digits), stripped; None for null or empty.
    400 invalidValue for other types, control characters and values too long."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, str | int):
        raise ScimError(400, f"{what} must be a string", "invalidValue")
    text = str(value).strip()
    if _UNSAFE.search(text):
        raise ScimError(400, f"{what} must not contain control characters", "invalidValue")
    if limit is not None and len(text) > limit:
        raise ScimError(400, f"{what} must be at most {limit} characters", "invalidValue")
    return text or None


def _email(value: Any, what: str) -> str | None:
    return normalize_email(_text(value, what, LIMITS["email"]) or "") or None


def _language(value: Any) -> str | None:
    text = (_text(value, "preferredLanguage") or "").lower()[:2]
    return text if text in LANGUAGES else None


def _set_user_name(state: PersonState, value: Any) -> PersonState:
    """userName is the address (with "@") or else the personnel number."""
    text = _text(value, "userName")
    if not text:
        raise ScimError(400, "userName must not be empty", "invalidValue")
    if "@" in text:
        return replace(state, email=_email(text, "userName"))
    return replace(state, personnel_number=_text(text, "userName", LIMITS["personnelNumber"]))


def _first_email(value: Any) -> str | None:
    """The address of an `emails` value: the primary one, else the work one, else the first."""
    items = value if isinstance(value, list) else [value]
    entries = [item for item in items if isinstance(item, Mapping) and item.get("value")]
    if not entries:
        return None

    def rank(item: Mapping[str, Any]) -> int:
        primary = str(item.get("primary", "")).lower() == "true"
        return 0 if primary else 1 if str(item.get("type", "")).lower() == "work" else 2

    chosen = sorted(entries, key=rank)[0]
    return _email(chosen["value"], "emails.value")


_FILTERED = re.compile(r"^(?P<attr>[\w.$]+)\[(?P<filter>[^\]]*)\](?:\.(?P<sub>[\w$]+))?$")


def _split_path(path: str, core: str) -> tuple[str, str | None, str | None]:
    """("emails", 'type eq "work"', "value") for `emails[type eq "work"].value`; the
    attribute lower case, the core schema's and the enterprise URN's prefixes taken off
    (the enterprise attributes come back as "enterprise.department")."""
    text = path.strip()
    lowered = text.lower()
    if lowered == ENTERPRISE:
        return "enterprise", None, None
    if lowered.startswith(ENTERPRISE + ":"):
        return "enterprise." + lowered[len(ENTERPRISE) + 1 :], None, None
    if lowered.startswith(core + ":"):
        text = text[len(core) + 1 :]
    match = _FILTERED.match(text)
    if match:
        sub = match["sub"].lower() if match["sub"] else None
        return match["attr"].lower(), match["filter"], sub
    return text.lower(), None, None


def _apply_user_value(state: PersonState, op: str, attr: str, value: Any) -> PersonState:
    """One attribute of a person added, replaced (op "add"/"replace") or removed."""
    removing = op == "remove"
    if attr in ("id", "meta", "groups"):
        raise ScimError(400, f"{attr} cannot be changed", "mutability")
    if attr == "username":
        if removing:
            raise ScimError(400, "userName cannot be removed", "mutability")
        return _set_user_name(state, value)
    if attr == "displayname":
        name = None if removing else _text(value, "displayName", LIMITS["displayName"])
        return replace(state, display_name=name or "", display_named=True)
    if attr == "name":
        if removing or not isinstance(value, Mapping):
            return state
        parts = {str(key).lower(): item for key, item in value.items()}
        if parts.get("formatted"):
            state = replace(state, given_name=None, family_name=None)
            formatted = _text(parts["formatted"], "name.formatted", LIMITS["displayName"])
            return replace(state, display_name=formatted or "", display_named=True)
        for key in ("givenname", "familyname"):
            if key in parts:
                state = _apply_user_value(state, op, f"name.{key}", parts[key])
        return state
    if attr in ("name.givenname", "name.familyname", "name.formatted"):
        text = None if removing else _text(value, attr, LIMITS["displayName"])
        if attr == "name.formatted":
            return replace(state, display_name=text or "", display_named=True)
        given, family = _given_and_family(state.display_name)
        given = state.given_name if state.given_name is not None else given
        family = state.family_name if state.family_name is not None else family
        if attr == "name.givenname":
            return replace(state, given_name=text or "", family_name=family)
        return replace(state, given_name=given, family_name=text or "")
    if attr == "emails":
        return replace(state, email=None if removing else _first_email(value))
    if attr in ("emails.value",):
        if removing:
            return replace(state, email=None)
        # `emails[type eq "work"]` may carry the whole entry (or a list of them).
        if isinstance(value, list | Mapping):
            return replace(state, email=_first_email(value))
        return replace(state, email=_email(value, "emails.value"))
    if attr == "active":
        if removing:
            raise ScimError(400, "active cannot be removed", "mutability")
        return replace(state, active=as_bool(value))
    if attr == "preferredlanguage":
        return replace(state, language=None if removing else _language(value))
    if attr == "externalid":
        external_id = None if removing else _text(value, "externalId", LIMITS["externalId"])
        return replace(state, external_id=external_id)
    if attr == "enterprise":
        if removing:
            return _apply_user_value(
                _apply_user_value(state, op, "enterprise.department", None),
                op, "enterprise.employeenumber", None,
            )  # fmt: skip
        if not isinstance(value, Mapping):
            raise ScimError(400, "The enterprise extension must be an object", "invalidValue")
        for key, item in value.items():
            state = _apply_user_value(state, op, f"enterprise.{str(key).lower()}", item)
        return state
    if attr == "enterprise.department":
        name = None if removing else _text(value, "department", LIMITS["department"])
        return replace(state, department=name)
    if attr == "enterprise.employeenumber":
        if removing:
            # Without an address the personnel number is the userName, kept.
            return state if not state.email else replace(state, personnel_number=None)
        number = _text(value, "employeeNumber", LIMITS["personnelNumber"])
        return replace(state, personnel_number=number)
    # Attributes Lernwerk does not keep (phoneNumbers, title, addresses, …) are ignored,
    # so an identity system's default mapping works unchanged.
    return state


def _filtered_email_path(attr: str, sub: str | None) -> str:
    # emails[type eq "work"].value: Lernwerk keeps one address, whatever its type.
    return "emails.value" if attr == "emails" and sub in (None, "value") else attr


def read_user(state: PersonState, payload: Mapping[str, Any], op: str = "replace") -> PersonState:
    """The state after applying every attribute of a User document (POST, PUT, or a
    PATCH operation's value without a path)."""
    for key, value in payload.items():
        attr, _filter, sub = _split_path(str(key), CORE_USER)
        if attr in ("schemas", "id", "meta", "groups", "password"):
            continue
        if attr.startswith(ENTERPRISE):
            continue
        state = _apply_user_value(state, op, _filtered_email_path(attr, sub) if _filter
                                  else attr, value)  # fmt: skip
    return state


def user_document_state(payload: Mapping[str, Any]) -> PersonState:
    """The state a whole User document (POST, PUT) describes."""
    if "userName" not in payload and "username" not in {k.lower() for k in payload}:
        raise ScimError(400, "userName is required", "invalidValue")
    state = read_user(PersonState(), payload)
    return state.finished()


@dataclass(frozen=True)
class Operation:
    op: str  # add, replace, remove
    path: str | None
    value: Any


def operations(payload: Any) -> list[Operation]:
    """The operations of a PatchOp document, the op names lower case."""
    if not isinstance(payload, Mapping):
        raise ScimError(400, "The body must be a PatchOp object", "invalidSyntax")
    raw = payload.get("Operations", payload.get("operations"))
    if not isinstance(raw, list) or not raw:
        raise ScimError(400, "Operations are missing", "invalidSyntax")
    result = []
    for item in raw:
        if not isinstance(item, Mapping):
            raise ScimError(400, "An operation must be an object", "invalidSyntax")
        op = str(item.get("op", "")).strip().lower()
        if op not in ("add", "replace", "remove"):
            raise ScimError(400, f"Unknown operation {item.get('op')!r}", "invalidSyntax")
        path = item.get("path")
        if path is not None and not isinstance(path, str):
            raise ScimError(400, "path must be a string", "invalidPath")
        if op == "remove" and not path:
            raise ScimError(400, "A remove operation needs a path", "noTarget")
        if op != "remove" and "value" not in item:
            raise ScimError(400, f"The {op} operation needs a value", "invalidValue")
        result.append(Operation(op, path or None, item.get("value")))
    return result


def patch_user(state: PersonState, ops: Sequence[Operation]) -> PersonState:
    for operation in ops:
        if operation.path is None:
            if not isinstance(operation.value, Mapping):
                raise ScimError(400, "An operation without path needs an object", "invalidValue")
            state = read_user(state, operation.value, operation.op)
            continue
        attr, filter_, sub = _split_path(operation.path, CORE_USER)
        if filter_ is not None:
            attr = _filtered_email_path(attr, sub)
        elif sub is not None:
            attr = f"{attr}.{sub}"
        state = _apply_user_value(state, operation.op, attr, operation.value)
    return state.finished()


# --- Reading people --------------------------------------------------------------------


_Removal = aliased(AuditEntry, name="removal")


def _removed_marker() -> Any:
    """People DELETE removed from SCIM (and not reactivated since)."""
    later_reactivation = (
        select(AuditEntry.id)
        .where(
            AuditEntry.subject_id == User.id,
            AuditEntry.company_id == User.company_id,
            AuditEntry.action == "person.reactivate",
            AuditEntry.at >= _Removal.at,
        )
        .exists()
    )
    return (
        select(_Removal.id)
        .where(
            _Removal.subject_id == User.id,
            _Removal.company_id == User.company_id,
            _Removal.action == REMOVED,
            ~later_reactivation,
        )
        .exists()
    )


def people(company_id: int) -> Select[Any]:
    """The company's people SCIM lists: not erased, not removed by DELETE."""
    return select(User).where(
        User.company_id == company_id,
        User.erased_at.is_(None),
        or_(User.is_active, ~_removed_marker()),
    )


def person(session: Session, company_id: int, user_id: Any) -> User:
    key = _as_id(user_id)
    found: User | None = (
        session.scalar(people(company_id).where(User.id == key)) if key is not None else None
    )
    if found is None:
        raise not_found("User", user_id)
    return found


def _as_id(value: Any) -> int | None:
    """An id as a row may hold it (a number, or its ASCII digits), else None."""
    return as_id(value.strip() if isinstance(value, str) else value)


_FILTER = re.compile(r'^\s*(?P<attr>[\w.:]+)\s+eq\s+"(?P<value>(?:[^"\\]|\\.)*)"\s*$', re.I)


def parse_filter(text: str, allowed: Iterable[str]) -> tuple[str, str]:
    """(attribute lower case, value) of `attr eq "value"`; other filters answer 400."""
    match = _FILTER.match(text)
    if match is None:
        raise ScimError(400, f"Filter not supported: {text[:100]}", "invalidFilter")
    attr = match["attr"].lower()
    for prefix in (CORE_USER + ":", CORE_GROUP + ":"):
        if attr.startswith(prefix):
            attr = attr[len(prefix) :]
    if attr not in allowed:
        raise ScimError(400, f"Filter on {match['attr']} not supported", "invalidFilter")
    value = match["value"].replace('\\"', '"').replace("\\\\", "\\")
    if _UNSAFE.search(value) or len(value) > max(LIMITS.values()):
        raise ScimError(400, "The filter's value is no name, address or id", "invalidFilter")
    return attr, value


def filter_people(stmt: Select[Any], filter_text: str | None) -> Select[Any]:
    if not filter_text:
        return stmt
    attr, value = parse_filter(filter_text, ("username", "externalid", "emails.value",
                                             "emails"))  # fmt: skip
    if attr == "externalid":
        return stmt.where(User.external_id == value)
    if attr in ("emails", "emails.value"):
        return stmt.where(User.email == normalize_email(value))
    # userName: the address, or the personnel number of someone without one.
    return stmt.where(
        or_(
            User.email == normalize_email(value),
            and_(User.email.is_(None), User.personnel_number == value.strip()),
        )
    )


def page(
    session: Session, stmt: Select[Any], start_index: int, count: int
) -> tuple[int, list[Any]]:
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = list(session.scalars(stmt.offset(start_index - 1).limit(count))) if count else []
    return int(total or 0), rows


def version(*parts: object) -> str:
    """A weak ETag over what makes the resource's representation."""
    digest = hashlib.sha256("|".join(str(p) for p in parts).encode()).hexdigest()[:20]
    return f'W/"{digest}"'


def user_version(person: User) -> str:
    return version(person.id, person.updated_at, person.is_active, person.email,
                   person.personnel_number, person.display_name, person.language,
                   person.external_id, person.department_id)  # fmt: skip


# --- Changing people -------------------------------------------------------------------


def sso_enabled(session: Session, company_id: int) -> bool:
    return bool(
        session.scalar(select(SsoSettings.enabled).where(SsoSettings.company_id == company_id))
    )


def _department(
    session: Session, actor: Actor, company: Company, name: str | None, now: datetime
) -> Department | None:
    """The company's department of this name (any case), created if it is new."""
    if not name:
        return None
    name = name.strip()[: LIMITS["department"]]
    found = session.scalar(
        select(Department).where(
            Department.company_id == company.id, func.lower(Department.name) == name.lower()
        )
    )
    if found is not None:
        return found
    try:
        return companies.add_department(session, actor, company, name, now)
    except companies.CompanyError as error:
        raise ScimError(400, f"The department cannot be created ({error.code})",
                        "invalidValue") from error  # fmt: skip


def _conflict(code: str) -> ScimError:
    if code in ("email-taken", "personnel-number-taken"):
        what = "address" if code == "email-taken" else "personnel number"
        return ScimError(409, f"The {what} is taken by another person", "uniqueness")
    messages = {
        "invalid-email": "The address is not valid",
        "personnel-number-required": "A person without an address needs a personnel number"
        " (userName or employeeNumber)",
        "email-required": "A manager needs an address",
    }
    return ScimError(400, messages.get(code, code), "invalidValue")


def _check_domain(session: Session, company_id: int, email: str | None) -> None:
    """An address at a domain another company signs its people in for (SSO) is that
    company's: another company's identity system may not claim it (it would block the
    person's own sign-in there)."""
    try:
        check_sso_domain(session, email, company_id)
    except AccountError as refused:
        raise ScimError(400, "The address belongs to another company's sign-in domain",
                        "invalidValue") from refused  # fmt: skip


def _removed_person_named(session: Session, company_id: int, state: PersonState) -> User | None:
    """A person DELETE removed whose userName a new POST names again."""
    stmt = (
        select(User)
        .where(User.company_id == company_id, User.erased_at.is_(None), ~User.is_active)
        .where(_removed_marker())
    )
    if state.email:
        stmt = stmt.where(User.email == state.email)
    else:
        stmt = stmt.where(User.email.is_(None), User.personnel_number == state.personnel_number)
    return session.scalar(stmt)


def create_person(
    session: Session,
    actor: Actor,
    company: Company,
    state: PersonState,
    now: datetime,
    day: date,
    invite_lifetime: timedelta,
) -> User:
    """A new person of the company from a POST. Invited by e-mail unless the company
    signs in through its identity provider. A person DELETE removed earlier comes back
    (reactivated) when their userName is posted again."""
    returning = _removed_person_named(session, company.id, state)
    if returning is not None:
        companies.reactivate_person(session, actor, returning, now, day)
        return update_person(session, actor, returning, state, now, day)
    _check_domain(session, company.id, state.email)
    taken = state.email and session.scalar(select(User.id).where(User.email == state.email))
    if taken:
        raise _conflict("email-taken")
    department = _department(session, actor, company, state.department, now)
    new = NewPerson(
        email=state.email,
        display_name=state.display_name,
        roles=(Role.LEARNER,),
        company=company,
        department=department,
        language=state.language,
        personnel_number=state.personnel_number,
    )
    try:
        if sso_enabled(session, company.id):
            created = create_user(session, new, now)
            audit.record(session, actor, "person.create", company.id, now,
                         subject=created.display_name, subject_id=created.id,
                         changes=audit.created(created, companies.PERSON_FIELDS))  # fmt: skip
        else:
            created = companies.add_person(session, actor, new, now, invite_lifetime)
    except AccountError as error:
        raise _conflict(error.code) from error
    created.external_id = state.external_id
    session.flush()
    if not state.active:
        companies.deactivate_person(session, actor, created, now)
    return created


def update_person(
    session: Session, actor: Actor, person: User, state: PersonState, now: datetime, day: date
) -> User:
    """Bring a person to `state` (PUT, PATCH): the audited services change what differs;
    `active: false` deactivates and ends every session at once."""
    before = state_of(person)
    if state.email != before.email and person.company_id is not None:
        _check_domain(session, person.company_id, state.email)
    if replace(before, active=True, external_id=None) != replace(
        state, active=True, external_id=None
    ):
        department = person.department
        if state.department != before.department:
            assert person.company is not None  # SCIM reaches people of a company only
            department = _department(session, actor, person.company, state.department, now)
        changed = replace(
            _fields_of(person), display_name=state.display_name, email=state.email,
            personnel_number=state.personnel_number, department=department,
            language=state.language,
        )  # fmt: skip
        _update(session, actor, person, changed, now, day)
    if state.external_id != before.external_id:
        person.external_id = state.external_id
        session.flush()
        audit.record(session, actor, "person.update", person.company_id, now,
                     subject=person.display_name, subject_id=person.id,
                     changes={"external_id": [before.external_id, state.external_id]})  # fmt: skip
    if state.active != person.is_active:
        if state.active:
            companies.reactivate_person(session, actor, person, now, day)
        else:
            companies.deactivate_person(session, actor, person, now)
    return person


def remove_person(session: Session, actor: Actor, person: User, now: datetime) -> None:
    """DELETE: deactivate (ending every session) and no longer list over SCIM. Nothing
    is erased: the person's history and certificates stay."""
    if person.is_active:
        companies.deactivate_person(session, actor, person, now)
    audit.record(session, actor, REMOVED, person.company_id, now,
                 subject=person.display_name, subject_id=person.id)  # fmt: skip


# --- Departments (Groups) --------------------------------------------------------------


@dataclass(frozen=True)
class GroupState:
    name: str
    external_id: str | None
    member_ids: frozenset[int]


def departments(company_id: int) -> Select[Any]:
    return select(Department).where(Department.company_id == company_id)


def department(session: Session, company_id: int, department_id: Any) -> Department:
    key = _as_id(department_id)
    found: Department | None = (
        session.scalar(departments(company_id).where(Department.id == key))
        if key is not None
        else None
    )
    if found is None:
        raise not_found("Group", department_id)
    return found


def filter_departments(stmt: Select[Any], filter_text: str | None) -> Select[Any]:
    if not filter_text:
        return stmt
    attr, value = parse_filter(filter_text, ("displayname", "externalid"))
    if attr == "externalid":
        return stmt.where(Department.external_id == value)
    return stmt.where(func.lower(Department.name) == value.strip().lower())


def members_of(
    session: Session, company_id: int, department_ids: Sequence[int]
) -> dict[int, list[int]]:
    """The ids of each department's people SCIM lists (one query)."""
    result: dict[int, list[int]] = {key: [] for key in department_ids}
    if not department_ids:
        return result
    rows = session.execute(
        people(company_id)
        .with_only_columns(User.department_id, User.id)
        .where(User.department_id.in_(department_ids))
        .order_by(User.id)
    )
    for department_id, user_id in rows:
        result[department_id or 0].append(user_id)
    return result


def group_version(department: Department, member_ids: Sequence[int]) -> str:
    return version(department.id, department.updated_at, department.name,
                   department.external_id, *member_ids)  # fmt: skip


def _member_ids(value: Any) -> set[int]:
    items = value if isinstance(value, list) else [value]
    ids = set()
    for item in items:
        raw = item.get("value") if isinstance(item, Mapping) else item
        key = _as_id(raw)
        if key is None:
            raise ScimError(400, f"Unknown member {raw!r}", "invalidValue")
        ids.add(key)
    return ids


_MEMBER_FILTER = re.compile(r'^\s*value\s+eq\s+"(?P<id>[^"]*)"\s*$', re.I)


def _apply_group_value(state: GroupState, op: str, attr: str, filter_: str | None,
                       value: Any) -> GroupState:  # fmt: skip
    removing = op == "remove"
    if attr in ("id", "meta"):
        raise ScimError(400, f"{attr} cannot be changed", "mutability")
    if attr == "displayname":
        name = None if removing else _text(value, "displayName", LIMITS["department"])
        if not name:
            raise ScimError(400, "displayName must not be empty", "invalidValue")
        return replace(state, name=name)
    if attr == "externalid":
        external_id = None if removing else _text(value, "externalId", LIMITS["externalId"])
        return replace(state, external_id=external_id)
    if attr == "members":
        if filter_ is not None:
            match = _MEMBER_FILTER.match(filter_)
            if match is None:
                raise ScimError(400, f"Filter not supported: {filter_[:100]}", "invalidFilter")
            key = _as_id(match["id"])
            if not removing:
                raise ScimError(400, "A filtered members path can only be removed", "invalidPath")
            return replace(state, member_ids=state.member_ids - {key or -1})
        if removing:
            if value is None:
                return replace(state, member_ids=frozenset())
            return replace(state, member_ids=state.member_ids - _member_ids(value))
        ids = _member_ids(value or [])
        if op == "add":
            return replace(state, member_ids=state.member_ids | ids)
        return replace(state, member_ids=frozenset(ids))
    return state


def read_group(state: GroupState, payload: Mapping[str, Any], op: str = "replace") -> GroupState:
    for key, value in payload.items():
        attr, filter_, _sub = _split_path(str(key), CORE_GROUP)
        if attr in ("schemas", "id", "meta"):
            continue
        state = _apply_group_value(state, op, attr, filter_, value)
    return state


def group_document_state(payload: Mapping[str, Any]) -> GroupState:
    state = read_group(GroupState("", None, frozenset()), payload)
    if not state.name:
        raise ScimError(400, "displayName is required", "invalidValue")
    return state


def patch_group(state: GroupState, ops: Sequence[Operation]) -> GroupState:
    for operation in ops:
        if operation.path is None:
            if not isinstance(operation.value, Mapping):
                raise ScimError(400, "An operation without path needs an object", "invalidValue")
            state = read_group(state, operation.value, operation.op)
            continue
        attr, filter_, _sub = _split_path(operation.path, CORE_GROUP)
        state = _apply_group_value(state, operation.op, attr, filter_, operation.value)
    return state


def group_state(session: Session, department: Department) -> GroupState:
    members = members_of(session, department.company_id, [department.id])[department.id]
    return GroupState(department.name, department.external_id, frozenset(members))


def _move(
    session: Session, actor: Actor, person: User, target: Department | None, now: datetime,
    day: date,
) -> None:  # fmt: skip
    _update(session, actor, person, replace(_fields_of(person), department=target), now, day)


def _fields_of(person: User) -> companies.PersonFields:
    """The person's fields as the people form holds them (to change some of them)."""
    return companies.PersonFields(
        display_name=person.display_name,
        email=person.email,
        personnel_number=person.personnel_number,
        department=person.department,
        manager=person.has_role(Role.MANAGER),
        managed_departments=tuple(person.managed_departments),
        language=person.language,
    )


def _update(
    session: Session, actor: Actor, person: User, fields: companies.PersonFields,
    now: datetime, day: date,
) -> None:  # fmt: skip
    """`companies.update_person`, its refusals as SCIM's 409 or 400."""
    try:
        companies.update_person(session, actor, person, fields, now, day)
    except companies.CompanyError as error:
        raise _conflict(error.code) from error


def save_group(
    session: Session,
    actor: Actor,
    company: Company,
    department: Department | None,
    state: GroupState,
    now: datetime,
    day: date,
) -> Department:
    """Create (department None) or change a department to `state`: adding a member moves
    the person there, removing one leaves them without a department."""
    wanted_members = [person(session, company.id, key) for key in sorted(state.member_ids)]
    try:
        if department is None:
            department = companies.add_department(session, actor, company, state.name, now)
        elif department.name != state.name:
            companies.rename_department(session, actor, department, state.name, now)
    except companies.CompanyError as error:
        if error.code == "department-exists":
            raise ScimError(409, "A department of this name exists", "uniqueness") from error
        raise ScimError(400, error.code, "invalidValue") from error
    if department.external_id != state.external_id:
        old = department.external_id
        department.external_id = state.external_id
        session.flush()
        audit.record(session, actor, "department.rename", company.id, now,
                     subject=department.name, subject_id=department.id,
                     changes={"external_id": [old, state.external_id]})  # fmt: skip
    current = set(members_of(session, company.id, [department.id])[department.id])
    for member in wanted_members:
        if member.id not in current:
            _move(session, actor, member, department, now, day)
    for key in sorted(current - state.member_ids):
        _move(session, actor, person(session, company.id, key), None, now, day)
    return department


def delete_group(
    session: Session, actor: Actor, department: Department, now: datetime, day: date
) -> None:
    """DELETE of a Group: its people keep their accounts, without a department; the
    department goes (its standing assignments with it, as when an admin deletes it)."""
    everyone = session.scalars(
        select(User).where(
            User.department_id == department.id, User.company_id == department.company_id
        )
    ).all()
    for member in everyone:
        _move(session, actor, member, None, now, day)
    try:
        companies.delete_department(session, actor, department, now)
    except companies.CompanyError as error:
        raise ScimError(409, error.code) from error
