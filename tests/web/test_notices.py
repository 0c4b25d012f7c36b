"""Notices in the app (issue 18, point 19): posted by the real actions, counted in the
header, worded in the reader's language, read and unread, kept 90 days; a manager's
reminder to an overdue person; each company's reminder settings."""

from __future__ import annotations

import io
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from lms.clock import today
from lms.content.importer import import_course
from lms.in_person import booking
from lms.models import AuditEntry, Booking, Course, ExternalRecord, Notice, ReminderSent
from lms.notices import service as notices
from lms.services import assignments, learning, reminders
from lms.services.retention import run_retention
from tests.unit.test_booking import fields, import_in_person_course
from tests.unit.test_course_parser import write_course

EN = {"Accept-Language": "en"}
DE = {"Accept-Language": "de"}
PDF = b"%PDF-1.4\n1 0 obj <<>> endobj\ntrailer <<>>\n%%EOF\n"
LINKS = reminders.Links("https://lernen.example.de/learn/", "https://lernen.example.de/team/")


@pytest.fixture
def course(app, db, tmp_path):
    english = "---\ntitle: Test module\n---\nAbout the module.\n"
    lesson = "---\ntype: lesson\ntitle: Start\n---\nText.\n"
    folder = write_course(tmp_path, {"course.en.md": english, "01-einstieg.en.md": lesson})
    with app.test_request_context():
        import_course(db, folder, datetime.now(UTC) - timedelta(days=400))
    return db.scalar(select(Course).where(Course.slug == "testkurs"))


def assign(db, setup, course, people, due):
    assignments.assign_to_people(db, setup.manager, course, people, due, "", datetime.now(UTC))


def notices_of(db, person):
    return db.scalars(select(Notice).where(Notice.user_id == person.id).order_by(Notice.id)).all()


def text(client, url, headers=EN):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.status_code
    return response.get_data(as_text=True)


def header(page):
    return page[page.index('<nav class="user-nav"') : page.index("</nav>", page.index("user-nav"))]


def listed(page):
    return page[
        page.index('<ol class="notices-list">') : page.index("</ol>", page.index("notices-list"))
    ]


# --- Posted by the real actions --------------------------------------------------------


def test_an_assignment_is_a_notice_counted_in_the_header_and_worded_in_each_language(
    client, db, world, login, course
):
    learner = world.a.employees[0]
    due = today() + timedelta(days=30)
    assign(db, world.a, course, [learner], due)
    (notice,) = notices_of(db, learner)
    assert notice.kind == "assigned" and notice.read_at is None
    # The facts only, never a sentence: the page words them in the reader's language.
    assert notice.params == {"course_id": course.id, "slug": "testkurs", "due_on": due.isoformat()}

    login(learner)
    start = text(client, "/learn/")
    assert "(1)" in header(start) and "1 unread" in header(start)
    english = listed(text(client, "/notices/"))
    assert "New assignment: Test module" in english
    assert due.strftime("%-d %b %Y") in english and "Unread" in english
    german = listed(text(client, "/notices/", DE))
    assert "Testkurs" in german and "Test module" not in german
    assert due.strftime("%d.%m.%Y") in german


def test_a_booking_approved_and_a_seat_from_the_waiting_list_are_notices(
    app, client, other_client, db, world, login, tmp_path
):
    now = datetime.now(UTC)
    course = import_in_person_course(app, db, tmp_path)
    world.a.company.booking_approval = True
    in_person = booking.schedule(
        db, course, "workshop", fields(starts_at=now + timedelta(days=7), capacity=1),
        trainers=[world.trainer], companies=[], by=world.trainer, now=now,
    )  # fmt: skip
    first, second = world.a.employees[0], world.a.employees[1]
    for person in (first, second):
        learning.enroll(db, person, course, now)
    login(first, target=other_client)
    other_client.post(f"/learn/sessions/{in_person.id}/book")
    third_client = login(second, target=app.test_client())
    third_client.post(f"/learn/sessions/{in_person.id}/book")  # the waiting list
    asked = db.scalar(select(Booking).where(Booking.user_id == first.id))
    login(world.a.manager)
    client.post(f"/team/bookings/{asked.id}/approve")
    assert [n.kind for n in notices_of(db, first)] == ["booking-confirmed"]
    assert notices_of(db, first)[0].params["course_id"] == course.id

    other_client.post(f"/learn/bookings/{asked.id}/cancel")
    assert [n.kind for n in notices_of(db, second)] == ["booking-promoted"]
    page = listed(text(third_client, "/notices/"))
    assert "You have moved up from the waiting list" in page
    # The module exists only in German: its title is marked so on the English page.
    assert 'You have moved up from the waiting list: <span lang="de">' in page


def test_a_proof_confirmed_or_rejected_is_a_notice(client, other_client, db, world, login, course):
    learner = world.a.employees[0]
    login(learner)
    for title in ("Erste Hilfe", "Staplerschein"):
        client.post(
            "/learn/records",
            data={
                "title": title,
                "provider": "DRK",
                "completed_on": (today() - timedelta(days=10)).isoformat(),
                "valid_until": "",
                "course": "0",
                "proof": (io.BytesIO(PDF), "scan.pdf"),
            },
            content_type="multipart/form-data",
        )
    first, second = db.scalars(
        select(ExternalRecord)
        .where(ExternalRecord.user_id == learner.id)
        .order_by(ExternalRecord.id)
    ).all()
    manager = login(world.a.manager, target=other_client)
    manager.post(f"/team/records/{first.id}/decide", data={"decision": "confirm"})
    manager.post(
        f"/team/records/{second.id}/decide", data={"decision": "reject", "reason": "Unlesbar."}
    )
    assert [n.kind for n in notices_of(db, learner)] == ["proof-confirmed", "proof-rejected"]
    page = listed(text(client, "/notices/"))
    assert "Your proof “Staplerschein” was not accepted" in page
    assert page.index("Staplerschein") < page.index("Erste Hilfe")  # newest first
    assert "Unlesbar." not in page  # the reason stays with the record


def test_a_due_soon_reminder_of_the_cron_command_is_a_notice_too(app, db, world, course):
    learner = world.a.employees[0]
    now = datetime.now(UTC)
    assign(db, world.a, course, [learner], today(now) + timedelta(days=3))
    db.execute(Notice.__table__.delete())
    with app.test_request_context():
        reminders.send_reminders(db, now, LINKS)
    assert [n.kind for n in notices_of(db, learner)] == ["due-soon"]


# --- Read and unread, the header's cost, 90 days ----------------------------------------


def test_opening_a_notice_marks_it_read_and_leads_to_its_page(client, db, world, login, course):
    learner = world.a.employees[0]
    assign(db, world.a, course, [learner], today() + timedelta(days=30))
    (notice,) = notices_of(db, learner)
    login(learner)
    assert 'action="/notices/' in text(client, "/notices/")
    response = client.post(f"/notices/{notice.id}/open")
    assert response.status_code == 302 and response.location.endswith("/learn/courses/testkurs")
    db.refresh(notice)
    assert notice.read_at is not None
    page = text(client, "/notices/")
    assert "Unread" not in listed(page) and "(1)" not in header(page)
    assert "You have read every notice." in page
    assert client.get(f"/notices/{notice.id}/open").status_code == 405  # never by a GET


def test_mark_all_read_and_nobody_opens_anothers_notice(
    client, other_client, db, world, login, course
):
    learner, other = world.a.employees[0], world.a.employees[1]
    assign(db, world.a, course, [learner, other], today() + timedelta(days=30))
    assign(db, world.a, course, [learner], today() + timedelta(days=40))
    (theirs,) = notices_of(db, other)
    login(learner)
    assert "(2)" in header(text(client, "/learn/"))
    assert client.post(f"/notices/{theirs.id}/open").status_code == 404
    assert client.post("/notices/read").status_code == 302
    assert all(n.read_at is not None for n in notices_of(db, learner))
    db.refresh(theirs)
    assert theirs.read_at is None
    assert "(2)" not in header(text(client, "/learn/"))


def test_the_header_count_and_the_start_pages_notices_cost_a_page_little(
    client, db, world, login, course, count_queries
):
    """The count (one indexed COUNT) and the start page's box of unread notices (the
    notices, their modules' titles and languages) are read once per notices revision,
    then come from the cache."""
    learner = world.a.employees[0]
    login(learner)
    client.get("/learn/", headers=EN)
    count_queries.statements.clear()
    client.get("/learn/", headers=EN)
    before = count_queries.count
    notices.post(db, learner, "assigned", {"course_id": course.id}, datetime.now(UTC))
    count_queries.statements.clear()
    assert "(1)" in header(text(client, "/learn/"))
    assert count_queries.count <= before + 4, count_queries.statements
    count_queries.statements.clear()
    client.get("/learn/", headers=EN)
    assert count_queries.count == before  # from the cache until a notice is posted or read


def test_notices_are_kept_90_days(db, world, course):
    learner = world.a.employees[0]
    now = datetime.now(UTC)
    for days in (10, 89, 92):
        notices.post(db, learner, "assigned", {"course_id": course.id}, now - timedelta(days=days))
    result = run_retention(db, now, log_days=365, dry_run=False)
    assert result.notices_pruned == 1
    ages = sorted((now - n.created_at).days for n in notices_of(db, learner))
    assert ages == [10, 89]


# --- "Erinnerung senden" ------------------------------------------------------------------


def test_a_manager_reminds_an_overdue_person_once_a_day(
    app, client, db, world, login, course, mails, monkeypatch
):
    late, on_time = world.a.employees[0], world.a.employees[1]
    moment = datetime.now(UTC)
    monkeypatch.setitem(app.config, "CLOCK", lambda: moment)
    assign(db, world.a, course, [late], today(moment) - timedelta(days=3))
    assign(db, world.a, course, [on_time], today(moment) + timedelta(days=30))
    (assignment,) = assignments.open_assignments(db, [late.id], course.id).values()
    login(world.a.manager)
    page = text(client, f"/team/people/{late.id}")
    url = f"/team/people/{late.id}/assignments/{assignment.id}/remind"
    assert f'action="{url}"' in page and "Send a reminder" in page
    assert "/remind" not in text(client, f"/team/people/{on_time.id}")  # not overdue

    mails.clear()
    response = client.post(url, headers=EN)
    assert response.status_code == 302 and response.location.endswith(f"/team/people/{late.id}")
    assert [m.to for m in mails] == [late.email]
    # In the person's language (their company's: German), like the weekly reminders.
    assert "- Testkurs: überfällig" in mails[0].body
    assert notices_of(db, late)[-1].kind == "reminder"
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "reminder.send")).all()
    assert entry.subject_id == late.id and entry.actor_id == world.a.manager.id
    assert "Reminder sent by a manager" in text(client, "/team/audit")  # the label, not the key

    # Again an hour later: refused calmly, with the time the next one is possible.
    monkeypatch.setitem(app.config, "CLOCK", lambda: moment + timedelta(hours=1))
    client.post(url, headers=EN)
    follow = text(client, f"/team/people/{late.id}")
    assert "less than a day ago" in follow and "The next reminder is possible from" in follow
    assert len(mails) == 1 and len(notices_of(db, late)) == 2  # assigned, reminded
    assert db.scalar(select(func.count()).select_from(ReminderSent)) == 1

    monkeypatch.setitem(app.config, "CLOCK", lambda: moment + timedelta(hours=24, minutes=1))
    client.post(url, headers=EN)
    assert len(mails) == 2


def test_no_reminder_for_another_companys_person_or_a_module_not_overdue(
    client, db, world, login, course, mails
):
    foreign = world.b.employees[0]
    assign(db, world.b, course, [foreign], today() - timedelta(days=3))
    (theirs,) = assignments.open_assignments(db, [foreign.id], course.id).values()
    own = world.a.employees[0]
    assign(db, world.a, course, [own], today() + timedelta(days=3))
    (mine,) = assignments.open_assignments(db, [own.id], course.id).values()
    login(world.a.manager)
    mails.clear()
    assert (
        client.post(f"/team/people/{foreign.id}/assignments/{theirs.id}/remind").status_code == 404
    )
    assert client.post(f"/team/people/{own.id}/assignments/{theirs.id}/remind").status_code == 404
    client.post(f"/team/people/{own.id}/assignments/{mine.id}/remind", headers=EN)
    assert "not overdue" in text(client, f"/team/people/{own.id}")
    assert len(mails) == 0


# --- Reminder settings per company ----------------------------------------------------


def settings(**changes):
    data = {
        "remind_due_soon": "y",
        "remind_due_soon_days": "7",
        "remind_overdue": "y",
        "remind_expiry": "y",
        "remind_digest": "y",
    }
    data.update(changes)
    return {name: value for name, value in data.items() if value is not None}


def sent_kinds(app, db, now):
    with app.test_request_context():
        summary = reminders.send_reminders(db, now, LINKS)
    return dict(summary.sent)


def test_the_managers_settings_change_what_the_reminder_command_sends(
    app, client, db, world, login, course
):
    now = datetime.now(UTC)
    soon, later, late = world.a.employees[0], world.a.employees[1], world.a.employees[2]
    assign(db, world.a, course, [soon], today(now) + timedelta(days=3))
    assign(db, world.a, course, [later], today(now) + timedelta(days=12))
    assign(db, world.a, course, [late], today(now) - timedelta(days=3))
    login(world.a.manager)
    assert "Days before the due date" in text(client, "/team/reminders/")
    response = client.post(
        "/team/reminders/", data=settings(remind_due_soon_days="14", remind_digest=None)
    )
    assert response.status_code == 302
    company = world.a.company
    db.refresh(company)
    assert company.remind_due_soon_days == 14 and company.remind_digest is False
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "company.reminders"))
    assert entry.changes == {"remind_due_soon_days": [7, 14], "remind_digest": [True, False]}

    sent = sent_kinds(app, db, now)
    assert sent.get("due-soon") == 2 and sent.get("overdue") == 1 and "digest" not in sent

    # Nothing before the due date, nothing while overdue.
    assert (
        client.post(
            "/team/reminders/", data=settings(remind_due_soon=None, remind_overdue=None)
        ).status_code
        == 302
    )
    assign(db, world.a, course, [soon], today(now) + timedelta(days=4))  # a new due date
    db.expire_all()  # the requests changed the company in sessions of their own
    assert "due-soon" not in sent_kinds(app, db, now)
    assert "overdue" not in sent_kinds(app, db, now + timedelta(days=7))  # a new week


def test_settings_are_checked_and_the_defaults_are_todays_behaviour(app, client, db, world, login):
    company = world.a.company
    assert (company.remind_due_soon, company.remind_due_soon_days) == (
        True,
        reminders.DUE_SOON_DAYS,
    )
    assert company.remind_overdue and company.remind_expiry and company.remind_digest
    login(world.a.manager)
    refused = client.post("/team/reminders/", data=settings(remind_due_soon_days="0"), headers=EN)
    assert refused.status_code == 422
    assert "Please enter between 1 and 60 days." in refused.get_data(as_text=True)
    limited = login(world.a.limited_manager, target=app.test_client())
    assert limited.get("/team/reminders/").status_code == 403  # they hold for the whole company


def test_the_admin_sets_reminders_on_the_company_page(client, db, world, login):
    company = world.a.company
    login(world.admin)
    page = text(client, f"/admin/companies/{company.id}")
    assert 'id="reminders"' in page and 'href="#reminders"' in page
    action = f"/admin/companies/{company.id}/reminders/"
    assert f'action="{action}"' in page
    response = client.post(action, data=settings(remind_expiry=None, remind_due_soon_days="10"))
    assert response.status_code == 302 and response.location.endswith("#reminders")
    db.refresh(company)
    assert company.remind_expiry is False and company.remind_due_soon_days == 10
    assert 'id="remind_expiry" name="remind_expiry" value="y">' in text(
        client, f"/admin/companies/{company.id}"
    )
    other = world.b.company
    db.refresh(other)
    assert other.remind_expiry is True
