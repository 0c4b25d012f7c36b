"""The learner's certificates ("Meine Zertifikate"): every completion they earned, on
whichever version, with its validity, the PDF and the public verification page.

A completion keeps the version it was earned on, so a certificate stays listed, and
its PDF keeps printing that version's title, after a new version is published; the
certificates of earlier rounds (a recertified module) stay listed below the newer one.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import datetime, timedelta

from flask import render_template
from flask.typing import ResponseReturnValue
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, aliased

from lms.clock import now
from lms.db import db
from lms.learn import bp
from lms.learn.routes import learner
from lms.models import Completion, Course, CourseVersion, User
from lms.services import learning
from lms.templating import page_language


class CertificateState(enum.StrEnum):
    """What a certificate is worth today, as its row says it (in words and an icon)."""

    VALID = "valid"  # valid until a day, or without time limit
    EXPIRING = "expiring"  # valid, but its end is within the company's lead time
    EXPIRED = "expired"
    REVOKED = "revoked"
    RENEWAL_NEEDED = "renewal_needed"  # a newer version asks to take the module again


@dataclass(frozen=True)
class MyCertificate:
    """One certificate as the page lists it."""

    completion: Completion
    slug: str
    version_number: int
    texts: learning.CourseTexts  # of the version it was earned on, in the page's language
    state: CertificateState
    replaced_on: datetime | None  # completed again on this day: a newer certificate


_NEWER = aliased(CourseVersion)
# A later version of the completion's course asks for requalification (as
# `lms.certificates.status` decides it for the verification page), in the same query.
_RENEWAL_NEEDED = (
    exists()
    .where(
        _NEWER.course_id == Completion.course_id,
        _NEWER.number > CourseVersion.number,
        _NEWER.requalification.is_(True),
    )
    .correlate(Completion, CourseVersion)
)


def certificates_of(session: Session, user: User, lang: str, now: datetime) -> list[MyCertificate]:
    """Every certificate of `user` in their company, newest first (one query)."""
    if user.company_id is None:
        return []
    rows = session.execute(
        select(Completion, CourseVersion, Course.slug, _RENEWAL_NEEDED.label("renewal"))
        .join(CourseVersion, CourseVersion.id == Completion.version_id)
        .join(Course, Course.id == Completion.course_id)
        .where(Completion.user_id == user.id, Completion.company_id == user.company_id)
        .order_by(Completion.completed_at.desc(), Completion.id.desc())
    ).all()
    company = user.company
    soon = now + timedelta(days=company.recertification_lead_days if company else 0)
    newer_round: dict[int, datetime] = {}  # per course: when it was completed again
    found = []
    for completion, version, slug, renewal in rows:
        replaced_on = newer_round.get(completion.course_id)
        newer_round[completion.course_id] = completion.completed_at
        found.append(
            MyCertificate(
                completion,
                slug,
                version.number,
                learning.course_texts(version, lang),
                _state(completion, bool(renewal), replaced_on is None, now, soon),
                replaced_on,
            )
        )
    return found


def _state(
    completion: Completion, renewal: bool, newest: bool, now: datetime, soon: datetime
) -> CertificateState:
    if completion.revoked_at is not None:
        return CertificateState.REVOKED
    until = completion.valid_until
    if until is not None and until <= now:
        return CertificateState.EXPIRED
    if renewal:
        return CertificateState.RENEWAL_NEEDED
    # An earlier round's certificate is not "expiring": the newer one is what counts.
    if newest and until is not None and until <= soon:
        return CertificateState.EXPIRING
    return CertificateState.VALID


@bp.get("/certificates")
def my_certificates() -> ResponseReturnValue:
    """Meine Zertifikate: every certificate, with validity, PDF and verification link."""
    return render_template(
        "learn/certificates.html",
        certificates=certificates_of(db.session, learner(), page_language(), now()),
    )
