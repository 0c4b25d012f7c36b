"""What proves the in-person and on-the-job parts of a module: the session a person
attended (with its trainers) and who signed their task off. Used by certificates and
by the proof of instruction."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.models import Attendance, Booking, InPersonSession, PracticalSignoff, User


@dataclass(frozen=True)
class Attended:
    unit_id: str
    in_person: InPersonSession
    trainers: tuple[str, ...]


@dataclass(frozen=True)
class SignedOff:
    unit_id: str
    at: datetime
    by: str
    comment: str


@dataclass
class Evidence:
    """Per unit id, the latest attended session and the latest sign-off."""

    attended: dict[str, Attended] = field(default_factory=dict)
    signed_off: dict[str, SignedOff] = field(default_factory=dict)


def evidence(
    session: Session, course_id: int, user_ids: Iterable[int], until: datetime | None = None
) -> dict[int, Evidence]:
    """The evidence of each person for the course, as it stood at `until` (default: now)."""
    ids = list(user_ids)
    result: dict[int, Evidence] = {user_id: Evidence() for user_id in ids}
    if not ids:
        return result
    attended = select(Booking).join(InPersonSession, InPersonSession.id == Booking.session_id)
    attended = attended.where(
        Booking.user_id.in_(ids),
        InPersonSession.course_id == course_id,
        Booking.attendance == Attendance.PRESENT.value,
    ).options(selectinload(Booking.in_person).selectinload(InPersonSession.trainers))
    if until is not None:
        attended = attended.where(InPersonSession.starts_at <= until)
    for booking in session.scalars(attended.order_by(InPersonSession.starts_at)):
        in_person = booking.in_person
        result[booking.user_id].attended[in_person.unit_id] = Attended(
            in_person.unit_id, in_person, tuple(t.display_name for t in in_person.trainers)
        )
    signed = (
        select(PracticalSignoff, User.display_name)
        .outerjoin(User, User.id == PracticalSignoff.signed_off_by_id)
        .where(
            PracticalSignoff.user_id.in_(ids),
            PracticalSignoff.course_id == course_id,
            PracticalSignoff.signed_off_at.is_not(None),
        )
        .order_by(PracticalSignoff.signed_off_at)
    )
    if until is not None:
        signed = signed.where(PracticalSignoff.signed_off_at <= until)
    for row, signer in session.execute(signed):
        assert row.signed_off_at is not None
        result[row.user_id].signed_off[row.unit_id] = SignedOff(
            row.unit_id, row.signed_off_at, signer or "–", row.comment
        )
    return result
