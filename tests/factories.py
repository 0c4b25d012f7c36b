"""Factories: small functions that create valid objects with sensible defaults."""

from __future__ import annotations

import itertools
import secrets
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from argon2 import PasswordHasher
from sqlalchemy.orm import Session

from config import TestingConfig
from lms.content.importer import render_course, spec_to_json
from lms.content.spec import (
    CourseSpec,
    CourseTexts,
    MoveOn,
    PackageItem,
    PackageSpec,
    PackageStandard,
    Unit,
    UnitType,
    Validity,
)
from lms.models import Company, Course, CourseVersion, Department, Role, User
from lms.reports import compliance
from lms.services.passwords import normalize
from tests.two_factor_helpers import give_second_factor

PASSWORD = "korrekt Pferd Batterie Heftklammer"
# The same parameters as the testing profile, so logins need no rehash.
_hasher = PasswordHasher(
    time_cost=TestingConfig.ARGON2_TIME_COST,
    memory_cost=TestingConfig.ARGON2_MEMORY_COST,
    parallelism=TestingConfig.ARGON2_PARALLELISM,
)
_PASSWORD_HASH = _hasher.hash(normalize(PASSWORD))


def hash_password(password: str) -> str:
    return _PASSWORD_HASH if password == PASSWORD else _hasher.hash(normalize(password))


_seq = itertools.count(1)


def make_company(session: Session, name: str | None = None, **kwargs: object) -> Company:
    n = next(_seq)
    company = Company(name=name or f"Firma {n} GmbH", short_name=f"firma-{n}", **kwargs)
    session.add(company)
    session.flush()
    return company


def make_department(session: Session, company: Company, name: str | None = None) -> Department:
    department = Department(company_id=company.id, name=name or f"Abteilung {next(_seq)}")
    session.add(department)
    session.flush()
    return department


def make_user(
    session: Session,
    company: Company | None = None,
    *roles: Role,
    department: Department | None = None,
    name: str | None = None,
    email: str | None = None,
    password: str | None = PASSWORD,
    language: str | None = None,
    second_factor: bool | None = None,
    **kwargs: object,
) -> User:
    """A person; an admin with a confirmed second factor (admins must have one:
    tests/two_factor_helpers.py) unless `second_factor=False`. `second_factor=True`
    gives a trainer one too."""
    n = next(_seq)
    user = User(
        email=email or f"person{n}@example.com",
        display_name=name or f"Person {n}",
        company=company,
        department=department,
        password_hash=hash_password(password) if password else None,
        language=language,
        created_at=datetime.now(UTC),
        **kwargs,
    )
    for role in roles or (Role.LEARNER,):
        user.grant(role)
    if second_factor or (second_factor is None and Role.ADMIN in roles):
        give_second_factor(user)
    session.add(user)
    session.flush()
    compliance.cells_changed(session, user.company_id)  # as accounts.create_users does
    return user


@dataclass
class CompanySetup:
    company: Company
    departments: list[Department]
    manager: User
    employees: list[User]
    limited_manager: User
    extra: dict[str, object] = field(default_factory=dict)


@dataclass
class World:
    a: CompanySetup
    b: CompanySetup
    trainer: User
    admin: User


def make_company_setup(session: Session, name: str) -> CompanySetup:
    company = make_company(session, name)
    first, second = (
        make_department(session, company, "Lager"),
        make_department(session, company, "Büro"),
    )
    manager = make_user(
        session, company, Role.MANAGER, Role.LEARNER, department=second, name=f"Chef {name}"
    )
    employees = [
        make_user(session, company, Role.LEARNER, department=first, name=f"{name} Lager {i}")
        for i in range(2)
    ] + [make_user(session, company, Role.LEARNER, department=second, name=f"{name} Büro 1")]
    limited = make_user(
        session, company, Role.MANAGER, department=first, name=f"Lagerleitung {name}"
    )
    limited.managed_departments.append(first)
    session.flush()
    return CompanySetup(company, [first, second], manager, employees, limited)


def make_world(session: Session) -> World:
    a = make_company_setup(session, "Alpha")
    b = make_company_setup(session, "Beta")
    trainer = make_user(session, None, Role.TRAINER, name="Trainerin Tina")
    trainer.trainer_companies.append(a.company)
    admin = make_user(session, None, Role.ADMIN, name="Admin Anna")
    session.flush()
    return World(a=a, b=b, trainer=trainer, admin=admin)


def package_item(item_id: str = "sco1", **kwargs: object) -> PackageItem:
    """An item of a package (a SCO or an AU) for `package_course`."""
    fields: dict[str, Any] = {
        "id": item_id,
        "title": f"Teil {item_id}",
        "href": f"{item_id}/index.html",
        "move_on": MoveOn.COMPLETED_OR_PASSED,
    }
    fields.update(kwargs)
    if fields.get("passing_score") is not None and "move_on" not in kwargs:
        fields["move_on"] = MoveOn.PASSED  # as the package reader says for SCORM
    return PackageItem(**fields)


def package_course(
    session: Session,
    *,
    standard: str = "scorm12",
    items: Sequence[PackageItem] | None = None,
    lesson: bool = True,
    course: Course | None = None,
    requalification: bool = False,
    package_file: str = "packages/brandschutz.zip",
    now: datetime | None = None,
) -> CourseVersion:
    """A course version whose units are a lesson (unless `lesson=False`) and then a
    package unit "brandschutz" with `items` (one SCO "sco1" by default), as an import
    would store it (spec and rendered content; no package files). With `course`, the
    course's next version (e.g. with other items, or `requalification=True`)."""
    at = now or datetime.now(UTC)
    n = next(_seq)
    if course is None:
        course = Course(slug=f"paketkurs-{n}", created_at=at)
        session.add(course)
        session.flush()
    number = len(course.versions) + 1
    package = PackageSpec(
        standard=PackageStandard(standard),
        file=package_file,
        sha256="ab" * 32,
        identifier=f"com.example.brandschutz.{n}",
        version="1.0",
        title="Brandschutz – Grundlagen",
        items=tuple(items or (package_item(),)),
        files=3,
        size=4096,
    )
    units = []
    if lesson:
        units.append(
            Unit(
                "einstieg",
                1,
                "de",
                f"{course.slug}/01-einstieg.md",
                UnitType.LESSON,
                "Einstieg",
                5,
                "Worum es geht.",
            )
        )
    units.append(
        Unit(
            "brandschutz",
            len(units) + 1,
            "de",
            f"{course.slug}/02-brandschutz.md",
            UnitType.PACKAGE,
            "Brandschutz",
            20,
            "Das Lernpaket des Verlags.",
            package=package,
        )
    )
    spec = CourseSpec(
        slug=course.slug,
        language="de",
        texts={"de": CourseTexts("de", "Brandschutz", "Ein Paketkurs")},
        minutes=sum(unit.minutes for unit in units),
        valid_for=Validity(12, "months"),
        requalification=requalification,
        units={"de": tuple(units)},
    )
    rendered = render_course(spec, lambda path: f"/assets/{path}")
    for unit_spec, shown in zip(units, rendered["units"]["de"], strict=True):
        if unit_spec.package is not None:  # whatever the importer renders, the contract's
            shown["package"] = spec_to_json(unit_spec.package)  # type: ignore[arg-type]
    version = CourseVersion(
        course_id=course.id,
        number=number,
        content_hash=secrets.token_hex(32),
        title="Brandschutz",
        language="de",
        requalification=requalification,
        valid_for=str(spec.valid_for),
        minutes=spec.minutes,
        unit_count=len(units),
        spec=spec_to_json(spec),
        rendered=rendered,
        imported_at=at,
    )
    session.add(version)
    session.flush()
    session.refresh(course, ["versions"])
    return version
