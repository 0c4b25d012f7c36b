"""Companies, their departments and their people, and the provider's own staff, as the
platform's admins run them. Each change writes its audit entry (`audit.record`) in the
caller's transaction.

Suspending a company keeps everything: its people simply cannot log in (checked at
login and on every request by `accounts.can_log_in`) until it is reactivated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import (
    AssignmentRule,
    Company,
    Department,
    ManagerDepartment,
    Role,
    User,
    UserRole,
)
from lms.models.tenancy import new_sign_in_code
from lms.reports.compliance import cells_changed
from lms.services import item_stats
from lms.services.account_mail import invite
from lms.services.accounts import (
    AccountError,
    NewPerson,
    address_problem,
    check_sso_domain,
    create_user,
    deactivate_user,
    normalize_email,
    reactivate_user,
)
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


# The company's fields the audit log follows.
COMPANY_FIELDS = (
    "name",
    "short_name",
    "default_language",
    "self_enrolment",
    "retention_months",
    "managers_manage_people",
)


def delete_company(session: Session, actor: Actor, company: Company, now: datetime) -> None:
    """Delete a company with everything of it (the database cascades)."""
    company_id, name = company.id, company.name
    # Its answers leave the item statistics' counts first.
    item_stats.forget_company(session, company_id)
    session.execute(delete(Company).where(Company.id == company_id))
    session.expunge_all()
    audit.record(session, actor, "company.delete", None, now, subject=name, subject_id=company_id)


def record_export(session: Session, actor: Actor, company: Company, now: datetime) -> None:
    """Note that the company's data was exported (a deletion needs an export first)."""
    audit.record(session, actor, "company.export", company.id, now, subject=company.name,
                 subject_id=company.id)  # fmt: skip


def _free_sign_in_code(session: Session) -> str:
    while True:
        code = new_sign_in_code()
        if session.scalar(select(Company.id).where(Company.sign_in_code == code)) is None:
            return code


def create_company(session: Session, actor: Actor, fields: CompanyFields, now: datetime) -> Company:
    _check(session, fields, None)
    company = Company(name=fields.name.strip(), short_name=fields.short_name)
    company.sign_in_code = _free_sign_in_code(session)
    _apply(company, fields)
    session.add(company)
    session.flush()
    audit.record(session, actor, "company.create", company.id, now, subject=company.name,
                 subject_id=company.id, changes=audit.created(company, COMPANY_FIELDS))  # fmt: skip
    return company


def update_company(
    session: Session, actor: Actor, company: Company, fields: CompanyFields, now: datetime
) -> None:
    _check(session, fields, company)
    before = audit.snapshot(company, COMPANY_FIELDS)
    _apply(company, fields)
    session.flush()
    audit.record(session, actor, "company.update", company.id, now, subject=company.name,
                 subject_id=company.id, changes=audit.changed(before, company))  # fmt: skip


def _apply(company: Company, fields: CompanyFields) -> None:
    company.name = fields.name.strip()
    company.short_name = fields.short_name
    company.default_language = fields.default_language
    company.self_enrolment = fields.self_enrolment
    company.managers_manage_people = fields.managers_manage_people
    company.retention_months = fields.retention_months


def set_active(
    session: Session, actor: Actor, company: Company, active: bool, now: datetime
) -> None:
    """Suspend (nobody of the company can log in) or reactivate; nothing is deleted."""
    company.is_active = active
    session.flush()
    action = "company.reactivate" if active else "company.suspend"
    audit.record(session, actor, action, company.id, now, subject=company.name,
                 subject_id=company.id)  # fmt: skip


# The company's settings the audit log follows (privacy above all).
REPORTING_FIELDS = ("privacy_level", "recertification_lead_days", "booking_approval")


def update_reporting(
    session: Session,
    actor: Actor,
    company: Company,
    *,
    privacy_level: str,
    recertification_lead_days: int,
    booking_approval: bool,
    now: datetime,
) -> None:
    """The company's privacy level, recertification lead time and booking approval."""
    before = audit.snapshot(company, REPORTING_FIELDS)
    company.privacy_level = privacy_level
    company.recertification_lead_days = recertification_lead_days
    company.booking_approval = booking_approval
    session.flush()
    audit.record(session, actor, "company.settings", company.id, now, subject=company.name,
                 subject_id=company.id, changes=audit.changed(before, company))  # fmt: skip


def add_department(
    session: Session, actor: Actor, company: Company, name: str, now: datetime
) -> Department:
    clean = name.strip()
    if not clean:
        raise CompanyError("department-name-missing")
    if _department_named(session, company, clean) is not None:
        raise CompanyError("department-exists")
    department = Department(company_id=company.id, name=clean)
    session.add(department)
    session.flush()
    audit.record(session, actor, "department.create", company.id, now, subject=clean,
                 subject_id=department.id)  # fmt: skip
    return department


def rename_department(
    session: Session, actor: Actor, department: Department, name: str, now: datetime
) -> None:
    clean = name.strip()
    if not clean:
        raise CompanyError("department-name-missing")
    other = _department_named(session, department.company, clean)
    if other is not None and other.id != department.id:
        raise CompanyError("department-exists")
    old_name = department.name
    department.name = clean
    session.flush()
    audit.record(session, actor, "department.rename", department.company_id, now, subject=clean,
                 subject_id=department.id, changes={"name": [old_name, clean]})  # fmt: skip


def delete_department(
    session: Session, actor: Actor, department: Department, now: datetime
) -> None:
    """Delete a department nobody belongs to (people keep their history elsewhere)."""
    members = session.scalar(
        select(func.count()).select_from(User).where(User.department_id == department.id)
    )
    if members:
        raise CompanyError("department-not-empty")
    company_id, name, department_id = department.company_id, department.name, department.id
    session.delete(department)
    session.flush()
    audit.record(session, actor, "department.delete", company_id, now, subject=name,
                 subject_id=department_id)  # fmt: skip


@dataclass(frozen=True)
class Merged:
    people: int  # moved into the remaining department
    rules: int  # standing assignments that now apply to it
    assignments: int  # made by the merge (the other department's standing assignments)
    managers: tuple[str, ...] = ()  # limited to the merged department, now to the other


def merge_departments(
    session: Session,
    actor: Actor,
    source: Department,
    target: Department,
    now: datetime,
    today: date,
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
    cells_changed(session, source.company_id)
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
    name = source.name
    session.delete(source)
    session.flush()
    merged = Merged(len(people), len(rules), made, widened)
    audit.record(
        session,
        actor,
        "department.merge",
        target.company_id,
        now,
        subject=f"{name} → {target.name}",
        subject_id=target.id,
        changes={
            "department": [name, target.name],
            "people": [None, merged.people],
            "standing_assignments": [None, merged.rules],
            "new_assignments": [None, merged.assignments],
            "managers_now_of_it": [None, list(merged.managers)],
        },
    )
    return merged


def _department_named(session: Session, company: Company, name: str) -> Department | None:
    return session.scalar(
        select(Department).where(
            Department.company_id == company.id, func.lower(Department.name) == name.lower()
        )
    )


@dataclass(frozen=True)
class PersonFields:
    display_name: str
    email: str | None  # None or empty: none (a learner with a personnel number)
    personnel_number: str | None
    department: Department | None
    manager: bool
    managed_departments: tuple[Department, ...]  # empty: the whole company
    language: str | None


# The person's fields the audit log follows; `roles` and `managed` are read as text.
PERSON_FIELDS = ("display_name", "email", "personnel_number", "department_id", "language",
                 "role_names", "managed_names")  # fmt: skip


def add_person(
    session: Session, actor: Actor, new: NewPerson, now: datetime, invite_lifetime: timedelta
) -> User:
    """Add someone to a company and invite them by e-mail, if they have an address.

    The invitation is queued in the outbox in the caller's transaction, so it goes out
    only if the account is kept. A learner without an address gets no mail: HR prints
    them an invitation letter or a login card. Raises `accounts.AccountError` (invalid
    or taken address, an address missing for the roles, no personnel number for a
    person without an address, a taken personnel number) before anything changes.
    """
    person = create_user(session, new, now)
    audit.record(session, actor, "person.create", person.company_id, now,
                 subject=person.display_name, subject_id=person.id,
                 changes=audit.created(person, PERSON_FIELDS))  # fmt: skip
    if person.has_email:
        invite(session, person, now, invite_lifetime)
    return person


def deactivate_person(session: Session, actor: Actor, person: User, now: datetime) -> None:
    """Deactivate someone of a company and end their sessions (nothing is deleted)."""
    deactivate_user(session, person)
    audit.record(session, actor, "person.deactivate", person.company_id, now,
                 subject=person.display_name, subject_id=person.id)  # fmt: skip


def reactivate_person(
    session: Session, actor: Actor, person: User, now: datetime, day: date
) -> None:
    """Let someone of a company log in again; they receive the standing assignments of
    their department made while they were away."""
    reactivate_user(session, person)
    audit.record(session, actor, "person.reactivate", person.company_id, now,
                 subject=person.display_name, subject_id=person.id)  # fmt: skip
    apply_rules_to_newcomer(session, person, now, day)


def update_person(
    session: Session, actor: Actor, person: User, fields: PersonFields, now: datetime, day: date
) -> bool:
    """Change a person of a company; a new department brings its standing assignments
    (the person keeps every assignment they had). Returns whether they moved."""
    before = audit.snapshot(person, PERSON_FIELDS)
    email = normalize_email(fields.email or "") or None
    number = (fields.personnel_number or "").strip() or None
    roles = {*person.roles, Role.MANAGER} if fields.manager else person.roles - {Role.MANAGER}
    problem = address_problem(email, number, roles)
    if problem is not None:
        raise CompanyError(problem)
    taken = email and session.scalar(
        select(User.id).where(User.email == email, User.id != person.id)
    )
    if taken:
        raise CompanyError("email-taken")
    if email and email != person.email:
        try:
            check_sso_domain(session, email, person.company_id)
        except AccountError as refused:
            raise CompanyError(refused.code) from refused
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
    person.display_name = fields.display_name.strip() or email or number or ""
    person.email = email
    cells_changed(session, person.company_id)
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
    audit.record(session, actor, "person.update", person.company_id, now,
                 subject=person.display_name, subject_id=person.id,
                 changes=audit.changed(before, person))  # fmt: skip
    return moved


def add_staff_member(
    session: Session,
    actor: Actor,
    *,
    email: str,
    display_name: str,
    roles: tuple[Role, ...],
    now: datetime,
    invite_lifetime: timedelta,
) -> User:
    """Add someone of the training provider (admin, trainer) and invite them by e-mail.

    The invitation is queued in the outbox in the caller's transaction, so it goes out
    only if the account is kept. Raises `accounts.AccountError` (invalid or taken
    address) before anything changes.
    """
    person = create_user(
        session, NewPerson(email=email, display_name=display_name, roles=roles), now
    )
    audit.record(session, actor, "staff.create", None, now, subject=person.display_name,
                 subject_id=person.id, changes={"roles": [None, person.role_names]})  # fmt: skip
    invite(session, person, now, invite_lifetime)
    return person


def _trainer_companies(person: User) -> str:
    return ", ".join(sorted(c.name for c in person.trainer_companies))


def set_staff_roles(
    session: Session,
    actor: Actor,
    person: User,
    *,
    admin: bool,
    trainer: bool,
    companies: tuple[Company, ...],
    now: datetime,
) -> None:
    """The provider staff's roles and the companies a trainer serves.

    Nobody removes their own admin role (no locking oneself out), and the last active
    admin keeps theirs.
    """
    if person.company_id is not None:
        raise CompanyError("not-staff")
    if (admin or trainer) and not person.has_email:
        raise CompanyError("email-required")
    if not admin and person.has_role(Role.ADMIN):
        if person.id == actor.user_id:
            raise CompanyError("own-admin-role")
        if not _other_active_admins(session, person):
            raise CompanyError("last-admin")
    before = (person.role_names, _trainer_companies(person))
    for role, wanted in ((Role.ADMIN, admin), (Role.TRAINER, trainer)):
        if wanted:
            person.grant(role)
        else:
            person.revoke(role)
    person.trainer_companies = list(companies) if trainer else []
    session.flush()
    after = (person.role_names, _trainer_companies(person))
    audit.record(
        session,
        actor,
        "staff.roles",
        None,
        now,
        subject=person.display_name,
        subject_id=person.id,
        changes={"roles": [before[0], after[0]], "companies": [before[1], after[1]]},
    )


def deactivate_staff_member(session: Session, actor: Actor, person: User, now: datetime) -> None:
    """Deactivate someone of the provider and end their sessions.

    Nobody deactivates themselves, and the last active admin stays active.
    """
    if person.company_id is not None:
        raise CompanyError("not-staff")
    if person.id == actor.user_id:
        raise CompanyError("own-account")
    if person.has_role(Role.ADMIN) and not _other_active_admins(session, person):
        raise CompanyError("last-admin")
    deactivate_user(session, person)
    audit.record(session, actor, "staff.deactivate", None, now, subject=person.display_name,
                 subject_id=person.id)  # fmt: skip


def reactivate_staff_member(session: Session, actor: Actor, person: User, now: datetime) -> None:
    reactivate_user(session, person)
    audit.record(session, actor, "staff.reactivate", None, now, subject=person.display_name,
                 subject_id=person.id)  # fmt: skip


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
