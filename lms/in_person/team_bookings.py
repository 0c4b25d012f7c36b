"""A manager's part in their team's bookings of in-person sessions: approving or
declining a booking, cancelling one, booking several people at once.

Each function does the change through `lms.in_person.booking` and writes its audit
entry in the caller's transaction. The mails the change calls for come back as
notices; the caller queues them (`lms.in_person.mail.queue_notices`). Whose bookings a
manager reaches is decided by the caller's queries (`permissions.people_visible_to_manager`).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.in_person import booking
from lms.in_person.booking import BookingError, Notice
from lms.models import Booking, Course, InPersonSession, User
from lms.services import learning


def decide(
    session: Session, actor: Actor, held: Booking, *, approve: bool, now: datetime
) -> list[Notice]:
    """Approve or decline a booking awaiting approval; a booking decided already is left
    alone (no notices, no entry). A manager's own booking is refused before anything
    changes (`BookingError("own-booking")`): another manager decides on it."""
    notices = booking.decide(session, held, approve=approve, by=actor.user, now=now)
    if notices:
        audit.record(session, actor, "booking.approve" if approve else "booking.decline",
                     held.company_id, now, subject=held.user.display_name,
                     subject_id=held.id)  # fmt: skip
    return notices


def cancel(session: Session, actor: Actor, held: Booking, *, now: datetime) -> list[Notice]:
    """Cancel a team member's booking (until the booking deadline, as they may).

    Raises `BookingError` before anything changes."""
    status = held.status
    notices = booking.cancel(session, held, now=now)
    audit.record(session, actor, "booking.cancel", held.company_id, now,
                 subject=held.user.display_name, subject_id=held.id,
                 changes={"status": [status, held.status]})  # fmt: skip
    return notices


@dataclass
class TeamBooking:
    """What booking several people gave: how many per booking status (confirmed,
    waitlisted), and each person who could not be booked with the reason."""

    held: Counter[str] = field(default_factory=Counter)
    refused: list[tuple[User, BookingError | learning.LearningError]] = field(default_factory=list)


def book_people(
    session: Session,
    actor: Actor,
    in_person: InPersonSession,
    course: Course,
    people: Sequence[User],
    now: datetime,
) -> TeamBooking:
    """Enrol each person on `course` and book them a seat at `in_person` (or a place on its
    waiting list), as their manager `actor`: a manager's booking needs no approval.

    Someone who cannot be booked is skipped and named in the result; the others are
    booked all the same. One audit entry ("booking.team") counts the bookings made."""
    manager = actor.user
    assert manager is not None, "a person books for the team"
    outcome = TeamBooking()
    for person in people:
        try:
            learning.enroll(session, person, course, now)
            held, _notices = booking.book(session, in_person, person, by=manager, now=now)
        except (BookingError, learning.LearningError) as error:
            outcome.refused.append((person, error))
            continue
        outcome.held[held.status] += 1
    if outcome.held:
        audit.record(
            session,
            actor,
            "booking.team",
            manager.company_id,
            now,
            subject=f"{course.slug}: {in_person.starts_at.isoformat()}",
            subject_id=in_person.id,
            changes={status: [None, number] for status, number in sorted(outcome.held.items())},
        )
    return outcome
