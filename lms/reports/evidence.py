"""What proves the in-person and on-the-job parts of a module: the sessions a person
attended, fully or partly (with their trainers), and who signed their task off. Used by
certificates and by the proof of instruction.

Each piece keeps its own date: a session its start, a sign-off its moment. A session
counts as evidence by a moment once its attendance could have been taken, that is from
30 minutes before its start (a learner may check in then, and the completion it led
to may be dated then, see `lms.in_person.booking.attendance_moment`).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from lms.models import Booking, InPersonSession, PracticalSignoff, User
from lms.models.in_person import CHECK_IN_EARLY, WAS_THERE, Attendance, attendance_counts


@dataclass(frozen=True)
class Attended:
    unit_id: str
    in_person: InPersonSession
    trainers: tuple[str, ...]
    partial: bool = False  # partly present
    minutes: int | None = None  # the minutes present, when partly present and entered
    counts: bool = True  # completes the unit: present, or partly present where that counts

    @property
    def at(self) -> datetime:
        return self.in_person.starts_at


@dataclass(frozen=True)
class SignedOff:
    unit_id: str
    at: datetime
    by: str
    comment: str


@dataclass
class Evidence:
    """Every session attended (fully or partly) and every sign-off, oldest first; and per
    unit id the latest that counts (`attended`, `signed_off`)."""

    sessions: list[Attended] = field(default_factory=list)
    signoffs: list[SignedOff] = field(default_factory=list)
    attended: dict[str, Attended] = field(default_factory=dict)
    signed_off: dict[str, SignedOff] = field(default_factory=dict)

    def add_session(self, piece: Attended) -> None:
        self.sessions.append(piece)
        if piece.counts:
            self.attended[piece.unit_id] = piece

    def add_signoff(self, piece: SignedOff) -> None:
        self.signoffs.append(piece)
        self.signed_off[piece.unit_id] = piece

    def between(self, after: datetime | None, until: datetime) -> Evidence:
        """The pieces that led to a completion at `until` after an earlier one at `after`."""
        part = Evidence()
        for piece in self.sessions:
            if counts_by(piece.in_person, until) and (
                after is None or not counts_by(piece.in_person, after)
            ):
                part.add_session(piece)
        for signed in self.signoffs:
            if signed.at <= until and (after is None or signed.at > after):
                part.add_signoff(signed)
        return part


def counts_by(in_person: InPersonSession, moment: datetime) -> bool:
    """Whether attending `in_person` can be evidence at `moment`: its attendance could be
    taken by then (from 30 minutes before the start)."""
    return in_person.starts_at - CHECK_IN_EARLY <= moment


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
        Booking.attendance.in_([str(value) for value in WAS_THERE]),
    ).options(selectinload(Booking.in_person).selectinload(InPersonSession.trainers))
    if until is not None:
        attended = attended.where(InPersonSession.starts_at <= until + CHECK_IN_EARLY)
    for booking in session.scalars(attended.order_by(InPersonSession.starts_at, Booking.id)):
        in_person = booking.in_person
        partial = booking.attendance == Attendance.PARTIAL
        result[booking.user_id].add_session(
            Attended(
                in_person.unit_id,
                in_person,
                tuple(t.display_name for t in in_person.trainers),
                partial=partial,
                minutes=booking.minutes_present if partial else None,
                counts=attendance_counts(booking.attendance, in_person),
            )
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
        result[row.user_id].add_signoff(
            SignedOff(row.unit_id, row.signed_off_at, signer or "–", row.comment)
        )
    return result
