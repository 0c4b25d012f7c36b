"""Reminders: e-mail learners about due, overdue and expiring assignments, managers a digest.

`lms reminders` runs this from cron, say twice a day. Each reminder is queued in
the outbox (sent by `lms mail send`, which retries) and recorded in `ReminderSent`
in the same transaction, under a key that says what it was about, so a later run
sends it not again:

- due-soon: not yet done and due within the company's `remind_due_soon_days` (7 unless
  changed); once per due date (a new due date reminds anew); also a notice in the app;
- overdue: once per ISO week while it stays overdue;
- expiring, expired: once per end of validity of the certificate;
- refresher: once per spaced refresher of a completed module, from its day on while
  it is open (services/refreshers.py), in the learner's mail with the others;
- webhooks (lms/webhooks): "assignment.overdue" once per assignment and due date,
  "certificate.expiring" once per certificate's end of validity (a certificate of
  Lernwerk's; training recorded elsewhere is no event), for the companies with an
  endpoint that subscribes, whatever their reminder settings; recorded in
  `ReminderSent` (kinds "hook-overdue", "hook-expiring") like the reminders;
- digest: each manager once per ISO week, with the counts per state in their
  scope and the people with overdue or expired assignments (status only,
  whatever the company's privacy level), and how many people without an e-mail
  address have something to do this week (the printable list, lms/notices/to_do.py).

A person without an e-mail address (issue 19: the shop floor) gets no mail: each of
their reminders becomes a notice in the app instead (the header's count, the notices
page), recorded in `ReminderSent` the same way, so it comes exactly as often as the
mail would.

Which of them go out is set per company in the browser (`companies.remind_*`, see
lms/notices/reminders.py); the defaults are all of them.

Every date is a day in the platform's time zone (`lms.clock.today(now)`), so
weeks and due dates turn over at midnight in Germany, not in UTC.

The work per company is a fixed number of queries, however many people it has:
the cells, the reminders already sent, the managers and the course titles.
"""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from flask import render_template
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, selectinload

from lms.clock import today
from lms.mail import Mail, queue_mail
from lms.models import Company, Completion, Course, ReminderSent, Role, User, UserRole
from lms.notices import service as notices
from lms.notices import to_do
from lms.permissions import managed_department_ids
from lms.reports.compliance import (
    PROBLEM_STATES,
    STATE_ORDER,
    CellState,
    Scope,
    cells,
    course_titles,
)
from lms.services import refreshers
from lms.webhooks import events as webhook_events
from lms.webhooks import service as webhooks

log = logging.getLogger("lms.reminders")

DUE_SOON_DAYS = 7  # the default of a company's `remind_due_soon_days`
DIGEST_LINES = 30

DUE_SOON = "due-soon"
OVERDUE = "overdue"
EXPIRING = "expiring"
EXPIRED = "expired"
REFRESHER = "refresher"
DIGEST = "digest"
# The order of a learner's items: what needs action first.
ITEM_KINDS = (OVERDUE, EXPIRED, EXPIRING, DUE_SOON, REFRESHER)
KINDS = (*ITEM_KINDS, DIGEST)
# The webhook events a run writes, recorded as these kinds.
HOOK_OVERDUE = "hook-overdue"
HOOK_EXPIRING = "hook-expiring"

_NOT_DONE = (CellState.NOT_STARTED, CellState.IN_PROGRESS)


@dataclass(frozen=True)
class Links:
    """The external addresses the mails point to."""

    learn: str  # the learner's start page, /learn/
    team: str  # the manager's "My team", /team/
    to_do: str = ""  # the manager's printable list of this week, /team/to-do-this-week/


@dataclass(frozen=True)
class Recipient:
    user_id: int
    email: str | None  # None: a learner without an address, reminded by notices only
    name: str
    language: str


@dataclass(frozen=True)
class Item:
    """What a learner is reminded of: an assignment (`on` is its due date or end of
    validity) or a refresher (`on` is its day; no assignment)."""

    kind: str
    assignment_id: int | None
    course: str
    on: date
    key: str
    course_id: int | None = None  # what a notice of it keeps (lms/notices/service.py)


@dataclass(frozen=True)
class Problem:
    """A line of the digest: a person with an overdue or expired assignment."""

    name: str
    course: str
    state: CellState
    on: date


@dataclass(frozen=True)
class Digest:
    week: str
    counts: dict[CellState, int]
    problems: tuple[Problem, ...]  # all of them; the mail shows the first DIGEST_LINES
    departments: tuple[str, ...]  # the manager's departments; empty: the whole company
    # People without an e-mail address with something to do this week (to_do.due_this_week).
    without_email: int = 0


@dataclass(frozen=True)
class Reminder:
    """One mail to write: a learner's items, or a manager's digest."""

    recipient: Recipient
    items: tuple[Item, ...] = ()
    digest: Digest | None = None
    company_id: int | None = None

    @property
    def records(self) -> list[tuple[str, str]]:
        """The (kind, key) pairs to record once the mail went out."""
        if self.digest is not None:
            return [(DIGEST, self.digest.week)]
        return [(item.kind, item.key) for item in self.items]


@dataclass(frozen=True)
class HookEvent:
    """A webhook event the run writes for a company's endpoints: `kind` and `key` are
    what `ReminderSent` records, so it is written once."""

    company_id: int
    user_id: int
    kind: str
    key: str
    event: str
    data: dict[str, Any]


@dataclass
class Summary:
    """What a run queued (or, in a dry run, would queue)."""

    sent: Counter[str] = field(default_factory=Counter)  # per kind: items, and digests
    # Webhook events written (or, in a dry run, to write), per event type.
    events: Counter[str] = field(default_factory=Counter)
    mails: list[Mail] = field(default_factory=list)
    # People without an e-mail address: per kind the items posted as notices instead,
    # and whom.
    noticed: Counter[str] = field(default_factory=Counter)
    notified: list[int] = field(default_factory=list)


def iso_week(day: date) -> str:
    """The ISO week of `day`, e.g. "2026-W53" (28 Dec 2026 to 3 Jan 2027)."""
    year, week, _weekday = day.isocalendar()
    return f"{year}-W{week:02d}"


def mail_language(user_language: str | None, company_language: str | None) -> str:
    """The person's language, else their company's, else German."""
    return user_language or company_language or "de"


def plan_reminders(session: Session, now: datetime) -> list[Reminder]:
    """Every mail due at `now` that has not gone out before, learners first, then managers."""
    return _plan(session, now)[0]


def _plan(session: Session, now: datetime) -> tuple[list[Reminder], list[HookEvent]]:
    """`plan_reminders`, and the webhook events due at `now`."""
    local_today = today(now)
    companies = session.scalars(
        select(Company).where(Company.is_active.is_(True)).order_by(Company.id)
    ).all()
    learner_mails: list[Reminder] = []
    digests: list[Reminder] = []
    hooks: list[HookEvent] = []
    for company in companies:
        planned, company_hooks = _plan_company(session, company, now, local_today)
        found = [replace(reminder, company_id=company.id) for reminder in planned]
        learner_mails += [r for r in found if r.digest is None]
        digests += [r for r in found if r.digest is not None]
        hooks += company_hooks
    return learner_mails + digests, hooks


@dataclass(frozen=True)
class _Row:
    user_id: int
    email: str | None
    name: str
    language: str
    department_id: int | None
    assignment_id: int
    course_id: int
    state: CellState
    due_on: date
    valid_until: date | None  # a day in the platform's time zone


def _plan_company(
    session: Session, company: Company, now: datetime, local_today: date
) -> tuple[list[Reminder], list[HookEvent]]:
    scope = Scope(company.id, now, local_today, company.recertification_lead_days)
    cell_rows = cells(scope)
    result = session.execute(
        select(cell_rows, User.email, User.display_name, User.language, User.department_id)
        .join(User, User.id == cell_rows.c.user_id)
        .order_by(cell_rows.c.due_on, cell_rows.c.assignment_id)
    )
    rows = [
        _Row(
            user_id=values.user_id,
            email=values.email or None,
            name=values.display_name,
            language=mail_language(values.language, company.default_language),
            department_id=values.department_id,
            assignment_id=values.assignment_id,
            course_id=values.course_id,
            state=CellState(values.state),
            due_on=values.due_on,
            valid_until=today(values.valid_until) if values.valid_until is not None else None,
        )
        for values in result
    ]
    due_refreshers = refreshers.open_refreshers(session, company.id, local_today)
    if not rows and not due_refreshers:
        return [], []
    week = iso_week(local_today)
    sent = _already_sent(session, company.id, week)
    titles = _Titles(
        session, {row.course_id for row in rows} | {due.course_id for due in due_refreshers}
    )
    extra = _refresher_items(session, company, due_refreshers, sent, titles)
    reminders = _learner_reminders(rows, sent, titles, local_today, week, company, extra)
    for manager in _managers(session, company.id) if company.remind_digest else ():
        digest = _digest(manager, company, rows, sent, titles, week, local_today)
        if digest is not None:
            reminders.append(digest)
    return reminders, _hook_events(session, company, rows, sent)


def _already_sent(session: Session, company_id: int, week: str) -> set[tuple[int, str, str]]:
    """(user, kind, key) of the reminders sent to the company's people that can matter now.

    Weekly reminders of earlier weeks cannot, so they are left in the database.
    """
    rows = session.execute(
        select(ReminderSent.user_id, ReminderSent.kind, ReminderSent.key)
        .join(User, User.id == ReminderSent.user_id)
        .where(
            User.company_id == company_id,
            or_(
                ReminderSent.kind.in_(
                    [DUE_SOON, EXPIRING, EXPIRED, REFRESHER, HOOK_OVERDUE, HOOK_EXPIRING]
                ),
                ReminderSent.key.endswith(f":{week}"),
                ReminderSent.key == week,
            ),
        )
    )
    return {(user_id, kind, key) for user_id, kind, key in rows}


class _Titles:
    """Course titles per language, one query per language asked for."""

    def __init__(self, session: Session, course_ids: Iterable[int]) -> None:
        self._session = session
        self._ids = sorted(course_ids)
        self._by_language: dict[str, dict[int, str]] = {}

    def get(self, course_id: int, language: str) -> str:
        if language not in self._by_language:
            self._by_language[language] = course_titles(self._session, self._ids, language)
        return self._by_language[language].get(course_id, "?")


def _item(
    row: _Row, local_today: date, week: str, company: Company
) -> tuple[str, str, date] | None:
    """(kind, key, date) of the reminder this cell asks for now, if any: of the kinds
    the company sends, due-soon its `remind_due_soon_days` ahead (its reminder settings)."""
    if row.state in _NOT_DONE:
        ahead = timedelta(days=company.remind_due_soon_days)
        if company.remind_due_soon and local_today <= row.due_on <= local_today + ahead:
            return DUE_SOON, f"{row.assignment_id}:{row.due_on.isoformat()}", row.due_on
        return None
    if row.state is CellState.OVERDUE and company.remind_overdue:
        return OVERDUE, f"{row.assignment_id}:{week}", row.due_on
    if (
        row.state in (CellState.EXPIRING, CellState.EXPIRED)
        and row.valid_until is not None
        and company.remind_expiry
    ):
        kind = EXPIRING if row.state is CellState.EXPIRING else EXPIRED
        return kind, f"{row.assignment_id}:{row.valid_until.isoformat()}", row.valid_until
    return None


def _hook_events(
    session: Session, company: Company, rows: list[_Row], sent: set[tuple[int, str, str]]
) -> list[HookEvent]:
    """The webhook events of these cells not written before, if the company has an
    endpoint that wants them (one query when none does)."""
    if not rows:
        return []
    wanted = webhooks.subscribed_events(session, company.id)
    due: list[tuple[_Row, str, str]] = []
    for row in rows:
        if row.state is CellState.OVERDUE and webhook_events.ASSIGNMENT_OVERDUE in wanted:
            due.append((row, HOOK_OVERDUE, f"{row.assignment_id}:{row.due_on.isoformat()}"))
        elif (
            row.state is CellState.EXPIRING
            and row.valid_until is not None
            and webhook_events.CERTIFICATE_EXPIRING in wanted
        ):
            due.append((row, HOOK_EXPIRING, f"{row.assignment_id}:{row.valid_until.isoformat()}"))
    due = [(row, kind, key) for row, kind, key in due if (row.user_id, kind, key) not in sent]
    if not due:
        return []
    user_ids = {row.user_id for row, _kind, _key in due}
    course_ids = {row.course_id for row, _kind, _key in due}
    people = {
        user.id: user
        for user in session.scalars(
            select(User).where(User.id.in_(user_ids)).options(selectinload(User.department))
        )
    }
    courses = {c.id: c for c in session.scalars(select(Course).where(Course.id.in_(course_ids)))}
    titles = webhook_events.live_titles(session, course_ids)
    certificates = _latest_certificates(
        session, company.id, {row.user_id for row, kind, _key in due if kind == HOOK_EXPIRING}
    )
    found = []
    for row, kind, key in due:
        user, course = people[row.user_id], courses[row.course_id]
        title = titles.get(course.id, course.slug)
        if kind == HOOK_OVERDUE:
            event = webhook_events.ASSIGNMENT_OVERDUE
            data = webhook_events.overdue(user, course, title, row.assignment_id, row.due_on)
        else:
            done = certificates.get((row.user_id, row.course_id))
            if (
                done is None
                or done.valid_until is None
                or today(done.valid_until) != row.valid_until
            ):
                continue  # the validity comes from training recorded elsewhere
            event = webhook_events.CERTIFICATE_EXPIRING
            data = webhook_events.expiring(user, course, title, row.assignment_id, done)
        found.append(HookEvent(company.id, row.user_id, kind, key, event, data))
    return found


def _latest_certificates(
    session: Session, company_id: int, user_ids: set[int]
) -> dict[tuple[int, int], Completion]:
    """Per (person, module) the certificate valid longest (none revoked)."""
    if not user_ids:
        return {}
    latest: dict[tuple[int, int], Completion] = {}
    for done in session.scalars(
        select(Completion).where(
            Completion.company_id == company_id,
            Completion.user_id.in_(user_ids),
            Completion.revoked_at.is_(None),
            Completion.valid_until.is_not(None),
        )
    ):
        pair = (done.user_id, done.course_id)
        kept = latest.get(pair)
        assert done.valid_until is not None
        if kept is None or kept.valid_until is None or kept.valid_until < done.valid_until:
            latest[pair] = done
    return latest


def _refresher_items(
    session: Session,
    company: Company,
    due: list[refreshers.DueRefresher],
    sent: set[tuple[int, str, str]],
    titles: _Titles,
) -> list[tuple[Recipient, Item]]:
    """The open refreshers not mailed yet, for people who are still active."""
    waiting = [d for d in due if (d.user_id, REFRESHER, d.key) not in sent]
    if not waiting:
        return []
    people = {
        user.id: Recipient(
            user.id,
            user.email or None,
            user.display_name,
            mail_language(user.language, company.default_language),
        )
        for user in session.scalars(
            select(User).where(User.id.in_({d.user_id for d in waiting}), User.is_active.is_(True))
        )
    }
    return [
        (
            people[d.user_id],
            Item(
                REFRESHER,
                None,
                titles.get(d.course_id, people[d.user_id].language),
                d.due_on,
                d.key,
                d.course_id,
            ),
        )
        for d in waiting
        if d.user_id in people
    ]


def _learner_reminders(
    rows: list[_Row],
    sent: set[tuple[int, str, str]],
    titles: _Titles,
    local_today: date,
    week: str,
    company: Company,
    extra: Iterable[tuple[Recipient, Item]] = (),
) -> list[Reminder]:
    items: dict[int, list[Item]] = defaultdict(list)
    recipients: dict[int, Recipient] = {}
    for recipient, item in extra:
        recipients[recipient.user_id] = recipient
        items[recipient.user_id].append(item)
    for row in rows:
        found = _item(row, local_today, week, company)
        if found is None:
            continue
        kind, key, on = found
        if (row.user_id, kind, key) in sent:
            continue
        recipients[row.user_id] = Recipient(row.user_id, row.email, row.name, row.language)
        items[row.user_id].append(
            Item(
                kind,
                row.assignment_id,
                titles.get(row.course_id, row.language),
                on,
                key,
                row.course_id,
            )
        )
    return [
        Reminder(
            recipients[user_id],
            items=tuple(
                sorted(
                    found,
                    key=lambda i: (ITEM_KINDS.index(i.kind), i.on, i.course.casefold()),
                )
            ),
        )
        for user_id, found in items.items()
    ]


def _managers(session: Session, company_id: int) -> list[User]:
    return list(
        session.scalars(
            select(User)
            .where(
                User.company_id == company_id,
                User.is_active.is_(True),
                User.role_rows.any(UserRole.role == Role.MANAGER.value),
            )
            .options(selectinload(User.managed_departments))
            .order_by(User.id)
        )
    )


def _digest(
    manager: User,
    company: Company,
    rows: list[_Row],
    sent: set[tuple[int, str, str]],
    titles: _Titles,
    week: str,
    local_today: date,
) -> Reminder | None:
    if (manager.id, DIGEST, week) in sent or not manager.email:
        return None
    limited = managed_department_ids(manager)
    mine = [r for r in rows if limited is None or r.department_id in limited]
    if not mine:
        return None
    language = mail_language(manager.language, company.default_language)
    counts = dict.fromkeys(STATE_ORDER, 0)
    problems = []
    for row in mine:
        counts[row.state] += 1
        if row.state in PROBLEM_STATES:
            on = row.due_on if row.state is CellState.OVERDUE else row.valid_until
            assert on is not None  # an expired cell has an end of validity
            problems.append(Problem(row.name, titles.get(row.course_id, language), row.state, on))
    problems.sort(key=lambda p: (p.name.casefold(), p.course.casefold(), p.on))
    departments = tuple(d.name for d in manager.managed_departments) if limited else ()
    without_email = len(
        {
            r.user_id
            for r in mine
            if r.email is None and to_do.due_this_week(r.state, r.due_on, local_today)
        }
    )
    recipient = Recipient(manager.id, manager.email, manager.display_name, language)
    digest = Digest(week, counts, tuple(problems), departments, without_email)
    return Reminder(recipient, digest=digest)


def write_mail(reminder: Reminder, links: Links) -> Mail:
    """The mail for `reminder`, in the recipient's language (needs an app context);
    the recipient has an address."""
    to = reminder.recipient.email
    assert to is not None, "a person without an address is reminded by notices"
    with force_locale(reminder.recipient.language):
        if reminder.digest is not None:
            digest = reminder.digest
            return Mail(
                to,
                _("Lernwerk: your team's modules this week"),
                render_template(
                    "mail/digest.txt",
                    recipient=reminder.recipient,
                    digest=digest,
                    shown=digest.problems[:DIGEST_LINES],
                    more=max(0, len(digest.problems) - DIGEST_LINES),
                    link=links.team,
                    to_do_link=links.to_do,
                ),
            )
        return Mail(
            to,
            _("Lernwerk: a reminder about your modules"),
            render_template(
                "mail/reminder.txt",
                recipient=reminder.recipient,
                items=reminder.items,
                link=links.learn,
            ),
        )


def send_reminders(
    session: Session,
    now: datetime,
    links: Links,
    *,
    dry_run: bool = False,
    after_each: Callable[[], None] | None = None,
) -> Summary:
    """Queue every reminder due at `now` in the outbox and record it, together; a
    person without an e-mail address gets each of theirs as a notice instead.

    The mail and its record are one change: a run that stops half-way leaves no
    mail without its record and no record without its mail; the outbox's sender
    retries a mail the server does not take. `after_each` is called once the plan
    is made and after each mail is queued: the command commits there, so a long
    run holds no write lock for long. With `dry_run`, the mails are written into
    the summary only: nothing is queued or recorded.
    """
    summary = Summary()
    planned, hooks = _plan(session, now)
    if after_each is not None and not dry_run:
        after_each()
    for hook in hooks:
        if not dry_run:
            if not _record_hook(session, hook, now):
                continue  # written by another run meanwhile
            webhooks.emit(
                session, hook.company_id, hook.event, hook.data, now, user_id=hook.user_id
            )
            if after_each is not None:
                after_each()
        summary.events[hook.event] += 1
    for reminder in planned:
        user_id = reminder.recipient.user_id
        mail = write_mail(reminder, links) if reminder.recipient.email else None
        if not dry_run:
            if not _record(session, reminder, now):
                log.warning("Reminder to user %s was also sent by another run.", user_id)
                continue
            if mail is not None:
                queue_mail(
                    session,
                    mail.to,
                    mail.subject,
                    mail.body,
                    now=now,
                    user_id=user_id,
                    company_id=reminder.company_id,
                )
            # Without an address every reminder is a notice; with one, the mail says it
            # all and only what falls due soon is a notice too.
            shown = [i for i in reminder.items if mail is None or i.kind == DUE_SOON]
            notices.post_reminders(session, user_id, shown, now)
            if after_each is not None:
                after_each()
        if mail is None:
            summary.noticed.update(kind for kind, _key in reminder.records)
            summary.notified.append(user_id)
        else:
            summary.mails.append(mail)
            summary.sent.update(kind for kind, _key in reminder.records)
    return summary


def _record_hook(session: Session, hook: HookEvent, now: datetime) -> bool:
    """Record that `hook` was written; False if another run recorded it meanwhile."""
    try:
        with session.begin_nested():
            session.add(
                ReminderSent(user_id=hook.user_id, kind=hook.kind, key=hook.key, sent_at=now)
            )
    except IntegrityError:
        return False
    return True


def _record(session: Session, reminder: Reminder, now: datetime) -> bool:
    """Record that `reminder` went out; False if another run recorded it meanwhile."""
    try:
        with session.begin_nested():
            session.add_all(
                ReminderSent(user_id=reminder.recipient.user_id, kind=kind, key=key, sent_at=now)
                for kind, key in reminder.records
            )
    except IntegrityError:
        return False
    return True
