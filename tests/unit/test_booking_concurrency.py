"""The last seats booked at the same moment from many threads, with real commits.

Runs on whichever database the suite uses (SQLite by default, PostgreSQL with
LMS_DATABASE_URL), outside the rolled-back test transaction; it removes what it
created.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, func, select

from lms.content.importer import import_course
from lms.in_person import booking
from lms.in_person.booking import SessionFields
from lms.models import Booking, Company, Course, InPersonSession, User
from tests.factories import make_company, make_user
from tests.unit.test_booking import WORKSHOP
from tests.unit.test_course_parser import write_course

PEOPLE = 12
SEATS = 3


def test_of_many_people_booking_at_once_exactly_the_seats_get_one(app, tmp_path):
    database = app.extensions["db"]
    now = datetime.now(UTC)
    folder = write_course(tmp_path, {"02-workshop.md": WORKSHOP}, slug="gleichzeitig")
    with database.begin() as session, app.test_request_context():
        company = make_company(session, "Gleichzeitig GmbH")
        people = [make_user(session, company) for _ in range(PEOPLE)]
        trainer = make_user(session, None)
        import_course(session, folder, now)
        course = session.scalar(select(Course).where(Course.slug == "gleichzeitig"))
        in_person = booking.schedule(
            session,
            course,
            "workshop",
            SessionFields(
                starts_at=now + timedelta(days=3),
                minutes=60,
                capacity=SEATS,
                booking_deadline=now + timedelta(days=2),
                place="Halle 3",
            ),
            trainers=[],
            companies=[],
            by=trainer,
            now=now,
        )
        ids = {"company": company.id, "course": course.id, "session": in_person.id}
        person_ids = [person.id for person in people] + [trainer.id]

    start = threading.Barrier(PEOPLE)
    errors: list[BaseException] = []

    def book(user_id: int) -> None:
        session = database.new_session()
        try:
            start.wait()
            user = session.get(User, user_id)
            in_person = session.get(InPersonSession, ids["session"])
            booking.book(session, in_person, user, by=user, now=datetime.now(UTC))
            session.commit()
        except BaseException as exc:  # reported below
            errors.append(exc)
            session.rollback()
        finally:
            session.close()

    threads = [threading.Thread(target=book, args=(pid,)) for pid in person_ids[:PEOPLE]]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=60)
        assert errors == []
        with database.begin() as session:
            counts = dict(
                session.execute(
                    select(Booking.status, func.count())
                    .where(Booking.session_id == ids["session"])
                    .group_by(Booking.status)
                ).all()
            )
            seats = session.get(InPersonSession, ids["session"])
            assert counts == {"confirmed": SEATS, "waitlisted": PEOPLE - SEATS}
            assert seats is not None and seats.booked == SEATS
    finally:
        with database.begin() as session:
            session.execute(delete(Course).where(Course.id == ids["course"]))
            session.execute(delete(User).where(User.id.in_(person_ids)))
            session.execute(delete(Company).where(Company.id == ids["company"]))
