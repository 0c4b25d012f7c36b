"""Demo data: a training provider with two customer companies. Safe to run again.

Every object is looked up by a natural key (company short name, department
name, e-mail) and created only when missing, so a second run changes nothing
but the demo passwords, when a different one is given.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import date, datetime, timedelta
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from lms.content.spec import Question, QuestionType
from lms.models import Company, Department, Role, User
from lms.reports import compliance
from lms.services.passwords import hash_password, verify_password

DEFAULT_PASSWORD = "Lernwerk-Demo-2026"  # noqa: S105  (printed for the demo, documented)
PROVIDER_DOMAIN = "zukunftszentrum.example"


@dataclass(frozen=True)
class DemoAccount:
    email: str
    name: str
    roles: tuple[str, ...]
    company: str | None
    department: str | None
    in_tour: bool = False  # one of the accounts README.md's "A short tour" uses
    can_log_in: bool = True  # False: of the suspended company, its login fails by design

    def as_dict(self) -> dict[str, object]:
        data = asdict(self)
        data["roles"] = list(self.roles)
        return data


@dataclass(frozen=True)
class DemoCompany:
    short_name: str
    name: str
    domain: str
    departments: tuple[str, ...]
    manager: tuple[str, str]  # (name, department)
    employees: tuple[tuple[str, str], ...]
    # People without an e-mail address (issue 19): (name, department, personnel
    # number). The first ones get a PIN and a login card, the last an invitation letter.
    shop_floor: tuple[tuple[str, str, str], ...] = ()
    sign_in_code: str | None = None  # fixed for the README's tour; else a random one


COMPANIES = (
    DemoCompany(
        short_name="mueller-metall",
        name="Müller Metallbau GmbH",
        domain="mueller-metallbau.example",
        departments=("Fertigung", "Schweißerei", "Qualitätssicherung", "Verwaltung"),
        manager=("Sabine Krüger", "Verwaltung"),
        employees=(
            ("Jonas Becker", "Fertigung"),
            ("Ayşe Yılmaz", "Fertigung"),
            ("Piotr Nowak", "Fertigung"),
            ("Lena Hoffmann", "Fertigung"),
            ("Marco Rossi", "Schweißerei"),
            ("Dennis Wagner", "Schweißerei"),
            ("Olena Kovalenko", "Schweißerei"),
            ("Katrin Schulz", "Qualitätssicherung"),
            ("Tim Schröder", "Qualitätssicherung"),
            ("Fatma Demir", "Verwaltung"),
            ("Uwe Richter", "Verwaltung"),
            ("Nina Lange", "Fertigung"),
        ),
        shop_floor=(
            ("Ali Çelik", "Fertigung", "1047"),
            ("Marta Zielińska", "Fertigung", "1052"),
            ("Dieter Krause", "Schweißerei", "1061"),
        ),
        sign_in_code="MUE247",
    ),
    DemoCompany(
        short_name="nordlicht-logistik",
        name="Nordlicht Logistik GmbH",
        domain="nordlicht-logistik.example",
        departments=("Lager", "Versand", "Fuhrpark", "Büro"),
        manager=("Thomas Brandt", "Büro"),
        employees=(
            ("Mehmet Kaya", "Lager"),
            ("Julia Neumann", "Lager"),
            ("Andrzej Wiśniewski", "Lager"),
            ("Sarah Klein", "Versand"),
            ("Kevin Braun", "Versand"),
            ("Miriam Vogel", "Versand"),
            ("Stefan Wolf", "Fuhrpark"),
            ("Daria Popescu", "Fuhrpark"),
            ("Erik Zimmermann", "Fuhrpark"),
            ("Hanna Fischer", "Büro"),
            ("Luca Bianchi", "Lager"),
            ("Emine Arslan", "Versand"),
        ),
    ),
    # A former customer: suspended, so nobody of it can log in (its data is kept).
    DemoCompany(
        short_name="hafen-werft",
        name="Hafen Werft Kiel GmbH",
        domain="hafen-werft.example",
        departments=("Werkstatt", "Büro"),
        manager=("Ole Hansen", "Büro"),
        employees=(
            ("Kai Petersen", "Werkstatt"),
            ("Jana Thomsen", "Werkstatt"),
            ("Sven Jensen", "Werkstatt"),
            ("Lea Carstens", "Werkstatt"),
            ("Finn Lorenzen", "Werkstatt"),
            ("Maren Paulsen", "Werkstatt"),
            ("Nils Clausen", "Werkstatt"),
            ("Ina Schmidt", "Büro"),
            ("Timo Hinrichs", "Büro"),
            ("Wiebke Nissen", "Büro"),
        ),
    ),
)
SUSPENDED = "hafen-werft"
# The company with single sign-on against the test provider, and API and SCIM tokens.
SSO_COMPANY = "mueller-metall"

# The accounts README.md's "A short tour" uses, in its order (a test holds the two
# together): listed first, and marked, by `lms demo`.
TOUR = (
    f"admin@{PROVIDER_DOMAIN}",
    f"trainer@{PROVIDER_DOMAIN}",
    "sabine.krueger@mueller-metallbau.example",
    "thomas.brandt@nordlicht-logistik.example",
    "jonas.becker@mueller-metallbau.example",
    "lena.hoffmann@mueller-metallbau.example",
    "katrin.schulz@mueller-metallbau.example",
)


def _email(name: str, domain: str) -> str:
    local = name.lower()
    for src, dst in (
        ("ä", "ae"),
        ("ö", "oe"),
        ("ü", "ue"),
        ("ß", "ss"),
        ("ş", "s"),
        ("ı", "i"),
        ("ś", "s"),
        ("ń", "n"),
        (" ", "."),
    ):
        local = local.replace(src, dst)
    return f"{local}@{domain}"


def _company(session: Session, spec: DemoCompany, now: datetime) -> Company:
    company = session.scalar(select(Company).where(Company.short_name == spec.short_name))
    if company is None:
        company = Company(
            short_name=spec.short_name, name=spec.name, default_language="de", created_at=now
        )
        if spec.sign_in_code:
            company.sign_in_code = spec.sign_in_code
        session.add(company)
        session.flush()
        if spec.short_name == "nordlicht-logistik":
            # Its own look: a drawn logo and a teal accent (lms/company_look).
            from lms.company_look.demo import give_look

            session.add(give_look(company, "Nordlicht", "#00636e"))
            session.flush()
    return company


def _department(session: Session, company: Company, name: str) -> Department:
    department = session.scalar(
        select(Department).where(Department.company_id == company.id, Department.name == name)
    )
    if department is None:
        department = Department(company_id=company.id, name=name)
        session.add(department)
        session.flush()
    return department


def _user(
    session: Session,
    *,
    email: str,
    name: str,
    roles: tuple[Role, ...],
    password: str,
    now: datetime,
    company: Company | None = None,
    department: Department | None = None,
) -> User:
    user = session.scalar(select(User).where(User.email == email))
    if user is None:
        user = User(
            email=email, display_name=name, company=company, department=department, created_at=now
        )
        session.add(user)
    for role in roles:
        user.grant(role)
    if not verify_password(user.password_hash, password):
        user.password_hash = hash_password(password)
    user.must_change_password = False
    user.is_active = True
    session.flush()
    return user


def _person_without_email(
    session: Session,
    company: Company,
    department: Department,
    name: str,
    number: str,
    now: datetime,
) -> User:
    user = session.scalar(
        select(User).where(User.company_id == company.id, User.personnel_number == number)
    )
    if user is None:
        user = User(
            email=None,
            display_name=name,
            personnel_number=number,
            company=company,
            department=department,
            created_at=now,
        )
        session.add(user)
        user.grant(Role.LEARNER)
    user.is_active = True
    session.flush()
    return user


def shop_floor_people(session: Session) -> tuple[Company, str, list[User]] | None:
    """The demo company with people without an address, its manager's address, and
    those people in the order of `DemoCompany.shop_floor`."""
    for spec in COMPANIES:
        if not spec.shop_floor:
            continue
        company = session.scalar(select(Company).where(Company.short_name == spec.short_name))
        if company is None:
            return None
        people = [
            session.scalar(
                select(User).where(User.company_id == company.id, User.personnel_number == number)
            )
            for _name, _department, number in spec.shop_floor
        ]
        found = [person for person in people if person is not None]
        return company, _email(spec.manager[0], spec.domain), found
    return None


def seed(session: Session, password: str, now: datetime) -> list[DemoAccount]:
    """Create the demo data if missing; return every demo account."""
    accounts: list[DemoAccount] = []

    def add(
        user: User, roles: tuple[Role, ...], company: Company | None, department: str | None
    ) -> None:
        accounts.append(
            DemoAccount(
                email=user.email or "",
                name=user.display_name,
                roles=tuple(r.value for r in roles),
                company=company.name if company else None,
                department=department,
                in_tour=user.email in TOUR,
                can_log_in=company is None or company.short_name != SUSPENDED,
            )
        )

    companies = []
    for spec in COMPANIES:
        company = _company(session, spec, now)
        companies.append(company)
        departments = {name: _department(session, company, name) for name in spec.departments}
        manager_name, manager_department = spec.manager
        roles = (Role.MANAGER, Role.LEARNER)
        manager = _user(
            session,
            email=_email(manager_name, spec.domain),
            name=manager_name,
            roles=roles,
            password=password,
            now=now,
            company=company,
            department=departments[manager_department],
        )
        add(manager, roles, company, manager_department)
        for name, department in spec.employees:
            learner = _user(
                session,
                email=_email(name, spec.domain),
                name=name,
                roles=(Role.LEARNER,),
                password=password,
                now=now,
                company=company,
                department=departments[department],
            )
            add(learner, (Role.LEARNER,), company, department)
        for name, department, number in spec.shop_floor:
            _person_without_email(session, company, departments[department], name, number, now)

    trainer = _user(
        session,
        email=f"trainer@{PROVIDER_DOMAIN}",
        name="Claudia Weber",
        roles=(Role.TRAINER,),
        password=password,
        now=now,
    )
    for company in companies:
        if company not in trainer.trainer_companies:
            trainer.trainer_companies.append(company)
    add(trainer, (Role.TRAINER,), None, None)
    admin = _user(
        session,
        email=f"admin@{PROVIDER_DOMAIN}",
        name="Markus Albrecht",
        roles=(Role.ADMIN,),
        password=password,
        now=now,
    )
    add(admin, (Role.ADMIN,), None, None)
    session.flush()
    return accounts


def every_overview_changed(session: Session) -> None:
    """Demo data is written directly, not through the services: every company's team
    overview has changed."""
    compliance.cells_changed(session, *session.scalars(select(Company.id)))


def format_table(accounts: list[DemoAccount], password: str) -> str:
    """The demo logins as a readable table in the language in force: the accounts of
    README.md's tour first (in its order), then the others by role, the suspended
    company's people last; the tour's and the suspended ones marked."""
    from lms.templating import ROLE_LABELS

    order = {"admin": 0, "trainer": 1, "manager": 2, "learner": 3}

    def place(a: DemoAccount) -> tuple[int, int, int, str, str]:
        tour = TOUR.index(a.email) if a.in_tour else len(TOUR)
        role = min(order[r] for r in a.roles)
        return (not a.can_log_in, tour, role, a.company or "", a.email)

    def note(a: DemoAccount) -> str:
        if not a.can_log_in:
            return _("cannot log in: company suspended")
        return _("README tour") if a.in_tour else ""

    headers = (_("E-mail"), _("Roles"), _("Company"), _("Department"), _("Note"))
    table = [headers] + [
        (
            a.email,
            ", ".join(str(ROLE_LABELS[Role(r)]) for r in a.roles),
            a.company or _("(training provider)"),
            a.department or "–",
            note(a),
        )
        for a in sorted(accounts, key=place)
    ]
    widths = [max(len(row[i]) for row in table) for i in range(len(headers))]
    lines = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in table
    ]
    lines.insert(1, "  ".join("-" * w for w in widths))
    lines.append("")
    lines.append(_("Password for every demo account: %(password)s", password=password))
    lines.append(
        _(
            "README tour: the accounts README.md's short tour uses. Cannot log in: the people "
            "of a suspended company, whose login fails on purpose (its data is kept)."
        )
    )
    return "\n".join(lines)


# --- Learning progress ------------------------------------------------------------


# What the demo's learners write in free-text answers (within the sample's word limits).
DEMO_ESSAY = (
    "Sie sollte es sofort ihrer Vorgesetzten und dem Datenschutzbeauftragten melden.\n"
    "Der Betrieb muss die Panne innerhalb von 72 Stunden melden und kann den Schaden "
    "nur begrenzen, wenn er früh davon weiß."
)


def right_fields(question: Question, public: dict[str, Any]) -> dict[str, Any]:
    """The form fields of a fully correct answer (for demo data and benchmarks)."""
    name = f"q-{question.id}"
    kind = question.type
    if kind is QuestionType.SINGLE:
        return {name: str(next(i for i, c in enumerate(question.choices) if c.correct))}
    if kind is QuestionType.MULTIPLE:
        return {name: [str(i) for i, c in enumerate(question.choices) if c.correct]}
    if kind is QuestionType.TRUE_FALSE:
        return {name: "true" if question.answer_bool else "false"}
    if kind is QuestionType.NUMBER:
        return {name: str(question.number)}
    if kind is QuestionType.TEXT:
        rule = question.text_rule
        return {name: rule.answers[0]} if rule and rule.answers else {}
    if kind is QuestionType.CLOZE:
        fields: dict[str, Any] = {}
        for index, gap in enumerate(question.gaps):
            if gap.is_choice:
                fields[f"{name}-{index}"] = str(
                    next(i for i, c in enumerate(gap.choices) if c.correct)
                )
            elif gap.text and gap.text.answers:
                fields[f"{name}-{index}"] = gap.text.answers[0]
        return fields
    if kind is QuestionType.ESSAY:  # written; a trainer grades it (the demo's waits)
        return {name: DEMO_ESSAY}
    if kind is QuestionType.MATCHING:
        options: list[str] = public["right"]
        return {f"{name}-{i}": str(options.index(p.right)) for i, p in enumerate(question.pairs)}
    if kind is QuestionType.ORDERING:
        items: list[str] = public["items"]
        return {
            f"{name}-{items.index(item)}": str(pos) for pos, item in enumerate(question.items, 1)
        }
    return {}


def take_quiz(session: Session, enrollment: Any, unit_id: str, now: datetime, right: bool) -> None:
    """Take and hand in one attempt, all right or all blank."""
    from lms.content.stored import stored_questions
    from lms.services import quizzes

    attempt = quizzes.start_attempt(session, enrollment, unit_id, enrollment.version.language, now)
    public = quizzes.public_questions(attempt)
    keys = {q.id: q for q in stored_questions(attempt.version, attempt.language, unit_id)}
    for page in range(1, quizzes.page_count(attempt) + 1):
        form: dict[str, list[str]] = {}
        if right:
            for entry in quizzes.page_entries(attempt, page):
                fields = right_fields(keys[entry["id"]], public[entry["id"]])
                for field, value in fields.items():
                    form[field] = value if isinstance(value, list) else [value]
        quizzes.save_page(session, attempt, page, form)
    quizzes.submit(session, attempt, now)


# Who has done what in the demo: (e-mail, course, lessons read, quiz results).
PROGRESS = (
    ("jonas.becker@mueller-metallbau.example", "it-sicherheit", 3, ()),
    ("lena.hoffmann@mueller-metallbau.example", "datenschutz-im-arbeitsalltag", 6,
     (("wissenscheck", False), ("wissenscheck", True))),
    ("sarah.klein@nordlicht-logistik.example", "ki-im-betrieb", 5, (("kurzcheck", True),)),
    ("julia.neumann@nordlicht-logistik.example", "datenschutz-im-arbeitsalltag", 2, ()),
)  # fmt: skip


def seed_progress(session: Session, now: datetime) -> int:
    """Give some demo learners progress, once. Returns how many were set up now."""
    from lms.models import Course
    from lms.services import learning

    done = 0
    for email, slug, lessons, quizzes_taken in PROGRESS:
        user = session.scalar(select(User).where(User.email == email))
        course = session.scalar(select(Course).where(Course.slug == slug))
        if user is None or course is None or learning.get_enrollment(session, user, course):
            continue
        enrollment = learning.enroll(session, user, course, now)
        units = learning.rendered_units(enrollment.version, enrollment.version.language)
        for unit in [u for u in units if u["type"] == "lesson"][:lessons]:
            learning.mark_lesson_done(session, enrollment, unit["id"], now)
        for unit_id, right in quizzes_taken:
            take_quiz(session, enrollment, unit_id, now, right)
        done += 1
    session.flush()
    return done


# The demo's assignments: (course, department index or None for everyone, assigned
# and due, in days from today).
ASSIGNMENTS = (
    ("it-sicherheit", None, -400, -370),
    ("datenschutz-im-arbeitsalltag", 0, -10, 20),
    ("ki-im-betrieb", 1, -40, -5),
)
# When each employee (by position in the company's list) completed the yearly
# IT security module, in days from today; None: not yet. With 12 months of
# validity this gives valid, expiring and expired certificates.
IT_SECURITY_DONE = (None, -340, -60, None, -345, -90, -380, -30, None, -120, -335, None)
# Who took it a year earlier too (days from today, by the e-mail's local part): "Meine
# Zertifikate" lists the expired certificate of that round below the current one.
IT_SECURITY_EARLIER = {"katrin.schulz": -395}


def complete_course(session: Session, user: User, course: Any, at: datetime) -> None:
    """Take a whole course at `at` (a new round if completed before): every lesson, every quiz
    right, in-person and practical units recorded. Gives a completion with a certificate
    dated `at`."""
    from lms.services import learning

    enrollment = learning.get_enrollment(session, user, course)
    if enrollment is not None:  # completed before: a new round
        learning.start_new_round(session, enrollment, at)
    else:
        enrollment = learning.enroll(session, user, course, at)
    for unit in learning.rendered_units(enrollment.version, enrollment.version.language):
        if unit["type"] == "lesson":
            learning.mark_lesson_done(session, enrollment, unit["id"], at)
        elif unit["type"] == "quiz":
            take_quiz(session, enrollment, unit["id"], at, right=True)
        else:
            learning.record_outcome(session, enrollment, unit["id"], at)


def seed_assignments(session: Session, now: datetime, today: date) -> int:
    """Give each demo company assignments and a history, once. Returns companies set up now."""
    from lms.models import AssignmentRule, Course, Department
    from lms.services import assignments, learning

    courses = {c.slug: c for c in session.scalars(select(Course))}
    if any(slug not in courses for slug, *_rest in ASSIGNMENTS):
        return 0
    done = 0
    for spec in COMPANIES:
        if spec.short_name == SUSPENDED:
            continue  # a former customer: no current assignments
        company = session.scalar(select(Company).where(Company.short_name == spec.short_name))
        if company is None or session.scalar(
            select(AssignmentRule.id).where(AssignmentRule.company_id == company.id).limit(1)
        ):
            continue
        manager = session.scalar(
            select(User).where(User.email == _email(spec.manager[0], spec.domain))
        )
        departments = {
            d.name: d
            for d in session.scalars(select(Department).where(Department.company_id == company.id))
        }
        employees = [
            session.scalar(select(User).where(User.email == _email(name, spec.domain)))
            for name, _department in spec.employees
        ]
        it_security = courses["it-sicherheit"]
        for person, days in zip(employees, IT_SECURITY_DONE, strict=True):
            if person is None or days is None:
                continue
            if learning.get_enrollment(session, person, it_security) is None:
                earlier = IT_SECURITY_EARLIER.get((person.email or "").split("@")[0])
                if earlier is not None:
                    complete_course(session, person, it_security, now + timedelta(days=earlier))
                complete_course(session, person, it_security, now + timedelta(days=days))
        for slug, department_index, assigned, due in ASSIGNMENTS:
            department = None
            if department_index is not None:
                department = departments[spec.departments[department_index]]
            assignments.assign_to_group(
                session,
                manager,
                company,
                courses[slug],
                department,
                today + timedelta(days=due),
                "",
                now + timedelta(days=assigned),
                today=today + timedelta(days=assigned),
            )
        done += 1
    # One company has agreed with its works council that managers see results.
    nordlicht = session.scalar(select(Company).where(Company.short_name == "nordlicht-logistik"))
    if nordlicht is not None and done:
        nordlicht.privacy_level = "results"
    session.flush()
    return done


# The demo's in-person sessions of the IT security workshop: (days from today, hour,
# seats, place, room, who booked in order (e-mail names), attendance for a past one).
DEMO_PLACE = "Zukunftszentrum Nord, Wissenschaftspark 2, 24118 Kiel"
SESSIONS: tuple[tuple[int, int, int, str, tuple[str, ...], tuple[str | None, ...]], ...] = (
    (
        -20,
        9,
        8,
        "Raum 1.12",
        (
            "lena.hoffmann@mueller-metallbau.example",
            "tim.schroeder@mueller-metallbau.example",
            "nina.lange@mueller-metallbau.example",
            "mehmet.kaya@nordlicht-logistik.example",
            "andrzej.wisniewski@nordlicht-logistik.example",
        ),
        ("present", "present", "absent", "present", "excused"),
    ),
    (
        5,
        8,
        4,
        "Raum 0.04",
        (
            "nina.lange@mueller-metallbau.example",
            "erik.zimmermann@nordlicht-logistik.example",
            "emine.arslan@nordlicht-logistik.example",
            "andrzej.wisniewski@nordlicht-logistik.example",
            "piotr.nowak@mueller-metallbau.example",
            "kevin.braun@nordlicht-logistik.example",
        ),
        (),
    ),
    (
        12,
        13,
        10,
        "Raum 1.12",
        (
            "julia.neumann@nordlicht-logistik.example",
            "sarah.klein@nordlicht-logistik.example",
        ),
        (),
    ),
)


def seed_sessions(session: Session, now: datetime) -> int:
    """Plan the demo's workshop sessions with bookings, a waiting list and a past roster,
    once. Returns the number of sessions planned now."""
    from zoneinfo import ZoneInfo

    from lms.audit.service import Actor
    from lms.in_person import booking
    from lms.models import Attendance, Course, InPersonSession
    from lms.services import learning

    course = session.scalar(select(Course).where(Course.slug == "it-sicherheit"))
    trainer = session.scalar(select(User).where(User.email == f"trainer@{PROVIDER_DOMAIN}"))
    if course is None or trainer is None or session.scalar(select(InPersonSession.id).limit(1)):
        return 0
    berlin = ZoneInfo("Europe/Berlin")
    local_today = now.astimezone(berlin).date()
    for days, hour, seats, room, emails, attendance in SESSIONS:
        day = local_today + timedelta(days=days)
        starts_at = datetime(day.year, day.month, day.day, hour, tzinfo=berlin).astimezone(
            now.tzinfo
        )
        planned_at = min(now, starts_at - timedelta(days=10))
        in_person = booking.schedule(
            session,
            course,
            "workshop-phishing",
            booking.SessionFields(
                starts_at=starts_at,
                minutes=30,
                capacity=seats,
                booking_deadline=starts_at - timedelta(days=1),
                place=DEMO_PLACE,
                room=room,
                note="Bitte melden Sie sich am Empfang im Erdgeschoss.",
            ),
            trainers=[trainer],
            companies=[],
            by=trainer,
            now=planned_at,
        )
        people = [session.scalar(select(User).where(User.email == email)) for email in emails]
        for position, (person, value) in enumerate(
            zip(people, attendance or (None,) * len(people), strict=True)
        ):
            if person is None:
                continue
            at = planned_at + timedelta(hours=2 + position)
            if learning.get_enrollment(session, person, course) is None:
                learning.enroll(session, person, course, at)
            held, _notices = booking.book(session, in_person, person, by=person, now=at)
            if value is not None:
                booking.record_attendance(
                    session, Actor(trainer), held, Attendance(value), "", now=in_person.ends_at
                )
    session.flush()
    seed_evaluations(session, course, now)
    return len(SESSIONS)


# Answers to the built-in evaluation questions (overall, useful for work, what should
# change): of the IT security module by those who completed it, and of its past session.
MODULE_EVALUATIONS = (
    (5, 5, "Mehr Beispiele aus dem Lager, bitte."),
    (4, 5, ""),
    (4, 3, "Im Wissenscheck war eine Frage unklar formuliert."),
    (5, 4, "Gut, dass es auf dem Handy geht."),
    (3, 4, ""),
    (4, 4, "Kürzere Lektionen wären schön."),
)
SESSION_EVALUATIONS = ((5, 5, "Sehr praxisnah."), (4, 5, ""), (5, 4, "Gern mehr Zeit für Fragen."))


def seed_evaluations(session: Session, course: Any, now: datetime) -> int:
    """Evaluations of the IT security module (enough for its results page) and of its past
    session (fewer: that page says how many more are needed). Returns the answers given."""
    from lms.evaluation import service as evaluation
    from lms.models import Booking, Enrollment, InPersonSession

    given = 0
    completed = session.scalars(
        select(Enrollment)
        .where(Enrollment.course_id == course.id, Enrollment.completed_at.is_not(None))
        .order_by(Enrollment.id)
    ).all()
    past = session.scalars(
        select(Booking)
        .join(InPersonSession, InPersonSession.id == Booking.session_id)
        .where(InPersonSession.course_id == course.id, Booking.attendance == "present")
        .order_by(Booking.id)
    ).all()
    people = [session.get(User, enrollment.user_id) for enrollment in completed]
    module_sheets = [
        (person, evaluation.module_target(session, person, course.slug))
        for person in people
        if person is not None
    ]
    session_sheets = [
        (seat.user, evaluation.session_target(session, seat.user, seat.session_id, now))
        for seat in past
    ]
    plan = ((module_sheets, MODULE_EVALUATIONS), (session_sheets, SESSION_EVALUATIONS))
    for sheets, answers in plan:
        for (person, target), (overall, useful, change) in zip(sheets, answers, strict=False):
            if target is None:
                continue
            sheet: dict[str, int | str] = {"overall": overall, "useful": useful}
            if change:
                sheet["change"] = change
            given += evaluation.submit(session, person, target, sheet, "de", now)
    return given


def seed_hybrid_extras(session: Session, now: datetime) -> int:
    """A signed-off on-the-job task, one half ticked, and a learner on the sample learning
    path, once. Returns how many of the three were set up now."""
    from lms.audit.service import Actor
    from lms.models import Course, LearningPath, PracticalSignoff
    from lms.services import learning, paths
    from lms.signoff import service as signoff

    course = session.scalar(select(Course).where(Course.slug == "datenschutz-im-arbeitsalltag"))
    manager = session.scalar(
        select(User).where(User.email == "sabine.krueger@mueller-metallbau.example")
    )
    if course is None or manager is None:
        return 0
    done = 0
    for email, share, sign in (
        ("lena.hoffmann@mueller-metallbau.example", 1.0, True),
        ("piotr.nowak@mueller-metallbau.example", 0.5, False),
    ):
        person = session.scalar(select(User).where(User.email == email))
        if person is None:
            continue
        enrollment = learning.get_enrollment(session, person, course) or learning.enroll(
            session, person, course, now - timedelta(days=6)
        )
        if session.scalar(
            select(PracticalSignoff.id).where(PracticalSignoff.enrollment_id == enrollment.id)
        ):
            continue
        unit = signoff.practical_unit(enrollment, "praxis-arbeitsplatz")
        items = [item["id"] for item in unit["checklist"]]
        signoff.save(
            session,
            Actor(manager),
            enrollment,
            "praxis-arbeitsplatz",
            items[: round(len(items) * share)],
            "Alles sauber gezeigt, danke!" if sign else "",
            sign=sign,
            now=max(now - timedelta(days=2), enrollment.counts_from),
        )
        done += 1
    done += _seed_pending_handin(session, course, now)
    path = session.scalar(
        select(LearningPath).where(LearningPath.slug == "digital-sicher-arbeiten")
    )
    jonas = session.scalar(
        select(User).where(User.email == "jonas.becker@mueller-metallbau.example")
    )
    if (
        path is not None
        and jonas is not None
        and not paths.path_state(session, jonas, path, "de").following
    ):
        paths.follow(session, jonas, path, now - timedelta(days=5))
        done += 1
    session.flush()
    return done


# Training done elsewhere: (company, person, title, provider, done days ago, valid for
# days or None, module slug or None, status).
EXTERNAL_RECORDS = (
    ("nordlicht-logistik", "Mehmet Kaya", "Staplerschein (Flurförderzeuge)", "DEKRA Akademie",
     300, 3 * 365, None, "confirmed"),
    ("nordlicht-logistik", "Sarah Klein", "IT-Sicherheit Grundlagen", "IHK Kiel",
     45, 365, "it-sicherheit", "confirmed"),
    ("nordlicht-logistik", "Julia Neumann", "Ersthelfer-Grundausbildung", "DRK Kreisverband",
     20, 2 * 365, None, "pending"),
    ("mueller-metall", "Marco Rossi", "Schweißerprüfung DIN EN ISO 9606-1", "TÜV Nord",
     200, 2 * 365, None, "confirmed"),
)  # fmt: skip


def _desk_photo() -> bytes:
    """A drawn stand-in for the photo of a tidy desk: a desk, a locked screen, no papers."""
    import io

    from PIL import Image, ImageDraw

    image = Image.new("RGB", (640, 480), (226, 232, 236))
    draw = ImageDraw.Draw(image)
    draw.rectangle((40, 300, 600, 330), fill=(150, 110, 70))  # the desk
    draw.rectangle((220, 120, 420, 260), fill=(40, 44, 52))  # the screen, locked
    draw.rectangle((300, 175, 340, 215), outline=(230, 230, 230), width=4)  # a padlock
    draw.rectangle((310, 260, 330, 300), fill=(90, 90, 90))  # its stand
    out = io.BytesIO()
    image.save(out, format="JPEG", quality=85)
    return out.getvalue()


def _seed_pending_handin(session: Session, course: Any, now: datetime) -> int:
    """One photo hand-in waiting in the trainers' queue "Zu bewerten", once."""
    from lms.audit.service import Actor
    from lms.grading import service as grading
    from lms.models import Handin
    from lms.services import learning

    person = session.scalar(
        select(User).where(User.email == "piotr.nowak@mueller-metallbau.example")
    )
    if person is None:
        return 0
    enrollment = learning.get_enrollment(session, person, course)
    if enrollment is None or session.scalar(
        select(Handin.id).where(Handin.enrollment_id == enrollment.id)
    ):
        return 0
    when = max(now - timedelta(days=1), enrollment.counts_from)
    grading.hand_in(session, Actor(person), enrollment, "foto-arbeitsplatz",
                    "arbeitsplatz.jpg", _desk_photo(), when)  # fmt: skip
    return 1


def _certificate_scan(name: str, title: str, provider: str, day: date) -> bytes:
    """A one-page PDF standing in for the scan of a certificate."""
    from fpdf import FPDF

    pdf = FPDF(format=(148, 210))  # A5, in millimetres
    pdf.add_page()
    pdf.set_font("helvetica", "B", 16)
    pdf.multi_cell(0, 9, "Teilnahmebescheinigung", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("helvetica", "", 11)
    text = f"{name}\n{title}\n{provider}\n{day:%d.%m.%Y}"
    pdf.multi_cell(0, 7, text.encode("latin-1", "replace").decode("latin-1"))
    return bytes(pdf.output())


def seed_external_records(session: Session, now: datetime) -> int:
    """Training done elsewhere for a few employees, once. Returns records written."""
    from lms.clock import day_start
    from lms.clock import today as local_today
    from lms.models import Course, ExternalRecord

    if session.scalar(select(ExternalRecord.id).limit(1)) is not None:
        return 0
    courses = {c.slug: c.id for c in session.scalars(select(Course))}
    specs = {spec.short_name: spec for spec in COMPANIES}
    written = 0
    for short_name, name, title, provider, ago, valid, slug, status in EXTERNAL_RECORDS:
        spec = specs[short_name]
        person = session.scalar(select(User).where(User.email == _email(name, spec.domain)))
        manager = session.scalar(
            select(User).where(User.email == _email(spec.manager[0], spec.domain))
        )
        if person is None or manager is None or person.company_id is None:
            continue
        done = local_today(now) - timedelta(days=ago)
        scan = _certificate_scan(name, title, provider, done)
        decided = status == "confirmed"
        session.add(
            ExternalRecord(
                company_id=person.company_id,
                user_id=person.id,
                course_id=courses.get(slug) if slug else None,
                title=title,
                provider=provider,
                completed_at=day_start(done),
                valid_until=day_start(done + timedelta(days=valid)) if valid else None,
                status=status,
                created_at=now - timedelta(days=max(ago - 3, 1)),
                created_by_id=manager.id if decided else person.id,
                decided_at=now - timedelta(days=max(ago - 3, 1)) if decided else None,
                decided_by_id=manager.id if decided else None,
                file_name=f"{title.split()[0].lower()}.pdf",
                file_type="application/pdf",
                file_size=len(scan),
                file_data=scan,
            )
        )
        written += 1
    session.flush()
    return written


def seed_admin_extras(session: Session, now: datetime) -> int:
    """The suspended demo company and a few audit entries, once. Returns entries written."""
    from lms.audit import service as audit
    from lms.models import AuditEntry

    # Once: the entries the demo's trainer and manager wrote (attendance, sign-offs,
    # publishing) are not these.
    ours = AuditEntry.action.in_(("company.settings", "company.suspend"))
    if session.scalar(select(AuditEntry.id).where(ours).limit(1)) is not None:
        return 0
    admin = session.scalar(select(User).where(User.email == f"admin@{PROVIDER_DOMAIN}"))
    suspended = session.scalar(select(Company).where(Company.short_name == SUSPENDED))
    nordlicht = session.scalar(select(Company).where(Company.short_name == "nordlicht-logistik"))
    if admin is None or suspended is None or nordlicht is None:
        return 0
    suspended.is_active = False
    # As if the demo's admin had made these changes from a documentation network.
    actor = audit.Actor(admin, "192.0.2.0/24")
    entries = [
        (nordlicht.id, "company.settings", nordlicht.name, nordlicht.id,
         {"privacy_level": ["status", "results"]}, 40),
        (suspended.id, "company.suspend", suspended.name, suspended.id, {}, 20),
    ]  # fmt: skip
    for company_id, action, subject, subject_id, changes, days in entries:
        audit.record(
            session, actor, action, company_id, now - timedelta(days=days),
            subject=subject, subject_id=subject_id, changes=changes,
        )  # fmt: skip
    session.flush()
    return len(entries)


# --- Course authoring in the browser (issue 9) ------------------------------------------

STAPLER = {
    "course.md": """---
title: Gabelstapler sicher fahren
summary: Die Grundregeln für Fahrten mit dem Gabelstapler in Lager und Halle.
language: de
minutes: 20
---
Vor jeder Fahrt, mit Last und an unübersichtlichen Stellen: was Sie beachten.
""",
    "01-vor-der-fahrt.md": """---
type: lesson
title: Vor der Fahrt
minutes: 8
---
## Sichtprüfung

Prüfen Sie vor jeder Fahrt Bremsen, Lenkung, Gabel und Reifen.

## Anschnallen

Legen Sie immer den Sicherheitsgurt an.
""",
    "02-wissenscheck.md": """---
type: quiz
title: Wissenscheck Stapler
minutes: 5
pass_mark: 50
---

## Was legen Sie vor jeder Fahrt an? {#gurt}

- (x) Den Sicherheitsgurt
  > Richtig.
- ( ) Nichts, die Fahrt ist ja kurz
  > Auch kurze Fahrten brauchen den Gurt.

## Wie hoch tragen Sie die Last beim Fahren? {#lasthoehe}

- (x) Knapp über dem Boden, etwa 15 cm
  > Richtig: so kippt der Stapler nicht.
- ( ) In Augenhöhe, damit Sie sie sehen
  > Dann wird der Stapler kopflastig und die Sicht ist versperrt.
- ( ) So hoch wie möglich
  > Das ist gefährlich.

## Wie fahren Sie mit Last ein Gefälle hinab? {#gefaelle}

- (x) Rückwärts, die Last bergseitig
  > Richtig.
- ( ) Vorwärts, die Last talseitig
  > Die Last könnte von der Gabel rutschen.

## Was prüfen Sie, bevor Sie losfahren? {#bremse}

- (x) Bremsen, Lenkung und Gabel
  > Richtig: die Sichtprüfung vor jeder Fahrt.
- ( ) Nur den Tankstand
  > Zu wenig: Bremsen, Lenkung und Gabel gehören dazu.

## Wann hupen Sie? {#hupe}

- (x) An unübersichtlichen Stellen und Toren
  > Richtig.
- ( ) Nie, Hupen stört
  > An unübersichtlichen Stellen warnt die Hupe andere.
""",
}

ERSTE_HILFE = {
    "course.md": """---
title: Erste Hilfe im Betrieb
summary: Was im Notfall bis zum Eintreffen des Rettungsdienstes zu tun ist.
language: de
---
Der Notruf, die stabile Seitenlage und wo der Verbandkasten hängt.
""",
    "01-notruf.md": """---
type: lesson
title: Der Notruf
minutes: viele
---
Wählen Sie die 112 und beantworten Sie die Fragen der Leitstelle.
""",
}

# Simulated answers to the demo knowledge check: per question, who of 12 learners
# (ordered from weak to strong) answers right. "gurt" is too easy, "lasthoehe" too
# hard, and "gefaelle" is answered right by the weaker learners (negative
# discrimination): item statistics with figures and flags.
SIMULATED_RIGHT = {
    "gurt": lambda rank: True,
    "lasthoehe": lambda rank: rank >= 9,
    "gefaelle": lambda rank: rank in (0, 1, 2, 4),
    "bremse": lambda rank: rank >= 2,
    "hupe": lambda rank: rank >= 4,
}


def seed_authoring(session: Session, now: datetime) -> int:
    """Drafts and published versions for the trainer, once: a course with two versions
    and simulated attempts (item statistics with figures and a flagged question), and a
    new course's draft with one error to fix. Returns the attempts made."""
    from lms.audit.service import Actor
    from lms.models import Course, CourseDraft, CourseEditor
    from lms.services import drafts, learning, quizzes

    trainer = session.scalar(select(User).where(User.email == f"trainer@{PROVIDER_DOMAIN}"))
    if trainer is None:
        return 0
    # The demo trainer may change every course nobody was granted yet.
    granted = set(session.scalars(select(CourseEditor.slug)))
    for slug in session.scalars(select(Course.slug)):
        if slug not in granted:
            session.add(CourseEditor(slug=slug, user_id=trainer.id, granted_at=now))
    session.flush()
    if session.scalar(select(CourseDraft.id).limit(1)) is not None:
        return 0
    encoded = {path: text.encode("utf-8") for path, text in STAPLER.items()}
    draft = drafts.create_draft(session, "stapler-grundlagen", encoded, trainer,
                                now - timedelta(days=30))  # fmt: skip
    drafts.publish(session, Actor(trainer), draft, now - timedelta(days=30), note="Erste Fassung")
    changed = STAPLER["01-vor-der-fahrt.md"] + "\n## Hupen\n\nHupen Sie an Toren und Ecken.\n"
    drafts.save_text(session, draft, "01-vor-der-fahrt.md", changed, draft.revision, trainer,
                     now - timedelta(days=10))  # fmt: skip
    drafts.publish(session, Actor(trainer), draft, now - timedelta(days=10), note="Hupen ergänzt")
    course = session.scalar(select(Course).where(Course.slug == "stapler-grundlagen"))
    assert course is not None
    learners = [
        user
        for user in session.scalars(
            select(User)
            .where(User.company_id.is_not(None), User.is_active.is_(True))
            .order_by(User.id)
        )
        if user.has_role(Role.LEARNER) and not user.has_role(Role.MANAGER)
    ][:12]
    made = 0
    for rank, user in enumerate(learners):
        at = now - timedelta(days=9, hours=rank)
        enrollment = learning.enroll(session, user, course, at)
        attempt = quizzes.start_attempt(session, enrollment, "wissenscheck", "de", at)
        form: dict[str, list[str]] = {}
        for entry in attempt.layout:
            right = SIMULATED_RIGHT[entry["id"]](rank)
            form[f"q-{entry['id']}"] = ["0" if right else "1"]  # choice 0 is the right one
        for page in range(1, quizzes.page_count(attempt) + 1):
            quizzes.save_page(session, attempt, page, form)
        quizzes.submit(session, attempt, at)
        made += 1
    encoded = {path: text.encode("utf-8") for path, text in ERSTE_HILFE.items()}
    drafts.create_draft(session, "erste-hilfe-betrieb", encoded, trainer, now)
    session.flush()
    return made
