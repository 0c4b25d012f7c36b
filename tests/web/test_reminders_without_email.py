"""Without an e-mail address nothing gets lost (issue 19, point 4): `lms reminders` posts
a notice for each reminder of a person without an address, as often as the mail would
go; a manager's "Erinnerung senden" posts the notice only; the weekly digest and the
team page count such people with something due; the manager prints this week's list
with the company's sign-in code."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.clock import today
from lms.content.importer import import_course
from lms.models import AuditEntry, Course, Notice, ReminderSent, ReportAccess
from lms.notices import service as notices
from lms.reports.compliance import cells_changed
from lms.services import assignments, reminders
from tests.factories import make_user
from tests.unit.test_assignments import complete
from tests.unit.test_course_parser import write_course
from tests.web.test_notices import EN, assign, notices_of, text

LINKS = reminders.Links(
    "https://lernen.example.de/learn/",
    "https://lernen.example.de/team/",
    "https://lernen.example.de/team/to-do-this-week/",
)


@pytest.fixture
def course(app, db, tmp_path):
    """An English module, "Test module" (as in test_notices.py)."""
    english = "---\ntitle: Test module\n---\nAbout the module.\n"
    lesson = "---\ntype: lesson\ntitle: Start\n---\nText.\n"
    folder = write_course(tmp_path, {"course.en.md": english, "01-einstieg.en.md": lesson})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC) - timedelta(days=400))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def shop_floor(db, setup, name, number, department=0):
    """A learner without an e-mail address (signs in with personnel number and PIN)."""
    person = make_user(
        db,
        setup.company,
        department=setup.departments[department],
        name=name,
        password=None,
        personnel_number=number,
    )
    person.email = None
    db.flush()
    cells_changed(db, setup.company.id)  # as editing a person does
    return person


def sign_in_as(client, person):
    """Sign a person without an address in (the PIN sign-in is tested in tests of its own)."""
    with client.session_transaction() as session:
        session["_user_id"] = person.get_id()
        session["_fresh"] = True
    return client


def run(app, db, now):
    with app.test_request_context():
        return reminders.send_reminders(db, now, LINKS)


def open_assignment(db, person, course):
    (assignment,) = assignments.open_assignments(db, [person.id], course.id).values()
    return assignment


@pytest.fixture
def shop(db, world, course):
    """Alpha's people without an address: one overdue and one due soon in the warehouse
    (Lager), one overdue in the office (Büro), one due in three weeks (not this week)."""
    now = datetime.now(UTC)
    late = shop_floor(db, world.a, "Lea Wolf", "P-102")
    soon = shop_floor(db, world.a, "Kai Schulz", "P-101")
    office = shop_floor(db, world.a, "Olga Berg", "P-201", department=1)
    later = shop_floor(db, world.a, "Udo Lang", "P-103")
    assign(db, world.a, course, [late, office], today(now) - timedelta(days=3))
    assign(db, world.a, course, [soon], today(now) + timedelta(days=3))
    assign(db, world.a, course, [later], today(now) + timedelta(days=21))
    return {"late": late, "soon": soon, "office": office, "later": later}


# --- lms reminders ---------------------------------------------------------------------


def test_each_reminder_of_a_person_without_an_address_is_a_notice_once_per_period(
    app, db, world, course, mails
):
    now = datetime.now(UTC)
    soon = shop_floor(db, world.a, "Kai Schulz", "P-101")
    late = shop_floor(db, world.a, "Lea Wolf", "P-102")
    expiring = shop_floor(db, world.a, "Ede Kern", "P-103")
    expired = shop_floor(db, world.a, "Ina Roth", "P-104")
    mailed = world.a.employees[0]  # has an address: mailed as before
    assign(db, world.a, course, [soon, mailed], today(now) + timedelta(days=3))
    assign(db, world.a, course, [late], today(now) - timedelta(days=3))
    assign(db, world.a, course, [expiring, expired], today(now) - timedelta(days=300))
    complete(db, expiring, course, now - timedelta(days=300), now + timedelta(days=10))
    complete(db, expired, course, now - timedelta(days=400), now - timedelta(days=5))
    db.execute(Notice.__table__.delete())  # the notices of the assignments
    mails.clear()

    summary = run(app, db, now)

    kinds = {
        p.display_name: [n.kind for n in notices_of(db, p)] for p in (soon, late, expiring, expired)
    }
    assert kinds == {
        "Kai Schulz": ["due-soon"],
        "Lea Wolf": ["overdue"],
        "Ede Kern": ["expiring"],
        "Ina Roth": ["expired"],
    }
    # No mail for them; the person with an address and the managers' digests as before.
    assert {m.to for m in mails} == {
        mailed.email,
        world.a.manager.email,
        world.a.limited_manager.email,
    }
    assert [n.kind for n in notices_of(db, mailed)] == ["due-soon"]
    assert summary.noticed == Counter(["due-soon", "overdue", "expiring", "expired"])
    assert sorted(summary.notified) == sorted(p.id for p in (soon, late, expiring, expired))
    recorded = db.scalars(select(ReminderSent.user_id).where(ReminderSent.kind != "digest"))
    assert {soon.id, late.id, expiring.id, expired.id} <= set(recorded)
    overdue_params = notices_of(db, late)[0].params
    assert overdue_params["slug"] == "testkurs" and overdue_params["course_id"] == course.id

    # The same day again: nothing new.
    again = run(app, db, now)
    assert not again.notified and all(len(notices_of(db, p)) == 1 for p in (soon, late))

    # A week later: the overdue reminder once more (and Kai's module is overdue now).
    run(app, db, now + timedelta(days=7))
    assert [n.kind for n in notices_of(db, late)] == ["overdue", "overdue"]
    assert [n.kind for n in notices_of(db, soon)] == ["due-soon", "overdue"]
    assert len(notices_of(db, expiring)) == len(notices_of(db, expired)) == 1
    assert {m.to for m in mails} >= {mailed.email} and None not in {m.to for m in mails}


def test_every_kind_of_reminder_notice_reads_in_words_and_leads_to_its_page(
    client, db, world, course
):
    person = shop_floor(db, world.a, "Lea Wolf", "P-102")
    now = datetime.now(UTC)
    day = today(now)
    items = [
        reminders.Item(kind, None, "Testkurs", day + timedelta(days=d), "k", course.id)
        for kind, d in (
            ("due-soon", 3),
            ("overdue", -3),
            ("expiring", 10),
            ("expired", -5),
            ("refresher", 0),
        )
    ]
    notices.post_reminders(db, person.id, items, now)
    sign_in_as(client, person)
    page = text(client, "/notices/")
    for words in (
        "Due soon: Test module, due on",
        "Overdue: Test module, was due on",
        "Expiring soon: your certificate for Test module is valid until",
        "Expired: your certificate for Test module was valid until",
        "A short refresher for Test module is waiting for you on your start page.",
    ):
        assert words in page, words
    targets = {n.kind: notices.target(n) for n in notices_of(db, person)}
    assert targets["overdue"] == ("learn.course", {"slug": "testkurs"})
    assert targets["expired"] == ("learn.course", {"slug": "testkurs"})
    assert targets["refresher"] == ("learn.index", {})


def test_the_start_page_shows_the_newest_unread_reminders(client, db, world, course):
    """People without an address read their reminders on their start page, not only
    behind the header's count; opening one marks it read, and the box goes."""
    person = shop_floor(db, world.a, "Lea Wolf", "P-102")
    now = datetime.now(UTC)
    sign_in_as(client, person)
    assert "New for you" not in text(client, "/learn/")
    item = reminders.Item("overdue", None, "Testkurs", today(now) - timedelta(days=3), "k",
                          course.id)  # fmt: skip
    notices.post_reminders(db, person.id, [item], now)
    page = text(client, "/learn/")
    assert "New for you" in page and "Overdue: Test module, was due on" in page
    (notice,) = notices_of(db, person)
    answer = client.post(f"/notices/{notice.id}/open")
    assert answer.status_code == 302
    assert "New for you" not in text(client, "/learn/")


# --- "Erinnerung senden" ----------------------------------------------------------------


def test_a_managers_reminder_to_a_person_without_an_address_is_a_notice_only(
    client, db, world, login, course, shop, mails
):
    late = shop["late"]
    url = f"/team/people/{late.id}/assignments/{open_assignment(db, late, course).id}/remind"
    login(world.a.manager)
    mails.clear()
    response = client.post(url, headers=EN)
    assert response.status_code == 302
    page = text(client, f"/team/people/{late.id}")
    assert "Lea Wolf has no e-mail address: the reminder is shown as a notice" in page
    assert len(mails) == 0
    assert [n.kind for n in notices_of(db, late)][-1] == "reminder"
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "reminder.send")).all()
    assert entry.subject_id == late.id
    # Once a day, as for everyone.
    client.post(url, headers=EN)
    assert "less than a day ago" in text(client, f"/team/people/{late.id}")
    assert [n.kind for n in notices_of(db, late)].count("reminder") == 1
    # The company's reminder settings say where their reminders go.
    settings = text(client, "/team/reminders/")
    assert "Employees without an e-mail address get the same reminders as notices" in settings


# --- The digest -------------------------------------------------------------------------


def test_the_digest_counts_people_without_an_address_with_something_due_in_the_managers_reach(
    app, db, world, course, shop
):
    now = datetime.now(UTC)
    assign(db, world.a, course, [world.a.employees[0]], today(now) - timedelta(days=3))
    digests = {
        r.recipient.email: r for r in reminders.plan_reminders(db, now) if r.digest is not None
    }
    whole = digests[world.a.manager.email]
    limited = digests[world.a.limited_manager.email]
    # Lea and Kai (warehouse), Olga (office); not Udo (due in three weeks), not the
    # overdue person with an address.
    assert whole.digest is not None and whole.digest.without_email == 3
    assert limited.digest is not None and limited.digest.without_email == 2
    with app.test_request_context(headers=EN):
        whole_mail = reminders.write_mail(whole, LINKS)
    # In the manager's language (German), whatever the request's.
    assert "3 Personen ohne E-Mail-Adresse haben fällige Unterweisungen." in whole_mail.body
    assert "Sie erhalten keine Erinnerungen per E-Mail." in whole_mail.body
    assert LINKS.to_do in whole_mail.body


def test_a_digest_without_such_people_says_nothing_of_them(app, db, world, course):
    now = datetime.now(UTC)
    assign(db, world.a, course, [world.a.employees[0]], today(now) - timedelta(days=3))
    (digest,) = [
        r
        for r in reminders.plan_reminders(db, now)
        if r.digest is not None and r.recipient.email == world.a.manager.email
    ]
    with app.test_request_context():
        mail = reminders.write_mail(digest, LINKS)
    assert "e-mail address" not in mail.body and LINKS.to_do not in mail.body


# --- The team page ----------------------------------------------------------------------


def test_the_team_page_names_how_many_without_an_address_have_modules_due(
    app, client, db, world, login, course, shop
):
    login(world.a.manager)
    page = text(client, "/team/")
    assert "3 people without an e-mail address have modules due." in page
    assert 'href="/team/to-do-this-week/"' in page
    limited = login(world.a.limited_manager, target=app.test_client())
    assert "2 people without an e-mail address have modules due." in text(limited, "/team/")
    # Once Lea's address is known, she is reminded by e-mail: the count follows.
    shop["late"].email = "lea.wolf@example.com"
    cells_changed(db, world.a.company.id)
    db.flush()
    assert "2 people without an e-mail address have modules due." in text(client, "/team/")
    other = login(world.b.manager, target=app.test_client())
    assert "without an e-mail address" not in text(other, "/team/")


# --- The list to print ------------------------------------------------------------------


def test_the_list_shows_who_has_to_do_what_this_week_people_without_an_address_first(
    client, db, world, login, course, shop
):
    now = datetime.now(UTC)
    mailed, done = world.a.employees[0], world.a.employees[1]
    assign(db, world.a, course, [mailed], today(now) - timedelta(days=2))
    assign(db, world.a, course, [done], today(now) + timedelta(days=2))
    complete(db, done, course, now - timedelta(days=1))
    foreign = shop_floor(db, world.b, "Fremd Person", "P-999")
    assign(db, world.b, course, [foreign], today(now) - timedelta(days=3))
    code = world.a.company.sign_in_code
    assert code

    login(world.a.manager)
    page = text(client, "/team/to-do-this-week/")
    assert "<h1>To do this week</h1>" in page
    assert f"<strong>{code}</strong>" in page and "/pin/" in page
    without = page[page.index('id="without-email-heading"') : page.index('id="with-email-heading"')]
    assert "3 people without an e-mail address" in without
    for name, number in (("Kai Schulz", "P-101"), ("Lea Wolf", "P-102"), ("Olga Berg", "P-201")):
        assert name in without and number in without
    assert without.index("Kai Schulz") < without.index("Lea Wolf") < without.index("Olga Berg")
    assert "Lager" in without and "Büro" in without and "Test module" in without
    assert "✕</span> overdue" in without and "○</span> not started" in without
    assert (today(now) - timedelta(days=3)).strftime("%-d %b %Y") in without
    with_email = page[page.index('id="with-email-heading"') :]
    assert mailed.display_name in with_email
    for absent in ("Udo Lang", done.display_name, "Fremd Person", "P-999"):
        assert absent not in page, absent
    # The print button is shown by JavaScript (a file, no inline script).
    assert "data-print hidden" in page and "js/print-button.js" in page
    assert "<script>" not in page
    (access,) = db.scalars(select(ReportAccess).where(ReportAccess.kind == "to-do-week")).all()
    assert access.viewer_id == world.a.manager.id


def test_a_limited_manager_sees_only_their_departments_and_learners_none(
    app, client, db, world, login, course, shop
):
    limited = login(world.a.limited_manager)
    page = text(limited, "/team/to-do-this-week/")
    assert "Lea Wolf" in page and "Kai Schulz" in page and "Olga Berg" not in page
    assert "departments: Lager" in page
    learner = login(world.a.employees[0], target=app.test_client())
    assert learner.get("/team/to-do-this-week/").status_code == 403


def test_an_empty_week_says_so(client, db, world, login, course):
    login(world.b.manager)
    page = text(client, "/team/to-do-this-week/")
    assert "Nothing to do this week" in page and world.b.company.sign_in_code in page


def test_the_command_says_how_many_were_reminded_by_notice(app, db, world, course, mails):
    now = datetime.now(UTC)
    late = shop_floor(db, world.a, "Lea Wolf", "P-102")
    assign(db, world.a, course, [late], today(now) - timedelta(days=3))
    app.config["CLOCK"] = lambda: now
    cli = app.test_cli_runner()

    dry = cli.invoke(args=["reminders", "--dry-run"])
    assert dry.exit_code == 0, dry.output
    assert "Would post notices to 1 person without an e-mail address (overdue: 1)." in dry.output
    assert "To: None" not in dry.output
    assert "/team/to-do-this-week/" in dry.output  # the digest's link to the list

    real = cli.invoke(args=["reminders"])
    assert "Posted notices to 1 person without an e-mail address (overdue: 1)." in real.output
    assert [n.kind for n in notices_of(db, late)][-1] == "overdue"
    assert late.email is None and None not in {m.to for m in mails}


def test_the_reminder_button_says_it_posts_a_notice_only(client, db, world, login, course, shop):
    login(world.a.manager)
    assert "as a notice in Lernwerk (no e-mail address)" in text(
        client, f"/team/people/{shop['late'].id}"
    )
    overdue_with_address = world.a.employees[0]
    assign(db, world.a, course, [overdue_with_address], today() - timedelta(days=3))
    page = text(client, f"/team/people/{overdue_with_address.id}")
    assert "Send a reminder" in page and "no e-mail address)" not in page
