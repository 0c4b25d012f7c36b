"""Companies, their departments and their people, as the platform's admins run them.

Suspending a company keeps everything: its people simply cannot log in (checked at
login and on every request by `accounts.can_log_in`) until it is reactivated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.models import (
    AssignmentRule,
    Company,
    Department,
    ManagerDepartment,
    Role,
    User,
    UserRole,
)
from lms.services.accounts import normalize_email
from lms.services.assignments import apply_rules_to_newcomer, apply_rules_to_newcomers

SHORT_NAME = re.compile(r"^[a-z0-9][a-z0-9-]{1,59}$")


class CompanyError(ValueError):
    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CompanyFields:
    name: str
    short_name: str
    default_language: str = "de"
    self_enrolment: bool = True
    retention_months: int | None = None
    managers_manage_people: bool = False


def _check(session: Session, fields: CompanyFields, company: Company | None) -> None:
    if not fields.name.strip():
        raise CompanyError("name-missing")
    if not SHORT_NAME.match(fields.short_name):
        raise CompanyError("bad-short-name")
    if fields.default_language not in ("de", "en"):
        raise CompanyError("bad-language")
    if fields.retention_months is not None and not 1 <= fields.retention_months <= 240:
        raise CompanyError("bad-retention")
    taken = session.scalar(select(Company.id).where(Company.short_name == fields.short_name))
    if taken is not None and (company is None or taken != company.id):
        raise CompanyError("short-name-taken")


def create_company(session: Session, fields: CompanyFields) -> Company:
    _check(session, fields, None)
    company = Company(name=fields.name.strip(), short_name=fields.short_name)
    _apply(company, fields)
    session.add(company)
    session.flush()
    return company


def update_company(session: Session, company: Company, fields: CompanyFields) -> None:
    _check(session, fields, company)
    _apply(company, fields)
    session.flush()


def _apply(company: Company, fields: CompanyFields) -> None:
    company.name = fields.name.strip()
    company.short_name = fields.short_name
    company.default_language = fields.default_language
    company.self_enrolment = fields.self_enrolment
    company.managers_manage_people = fields.managers_manage_people
    company.retention_months = fields.retention_months


def set_active(session: Session, company: Company, active: bool) -> None:
    """Suspend (nobody of the company can log in) or reactivate; nothing is deleted."""
    company.is_active = active
    session.flush()


def add_department(session: Session, company: Company, name: str) -> Department:
    clean = name.strip()
    if not clean:
        raise CompanyError("department-name-missing")
    if _department_named(session, company, clean) is not None:
        raise CompanyError("department-exists")
    department = Department(company_id=company.id, name=clean)
    session.add(department)
    session.flush()
    return department


def rename_department(session: Session, department: Department, name: str) -> None:
    clean = name.strip()
    if not clean:
        raise CompanyError("department-name-missing")
    other = _department_named(session, department.company, clean)
    if other is not None and other.id != department.id:
        raise CompanyError("department-exists")
    department.name = clean
    session.flush()


def delete_department(session: Session, department: Department) -> None:
    """Delete a department nobody belongs to (people keep their history elsewhere)."""
    members = session.scalar(
        select(func.count()).select_from(User).where(User.department_id == department.id)
    )
    if members:
        raise CompanyError("department-not-empty")
    session.delete(department)
    session.flush()


@dataclass(frozen=True)
class Merged:
    people: int  # moved into the remaining department
    rules: int  # standing assignments that now apply to it
    assignments: int  # made by the merge (the other department's standing assignments)
    managers: tuple[str, ...] = ()  # limited to the merged department, now to the other


def merge_departments(
    session: Session, source: Department, target: Department, now: datetime, today: date
) -> Merged:
    """Merge `source` into `target`, then delete `source`.

    Its people move to `target` and keep every assignment they have (their history);
    its standing assignments apply to `target` from now on, so the merged department's
    people, old and new, get what either department required (each course once, due no
    sooner than the rule's days for newcomers). Managers limited to `source` manage
    `target` instead.
    """
    if source.company_id != target.company_id:
        raise CompanyError("department-of-other-company")
    if source.id == target.id:
        raise CompanyError("department-merge-itself")
    people = list(session.scalars(select(User).where(User.department_id == source.id)))
    for person in people:
        person.department_id = target.id
    rules = list(
        session.scalars(
            select(AssignmentRule).where(
                AssignmentRule.department_id == source.id, AssignmentRule.withdrawn_at.is_(None)
            )
        )
    )
    for rule in rules:
        rule.department_id = target.id
    managers = session.scalars(
        select(User).join(ManagerDepartment).where(ManagerDepartment.department_id == source.id)
    ).all()
    widened = tuple(sorted(m.display_name for m in managers))
    for manager in managers:
        kept = [d for d in manager.managed_departments if d.id != source.id]
        if all(d.id != target.id for d in kept):
            kept.append(target)
        manager.managed_departments = kept
    session.flush()
    members = list(session.scalars(select(User).where(User.department_id == target.id)))
    made = apply_rules_to_newcomers(session, members, now, today)
    session.delete(source)
    session.flush()
    return Merged(len(people), len(rules), made, widened)


def _department_named(session: Session, company: Company, name: str) -> Department | None:
    return session.scalar(
        select(Department).where(
            Department.company_id == company.id, func.lower(Department.name) == name.lower()
        )
    )


@dataclass(frozen=True)
class PersonFields:
    display_name: str
    email: str
    personnel_number: str | None
    department: Department | None
    manager: bool
    managed_departments: tuple[Department, ...]  # empty: the whole company
    language: str | None


def update_person(
    session: Session, person: User, fields: PersonFields, now: datetime, day: date
) -> bool:
    """Change a person of a company; a new department brings its standing assignments
    (the person keeps every assignment they had). Returns whether they moved."""
    email = normalize_email(fields.email)
    if not email or "@" not in email:
        raise CompanyError("invalid-email")
    taken = session.scalar(select(User.id).where(User.email == email, User.id != person.id))
    if taken is not None:
        raise CompanyError("email-taken")
    number = (fields.personnel_number or "").strip() or None
    if number is not None and session.scalar(
        select(User.id).where(
            User.company_id == person.company_id,
            User.personnel_number == number,
            User.id != person.id,
        )
    ):
        raise CompanyError("personnel-number-taken")
    departments = [fields.department, *fields.managed_departments]
    if any(d is not None and d.company_id != person.company_id for d in departments):
        raise CompanyError("department-of-other-company")
    moved = (fields.department.id if fields.department else None) != person.department_id
    person.display_name = fields.display_name.strip() or email
    person.email = email
    person.personnel_number = number
    person.department = fields.department
    person.language = fields.language
    if fields.manager:
        person.grant(Role.MANAGER)
        person.managed_departments = list(fields.managed_departments)
    else:
        person.revoke(Role.MANAGER)
        person.managed_departments = []
    session.flush()
    if moved:
        apply_rules_to_newcomer(session, person, now, day)
    return moved


def set_staff_roles(
    session: Session,
    actor: User,
    person: User,
    *,
    admin: bool,
    trainer: bool,
    companies: tuple[Company, ...],
) -> None:
    """The provider staff's roles and the companies a trainer serves.

    Nobody removes their own admin role (no locking oneself out), and the last active
    admin keeps theirs.
    """
    if person.company_id is not None:
        raise CompanyError("not-staff")
    if not admin and person.has_role(Role.ADMIN):
        if person.id == actor.id:
            raise CompanyError("own-admin-role")
        if not _other_active_admins(session, person):
            raise CompanyError("last-admin")
    for role, wanted in ((Role.ADMIN, admin), (Role.TRAINER, trainer)):
        if wanted:
            person.grant(role)
        else:
            person.revoke(role)
    person.trainer_companies = list(companies) if trainer else []
    session.flush()


def check_may_deactivate(session: Session, actor: User, person: User) -> None:
    """Nobody deactivates themselves, and the last active admin stays active."""
    if person.id == actor.id:
        raise CompanyError("own-account")
    if person.has_role(Role.ADMIN) and not _other_active_admins(session, person):
        raise CompanyError("last-admin")


def _other_active_admins(session: Session, person: User) -> int:
    return (
        session.scalar(
            select(func.count())
            .select_from(User)
            .where(
                User.id != person.id,
                User.is_active.is_(True),
                User.role_rows.any(UserRole.role == Role.ADMIN.value),
            )
        )
        or 0
    )
