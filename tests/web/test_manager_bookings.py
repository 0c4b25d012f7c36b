"""Managers and in-person sessions: approving bookings, booking for the team, isolation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from lms.audit.service import Actor
from lms.in_person import booking, team_bookings
from lms.models import AuditEntry, Booking
from lms.services import learning
from tests.unit.test_booking import fields, import_in_person_course

EN = {"Accept-Language": "en"}
NOW = datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


@pytest.fixture
def course(app, db, tmp_path):
    app.config["CLOCK"] = lambda: NOW
    return import_in_person_course(app, db, tmp_path)


def plan(db, world, course, capacity=2, companies=()):
    return booking.schedule(
        db, course, "workshop", fields(capacity=capacity), trainers=[world.trainer],
        companies=list(companies), by=world.trainer, now=NOW,
    )  # fmt: skip


def test_with_approval_the_manager_approves_and_the_employee_is_told(
    client, other_client, db, world, login, course, mails
):
    world.a.company.booking_approval = True
    in_person = plan(db, world, course)
    person = world.a.employees[0]
    learning.enroll(db, person, course, NOW)
    login(person, target=other_client)
    other_client.post(f"/learn/sessions/{in_person.id}/book")
    asked = db.scalar(select(Booking))
    assert asked.status == "requested"
    assert [m.to for m in mails] == [world.a.manager.email, world.a.limited_manager.email]
    assert "/team/bookings" in mails[0].body

    login(world.a.manager)
    page = client.get("/team/bookings", headers=EN).get_data(as_text=True)
    assert "Waiting for your approval" in page and person.display_name in page
    client.post(f"/team/bookings/{asked.id}/approve")
    db.refresh(asked)
    assert asked.status == "confirmed"
    assert mails[-1].to == person.email


def test_a_manager_books_a_session_for_several_people(client, db, world, login, course):
    in_person = plan(db, world, course, capacity=1)
    first, second = world.a.employees[0], world.a.employees[1]
    login(world.a.manager)
    page = client.get(f"/team/sessions/{in_person.id}", headers=EN).get_data(as_text=True)
    assert first.display_name in page and world.b.employees[0].display_name not in page
    client.post(f"/team/sessions/{in_person.id}", data={"person": [first.id, second.id]})
    statuses = {b.user_id: b.status for b in db.scalars(select(Booking))}
    assert statuses == {first.id: "confirmed", second.id: "waitlisted"}
    assert learning.get_enrollment(db, first, course) is not None  # enrolled on the way
    page = client.get(f"/team/sessions/{in_person.id}", headers=EN).get_data(as_text=True)
    assert f'name="person" value="{first.id}"' not in page
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "booking.team"))
    assert entry.changes == {"confirmed": [None, 1], "waitlisted": [None, 1]}
    # The manager cancels the booking: one entry, and the waiting person moves up.
    seat = db.scalar(select(Booking).where(Booking.user_id == first.id))
    assert client.post(f"/team/bookings/{seat.id}/cancel").status_code == 302
    (entry,) = db.scalars(select(AuditEntry).where(AuditEntry.action == "booking.cancel"))
    assert entry.changes["status"] == ["confirmed", "cancelled"]


def test_managers_reach_neither_other_companies_sessions_nor_their_bookings(
    client, db, world, login, course
):
    only_b = plan(db, world, course, companies=[world.b.company])
    foreign, _ = booking.book(db, only_b, world.b.employees[0], by=world.b.manager, now=NOW)
    login(world.a.manager)
    assert client.get(f"/team/sessions/{only_b.id}").status_code == 404
    assert client.post(f"/team/bookings/{foreign.id}/approve").status_code == 404
    assert client.post(f"/team/bookings/{foreign.id}/cancel").status_code == 404
    page = client.get("/team/bookings", headers=EN).get_data(as_text=True)
    assert world.b.employees[0].display_name not in page
    # Nor can they book someone of another company into an open session.
    open_session = plan(db, world, course)
    client.post(f"/team/sessions/{open_session.id}", data={"person": [world.b.employees[1].id]})
    assert db.scalar(select(Booking).where(Booking.session_id == open_session.id)) is None


def test_an_admin_switches_booking_approval_on_for_a_company(app, db, world, login, course):
    admin = login(world.admin, target=app.test_client())
    url = f"/admin/companies/{world.a.company.id}/reporting"
    page = admin.get(f"/admin/companies/{world.a.company.id}", headers=EN).get_data(as_text=True)
    assert "need their manager's approval" in page
    settings = {"privacy_level": "status", "recertification_lead_days": "30"}
    assert admin.post(url, data={**settings, "booking_approval": "y"}).status_code == 302
    db.refresh(world.a.company)
    assert world.a.company.booking_approval
    admin.post(url, data=settings)
    db.refresh(world.a.company)
    assert not world.a.company.booking_approval


def test_the_managers_booking_services_record_the_actor_and_network(db, world, course):
    world.a.company.booking_approval = True
    in_person = plan(db, world, course, capacity=1)
    first, second = world.a.employees[0], world.a.employees[1]
    actor = Actor(world.a.manager, "198.51.100.0/24")
    for person in (first, second):
        learning.enroll(db, person, course, NOW)
    asked, _ = booking.book(db, in_person, first, by=first, now=NOW)
    assert asked.status == "requested"
    assert team_bookings.decide(db, actor, asked, approve=True, now=NOW)
    assert team_bookings.decide(db, actor, asked, approve=True, now=NOW) == []  # no second entry
    result = team_bookings.book_people(db, actor, in_person, course, [first, second], NOW)
    # The first is booked already (counted as held), the second waits for the one seat.
    assert result.held == {"confirmed": 1, "waitlisted": 1} and result.refused == []
    team_bookings.cancel(db, actor, asked, now=NOW)
    logged = db.scalars(select(AuditEntry).order_by(AuditEntry.id)).all()
    assert [e.action for e in logged] == ["booking.approve", "booking.team", "booking.cancel"]
    assert {(e.actor_id, e.address, e.company_id) for e in logged} == {
        (world.a.manager.id, "198.51.100.0/24", world.a.company.id)
    }
    assert logged[0].subject == first.display_name and logged[0].subject_id == asked.id
    assert logged[1].changes == {"confirmed": [None, 1], "waitlisted": [None, 1]}
    assert logged[2].changes == {"status": ["confirmed", "cancelled"]}


def test_a_cancellation_after_the_deadline_is_refused_and_keeps_nothing(
    app, client, db, world, login, course
):
    in_person = plan(db, world, course)
    seat, _ = booking.book(db, in_person, world.a.employees[0], by=world.a.manager, now=NOW)
    app.config["CLOCK"] = lambda: in_person.booking_deadline + timedelta(minutes=1)
    login(world.a.manager)
    response = client.post(f"/team/bookings/{seat.id}/cancel", follow_redirects=True, headers=EN)
    assert response.status_code == 200 and "booking deadline" in response.get_data(as_text=True)
    db.refresh(seat)
    assert seat.status == "confirmed"
    assert db.scalars(select(AuditEntry)).all() == []


def test_a_manager_never_approves_their_own_booking(
    client, other_client, db, world, login, course, mails
):
    world.a.company.booking_approval = True
    in_person = plan(db, world, course)
    manager, other = world.a.manager, world.a.limited_manager
    other.managed_departments.append(manager.department)  # another manager who sees them
    learning.enroll(db, manager, course, NOW)
    own, _ = booking.book(db, in_person, manager, by=manager, now=NOW)
    assert own.status == "requested"

    login(manager)
    page = client.get("/team/bookings", headers=EN).get_data(as_text=True)
    card = page[page.index("Waiting for your approval") : page.index("Your team's bookings")]
    assert manager.display_name in card and "This is your own booking" in card
    assert f"/team/bookings/{own.id}/approve" not in card
    refused = client.post(f"/team/bookings/{own.id}/approve", headers=EN, follow_redirects=True)
    assert "You cannot approve or decline your own booking" in refused.get_data(as_text=True)
    client.post(f"/team/bookings/{own.id}/decline")
    db.refresh(own)
    assert own.status == "requested"
    assert db.scalars(select(AuditEntry)).all() == []

    # Another manager decides on it.
    login(other, target=other_client)
    page = other_client.get("/team/bookings", headers=EN).get_data(as_text=True)
    assert f"/team/bookings/{own.id}/approve" in page
    other_client.post(f"/team/bookings/{own.id}/approve")
    db.refresh(own)
    assert own.status == "confirmed"


def test_the_booking_services_refuse_ones_own_booking_and_ask_others_to_approve(
    app, db, world, course, mails
):
    from lms.in_person.booking import BookingError
    from lms.in_person.mail import queue_notices

    world.a.company.booking_approval = True
    in_person = plan(db, world, course)
    manager = world.a.manager
    own, notices = booking.book(db, in_person, manager, by=manager, now=NOW)
    with app.test_request_context():
        queue_notices(db, notices, NOW)
    # The approval is asked of the managers who see them, not of themselves.
    assert manager.email not in [m.to for m in mails]
    with pytest.raises(BookingError) as refused:
        team_bookings.decide(db, Actor(manager), own, approve=True, now=NOW)
    assert refused.value.code == "own-booking"
    with pytest.raises(BookingError):
        booking.decide(db, own, approve=False, by=manager, now=NOW)
    assert own.status == "requested"
