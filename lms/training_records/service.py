"""External training records: recorded by a manager or an admin, or uploaded by the
person for a manager to confirm or reject.

A confirmed record with a module counts for that module like a completion (see
`compliance.cells` and `proof.proof_of_instruction`). The scan of a certificate is
checked here: at most `MAX_FILE_BYTES`, and a PDF, PNG or JPEG by its first bytes,
whatever its name or the browser claims.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.clock import day_end, day_start, local_zone
from lms.models import Course, ExternalRecord, RecordStatus, User
from lms.notices import service as notices
from lms.reports.compliance import cells_changed

MAX_FILE_BYTES = 5 * 1024 * 1024

# First bytes -> (media type, file extension)
_SIGNATURES = (
    (b"%PDF-", ("application/pdf", "pdf")),
    (b"\x89PNG\r\n\x1a\n", ("image/png", "png")),
    (b"\xff\xd8\xff", ("image/jpeg", "jpg")),
)


# Proofs one person may have waiting for a decision (each up to 5 MB).
MAX_PENDING = 10


class RecordError(ValueError):
    """A record cannot be saved or changed; `code` names why (the view words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class Proof:
    """An uploaded scan of a certificate, as the browser sent it."""

    filename: str
    data: bytes


@dataclass(frozen=True)
class RecordInput:
    title: str
    provider: str
    completed_on: date
    valid_until: date | None
    course_id: int | None
    proof: Proof | None = None


def file_kind(data: bytes) -> tuple[str, str]:
    """(media type, extension) of a scan, or RecordError("file-too-large"/"file-type")."""
    if len(data) > MAX_FILE_BYTES:
        raise RecordError("file-too-large")
    for signature, kind in _SIGNATURES:
        if data.startswith(signature):
            return kind
    raise RecordError("file-type")


def _check(values: RecordInput) -> None:
    if values.valid_until is not None and values.valid_until < values.completed_on:
        raise RecordError("valid-before-done")


def _fill(session: Session, record: ExternalRecord, values: RecordInput) -> None:
    record.title = values.title.strip()
    record.provider = values.provider.strip()
    # The end of the day: it counts for a module assigned or renewed earlier that day.
    record.completed_at = day_end(values.completed_on)
    record.valid_until = day_start(values.valid_until) if values.valid_until else None
    record.course_id = values.course_id
    if record.valid_until is None and values.course_id is not None:
        # Counting for a module, it is valid as long as completing the module would be.
        record.valid_until = module_validity(session, values.course_id, record.completed_at)
    if values.proof is not None:
        media_type, extension = file_kind(values.proof.data)
        record.file_data = values.proof.data
        record.file_type = media_type
        record.file_size = len(values.proof.data)
        record.file_name = _safe_name(values.proof.filename, extension)


def module_validity(session: Session, course_id: int, completed_at: datetime) -> datetime | None:
    """When a completion of the course's live version at `completed_at` would expire."""
    from lms.certificates import add_period
    from lms.content.importer import latest_version

    course = session.get(Course, course_id)
    latest = latest_version(session, course) if course is not None else None
    if latest is None or not latest.valid_for:
        return None
    return add_period(completed_at, latest.valid_for)


def _safe_name(filename: str, extension: str) -> str:
    """A download name: the uploaded name's stem without path or odd characters."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = "".join(c for c in stem if c.isalnum() or c in " -_").strip()[:100]
    return f"{stem or 'nachweis'}.{extension}"


def _day(moment: datetime | None) -> str | None:
    return str(moment.astimezone(local_zone()).date()) if moment else None


def audit_values(record: ExternalRecord) -> dict[str, list[Any]]:
    """A record's fields for its audit entry, as a new record's (before: nothing)."""
    return {
        "title": [None, record.title],
        "provider": [None, record.provider],
        "completed_on": [None, _day(record.completed_at)],
        "valid_until": [None, _day(record.valid_until)],
        "course_id": [None, record.course_id],
        "status": [None, record.status],
        "file": [None, record.file_name],
    }


def _subject(person: User, record: ExternalRecord) -> str:
    return f"{person.display_name}: {record.title}"


def record_for(
    session: Session, actor: Actor, person: User, values: RecordInput, now: datetime
) -> ExternalRecord:
    """A record entered by a manager or an admin (`actor`): confirmed at once (never
    for oneself)."""
    if person.id == actor.user_id:
        raise RecordError("own-record")
    _check(values)
    assert person.company_id is not None
    record = ExternalRecord(
        company_id=person.company_id,
        user_id=person.id,
        status=RecordStatus.CONFIRMED.value,
        created_at=now,
        created_by_id=actor.user_id,
        decided_at=now,
        decided_by_id=actor.user_id,
    )
    _fill(session, record, values)
    session.add(record)
    cells_changed(session, record.company_id)
    session.flush()
    audit.record(session, actor, "record.add", record.company_id, now,
                 subject=_subject(person, record), subject_id=record.id,
                 changes=audit_values(record))  # fmt: skip
    return record


def submit_own(
    session: Session, actor: Actor, person: User, values: RecordInput, now: datetime
) -> ExternalRecord:
    """A learner's own proof: pending until a manager decides; it needs the scan."""
    _check(values)
    if values.proof is None:
        raise RecordError("file-missing")
    assert person.company_id is not None
    waiting = session.scalar(
        select(func.count()).where(
            ExternalRecord.user_id == person.id,
            ExternalRecord.status == RecordStatus.PENDING.value,
        )
    )
    if (waiting or 0) >= MAX_PENDING:
        raise RecordError("too-many-pending")
    record = ExternalRecord(
        company_id=person.company_id,
        user_id=person.id,
        status=RecordStatus.PENDING.value,
        created_at=now,
        created_by_id=person.id,
    )
    _fill(session, record, values)
    session.add(record)
    cells_changed(session, record.company_id)
    session.flush()
    audit.record(session, actor, "record.submit", person.company_id, now,
                 subject=_subject(person, record), subject_id=record.id,
                 changes=audit_values(record))  # fmt: skip
    return record


def update(session: Session, record: ExternalRecord, values: RecordInput) -> None:
    """Correct a record's details (a new scan replaces the old one)."""
    _check(values)
    _fill(session, record, values)
    cells_changed(session, record.company_id)
    session.flush()


def decide(
    session: Session,
    actor: Actor,
    record: ExternalRecord,
    confirm: bool,
    reason: str,
    now: datetime,
) -> None:
    """Confirm or reject a pending record (a decided one: RecordError("decided")). Nobody
    decides on their own proof, whatever their role (RecordError("own-proof"))."""
    if actor.user_id == record.user_id:
        raise RecordError("own-proof")
    if record.status != RecordStatus.PENDING.value:
        raise RecordError("decided")
    session.refresh(record, with_for_update=True)  # one decision, also when two decide at once
    if record.status != RecordStatus.PENDING.value:
        raise RecordError("decided")
    record.status = (RecordStatus.CONFIRMED if confirm else RecordStatus.REJECTED).value
    record.reason = "" if confirm else reason.strip()[:1000]
    record.decided_at = now
    record.decided_by_id = actor.user_id
    cells_changed(session, record.company_id)
    session.flush()
    notices.post_for_record(session, record, now)
    audit.record(
        session,
        actor,
        "record.confirm" if confirm else "record.reject",
        record.company_id,
        now,
        subject=_subject(record.user, record),
        subject_id=record.id,
        changes={
            "status": [RecordStatus.PENDING.value, record.status],
            "reason": [None, record.reason or None],
        },
    )


def withdraw_own(
    session: Session, actor: Actor, record: ExternalRecord, person: User, now: datetime
) -> None:
    """A learner takes back their own proof while it is still pending."""
    if record.user_id != person.id or record.status != RecordStatus.PENDING.value:
        raise RecordError("decided")
    _delete(session, actor, record, "record.withdraw", person, now)


def delete(session: Session, actor: Actor, record: ExternalRecord, now: datetime) -> None:
    _delete(session, actor, record, "record.delete", record.user, now)


def _delete(
    session: Session, actor: Actor, record: ExternalRecord, action: str, person: User,
    now: datetime,
) -> None:  # fmt: skip
    """Delete a record; its audit entry keeps what it held (after: nothing)."""
    gone = {name: [after, None] for name, (_before, after) in audit_values(record).items()}
    company_id, subject, record_id = person.company_id, _subject(person, record), record.id
    session.delete(record)
    cells_changed(session, record.company_id)
    session.flush()
    audit.record(session, actor, action, company_id, now, subject=subject,
                 subject_id=record_id, changes=gone)  # fmt: skip
