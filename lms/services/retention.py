"""Retention: erase accounts that went unused for a company's retention period, and prune
the logs after the platform's retention and the mails sent more than a week ago. Run by
`lms retention` (cron), with a dry run."""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import delete, func, or_, select
from sqlalchemy.orm import Session

from lms.models import AuditEntry, Company, ReportAccess, Role, User, UserRole
from lms.notices import service as notices
from lms.services import outbox, throttling
from lms.services.erasure import erase_person


@dataclass
class RetentionRun:
    erased: list[tuple[str, int]] = field(default_factory=list)  # (company, user id)
    audit_pruned: int = 0
    access_pruned: int = 0
    failures_pruned: int = 0
    mails_pruned: int = 0
    notices_pruned: int = 0


def due_for_erasure(session: Session, company: Company, now: datetime) -> list[User]:
    """People of the company unused for its retention period (last login, or creation
    when they never logged in); staff roles (admin, trainer) are never erased here."""
    if not company.retention_months:
        return []
    cutoff = _months_before(now, company.retention_months)
    last_seen = func.coalesce(User.last_login_at, User.created_at)
    return list(
        session.scalars(
            select(User)
            .where(
                User.company_id == company.id,
                User.erased_at.is_(None),
                last_seen < cutoff,
                ~User.role_rows.any(
                    or_(UserRole.role == Role.ADMIN.value, UserRole.role == Role.TRAINER.value)
                ),
            )
            .order_by(User.id)
        )
    )


def _months_before(now: datetime, months: int) -> datetime:
    """The same day `months` calendar months earlier (month ends kept)."""
    index = now.month - 1 - months
    year, month = now.year + index // 12, index % 12 + 1
    return now.replace(year=year, month=month, day=min(now.day, monthrange(year, month)[1]))


def run_retention(session: Session, now: datetime, *, log_days: int, dry_run: bool) -> RetentionRun:
    """Erase what is due in every company and prune old log entries (unless `dry_run`)."""
    result = RetentionRun()
    for company in session.scalars(select(Company).order_by(Company.name)):
        for person in due_for_erasure(session, company, now):
            result.erased.append((company.short_name, person.id))
            if not dry_run:
                erase_person(session, person, now)
    before = now - timedelta(days=log_days)
    result.audit_pruned = (
        session.scalar(select(func.count()).select_from(AuditEntry).where(AuditEntry.at < before))
        or 0
    )
    result.access_pruned = (
        session.scalar(
            select(func.count()).select_from(ReportAccess).where(ReportAccess.at < before)
        )
        or 0
    )
    if not dry_run:
        session.execute(delete(AuditEntry).where(AuditEntry.at < before))
        session.execute(delete(ReportAccess).where(ReportAccess.at < before))
        # Sign-in failures only serve throttling: a day is all they are kept.
        result.failures_pruned = throttling.prune(session, now)
        # The outbox keeps a sent mail a week (what went to whom, for questions).
        result.mails_pruned = outbox.prune_sent(session, now)
        # Notices in the app are kept 90 days (lms/notices/service.py).
        result.notices_pruned = notices.prune(session, now)
        session.flush()
    return result


def oldest_backup_kept(session: Session, now: datetime, keep_days: int) -> datetime:
    """The time before which backups are deleted: `keep_days` ago, or the shortest
    retention period of any company if that is shorter.

    An account erased by hand (Art. 17) is thus gone from every backup `keep_days` after
    its erasure at the latest, and one erased by `lms retention` within its company's
    retention period."""
    oldest = now - timedelta(days=keep_days)
    shortest = session.scalar(
        select(func.min(Company.retention_months)).where(Company.retention_months > 0)
    )
    if shortest:
        oldest = max(oldest, _months_before(now, shortest))
    return oldest
