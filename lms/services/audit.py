"""The log of who looked at whose learning data (§87 BetrVG): kept, and shown to admins."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from lms.models import ReportAccess, User


def log_report_access(
    session: Session,
    viewer: User,
    company_id: int,
    kind: str,
    now: datetime,
    *,
    subject: User | None = None,
    detail: str = "",
) -> ReportAccess:
    """Record one view of a person's report or one export (`kind` names which)."""
    entry = ReportAccess(
        company_id=company_id,
        viewer_id=viewer.id,
        viewer_name=viewer.display_name,
        at=now,
        kind=kind,
        subject_id=subject.id if subject is not None else None,
        detail=detail[:300],
    )
    session.add(entry)
    session.flush()
    return entry
