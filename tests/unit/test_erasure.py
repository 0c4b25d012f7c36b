"""Erasing a person: no trace of name or e-mail in any table; the evidence stays."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import func, select, text

from lms.audit.service import Actor, log_report_access, record
from lms.in_person import booking
from lms.login_cards import service as login_cards
from lms.models import (
    AttemptAnswer,
    Attendance,
    Base,
    Completion,
    ExternalRecord,
    LoginCard,
    LoginEvent,
    QuizAttempt,
    User,
)
from lms.services import learning
from lms.services.erasure import erase_person
from tests.factories import make_user
from tests.unit.test_booking import NOW, fields, import_in_person_course


def dump(db) -> str:
    """Every row of every table, as text."""
    parts = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(text(f'SELECT * FROM "{table.name}"')):
            parts.append(repr(tuple(row)))
    return "\n".join(parts)


def test_after_erasure_no_table_holds_the_name_or_address_and_evidence_counts_stay(
    app, db, world, tmp_path
):
    course = import_in_person_course(app, db, tmp_path)
    company = world.a.company
    person = make_user(
        db, company, name="Jörg Ümlaut", email="joerg.uemlaut@example.com", personnel_number="X-9"
    )
    enrollment = learning.enroll(db, person, course, NOW)
    learning.mark_lesson_done(db, enrollment, "einstieg", NOW)
    date = booking.schedule(
        db, course, "workshop", fields(), trainers=[], companies=[], by=world.trainer, now=NOW
    )
    seat, _ = booking.book(db, date, person, by=person, now=NOW)
    booking.record_attendance(
        db, Actor(world.trainer), seat, Attendance.PRESENT, "Jörg Ümlaut kam pünktlich",
        now=date.ends_at,
    )  # fmt: skip
    learning.give_feedback(db, enrollment, "einstieg", 4, "Grüße, Jörg Ümlaut", NOW)
    db.add(LoginEvent(user_id=person.id, at=NOW, network="127.0.0.0/24"))
    # The shop floor: a PIN and a login card (issue 19) go with the person.
    person.pin_hash, person.pin_set_at = "$argon2id$pin-hash-of-joerg", NOW
    issued = login_cards.issue_cards(db, Actor(world.a.manager), [person], "card", NOW)
    # A typed answer in a graded knowledge check: gone after erasure, like the attempt's.
    attempt = QuizAttempt(company_id=company.id, user_id=person.id, enrollment_id=enrollment.id,
                          version_id=enrollment.version_id, unit_id="quiz", language="de",
                          number=1, status="submitted", layout=[],
                          responses={"q-x": "Mein Geheimwort Zitronenfalter"})  # fmt: skip
    db.add(attempt)
    db.flush()
    db.add(AttemptAnswer(attempt_id=attempt.id, question_id="x", position=1,
                         response="Mein Geheimwort Zitronenfalter", score=0, max_score=1,
                         correct=False, answered=True))  # fmt: skip
    # Training elsewhere: a confirmed record whose scan names the person, and a pending one.
    scan = b"%PDF-1.4 Zertifikat fuer joerg.uemlaut@example.com"
    for status in ("confirmed", "pending"):
        db.add(ExternalRecord(company_id=company.id, user_id=person.id, course_id=course.id,
                              title="Erste Hilfe", completed_at=NOW, status=status,
                              file_name="scan.pdf", file_type="application/pdf",
                              file_size=len(scan), file_data=scan))  # fmt: skip
    record(
        db, Actor(world.admin), "person.update", company.id, NOW, subject="Jörg Ümlaut",
        changes={"email": ["joerg.alt@example.com", "joerg.uemlaut@example.com"]},
    )  # fmt: skip
    log_report_access(db, world.a.manager, company.id, "person", NOW, subject=person,
                      detail="Jörg Ümlaut")  # fmt: skip
    db.flush()
    completions = db.scalar(
        select(func.count()).select_from(Completion).where(Completion.company_id == company.id)
    )
    assert completions == 1 and "Jörg Ümlaut" in dump(db)

    erase_person(db, person, NOW + timedelta(days=1))

    everything = dump(db)
    for trace in ("Jörg Ümlaut", "joerg.uemlaut@example.com", "X-9", "Zitronenfalter"):
        assert trace not in everything, trace
    assert "Gelöschte Person" in everything
    assert (
        db.scalar(
            select(func.count()).select_from(Completion).where(Completion.company_id == company.id)
        )
        == completions
    )
    erased = db.get(User, person.id)
    assert not erased.is_active and erased.password_hash is None and erased.roles == frozenset()
    assert erased.pin_hash is None and erased.pin_set_at is None
    assert "pin-hash-of-joerg" not in everything
    assert db.get(LoginCard, issued[0].card.id) is None
    # The evidence: attendance and completion stay, under the pseudonym.
    db.refresh(seat)
    assert seat.attendance == "present"
    assert db.scalar(select(func.count()).select_from(LoginEvent).where(
        LoginEvent.user_id == person.id)) == 0  # fmt: skip
    # The confirmed record stays without its scan; the pending proof is gone.
    (kept,) = db.scalars(select(ExternalRecord).where(ExternalRecord.user_id == person.id))
    assert kept.status == "confirmed" and kept.file_data is None and kept.file_name is None
    # Other people are untouched.
    assert db.get(User, world.a.employees[0].id).display_name == world.a.employees[0].display_name


def test_a_name_others_share_is_not_changed_on_their_own_rows(db, world):
    twin = make_user(db, world.a.company, name="Max Muster", email="max1@example.com")
    other = make_user(db, world.a.company, name="Max Muster", email="max2@example.com")
    erase_person(db, twin, datetime.now(UTC))
    assert db.get(User, other.id).display_name == "Max Muster"
