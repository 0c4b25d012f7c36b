"""The `lms` command: demo data, administrators."""

from __future__ import annotations

import json
import re
from pathlib import Path

import click
import pytest
from sqlalchemy import func, select

from lms.models import Company, Role, User
from tests.two_factor_helpers import set_up_at_sign_in


def run(app, *args):
    result = app.test_cli_runner().invoke(args=list(args))
    assert result.exit_code == 0, result.output
    return result.output


def test_demo_creates_two_companies_with_departments_managers_and_employees(app, db):
    accounts = json.loads(run(app, "demo", "--json", "--password", "Demo Passwort 2026"))
    companies = {a["company"] for a in accounts if a["company"]}
    assert len(companies) >= 2
    for company in companies:
        people = [a for a in accounts if a["company"] == company]
        assert sum("manager" in a["roles"] for a in people) >= 1
        assert sum(a["roles"] == ["learner"] for a in people) >= 10
        assert all(a["department"] for a in people)
    roles = {r for a in accounts for r in a["roles"]}
    assert {"trainer", "admin"} <= roles
    assert set(accounts[0]) == {
        "email", "name", "roles", "company", "department", "in_tour", "can_log_in",
    }  # fmt: skip


def test_demo_is_idempotent(app, db):
    run(app, "demo", "--json")
    counts = (
        db.scalar(select(func.count()).select_from(User)),
        db.scalar(select(func.count()).select_from(Company)),
    )
    run(app, "demo", "--json")
    assert counts == (
        db.scalar(select(func.count()).select_from(User)),
        db.scalar(select(func.count()).select_from(Company)),
    )


def test_demo_accounts_log_in_with_the_given_password(app, client, db):
    run(app, "demo", "--password", "Mein Demo Passwort")
    response = client.post(
        "/login", data={"email": "admin@zukunftszentrum.example", "password": "Mein Demo Passwort"}
    )
    assert response.status_code == 302


def test_demo_prints_a_readable_table_with_the_password(app, db):
    output = run(app, "demo")
    assert "admin@zukunftszentrum.example" in output
    assert "Password for every demo account: Lernwerk-Demo-2026" in output


def test_demo_imports_the_sample_courses_once(app, db):
    from lms.models import Course, CourseVersion

    output = run(app, "demo")
    assert "IT-Sicherheit am Arbeitsplatz (v1)" in output
    run(app, "demo")
    assert db.scalar(select(func.count()).select_from(Course)) >= 3
    # One version per course folder, however often the demo runs (the course made in
    # the browser, stapler-grundlagen, has its two).
    from_folders = select(CourseVersion).join(Course).where(Course.slug != "stapler-grundlagen")
    assert db.scalar(select(func.count()).select_from(from_folders.subquery())) == db.scalar(
        select(func.count()).select_from(Course).where(Course.slug != "stapler-grundlagen")
    )


def test_create_admin_prints_a_first_password_that_must_be_changed(app, client, db):
    output = run(app, "create-admin", "chefin@provider.example")
    password = output.split("first login): ")[1].strip()
    user = db.scalar(select(User).where(User.email == "chefin@provider.example"))
    assert user.has_role(Role.ADMIN) and user.must_change_password
    response = client.post("/login", data={"email": user.email, "password": password})
    # An admin sets up the second factor first (lms/two_factor), then the password.
    assert response.location == "/login/set-up"
    set_up_at_sign_in(client)
    assert client.get("/admin/").location == "/profile/password"


def test_demo_refuses_a_production_install(tmp_path):
    from config import ProductionConfig
    from lms import create_app

    prod = create_app(
        ProductionConfig,
        {
            "SECRET_KEY": "k" * 40,
            "DATABASE_URL": f"sqlite:///{tmp_path / 'p.sqlite3'}",
            "MAIL_BACKEND": "smtp",
        },
    )
    result = prod.test_cli_runner().invoke(args=["demo"])
    assert result.exit_code != 0 and "production" in result.output


def test_demo_gives_learners_progress_and_quiz_attempts_once(app, db):
    from lms.models import Course, CourseVersion, QuizAttempt, UnitProgress

    run(app, "demo")
    # Not the simulated hand-ins of the course made in the browser (for the item
    # statistics, some wrong on purpose).
    simulated = (
        select(CourseVersion.id)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(Course.slug == "stapler-grundlagen")
    )
    attempts = db.scalars(
        select(QuizAttempt).where(QuizAttempt.version_id.not_in(simulated)).order_by(QuizAttempt.id)
    ).all()
    # The three demo learners mid-course first (one failed, then handed in with a
    # free-text answer that waits in the trainer's queue), then the certificate
    # holders' attempts, all passed.
    assert [(a.status, a.passed) for a in attempts[:3]] == [
        ("submitted", False), ("grading", None), ("submitted", True)]  # fmt: skip
    from lms.grading.essays import waiting
    from lms.models import User

    trainer = db.scalar(select(User).where(User.email == "trainer@zukunftszentrum.example"))
    assert [row[0].id for row in db.execute(waiting(trainer))] == [attempts[1].id]
    assert all(a.passed for a in attempts[3:]) and len(attempts) > 3
    progress = db.scalar(select(func.count()).select_from(UnitProgress))
    every_attempt = db.scalar(select(func.count()).select_from(QuizAttempt))
    run(app, "demo")
    assert db.scalar(select(func.count()).select_from(QuizAttempt)) == every_attempt
    assert db.scalar(select(func.count()).select_from(UnitProgress)) == progress


def test_demo_has_a_refresher_waiting_today(app, db):
    from lms.clock import today
    from lms.models import Company, User
    from lms.services.refreshers import open_refreshers

    run(app, "demo")
    company = db.scalar(select(Company).where(Company.short_name == "mueller-metall"))
    katrin = db.scalar(select(User).where(User.email == "katrin.schulz@mueller-metallbau.example"))
    (due,) = open_refreshers(db, company.id, today(), katrin.id)
    assert due.step == 1  # IT-Sicherheit completed 30 days ago: the second refresher


def test_demo_gives_each_company_a_meaningful_matrix(app, db):
    from lms.clock import now, today
    from lms.models import Company
    from lms.reports.compliance import CellState, Filters, Scope, state_counts

    run(app, "demo")
    for company in db.scalars(select(Company).where(Company.is_active.is_(True))):
        scope = Scope(company.id, now(), today(), company.recertification_lead_days)
        _per_course, totals = state_counts(db, scope, Filters())
        for state in (
            CellState.OVERDUE,
            CellState.EXPIRING,
            CellState.EXPIRED,
            CellState.COMPLETED,
            CellState.IN_PROGRESS,
            CellState.NOT_STARTED,
        ):
            assert totals[state] > 0, (company.short_name, state)


def test_demo_has_sessions_with_bookings_a_waiting_list_and_a_past_roster(app, db):
    from lms.models import Booking, InPersonSession

    run(app, "demo")
    run(app, "demo")
    planned = db.scalars(select(InPersonSession).order_by(InPersonSession.starts_at)).all()
    assert len(planned) == 3
    statuses = {(b.session_id, b.status, b.attendance) for b in db.scalars(select(Booking)).all()}
    past, full, _open = planned
    assert (past.id, "confirmed", "present") in statuses
    assert (full.id, "waitlisted", None) in statuses
    assert full.booked == full.capacity


def test_demo_has_a_signed_off_task_and_a_learner_on_a_path(app, db):
    from lms.models import PathEnrollment, PracticalSignoff

    run(app, "demo")
    run(app, "demo")
    from lms.models import Enrollment, UnitProgress

    signoffs = db.scalars(select(PracticalSignoff)).all()
    assert sorted(s.signed_off_at is not None for s in signoffs) == [False, True]
    # The signed-off task counts as done for the learner.
    signed = next(s for s in signoffs if s.signed_off_at is not None)
    enrollment = db.get(Enrollment, signed.enrollment_id)
    assert db.scalar(
        select(UnitProgress).where(
            UnitProgress.enrollment_id == signed.enrollment_id,
            UnitProgress.unit_id == signed.unit_id,
            UnitProgress.completed_at >= enrollment.counts_from,
        )
    )
    assert len(db.scalars(select(PathEnrollment)).all()) == 1


def test_retention_runs_dry_then_for_real_and_is_recorded(app, db):
    from lms.models import AuditEntry

    output = run(app, "retention", "--dry-run")
    assert "Would erase 0 accounts." in output
    assert db.scalar(select(func.count()).select_from(AuditEntry)) == 0
    output = run(app, "retention")
    assert "Erased 0 accounts." in output
    assert (
        db.scalar(
            select(func.count()).select_from(AuditEntry).where(AuditEntry.action == "retention.run")
        )
        == 1
    )


def test_demo_has_a_suspended_company_and_audit_entries(app, db):
    from lms.models import AuditEntry

    run(app, "demo")
    run(app, "demo")
    suspended = db.scalars(select(Company).where(Company.is_active.is_(False))).all()
    assert [c.short_name for c in suspended] == ["hafen-werft"]
    actions = set(db.scalars(select(AuditEntry.action)))
    assert {"company.settings", "company.suspend"} <= actions
    # Written once, as the demo's admin from a documentation network.
    admin = db.scalar(select(User).where(User.email == "admin@zukunftszentrum.example"))
    shown = db.scalars(
        select(AuditEntry)
        .where(AuditEntry.action.in_(("company.settings", "company.suspend")))
        .order_by(AuditEntry.at)
    ).all()
    assert [(e.action, e.subject, e.changes) for e in shown] == [
        ("company.settings", "Nordlicht Logistik GmbH", {"privacy_level": ["status", "results"]}),
        ("company.suspend", "Hafen Werft Kiel GmbH", {}),
    ]
    for entry in shown:
        assert (entry.actor_id, entry.actor_name, entry.address) == (
            admin.id, admin.display_name, "192.0.2.0/24",
        )  # fmt: skip
        assert entry.company_id == entry.subject_id


def test_demo_has_external_records_one_waiting_and_one_counting_for_a_module(app, db):
    from lms.models import ExternalRecord

    run(app, "demo")
    run(app, "demo")
    records = db.scalars(select(ExternalRecord)).all()
    assert len(records) == 4  # once, however often the demo runs
    assert [r.status for r in records].count("pending") == 1
    counting = [r for r in records if r.course_id is not None]
    assert counting and all(r.status == "confirmed" for r in counting)
    assert all(r.file_data.startswith(b"%PDF-") for r in records)


def test_demo_has_drafts_two_versions_and_item_statistics_with_a_flag(app, db):
    from lms.models import Course, CourseDraft, CourseVersion
    from lms.services.drafts import check
    from lms.services.item_stats import item_statistics

    run(app, "demo")
    run(app, "demo")
    drafts = {d.slug: d for d in db.scalars(select(CourseDraft))}
    assert set(drafts) == {"stapler-grundlagen", "erste-hilfe-betrieb"}
    with app.test_request_context():
        problems = check(db, drafts["erste-hilfe-betrieb"]).errors
    assert [(p.path, p.line) for p in problems] == [("erste-hilfe-betrieb/01-notruf.md", 4)]
    course = db.scalar(select(Course).where(Course.slug == "stapler-grundlagen"))
    versions = db.scalars(
        select(CourseVersion)
        .where(CourseVersion.course_id == course.id)
        .order_by(CourseVersion.number)
    ).all()
    assert [v.change_note for v in versions] == ["Erste Fassung", "Hupen ergänzt"]
    with app.test_request_context():
        stats = item_statistics(db, versions[1].id, "wissenscheck")
    assert all(s.attempts >= 5 for s in stats)
    assert any(s.flags for s in stats)


# --- The demo's account list (issue 18) ------------------------------------------------------

README = Path(__file__).resolve().parents[2] / "README.md"


def tour_accounts() -> list[str]:
    """The e-mail addresses in the table of README.md's "A short tour", in its order."""
    text = README.read_text(encoding="utf-8")
    tour = text.split("## A short tour", 1)[1].split("\n## ", 1)[0]
    rows = "\n".join(line for line in tour.splitlines() if line.startswith("|"))
    return re.findall(r"`([^`\s]+@[^`\s]+)`", rows)


def test_demo_json_marks_the_tours_accounts_and_the_suspended_companys_people(app, client, db):
    accounts = json.loads(run(app, "demo", "--json"))
    tour = tour_accounts()
    assert len(tour) >= 5
    assert [a["email"] for a in accounts if a["in_tour"]] == sorted(
        tour, key=[a["email"] for a in accounts].index
    )
    locked = {a["email"] for a in accounts if not a["can_log_in"]}
    assert locked == {a["email"] for a in accounts if a["company"] == "Hafen Werft Kiel GmbH"}
    assert locked and not locked & set(tour)
    # What the marks promise: the tour's accounts log in, the suspended ones do not.
    for email, works in ((tour[2], True), (sorted(locked)[0], False)):
        response = client.post("/login", data={"email": email, "password": "Lernwerk-Demo-2026"})
        assert (response.status_code == 302) is works, email
        client.post("/logout")


def test_demo_table_lists_the_tour_first_and_the_suspended_company_last(app, db):
    output = run(app, "demo")
    rows = [line for line in output.splitlines() if "@" in line and "  " in line]
    tour = tour_accounts()
    assert [row.split()[0] for row in rows[: len(tour)]] == tour
    assert all(row.rstrip().endswith("README tour") for row in rows[: len(tour)])
    suspended = [row for row in rows if "@hafen-werft.example" in row]
    assert suspended == rows[-len(suspended) :]
    assert all(row.rstrip().endswith("cannot log in: company suspended") for row in suspended)
    assert "Administrator" in rows[0] and "(training provider)" in rows[0]


# --- One language per run (issue 18) ----------------------------------------------------------


@pytest.mark.parametrize(
    ("environ", "language"),
    [
        ({}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8"}, "de"),
        ({"LANG": "en_GB.UTF-8", "LC_ALL": "de_AT.UTF-8"}, "de"),
        ({"LANG": "de_DE.UTF-8", "LC_MESSAGES": "en_US.UTF-8"}, "en"),
        ({"LANG": "de_DE.UTF-8", "LMS_CLI_LANGUAGE": "en"}, "en"),
        ({"LANG": "C", "LMS_CLI_LANGUAGE": "de"}, "de"),
    ],
)
def test_the_commands_language_comes_from_lms_cli_language_then_the_locale(environ, language):
    from lms.cli import cli_language

    assert cli_language(environ) == language


def test_every_command_writes_in_the_language_of_the_run(app):
    """A new command takes `@in_cli_language` (`demo` and `serve` choose it themselves:
    they load the app on their own)."""

    def commands(group, prefix=""):
        for name, command in group.commands.items():
            if isinstance(command, click.Group):
                yield from commands(command, f"{prefix}{name} ")
            else:
                yield f"{prefix}{name}", command

    found = dict(commands(app.cli))
    assert {"db upgrade", "courses check", "people import", "mail send"} <= set(found)
    plain = [
        name
        for name, command in found.items()
        if not getattr(command.callback, "in_cli_language", False)
    ]
    assert plain == ["demo", "serve"]


def broken_course(tmp_path):
    from tests.unit.test_course_parser import write_course

    write_course(tmp_path, {"02-x.md": "# kaputt\n"}, slug="kaputt")
    return tmp_path


def test_an_english_run_says_everything_in_english(app, db, tmp_path, monkeypatch):
    monkeypatch.setenv("LMS_CLI_LANGUAGE", "en")
    result = app.test_cli_runner().invoke(args=["courses", "import", str(broken_course(tmp_path))])
    assert result.exit_code == 1
    # The course file's problem too, which came in German before.
    assert "The file does not start with a front matter block." in result.output
    assert "kaputt: not imported, the live version stays." in result.output


def test_a_german_locale_makes_a_german_run(app, db, tmp_path, monkeypatch):
    monkeypatch.delenv("LMS_CLI_LANGUAGE")
    monkeypatch.setenv("LANG", "de_DE.UTF-8")
    monkeypatch.delenv("LC_ALL", raising=False)
    monkeypatch.delenv("LC_MESSAGES", raising=False)
    result = app.test_cli_runner().invoke(args=["courses", "import", str(broken_course(tmp_path))])
    assert result.exit_code == 1
    assert "Die Datei beginnt nicht mit einem Kopfbereich" in result.output
    assert "kaputt: nicht importiert, die aktuelle Version bleibt." in result.output
    output = run(app, "retention", "--dry-run")
    assert "Würde 0 Konten löschen." in output
