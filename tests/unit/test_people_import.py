"""Bulk import of people: reading HR's files, the dry run, applying, and the command."""

from __future__ import annotations

import io
from datetime import UTC, date, datetime, timedelta

import pytest
from openpyxl import Workbook
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import Assignment, Course, Role, User
from lms.people import importing as people_import
from lms.people.importing import Action, Field, ImportRefused, read_file
from lms.services import assignments
from lms.services.accounts import NewPerson, create_user
from tests.factories import make_department, make_user
from tests.unit.test_course_parser import write_course

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)
HEADER = "E-Mail;Vorname;Nachname;Personalnummer;Abteilung;Rollen;Sprache"


def csv_file(*lines: str, encoding: str = "utf-8", header: str = HEADER) -> bytes:
    return "\r\n".join((header, *lines)).encode(encoding)


def xlsx_file(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("Second sheet").append(["ignored"])
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def plan_of(db, company, data: bytes, **options):
    return people_import.plan(db, company, read_file(data, "people.csv"), **options)


def codes(problems) -> list[tuple[int, str]]:
    return [(p.line, p.code) for p in problems]


def person(db, email: str) -> User | None:
    return db.scalar(select(User).where(User.email == email))


def line_of(user: User, department: str = "", roles: str = "", language: str = "") -> str:
    """A row that matches `user` as stored (its name split at the last space)."""
    first, _, last = user.display_name.rpartition(" ")
    return ";".join(
        [user.email, first, last, user.personnel_number or "", department, roles, language]
    )


# --- Reading ----------------------------------------------------------------------------


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp1252", "utf-16"])
def test_reads_utf8_with_and_without_bom_windows_1252_and_utf16(encoding):
    data = csv_file(
        "jürgen.groß@example.com;Jürgen;Größe;0815;Büro;Führungskraft;de", encoding=encoding
    )
    result = read_file(data, "people.csv")
    assert result.problems == []
    [row] = result.rows
    assert row.line == 2
    assert row.values == {
        Field.EMAIL: "jürgen.groß@example.com",
        Field.FIRST_NAME: "Jürgen",
        Field.LAST_NAME: "Größe",
        Field.PERSONNEL_NUMBER: "0815",
        Field.DEPARTMENT: "Büro",
        Field.ROLES: "Führungskraft",
        Field.LANGUAGE: "de",
    }


@pytest.mark.parametrize("separator", [";", ",", "\t"])
def test_detects_the_separator(separator):
    header = separator.join(["E-Mail", "Vorname", "Nachname", "Abteilung"])
    data = csv_file(
        separator.join(["a@example.com", "Ann", "Lee", '"Lager, Halle 2"']), header=header
    )
    [row] = read_file(data).rows
    assert row.values[Field.LAST_NAME] == "Lee"
    assert row.values[Field.DEPARTMENT] == "Lager, Halle 2"


def test_english_headers_in_any_order_with_an_extra_column_noticed():
    data = csv_file(
        "en,Stores,Lee,Ann,ANN@example.com,4711",
        header="Language,Department,Last name,First Name,Email,Cost centre",
    )
    result = read_file(data)
    assert codes(result.problems) == [(1, "extra-column")]
    assert not result.problems[0].is_error
    assert result.problems[0].params == {"column": "Cost centre"}
    [row] = result.rows
    assert row.values[Field.FIRST_NAME] == "Ann"
    assert row.values[Field.EMAIL] == "ANN@example.com"
    assert Field.PERSONNEL_NUMBER not in row.values


def test_reads_the_first_sheet_of_a_workbook_with_numbers_as_text():
    data = xlsx_file(
        [
            ["Nachname", "Vorname", "E-Mail-Adresse", "Personal-Nr."],
            [None, None, None, None],
            ["Öztürk", "Ayşe", "ayse@example.com", 1234],
        ]
    )
    result = read_file(data, "Mitarbeiter.xlsx")
    assert result.problems == []
    [row] = result.rows
    assert row.line == 3
    assert row.values[Field.PERSONNEL_NUMBER] == "1234"
    assert row.values[Field.LAST_NAME] == "Öztürk"


@pytest.mark.parametrize(
    ("data", "name", "code"),
    [
        (b"", "people.csv", "file-empty"),
        (b" \r\n ", "people.csv", "file-empty"),
        (b"x" * (people_import.MAX_BYTES + 1), "people.csv", "file-too-large"),
        (b"\x7fELF\x02\x01\x01\x00\x00\x00junk", "people.csv", "not-a-table"),
        (b"E-Mail;Vorname\x01;Nachname\r\n", "people.csv", "not-a-table"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "people.xlsx", "xlsx-encrypted"),
        (b"PK\x03\x04 this is no workbook", "people.xlsx", "xlsx-unreadable"),
        (b"E-Mail;Vorname;Nachname\r\n", "people.xlsx", "xlsx-unreadable"),
        (b"E-Mail;Vorname;Nachname\r\n;;\r\n", "people.csv", "no-rows"),
    ],
)
def test_files_that_cannot_be_read_give_one_problem_for_the_whole_file(data, name, code):
    result = read_file(data, name)
    assert codes(result.problems) == [(0, code)]
    assert result.rows == []


def test_too_many_rows(monkeypatch):
    monkeypatch.setattr(people_import, "MAX_ROWS", 3)
    data = csv_file(*[f"p{i}@example.com;P;{i};;;;" for i in range(4)])
    assert codes(read_file(data).problems) == [(0, "too-many-rows")]


def test_missing_and_duplicate_columns_are_errors_of_the_header_line():
    data = csv_file("a@example.com;Ann;a@example.com", header="\r\nVorname;E-Mail;Mail")
    result = read_file(data)
    assert codes(result.problems) == [(2, "duplicate-column"), (2, "missing-column")]
    assert result.rows == []


# --- Problems per row ---------------------------------------------------------------------


def test_every_row_problem_is_reported_with_its_line_and_nothing_applies(app, db, world):
    taken = make_user(db, world.a.company, email="kept@example.com", personnel_number="P-9")
    make_user(db, world.a.company, email="holder@example.com", personnel_number="P-8")
    other_company_person = world.b.employees[0].email
    data = csv_file(
        "neu@example.com;Neu;Person;P-1;Lager;;",  # 2: fine
        ";;;;;;",  # 3: an empty line, skipped
        'eins@example.com;=HYPERLINK("http://x");Person;;;;',  # 4
        "not-an-address;Nie;Mand;;;;",  # 5
        "NEU@example.com;Doppelt;Person;;;;",  # 6
        f"{other_company_person};Fremd;Person;;;;",  # 7
        "zwei@example.com;Zwei;Person;;Vertrieb;;",  # 8
        "drei@example.com;Drei;Person;;;Praktikant;",  # 9
        "vier@example.com;Vier;Person;;;Admin;",  # 10
        "fuenf@example.com;Fünf;Person;;;;fr",  # 11
        ";Ohne;Adresse;;;;",  # 12
        "sechs@example.com;;;;;;",  # 13
        "sieben@example.com;Sieben;Person;P-1;;;",  # 14
        "acht@example.com;Acht;Person;+49 171 000;;;",  # 15
        "neun@example.com;Neun;@Person;;-;;",  # 16
        f"zehn@example.com;{'Z' * 101};Person;;;;",  # 17
        "elf@example.com;Elf;Person;P-8;;;",  # 18
        f"{taken.email};Kept;Person;P-9;;;",  # 19: fine, the number is theirs
    )
    plan = plan_of(db, world.a.company, data)
    assert codes(plan.problems) == [
        (4, "formula-cell"),
        (5, "email-invalid"),
        (6, "email-duplicate"),
        (7, "email-taken"),
        (8, "unknown-department"),
        (9, "unknown-role"),
        (10, "role-not-allowed"),
        (11, "unknown-language"),
        (12, "email-missing"),
        (13, "name-missing"),
        (14, "personnel-number-duplicate"),
        (15, "formula-cell"),
        (16, "formula-cell"),
        (16, "formula-cell"),
        (17, "too-long"),
        (18, "personnel-number-taken"),
    ]
    assert plan.has_errors
    assert [(c.line, c.action) for c in plan.changes] == [(2, Action.CREATE), (19, Action.UPDATE)]
    with app.test_request_context(headers={"Accept-Language": "en"}):
        messages = [p.format() for p in plan.problems]
    assert messages[0] == (
        "line 4: The cell in column Vorname starts with =, +, - or @, like a spreadsheet "
        "formula. Remove the character."
    )
    assert messages[2] == "line 6: neu@example.com is listed twice in the file (also in line 2)."
    assert messages[3] == "line 7: " + other_company_person + (
        " belongs to an account outside this company."
    )
    assert "Beta" not in " ".join(messages)  # the other company is not named
    assert messages[-1] == "line 18: Personnel number P-8 already belongs to holder@example.com."
    with pytest.raises(ImportRefused):
        people_import.apply(db, world.a.company, plan, None, NOW)
    assert person(db, "neu@example.com") is None


def test_every_problem_code_has_a_message_in_english_and_german(app):
    params = dict.fromkeys(
        ["limit", "column", "first", "second", "email", "other", "number", "department", "role",
         "language"],
        "x",
    )  # fmt: skip
    for language, line in [("en", "line 3: "), ("de", "Zeile 3: ")]:
        with app.test_request_context(headers={"Accept-Language": language}):
            for code in people_import.MESSAGES:
                assert people_import.Problem(3, code, params).format().startswith(line)
            assert people_import.Problem(0, "file-empty").format() in {
                "The file is empty.",
                "Die Datei ist leer.",
            }


def test_an_account_of_the_provider_counts_as_taken(db, world):
    data = csv_file(f"{world.trainer.email};Tina;Trainer;;;;")
    assert codes(plan_of(db, world.a.company, data).problems) == [(2, "email-taken")]


# --- Planning and applying ----------------------------------------------------------------


def test_dry_run_and_apply_agree_row_for_row_and_a_reimport_changes_nothing(db, world):
    a = world.a
    stays, renamed, moved = a.employees  # Lager, Lager, Büro
    data = csv_file(
        "neu@example.com;Nina;Neu;1001;Lager;Mitarbeitende;en",
        line_of(stays, "Lager", "Mitarbeitende"),
        f"{renamed.email};Rita;Neuname;1002;lager;;",
        line_of(moved, "Lager", "Mitarbeitende, Führungskraft", "de"),
        "chef@example.com;Carla;Chef;;Büro;Führungskraft;",
    )
    plan = plan_of(db, a.company, data)
    assert plan.problems == []
    assert [(c.line, c.action, c.email) for c in plan.changes] == [
        (2, Action.CREATE, "neu@example.com"),
        (3, Action.UNCHANGED, stays.email),
        (4, Action.UPDATE, renamed.email),
        (5, Action.MOVE, moved.email),
        (6, Action.CREATE, "chef@example.com"),
    ]
    assert plan.changes[3].updates == {
        "manager": True,
        "language": "de",
        "department_id": a.departments[0].id,
    }
    assert plan.changes[3].describe() == (
        f"line 5: move {moved.email} (roles: employee, manager, language: de, department: Lager)"
    )
    assert plan.counts()[Action.CREATE] == 2
    assert person(db, "neu@example.com") is None  # the dry run wrote nothing

    summary = people_import.apply(db, a.company, plan, world.admin, NOW)
    assert summary.counts == plan.counts()
    nina = person(db, "neu@example.com")
    assert summary.new_people_ids == [nina.id, person(db, "chef@example.com").id]
    assert nina is not None
    assert (nina.display_name, nina.personnel_number, nina.department, nina.language) == (
        "Nina Neu", "1001", a.departments[0], "en",
    )  # fmt: skip
    assert nina.roles == {Role.LEARNER} and nina.password_hash is None
    assert person(db, "chef@example.com").roles == {Role.LEARNER, Role.MANAGER}
    assert (renamed.display_name, renamed.personnel_number) == ("Rita Neuname", "1002")
    assert moved.department == a.departments[0] and moved.roles == {Role.LEARNER, Role.MANAGER}
    assert moved.language == "de"

    again = plan_of(db, a.company, data)
    assert again.problems == []
    assert {c.action for c in again.changes} == {Action.UNCHANGED}
    people = db.scalar(select(func.count()).select_from(User))
    people_import.apply(db, a.company, again, world.admin, NOW)
    assert db.scalar(select(func.count()).select_from(User)) == people


def test_empty_cells_leave_stored_values_alone(db, world):
    employee = world.a.employees[0]
    employee.personnel_number = "77"
    employee.language = "en"
    employee.grant(Role.MANAGER)
    db.flush()
    plan = plan_of(db, world.a.company, csv_file(line_of(employee)))
    assert [c.action for c in plan.changes] == [Action.UNCHANGED]


def test_the_manager_role_comes_and_goes_with_the_file(db, world):
    manager = world.a.manager
    plan = plan_of(db, world.a.company, csv_file(line_of(manager, "Büro", "Mitarbeitende")))
    assert plan.changes[0].updates == {"manager": False}
    people_import.apply(db, world.a.company, plan, None, NOW)
    assert manager.roles == {Role.LEARNER}


def test_missing_people_are_deactivated_only_when_asked(db, world):
    a = world.a
    listed = a.employees[0]
    a.manager.grant(Role.TRAINER)  # never deactivated by an import
    db.flush()
    data = csv_file(line_of(listed, "Lager"))
    assert [c.action for c in plan_of(db, a.company, data).changes] == [Action.UNCHANGED]

    plan = plan_of(db, a.company, data, deactivate_missing=True)
    gone = [c.email for c in plan.changes if c.action is Action.DEACTIVATE]
    expected = sorted(p.email for p in [*a.employees[1:], a.limited_manager])
    assert gone == expected
    versions = {p.email: p.session_version for p in a.employees}
    people_import.apply(db, a.company, plan, world.admin, NOW)
    for employee in a.employees[1:]:
        assert not employee.is_active
        assert employee.session_version == versions[employee.email] + 1  # sessions ended
    assert listed.is_active and a.manager.is_active
    assert all(p.is_active for p in [*world.b.employees, world.b.manager, world.admin])


def test_the_person_importing_is_never_deactivated(db, world):
    a = world.a
    data = csv_file(line_of(a.employees[0], "Lager"))
    plan = plan_of(db, a.company, data, deactivate_missing=True, importer=a.manager)
    assert a.manager.email not in {c.email for c in plan.changes}
    unsafe = plan_of(db, a.company, data, deactivate_missing=True)
    with pytest.raises(ImportRefused):
        people_import.apply(db, a.company, unsafe, a.manager, NOW)


def test_a_deactivated_person_in_the_file_gets_a_notice_and_stays_deactivated(db, world):
    employee = world.a.employees[0]
    employee.is_active = False
    db.flush()
    plan = plan_of(db, world.a.company, csv_file(line_of(employee, "Lager")))
    assert codes(plan.problems) == [(2, "inactive-person")]
    assert not plan.has_errors
    people_import.apply(db, world.a.company, plan, None, NOW)
    assert not employee.is_active


@pytest.fixture
def course(app, db, tmp_path):
    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), NOW - timedelta(days=400))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def test_a_move_keeps_the_history_and_brings_the_new_departments_standing_assignments(
    app, db, world, course
):
    a = world.a
    lager, buero = a.departments
    mover = a.employees[0]
    assignments.assign_to_group(
        db, a.manager, a.company, course, lager, date(2026, 12, 31), "", NOW - timedelta(days=30),
        today=date(2026, 10, 24),
    )  # fmt: skip
    other = Course(slug="zweiter-kurs", shared=True)
    db.add(other)
    db.flush()
    assignments.assign_to_group(
        db, a.manager, a.company, other, buero, date(2026, 12, 31), "", NOW - timedelta(days=1),
        today=date(2026, 11, 22),
    )  # fmt: skip
    before = db.scalars(select(Assignment).where(Assignment.user_id == mover.id)).all()
    assert [x.course_id for x in before] == [course.id]

    plan = plan_of(db, a.company, csv_file(line_of(mover, "Büro")))
    assert [c.action for c in plan.changes] == [Action.MOVE]
    people_import.apply(db, a.company, plan, None, NOW)

    assert mover.department == buero
    rows = db.scalars(
        select(Assignment).where(Assignment.user_id == mover.id).order_by(Assignment.id)
    ).all()
    assert [(x.course_id, x.ended_at, x.reason) for x in rows] == [
        (course.id, None, "department"),
        (other.id, None, "newcomer"),
    ]


def test_a_new_person_gets_the_standing_assignments_of_their_department(db, world, course):
    a = world.a
    assignments.assign_to_group(
        db, a.manager, a.company, course, a.departments[0], date(2026, 12, 31), "", NOW,
        today=date(2026, 11, 23),
    )  # fmt: skip
    plan = plan_of(db, a.company, csv_file("neu@example.com;Nina;Neu;;Lager;;"))
    [nina_id] = people_import.apply(db, a.company, plan, None, NOW).new_people_ids
    assert db.scalar(select(Assignment.course_id).where(Assignment.user_id == nina_id)) == course.id


def test_another_companys_people_and_departments_are_never_touched(db, world):
    a, b = world.a, world.b
    make_department(db, b.company, "Nur bei Beta")
    data = csv_file(
        line_of(b.employees[0], "Lager"),
        "neu@example.com;Nina;Neu;;Nur bei Beta;;",
    )
    assert codes(plan_of(db, a.company, data).problems) == [
        (2, "email-taken"),
        (3, "unknown-department"),
    ]
    # A plan made for one company does not apply to another, nor reach another's people.
    plan = plan_of(db, a.company, csv_file(line_of(a.employees[0], "Büro")))
    with pytest.raises(ImportRefused):
        people_import.apply(db, b.company, plan, None, NOW)
    forged = people_import.ImportPlan(
        a.company.id,
        [people_import.Change(Action.DEACTIVATE, b.manager.email, user_id=b.manager.id)],
        [],
    )
    with pytest.raises(ImportRefused):
        people_import.apply(db, a.company, forged, None, NOW)
    assert b.manager.is_active


# --- The command ---------------------------------------------------------------------------


def run(app, *args):
    return app.test_cli_runner().invoke(args=["people", "import", *map(str, args)])


def test_the_command_shows_a_dry_run_then_applies_and_invites_in_each_language(
    app, db, world, mails, tmp_path
):
    path = tmp_path / "mitarbeitende.csv"
    path.write_bytes(
        csv_file(
            "de@example.com;Dora;Deutsch;;Lager;;",
            "en@example.com;Emma;English;;Büro;;en",
            line_of(world.a.employees[0], "Büro"),
            encoding="cp1252",
        )
    )
    company = world.a.company.short_name
    result = run(app, path, "--company", company)
    assert result.exit_code == 0, result.output
    assert "line 2: create de@example.com" in result.output
    assert f"line 4: move {world.a.employees[0].email} (department: Büro)" in result.output
    assert "create: 2, update: 0, move: 1, unchanged: 0, deactivate: 0" in result.output
    assert "Dry run" in result.output
    assert person(db, "de@example.com") is None and mails == []

    result = run(app, path, "--company", company, "--apply")
    assert result.exit_code == 0, result.output
    assert "Invitations queued: 2 (sent by lms mail send)." in result.output
    assert {m.to: m.subject for m in mails} == {
        "de@example.com": "Ihre Einladung zu Lernwerk",
        "en@example.com": "Your invitation to Lernwerk",
    }
    assert "/invitation/" in mails[0].body
    assert person(db, "en@example.com").department == world.a.departments[1]

    mails.clear()
    result = run(app, path, "--company", company, "--apply")
    assert result.exit_code == 0, result.output
    assert "create: 0, update: 0, move: 0, unchanged: 3, deactivate: 0" in result.output
    assert "Nothing to change." in result.output
    assert mails == []


def test_the_command_prints_problems_by_line_and_changes_nothing(app, db, world, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("neu@example.com;Nina;Neu;;Lager;;", "kaputt;=1+1;X;;;;"))
    result = run(app, path, "--company", world.a.company.short_name, "--apply", "--lang", "en")
    assert result.exit_code == 1
    assert "line 3: kaputt is not a valid e-mail address." in result.output
    assert "line 3: The cell in column Vorname starts with" in result.output
    assert person(db, "neu@example.com") is None


def test_the_command_applies_all_or_nothing(app, db, world, mails, tmp_path, monkeypatch):
    def fail(session, user):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(people_import, "deactivate_user", fail)
    path = tmp_path / "people.csv"
    path.write_bytes(
        csv_file("neu@example.com;Nina;Neu;;Lager;;", f"{world.a.employees[0].email};Neu;Name;;;;")
    )
    result = run(
        app, path, "--company", world.a.company.short_name, "--apply", "--deactivate-missing"
    )
    assert result.exit_code != 0
    assert person(db, "neu@example.com") is None
    db.refresh(world.a.employees[0])
    assert world.a.employees[0].display_name != "Neu Name"
    assert mails == []


def test_the_command_needs_a_known_company(app, db, tmp_path):
    path = tmp_path / "people.csv"
    path.write_bytes(csv_file("neu@example.com;Nina;Neu;;;;"))
    result = run(app, path, "--company", "gibt-es-nicht")
    assert result.exit_code == 1
    assert "No company" in result.output


@pytest.mark.parametrize(
    ("roles", "manager"),
    [
        ("Mitarbeiter / Führungskraft", True),
        ("employee, MANAGER", True),
        ("Mitarbeitende", False),
        ("learner|Lernende", False),
    ],
)
def test_role_names_in_either_language_and_with_any_separator(db, world, roles, manager):
    plan = plan_of(db, world.a.company, csv_file(f"neu@example.com;Nina;Neu;;;{roles};"))
    assert plan.problems == []
    assert plan.changes[0].updates["manager"] is manager


@pytest.mark.parametrize("cell", ["＝SUM(A1)", "  =1+1", "@cmd", "-2+3", "+49 30 1234"])
def test_cells_that_start_like_a_formula_are_refused(db, world, cell):
    plan = plan_of(db, world.a.company, csv_file(f'neu@example.com;Nina;"{cell}";;;;'))
    assert codes(plan.problems) == [(2, "formula-cell")]
    assert plan.problems[0].params == {"column": "Nachname"}


def _newcomer_rows(db, user_ids):
    """Each person's assignments as the single path would make them, in course order."""
    rows = db.scalars(
        select(Assignment)
        .where(Assignment.user_id.in_(user_ids))
        .order_by(Assignment.user_id, Assignment.course_id)
    ).all()
    position = {user_id: index for index, user_id in enumerate(user_ids)}
    return sorted(
        (position[r.user_id], r.course_id, r.rule_id, r.due_on, r.reason, r.note,
         r.assigned_by_id, r.company_id, r.ended_at)
        for r in rows
    )  # fmt: skip


def test_an_import_gives_newcomers_exactly_what_adding_them_one_by_one_gives(db, world, course):
    a = world.a
    lager, buero = a.departments
    # A department rule due soon (newcomers get 14 days from joining instead) and a
    # company-wide one due later (its date holds), and one for the office.
    assignments.assign_to_group(
        db, a.manager, a.company, course, lager, date(2026, 11, 25), "Gabelstapler", NOW,
        today=date(2026, 11, 23),
    )  # fmt: skip
    later_courses = []
    for slug, department in (("datenschutz", None), ("ablage", buero)):
        other = Course(slug=slug, shared=True)
        db.add(other)
        db.flush()
        later_courses.append(other)
        assignments.assign_to_group(
            db, None, a.company, other, department, date(2027, 3, 31), "", NOW,
            today=date(2026, 11, 23),
        )  # fmt: skip
    joined = NOW + timedelta(days=2)
    people = [("Lager", lager), ("Büro", buero), ("", None), ("lager", lager)]

    one_by_one = [
        create_user(
            db,
            NewPerson(f"einzeln{i}@example.com", f"Einzeln {i}", (Role.LEARNER,), a.company,
                      department),
            joined,
        ).id
        for i, (_name, department) in enumerate(people)
    ]  # fmt: skip
    data = csv_file(*(f"stapel{i}@example.com;Stapel;{i};;{name};;" for i, (name, _d) in
                      enumerate(people)))  # fmt: skip
    summary = people_import.apply(db, a.company, plan_of(db, a.company, data), None, joined)

    batch = _newcomer_rows(db, summary.new_people_ids)
    assert batch == _newcomer_rows(db, one_by_one)
    # Joined two days after the rules were made: as many days from joining as the rules gave.
    soon = date(2026, 11, 25) + timedelta(days=14)  # the minimum, not the rule's date
    late = date(2027, 3, 31) + timedelta(days=2)
    assert [(p, c, due) for p, c, _r, due, *_ in batch] == [
        (0, course.id, soon),
        (0, later_courses[0].id, late),
        (1, later_courses[0].id, late),
        (1, later_courses[1].id, late),
        (2, later_courses[0].id, late),
        (3, course.id, soon),
        (3, later_courses[0].id, late),
    ]
    assert {row[4] for row in batch} == {"newcomer"}
