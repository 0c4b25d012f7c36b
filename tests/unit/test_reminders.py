"""Reminders: what learners and managers are sent, when, in which language, and never twice."""

from __future__ import annotations

import socket
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.content.importer import import_course
from lms.models import Course, OutboxMessage, ReminderSent
from lms.reports.compliance import CellState
from lms.services import assignments, reminders
from lms.services.reminders import Links
from tests.factories import make_department, make_user
from tests.unit.test_assignments import complete
from tests.unit.test_course_parser import COURSE_MD, write_course

NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)  # a Monday, 10:00 in Berlin
TODAY = date(2026, 11, 23)
LINKS = Links("https://lernen.example.de/learn/", "https://lernen.example.de/team/")


@pytest.fixture(autouse=True)
def app_context(app):
    with app.app_context():
        yield


def make_course(app, db, tmp_path, slug="testkurs", title="Testkurs"):
    folder = write_course(tmp_path, {"course.md": COURSE_MD.replace("Testkurs", title)}, slug=slug)
    with app.test_request_context():
        import_course(db, folder, NOW - timedelta(days=400))
    return db.scalar(select(Course).where(Course.slug == slug))


@pytest.fixture
def course(app, db, tmp_path):
    return make_course(app, db, tmp_path)


def assign(db, course, people, due_on, at=NOW):
    assignments.assign_to_people(db, None, course, list(people), due_on, "", at)


def run(db, now):
    """One run; returns {address: body} of what went out."""
    summary = reminders.send_reminders(db, now, LINKS)
    return {mail.to: mail.body for mail in summary.mails}


@pytest.fixture(autouse=True)
def mails_in_english(world, db):
    """The companies write English: the tests read texts that need no catalogue.

    German mails are tested in `test_each_mail_is_in_the_recipients_language`.
    """
    world.a.company.default_language = world.b.company.default_language = "en"
    db.flush()


def lines(body):
    return [line for line in body.splitlines() if line.startswith("- ")]


def digests(db, now):
    return {
        r.recipient.email: r.digest
        for r in reminders.plan_reminders(db, now)
        if r.digest is not None
    }


def sent_rows(db):
    return db.scalar(select(func.count()).select_from(ReminderSent))


# --- Learners ---------------------------------------------------------------------------


def test_learners_are_reminded_of_due_overdue_expiring_and_expired_assignments(db, world, course):
    due_soon, overdue, expiring, expired, later, valid = world.a.employees + [
        make_user(db, world.a.company, name=f"Person {i}") for i in range(3)
    ]
    assign(db, course, [due_soon], TODAY + timedelta(days=3))
    assign(db, course, [overdue], TODAY - timedelta(days=1))
    assign(db, course, [later], TODAY + timedelta(days=8))  # not yet
    assign(db, course, [expiring, expired, valid], TODAY - timedelta(days=300))
    complete(db, expiring, course, NOW - timedelta(days=300), NOW + timedelta(days=10))
    complete(db, expired, course, NOW - timedelta(days=400), NOW - timedelta(days=5))
    complete(db, valid, course, NOW - timedelta(days=100), NOW + timedelta(days=200))

    sent = run(db, NOW)

    managers = {world.a.manager.email, world.a.limited_manager.email}  # their digests
    assert set(sent) == {p.email for p in (due_soon, overdue, expiring, expired)} | managers
    assert lines(sent[due_soon.email]) == ["- Testkurs: due on 26 Nov 2026"]
    assert lines(sent[overdue.email]) == ["- Testkurs: overdue, was due on 22 Nov 2026"]
    assert lines(sent[expiring.email]) == [
        "- Testkurs: expiring soon, your certificate is valid until 3 Dec 2026"
    ]
    assert lines(sent[expired.email]) == [
        "- Testkurs: expired, your certificate was valid until 18 Nov 2026"
    ]
    assert "take the module again" in sent[expired.email]
    assert "take the module again" not in sent[due_soon.email]
    assert sent[due_soon.email].rstrip().endswith(f"{LINKS.learn}\n\nLernwerk")
    keys = {tuple(row) for row in db.execute(select(ReminderSent.kind, ReminderSent.key))}
    assignment_of = {
        p.id: assignments.open_assignments(db, [p.id], course.id)[p.id].id
        for p in (due_soon, overdue, expiring, expired)
    }
    assert {
        ("due-soon", f"{assignment_of[due_soon.id]}:2026-11-26"),
        ("overdue", f"{assignment_of[overdue.id]}:2026-W48"),
        ("expiring", f"{assignment_of[expiring.id]}:2026-12-03"),
        ("expired", f"{assignment_of[expired.id]}:2026-11-18"),
    } <= keys


def test_one_mail_per_learner_lists_every_new_item_most_urgent_first(
    app, db, world, course, tmp_path
):
    other = make_course(app, db, tmp_path, "zweitkurs", "Brandschutz")
    person = world.a.employees[0]
    assign(db, course, [person], TODAY + timedelta(days=7))
    assign(db, other, [person], TODAY - timedelta(days=3))

    summary = reminders.send_reminders(db, NOW, LINKS)

    mine = [m for m in summary.mails if m.to == person.email]
    assert len(mine) == 1
    assert lines(mine[0].body) == [
        "- Brandschutz: overdue, was due on 20 Nov 2026",
        "- Testkurs: due on 30 Nov 2026",
    ]
    assert summary.sent["overdue"] == 1 and summary.sent["due-soon"] == 1


def test_a_second_run_the_same_day_sends_nothing_again(db, world, course, mails):
    assign(db, course, world.a.employees, TODAY + timedelta(days=2))
    assign(db, course, world.b.employees, TODAY - timedelta(days=2))
    first = run(db, NOW)
    assert len(first) == len(world.a.employees) + len(world.b.employees) + 4  # + 4 digests
    recorded = sent_rows(db)

    assert run(db, NOW) == {}
    assert run(db, NOW + timedelta(hours=6)) == {}  # the afternoon run
    assert run(db, datetime(2026, 11, 23, 22, 59, tzinfo=UTC)) == {}  # 23:59 in Berlin
    assert sent_rows(db) == recorded


def test_overdue_is_repeated_once_a_week_and_a_new_due_date_reminds_anew(db, world, course):
    late, moved = world.a.employees[:2]
    assign(db, course, [late], TODAY - timedelta(days=1))
    assign(db, course, [moved], TODAY + timedelta(days=5))
    assert set(run(db, NOW)) >= {late.email, moved.email}

    # Sunday 23:59 in Berlin is still the same ISO week; Monday 00:00 is the next.
    assert late.email not in run(db, datetime(2026, 11, 29, 22, 59, tzinfo=UTC))
    monday = datetime(2026, 11, 29, 23, 0, tzinfo=UTC)
    sent = run(db, monday)
    assert lines(sent[late.email]) == ["- Testkurs: overdue, was due on 22 Nov 2026"]
    assert late.email not in run(db, monday + timedelta(days=3))

    # The manager gives more time: the new due date is reminded once.
    assign(db, course, [moved], date(2026, 12, 4), at=monday)
    sent = run(db, monday + timedelta(hours=8))
    assert lines(sent[moved.email]) == ["- Testkurs: due on 4 Dec 2026"]


def test_the_due_soon_window_turns_over_at_midnight_in_berlin_across_a_month(db, world, course):
    person = world.a.employees[0]
    assign(db, course, [person], date(2026, 12, 8))
    # 23:00 on 30 November in Berlin: the window ends on 7 December.
    assert person.email not in run(db, datetime(2026, 11, 30, 22, 0, tzinfo=UTC))
    # 00:30 on 1 December in Berlin (still 30 November in UTC).
    sent = run(db, datetime(2026, 11, 30, 23, 30, tzinfo=UTC))
    assert lines(sent[person.email]) == ["- Testkurs: due on 8 Dec 2026"]


def test_new_year_in_berlin_and_the_iso_week_that_spans_it(db, world, course):
    a = world.a
    person = a.employees[0]
    assign(db, course, [person], date(2026, 12, 31))
    monday = datetime(2026, 12, 28, 7, 0, tzinfo=UTC)  # 2026-W53 begins
    sent = run(db, monday)
    assert lines(sent[person.email]) == ["- Testkurs: due on 31 Dec 2026"]
    assert a.manager.email in sent

    # 23:30 UTC on 31 December is 00:30 on 1 January 2027 in Berlin: overdue now,
    # but still in week 2026-W53, so no second digest.
    new_year = datetime(2026, 12, 31, 23, 30, tzinfo=UTC)
    sent = run(db, new_year)
    assert lines(sent[person.email]) == ["- Testkurs: overdue, was due on 31 Dec 2026"]
    assert a.manager.email not in sent
    assert run(db, datetime(2027, 1, 3, 22, 59, tzinfo=UTC)) == {}  # Sunday 23:59 in Berlin

    sent = run(db, datetime(2027, 1, 3, 23, 0, tzinfo=UTC))  # Monday, 2027-W01
    assert person.email in sent and a.manager.email in sent
    weeks = set(db.scalars(select(ReminderSent.key).where(ReminderSent.user_id == a.manager.id)))
    assert weeks == {"2026-W53", "2027-W01"}


def test_dates_are_days_in_berlin_across_the_change_from_summer_time(db, world, course):
    early, late = world.a.employees[:2]
    # 23:30 UTC on 24 October is 01:30 on Sunday 25 October in Berlin (summer time, +2).
    before = datetime(2026, 10, 24, 23, 30, tzinfo=UTC)
    assign(db, course, [early], date(2026, 10, 26), at=before - timedelta(days=1))  # tomorrow
    assign(db, course, [late], date(2026, 10, 24), at=before - timedelta(days=1))  # yesterday
    sent = run(db, before)
    assert lines(sent[early.email]) == ["- Testkurs: due on 26 Oct 2026"]
    assert lines(sent[late.email]) == ["- Testkurs: overdue, was due on 24 Oct 2026"]

    # After the switch Berlin is one hour ahead of UTC: 22:30 UTC is still Sunday
    # (week 43), 23:30 UTC is 00:30 on Monday 26 October (week 44).
    assert run(db, datetime(2026, 10, 25, 22, 30, tzinfo=UTC)) == {}
    after = datetime(2026, 10, 25, 23, 30, tzinfo=UTC)
    assign(db, course, [early], date(2026, 10, 27), at=after)  # tomorrow again
    sent = run(db, after)
    assert lines(sent[early.email]) == ["- Testkurs: due on 27 Oct 2026"]
    assert lines(sent[late.email]) == ["- Testkurs: overdue, was due on 24 Oct 2026"]
    assert world.a.manager.email in sent  # the new week's digest


def test_each_mail_is_in_the_recipients_language(app, db, world, course, tmp_path):
    world.a.company.default_language = "de"
    german, english = world.a.employees[:2]
    english.language = "en"
    assign(db, course, [german, english], TODAY + timedelta(days=3))
    other = make_course(app, db, tmp_path, "zweitkurs", "Brandschutz")
    assign(db, other, [german], TODAY - timedelta(days=300))
    complete(db, german, other, NOW - timedelta(days=400), NOW - timedelta(days=5))

    summary = reminders.send_reminders(db, NOW, LINKS)
    mail = {m.to: m for m in summary.mails}

    assert mail[german.email].subject == "Lernwerk: Erinnerung an Ihre Lernmodule"
    assert mail[german.email].body == (
        f"Hallo {german.display_name},\n\n"
        "dies ist eine Erinnerung an Lernmodule, die Ihnen zugewiesen sind:\n\n"
        "- Brandschutz: abgelaufen, Ihr Zertifikat war gültig bis 18.11.2026\n"
        "- Testkurs: fällig am 26.11.2026\n\n"
        "Um ein Zertifikat zu erneuern, absolvieren Sie das Lernmodul erneut.\n\n"
        "Auf Ihrer Startseite stehen alle Lernmodule, die Ihnen zugewiesen sind:\n\n"
        f"{LINKS.learn}\n\nLernwerk"
    )
    assert mail[english.email].subject == "Lernwerk: a reminder about your modules"
    assert mail[english.email].body.startswith(f"Hello {english.display_name},")
    assert "- Testkurs: due on 26 Nov 2026" in lines(mail[english.email].body)
    digest = mail[world.a.manager.email]
    assert digest.subject == "Lernwerk: die Lernmodule Ihres Teams in dieser Woche"
    assert "✕ abgelaufen: 1\n" in digest.body and "○ nicht begonnen: 2\n" in digest.body
    assert (
        f"- {german.display_name}, Brandschutz: abgelaufen, das Zertifikat war gültig bis "
        "18.11.2026" in lines(digest.body)
    )


def test_without_a_language_of_their_own_people_get_their_companys(db, world, course):
    world.b.company.default_language = "de"
    english, german = world.a.employees[0], world.b.employees[0]
    assign(db, course, [english, german], TODAY + timedelta(days=1))
    sent = run(db, NOW)
    assert "- Testkurs: due on 24 Nov 2026" in lines(sent[english.email])
    assert sent[german.email].startswith("Hallo ")


def test_each_reminder_is_queued_with_its_record_even_when_the_mail_server_is_down(
    app, db, world, course, mails
):
    person = world.a.employees[0]
    assign(db, course, [person], TODAY + timedelta(days=1))
    app.config.update(MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port())
    summary = reminders.send_reminders(db, NOW, LINKS)
    assert sorted(m.to for m in mails) == sorted(m.to for m in summary.mails)
    assert person.email in {m.to for m in mails} and sent_rows(db) == len(summary.mails)
    queued = db.scalar(select(OutboxMessage).where(OutboxMessage.recipient == person.email))
    assert (queued.user_id, queued.company_id) == (person.id, world.a.company.id)
    assert reminders.send_reminders(db, NOW, LINKS).mails == []  # recorded: not again


def _closed_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


# --- Managers' digest -------------------------------------------------------------------


def test_the_digest_counts_states_and_lists_problems_of_the_managers_scope_only(db, world, course):
    a, b = world.a, world.b
    lager = [*a.employees[:2], a.limited_manager]
    buero = [a.employees[2], a.manager]
    assign(db, course, lager, TODAY - timedelta(days=2))  # overdue
    assign(db, course, buero, TODAY + timedelta(days=20))  # not started
    assign(db, course, b.employees, TODAY - timedelta(days=10))  # Beta: overdue

    found = digests(db, NOW)

    whole = found[a.manager.email]
    assert whole.counts[CellState.OVERDUE] == 3
    assert whole.counts[CellState.NOT_STARTED] == 2
    assert {p.name for p in whole.problems} == {p.display_name for p in lager}
    assert found[a.limited_manager.email].counts[CellState.NOT_STARTED] == 0
    assert found[a.limited_manager.email].departments == ("Lager",)
    assert {p.name for p in found[b.manager.email].problems} == {
        p.display_name for p in b.employees
    }

    sent = run(db, NOW)
    assert "in your company" in sent[a.manager.email]
    assert "in your departments (Lager)" in sent[a.limited_manager.email]
    for person in lager:
        assert f"- {person.display_name}, Testkurs: overdue, was due on 21 Nov 2026" in lines(
            sent[a.manager.email]
        )
    for name in (p.display_name for p in buero + b.employees):
        assert name not in sent[a.limited_manager.email]
    for name in (p.display_name for p in a.employees):
        assert name not in sent[b.manager.email]
    assert sent[a.manager.email].rstrip().endswith(f"{LINKS.team}\n\nLernwerk")


def test_no_digest_for_a_scope_without_assignments_until_there_is_one(db, world, course):
    a = world.a
    assign(db, course, [a.employees[2]], TODAY + timedelta(days=20))  # Büro only
    sent = run(db, NOW)
    assert a.manager.email in sent
    assert a.limited_manager.email not in sent  # Lager has nothing assigned
    assert world.b.manager.email not in sent

    assign(db, course, [a.employees[0]], TODAY + timedelta(days=20), at=NOW)
    assert a.limited_manager.email in run(db, NOW + timedelta(hours=6))


def test_the_digest_lists_thirty_people_then_says_how_many_more(db, world, course):
    team = make_department(db, world.a.company, "Versand")
    people = [
        make_user(db, world.a.company, department=team, name=f"Versand {i:02d}") for i in range(33)
    ]
    assign(db, course, people, TODAY - timedelta(days=1))
    body = run(db, NOW)[world.a.manager.email]
    listed = [line for line in lines(body) if line.startswith("- Versand")]
    assert listed[0].startswith("- Versand 00, Testkurs:") and len(listed) == 30
    assert "- and 3 more" in lines(body)


def test_the_digest_shows_status_only_whatever_the_privacy_level(db, world, course):
    assign(db, course, world.a.employees, TODAY - timedelta(days=1))
    complete(db, world.a.employees[0], course, NOW - timedelta(days=1))
    status_only = run(db, NOW)[world.a.manager.email]
    db.execute(ReminderSent.__table__.delete())
    world.a.company.privacy_level = "results"
    db.flush()
    assert run(db, NOW)[world.a.manager.email] == status_only


def test_the_number_of_queries_does_not_grow_with_the_people(db, world, course, count_queries):
    def queries():
        count_queries.statements.clear()
        reminders.plan_reminders(db, NOW)
        return count_queries.count

    assign(db, course, world.a.employees, TODAY + timedelta(days=2))
    queries()  # once to read the course's content into this process's cache
    few = queries()
    more = [make_user(db, world.a.company, name=f"Neu {i}") for i in range(20)]
    assign(db, course, more, TODAY - timedelta(days=2))
    db.flush()
    assert queries() == few


# --- The command ------------------------------------------------------------------------


def test_the_command_sends_records_and_a_dry_run_only_prints(app, db, world, course, mails):
    person = world.a.employees[0]
    assign(db, course, [person], TODAY + timedelta(days=2))
    app.config["CLOCK"] = lambda: NOW
    cli = app.test_cli_runner()

    dry = cli.invoke(args=["reminders", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert f"To: {person.email}" in dry.output
    assert "http://" in dry.output and "/learn/" in dry.output
    # The person works in the Lager: both of Alpha's managers get a digest.
    assert "Would queue 3 e-mails (due-soon: 1, digest: 2)." in dry.output
    assert mails == [] and sent_rows(db) == 0

    real = cli.invoke(args=["reminders"])
    assert real.exit_code == 0, real.output
    assert "Queued 3 e-mails (due-soon: 1, digest: 2)." in real.output
    assert {m.to for m in mails} == {
        person.email,
        world.a.manager.email,
        world.a.limited_manager.email,
    }
    assert sent_rows(db) == 3

    again = cli.invoke(args=["reminders"])
    assert "Queued 0 e-mails." in again.output and len(mails) == 3


def test_the_command_queues_and_records_when_the_mail_server_is_down(app, db, world, course, mails):
    """Sending is `lms mail send`'s job, which retries: reminders need no mail server."""
    assign(db, course, world.a.employees[:1], TODAY + timedelta(days=2))
    app.config.update(
        CLOCK=lambda: NOW, MAIL_BACKEND="smtp", MAIL_SERVER="127.0.0.1", MAIL_PORT=_closed_port()
    )
    result = app.test_cli_runner().invoke(args=["reminders"])
    assert result.exit_code == 0, result.output
    assert "Queued 3 e-mails" in result.output
    assert sent_rows(db) == 3 and len(mails) == 3
