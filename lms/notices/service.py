"""Notices: posted where things happen, in the same transaction; read on the notices page.

A notice keeps its kind and the facts (`params`: ids, a date, a proof's title), never a
sentence: `templates/notices/_notice.html` words each kind in the reader's language
when the page is shown. Each notice is kept 90 days (`prune`, run by `lms retention`);
the page and the count show only what is younger.

The header shows the count of unread notices on every page. It is kept in the cache
(`lms/cache.py`) under the person's `users.notices_revision`, which every post and
every read raises in the same transaction, and the day (notices age out by the day):
a page costs no query for it unless something changed, then one indexed COUNT.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select, update
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.cache import remembered
from lms.clock import day_start, today
from lms.mail import queue_mail
from lms.models import (
    Assignment,
    Booking,
    Company,
    Course,
    ExternalRecord,
    Notice,
    RecordStatus,
    ReminderSent,
    User,
)
from lms.reports.compliance import (
    CellState,
    Scope,
    course_titles,
    person_cells,
    title_languages,
)

ASSIGNED = "assigned"
DUE_SOON = "due-soon"
REMINDER = "reminder"  # a manager's "Erinnerung senden"
BOOKING_CONFIRMED = "booking-confirmed"
BOOKING_PROMOTED = "booking-promoted"
PROOF_CONFIRMED = "proof-confirmed"
PROOF_REJECTED = "proof-rejected"
GRADED = "graded"  # a trainer graded a hand-in or a knowledge check's free-text answers
# What `lms reminders` mails, posted as notices to people without an e-mail address
# (due-soon is posted to everyone).
OVERDUE = "overdue"
EXPIRING = "expiring"
EXPIRED = "expired"
REFRESHER = "refresher"
KINDS = (
    ASSIGNED,
    DUE_SOON,
    OVERDUE,
    EXPIRING,
    EXPIRED,
    REFRESHER,
    REMINDER,
    BOOKING_CONFIRMED,
    BOOKING_PROMOTED,
    PROOF_CONFIRMED,
    PROOF_REJECTED,
    GRADED,
)

KEEP_DAYS = 90
PAGE_SIZE = 100
# A manager reminds one person of one module at most this often.
REMINDER_PAUSE = timedelta(hours=24)
MANUAL = "manual"  # ReminderSent.kind of a manager's reminder


def kept_since(now: datetime) -> datetime:
    """Notices older than this are gone (the start of the day `KEEP_DAYS` ago)."""
    return day_start(today(now) - timedelta(days=KEEP_DAYS))


def post(session: Session, user: User, kind: str, params: Mapping[str, Any], now: datetime) -> None:
    """Tell `user` about something (one of `KINDS`), in the caller's transaction. Flushes."""
    post_many(session, [(user, kind, params)], now)


def post_many(
    session: Session,
    entries: Iterable[tuple[User, str, Mapping[str, Any]]],
    now: datetime,
) -> int:
    """`post` for many people at once: one insert, one update. Returns how many."""
    listed = list(entries)
    if not listed:
        return 0
    assert all(kind in KINDS for _user, kind, _params in listed)
    rows = [
        {
            "company_id": user.company_id,
            "user_id": user.id,
            "kind": kind,
            "params": dict(params),
            "created_at": now,
        }
        for user, kind, params in listed
    ]
    session.execute(insert(Notice), rows)
    _revised(session, {user.id for user, _kind, _params in listed})
    return len(rows)


def _revised(session: Session, user_ids: Iterable[int]) -> None:
    """The people's notices changed: their header count is read again."""
    session.execute(
        update(User)
        .where(User.id.in_(sorted(user_ids)))
        .values(notices_revision=User.notices_revision + 1)
        .execution_options(synchronize_session=False)
    )


# Built once: it runs for the header of every page whose count is not in the cache.
_UNREAD = (
    select(func.count())
    .select_from(Notice)
    .where(
        Notice.user_id == bindparam("user_id"),
        Notice.read_at.is_(None),
        Notice.created_at >= bindparam("since"),
    )
)


def unread_count(session: Session, user: User, now: datetime) -> int:
    """How many of the person's notices are unread (kept in the cache, see above)."""
    since = kept_since(now)

    def count() -> int:
        return session.scalar(_UNREAD, {"user_id": user.id, "since": since}) or 0

    return remembered(("notices-unread", user.id, user.notices_revision, since.isoformat()), count)


def notices_of(session: Session, user: User, now: datetime) -> list[Notice]:
    """The person's notices of the last 90 days, newest first (at most `PAGE_SIZE`)."""
    return list(
        session.scalars(
            select(Notice)
            .where(Notice.user_id == user.id, Notice.created_at >= kept_since(now))
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(PAGE_SIZE)
        )
    )


@dataclass(frozen=True)
class StartNotice:
    """An unread notice as the learner's start page shows it (kept in the cache: plain
    values, not the row)."""

    id: int
    kind: str
    params: dict[str, Any]
    created_at: datetime


@dataclass(frozen=True)
class StartNotices:
    notices: tuple[StartNotice, ...]
    titles: dict[int, str]  # the modules' titles in the page's language
    title_langs: dict[int, str]


def for_start_page(
    session: Session, user: User, now: datetime, language: str, limit: int = 3
) -> StartNotices | None:
    """The person's newest unread notices for their start page (people without an
    e-mail address read their reminders there, issue 19), or None. Kept in the cache
    under `users.notices_revision`, like the header's count: no query on a hit, and
    none at all when the count says there is nothing unread."""
    if not unread_count(session, user, now):
        return None
    since = kept_since(now)

    def load() -> StartNotices:
        rows = session.scalars(
            select(Notice)
            .where(
                Notice.user_id == user.id, Notice.created_at >= since, Notice.read_at.is_(None)
            )
            .order_by(Notice.created_at.desc(), Notice.id.desc())
            .limit(limit)
        ).all()
        course_ids = sorted(
            {n.params["course_id"] for n in rows if isinstance(n.params.get("course_id"), int)}
        )
        return StartNotices(
            tuple(StartNotice(n.id, n.kind, dict(n.params), n.created_at) for n in rows),
            course_titles(session, course_ids, language) if course_ids else {},
            title_languages(session, course_ids, language) if course_ids else {},
        )

    key = ("start-notices", user.id, user.notices_revision, since.isoformat(), language)
    return remembered(key, load)


def mark_read(session: Session, user: User, notice_id: int, now: datetime) -> Notice | None:
    """Mark one of the person's own notices read (None: not theirs, or gone). Flushes."""
    notice = session.scalar(
        select(Notice).where(
            Notice.id == notice_id,
            Notice.user_id == user.id,
            Notice.created_at >= kept_since(now),
        )
    )
    if notice is not None and notice.read_at is None:
        notice.read_at = now
        session.flush()
        _revised(session, [user.id])
    return notice


def mark_all_read(session: Session, user: User, now: datetime) -> int:
    """Mark every unread notice of the person read; returns how many. Flushes."""
    result = session.execute(
        update(Notice)
        .where(Notice.user_id == user.id, Notice.read_at.is_(None))
        .values(read_at=now)
        .execution_options(synchronize_session=False)
    )
    changed = int(getattr(result, "rowcount", 0) or 0)
    if changed:
        _revised(session, [user.id])
    return changed


def prune(session: Session, now: datetime) -> int:
    """Delete the notices older than 90 days (`lms retention`); returns how many."""
    result = session.execute(delete(Notice).where(Notice.created_at < kept_since(now)))
    return int(getattr(result, "rowcount", 0) or 0)


def target(notice: Notice) -> tuple[str, dict[str, Any]]:
    """Where a notice leads: an endpoint and its values (the learner's pages)."""
    if notice.kind in (ASSIGNED, DUE_SOON, OVERDUE, EXPIRING, EXPIRED, REMINDER) and (
        notice.params.get("slug")
    ):
        return "learn.course", {"slug": notice.params["slug"]}
    if notice.kind in (BOOKING_CONFIRMED, BOOKING_PROMOTED):
        return "learn.sessions", {}
    if notice.kind in (PROOF_CONFIRMED, PROOF_REJECTED):
        return "learn.records", {}
    if notice.kind == GRADED and notice.params.get("slug") and notice.params.get("unit_id"):
        return "learn.unit", {"slug": notice.params["slug"], "unit_id": notice.params["unit_id"]}
    return "learn.index", {}


def day_of(notice: Notice, name: str) -> date | None:
    """A day kept in the notice's params as ISO text (a due date)."""
    value = notice.params.get(name)
    return date.fromisoformat(value) if isinstance(value, str) else None


def moment_of(notice: Notice, name: str) -> datetime | None:
    """A moment kept in the notice's params as ISO text (a session's start)."""
    value = notice.params.get(name)
    return datetime.fromisoformat(value) if isinstance(value, str) else None


# --- A company's reminder settings ---------------------------------------------------

# The columns of `companies` that say which reminders `lms reminders` sends, and when.
REMINDER_SETTINGS = (
    "remind_due_soon",
    "remind_due_soon_days",
    "remind_overdue",
    "remind_expiry",
    "remind_digest",
)


def set_reminder_settings(
    session: Session, actor: Actor, company: Company, values: Mapping[str, Any], now: datetime
) -> bool:
    """Store a company's reminder settings (the keys of `REMINDER_SETTINGS`) and audit
    the change; True when something changed. Flushes."""
    before = audit.snapshot(company, REMINDER_SETTINGS)
    for name in REMINDER_SETTINGS:
        setattr(company, name, values[name])
    changes = audit.changed(before, company)
    if changes:
        session.flush()
        audit.record(session, actor, "company.reminders", company.id, now,
                     subject=company.name, subject_id=company.id, changes=changes)  # fmt: skip
    return bool(changes)


# --- A manager's reminder ------------------------------------------------------------


@dataclass(frozen=True)
class ReminderRefused:
    """Why no reminder went out: "not-overdue", or "too-soon" until `next_at`."""

    code: str
    next_at: datetime | None = None


def send_reminder(
    session: Session,
    actor: Actor,
    person: User,
    assignment: Assignment,
    *,
    course_title: str,
    mail_subject: str | None,
    mail_body: str | None,
    now: datetime,
) -> ReminderRefused | None:
    """A manager reminds `person` of their overdue `assignment`: a mail in the outbox,
    a notice, an audit entry; at most once per person and module in `REMINDER_PAUSE`.
    A person without an e-mail address gets the notice only (no mail is written).

    The caller loads `person` and `assignment` within the manager's company and
    reach, and writes the mail (in the person's language) when the person has an
    address; this checks that the assignment is still overdue and the pause is over.
    Flushes.
    """
    assert person.company_id is not None and assignment.user_id == person.id
    # One reminder, also when two managers press at once: the assignment's row is
    # locked (PostgreSQL; on SQLite the write transaction runs alone).
    session.refresh(assignment, with_for_update=True)
    company = session.get_one(Company, person.company_id)
    local_today = today(now)
    scope = Scope(company.id, now, local_today, company.recertification_lead_days)
    cell = next(
        (c for c in person_cells(session, scope, person.id) if c.assignment_id == assignment.id),
        None,
    )
    if cell is None or cell.state is not CellState.OVERDUE:
        return ReminderRefused("not-overdue")
    last = session.scalar(
        select(func.max(ReminderSent.sent_at)).where(
            ReminderSent.user_id == person.id,
            ReminderSent.kind == MANUAL,
            ReminderSent.key.startswith(f"{assignment.id}:", autoescape=True),
        )
    )
    if last is not None and now < last + REMINDER_PAUSE:
        return ReminderRefused("too-soon", last + REMINDER_PAUSE)
    session.add(
        ReminderSent(
            user_id=person.id,
            kind=MANUAL,
            key=f"{assignment.id}:{now.strftime('%Y%m%dT%H%M%S')}",
            sent_at=now,
        )
    )
    if person.email:
        assert mail_subject is not None and mail_body is not None
        queue_mail(
            session,
            person.email,
            mail_subject,
            mail_body,
            now=now,
            user_id=person.id,
            company_id=person.company_id,
        )
    slug = assignment.course.slug
    post(
        session,
        person,
        REMINDER,
        {"course_id": assignment.course_id, "slug": slug, "due_on": assignment.due_on.isoformat()},
        now,
    )
    audit.record(
        session,
        actor,
        "reminder.send",
        person.company_id,
        now,
        subject=f"{person.display_name}: {course_title}",
        subject_id=person.id,
    )
    return None


# --- Posted from other features (one call each) -----------------------------------


def post_assigned(
    session: Session, people: Iterable[User], course: Course, due_on: date, now: datetime
) -> None:
    """A manager assigned `course` to `people` (each hears of it, also of a new due date)."""
    params = assigned_params(course, due_on)
    post_many(session, [(person, ASSIGNED, params) for person in people], now)


def post_graded(
    session: Session, user: User, course: Course, unit_id: str, outcome: str, now: datetime
) -> None:
    """A trainer graded what `user` handed in for a unit: `outcome` is "accepted" or
    "redo" (a hand-in), "passed" or "failed" (a knowledge check with free text)."""
    params = {"course_id": course.id, "slug": course.slug, "unit_id": unit_id, "outcome": outcome}
    post(session, user, GRADED, params, now)


def assigned_params(course: Course, due_on: date) -> dict[str, Any]:
    """What a notice of an assignment keeps: the module and its due date."""
    return {"course_id": course.id, "slug": course.slug, "due_on": due_on.isoformat()}


_BOOKING_KINDS = {"approved": BOOKING_CONFIRMED, "promoted": BOOKING_PROMOTED}


def post_for_booking(session: Session, change: str, booking: Booking, now: datetime) -> None:
    """A booking's change (`lms.in_person.booking.Notice.kind`) the person hears of in
    the app too: approved (confirmed) or moved up from the waiting list."""
    kind = _BOOKING_KINDS.get(change)
    if kind is None:
        return
    in_person = booking.in_person
    params = {"course_id": in_person.course_id, "starts_at": in_person.starts_at.isoformat()}
    post(session, booking.user, kind, params, now)


def post_for_record(session: Session, record: ExternalRecord, now: datetime) -> None:
    """A manager confirmed or rejected the person's proof (the reason stays with it)."""
    kind = PROOF_CONFIRMED if record.status == RecordStatus.CONFIRMED.value else PROOF_REJECTED
    post(session, record.user, kind, {"record_id": record.id, "title": record.title}, now)


# The notice of each kind of reminder `lms reminders` sends (lms/services/reminders.py),
# and the name under which it keeps the item's day.
_REMINDER_NOTICES = {
    DUE_SOON: (DUE_SOON, "due_on"),
    OVERDUE: (OVERDUE, "due_on"),
    EXPIRING: (EXPIRING, "valid_until"),
    EXPIRED: (EXPIRED, "valid_until"),
    REFRESHER: (REFRESHER, "since"),
}


def post_reminders(session: Session, user_id: int, items: Iterable[Any], now: datetime) -> None:
    """Reminders `lms reminders` sent a person (`reminders.Item`s), as notices: the
    due-soon ones of everyone, every kind of a person without an e-mail address."""
    found = [item for item in items if item.kind in _REMINDER_NOTICES and item.course_id]
    if not found:
        return
    slugs = {
        course_id: slug
        for course_id, slug in session.execute(
            select(Course.id, Course.slug).where(Course.id.in_({i.course_id for i in found}))
        )
    }
    user = session.get_one(User, user_id)
    entries = []
    for item in found:
        if item.course_id in slugs:
            kind, day = _REMINDER_NOTICES[item.kind]
            params = {"course_id": item.course_id, "slug": slugs[item.course_id]}
            entries.append((user, kind, {**params, day: item.on.isoformat()}))
    post_many(session, entries, now)
