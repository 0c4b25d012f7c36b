"""Hand-ins: handing in a photo or file for a hand-in unit, and a trainer's grade.

The file is checked as the scan of an external training record is: a size limit,
and the kind read from its first bytes, whatever its name or the browser claims.
An image is opened and re-encoded with Pillow (turned upright, at most
`MAX_IMAGE_EDGE` pixels on its longer side, without its metadata: no location, no
camera), so what is kept and served is a plain picture made here.

Who grades: a trainer who serves the learner's company, never the learner. An
accepted hand-in completes the unit for the round it was handed in for; "please
redo" sends it back to the learner with the feedback. Both are audited.
"""

from __future__ import annotations

import io
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from PIL import Image, ImageOps
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import Enrollment, Handin, HandinStatus, QuizAttempt, Role, TrainerCompany, User
from lms.notices import service as notices
from lms.services import learning

# A photo straight from a phone camera fits; what is kept is much smaller.
MAX_FILE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_EDGE = 2000
# Pixels an image may claim before it is opened (a small file may claim billions).
MAX_IMAGE_PIXELS = 50_000_000
MAX_FEEDBACK = 2000

_PDF = b"%PDF-"
_IMAGES = (b"\x89PNG\r\n\x1a\n", b"\xff\xd8\xff")


class HandinError(ValueError):
    """A hand-in or grade that cannot be done; `code` names why (the view words it)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


@dataclass(frozen=True)
class CheckedFile:
    media_type: str
    extension: str
    data: bytes


def _reencoded(data: bytes) -> CheckedFile:
    """The image re-encoded upright, bounded in size and without metadata."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as probe:
                if probe.width * probe.height > MAX_IMAGE_PIXELS:
                    raise HandinError("image-too-large")
                probe.verify()
            with Image.open(io.BytesIO(data)) as image:
                image.load()
                upright = ImageOps.exif_transpose(image)
                upright.thumbnail((MAX_IMAGE_EDGE, MAX_IMAGE_EDGE))
                out = io.BytesIO()
                if image.format == "PNG":
                    upright.save(out, format="PNG", optimize=True)
                    return CheckedFile("image/png", "png", out.getvalue())
                upright.convert("RGB").save(out, format="JPEG", quality=85)
                return CheckedFile("image/jpeg", "jpg", out.getvalue())
    except HandinError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError,
            Image.DecompressionBombWarning) as error:  # fmt: skip
        raise HandinError("file-type") from error


def checked_file(data: bytes, accepts: Sequence[str]) -> CheckedFile:
    """The file as it is kept, or HandinError("file-empty"/"file-too-large"/"file-type").

    `accepts` are the unit's kinds (`image`, `pdf`): a PDF for a unit that wants a
    photo is refused as any other type is.
    """
    if not data:
        raise HandinError("file-empty")
    if len(data) > MAX_FILE_BYTES:
        raise HandinError("file-too-large")
    if data.startswith(_PDF) and "pdf" in accepts:
        return CheckedFile("application/pdf", "pdf", data)
    if any(data.startswith(signature) for signature in _IMAGES) and "image" in accepts:
        return _reencoded(data)
    raise HandinError("file-type")


def _safe_name(filename: str, extension: str) -> str:
    """A download name: the uploaded name's stem without path or odd characters."""
    stem = filename.replace("\\", "/").rsplit("/", 1)[-1].rsplit(".", 1)[0]
    stem = "".join(c for c in stem if c.isalnum() or c in " -_").strip()[:100]
    return f"{stem or 'abgabe'}.{extension}"


def handin_unit(enrollment: Enrollment, unit_id: str) -> dict[str, Any]:
    """The hand-in unit `unit_id` of the enrolment's version (main language)."""
    unit = learning.unit_of_type(enrollment, unit_id, "handin")
    if unit is None:
        raise HandinError("not-a-handin")
    return unit


def current(session: Session, enrollment: Enrollment, unit_id: str) -> Handin | None:
    """The hand-in of the enrolment's current round, if there is one."""
    return session.scalar(
        select(Handin).where(
            Handin.enrollment_id == enrollment.id,
            Handin.unit_id == unit_id,
            Handin.counts_from == enrollment.counts_from,
        )
    )


def hand_in(
    session: Session,
    actor: Actor,
    enrollment: Enrollment,
    unit_id: str,
    filename: str,
    data: bytes,
    now: datetime,
) -> Handin:
    """Hand in (or replace) the learner's file for a hand-in unit; it then waits for a
    trainer. Refused once the hand-in is accepted."""
    unit = handin_unit(enrollment, unit_id)
    row = current(session, enrollment, unit_id)
    if row is not None and row.status == HandinStatus.ACCEPTED.value:
        raise HandinError("accepted-already")
    checked = checked_file(data, unit.get("accepts") or ("image",))
    replaced = row is not None
    if row is None:
        row = Handin(
            company_id=enrollment.company_id,
            user_id=enrollment.user_id,
            enrollment_id=enrollment.id,
            course_id=enrollment.course_id,
            unit_id=unit_id,
            counts_from=enrollment.counts_from,
        )
        session.add(row)
    row.version_id = enrollment.version_id
    row.status = HandinStatus.WAITING.value
    row.submitted_at = now
    row.file_name = _safe_name(filename, checked.extension)
    row.file_type = checked.media_type
    row.file_size = len(checked.data)
    row.file_data = checked.data
    session.flush()
    learner = session.get(User, enrollment.user_id)
    assert learner is not None
    audit.record(session, actor, "handin.submit", enrollment.company_id, now,
                 subject=f"{learner.display_name}: {unit['title']}", subject_id=row.id,
                 changes={"file": [None, row.file_name], "replaced": [None, replaced]})  # fmt: skip
    return row


def may_grade(trainer: User, learner: User) -> bool:
    """A trainer who serves the learner's company; nobody grades their own hand-in."""
    if trainer.id == learner.id or learner.company_id is None:
        return False
    return trainer.has_role(Role.TRAINER) and any(
        company.id == learner.company_id for company in trainer.trainer_companies
    )


def grade(
    session: Session,
    actor: Actor,
    handin: Handin,
    accepted: bool,
    feedback: str,
    now: datetime,
) -> Handin:
    """Accept the hand-in (completing its unit for its round) or ask for a new one
    (which needs feedback saying what to change). Only a waiting hand-in is graded;
    `actor` has been checked with `may_grade`."""
    if handin.status != HandinStatus.WAITING.value:
        raise HandinError("graded-already")
    feedback = feedback.strip()[:MAX_FEEDBACK]
    if not accepted and not feedback:
        raise HandinError("feedback-missing")
    before = handin.status
    handin.status = (HandinStatus.ACCEPTED if accepted else HandinStatus.REDO).value
    handin.feedback = feedback
    handin.graded_at = now
    handin.graded_by_id = actor.user_id
    session.flush()
    enrollment = session.get(Enrollment, handin.enrollment_id)
    assert enrollment is not None
    # A hand-in of an earlier round (the module was renewed since) no longer counts.
    if accepted and enrollment.counts_from == handin.counts_from:
        learning.record_outcome(session, enrollment, handin.unit_id, now)
    learner = session.get(User, handin.user_id)
    assert learner is not None
    units = learning.rendered_units(enrollment.version, enrollment.version.language)
    title = next((u["title"] for u in units if u["id"] == handin.unit_id), handin.unit_id)
    audit.record(
        session,
        actor,
        "handin.grade",
        handin.company_id,
        now,
        subject=f"{learner.display_name}: {title}",
        subject_id=handin.id,
        changes={"status": [before, handin.status], "feedback": [None, feedback]},
    )
    notices.post_graded(
        session, learner, enrollment.course, handin.unit_id, handin.status, now
    )  # "accepted" or "redo"
    return handin


def served_company_ids(trainer_id: int) -> Select[int]:
    """The companies a trainer serves, as a subquery."""
    return select(TrainerCompany.company_id).where(TrainerCompany.user_id == trainer_id)


def waiting(trainer: User, course_id: int | None = None) -> Select[Handin]:
    """The hand-ins waiting for a grade that `trainer` may grade, oldest first."""
    query = (
        select(Handin)
        .where(
            Handin.status == HandinStatus.WAITING.value,
            Handin.company_id.in_(served_company_ids(trainer.id)),
            Handin.user_id != trainer.id,
        )
        .order_by(Handin.submitted_at, Handin.id)
    )
    return query if course_id is None else query.where(Handin.course_id == course_id)


def waiting_count(session: Session, trainer_id: int) -> int:
    """How many hand-ins and knowledge checks with essays wait for this trainer: one
    statement of two indexed counts."""
    handins = (
        select(func.count())
        .where(
            Handin.status == HandinStatus.WAITING.value,
            Handin.company_id.in_(served_company_ids(trainer_id)),
            Handin.user_id != trainer_id,
        )
        .scalar_subquery()
    )
    essays = (
        select(func.count())
        .where(
            QuizAttempt.status == "grading",
            QuizAttempt.company_id.in_(served_company_ids(trainer_id)),
            QuizAttempt.user_id != trainer_id,
        )
        .scalar_subquery()
    )
    return session.scalar(select(handins + essays)) or 0
