"""Erasing a person (GDPR Art. 17) while keeping the evidence the company must keep.

What a company must be able to prove by law – that someone completed a mandatory
instruction, attended its in-person part, had the task signed off – stays, but as
a pseudonymised record: the account row remains (so completions, bookings and
sign-offs keep their counts) with every personal field replaced, and the person's
name and e-mail address are replaced wherever else they were copied (audit log,
access log, notes). What only served the person is deleted: logins, links sent by
e-mail and the mails in the outbox, the calendar feed, the links to the company's
sign-in provider and learning platforms (LTI) with the scores on their way back,
feedback comments, quiz answers as typed, the scans of certificates of training done
elsewhere, and what a bought package (SCORM, cmi5) kept for the person: its runtime
data, suspend data and bookmark, the responses to its interactions, its xAPI state
documents and the responses in the statements it sent. As with a knowledge check, the
package's grades stay (completed, passed, score, time, attempts), and so do the
interactions' results (correct or not).

A dump of every table afterwards contains neither the name nor the e-mail address
(proved by a test that dumps every text column of every table).
"""

from __future__ import annotations

import json
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String, Text, cast, delete, func, or_, select, update
from sqlalchemy.orm import Session

from lms.audit import service as audit
from lms.audit.service import Actor
from lms.models import (
    AccountToken,
    AttemptAnswer,
    Base,
    CalendarFeed,
    EssayGrade,
    ExternalRecord,
    Handin,
    LearningRecord,
    LoginCard,
    LoginEvent,
    LtiGradeLink,
    LtiHandoff,
    LtiIdentity,
    ManagerDepartment,
    Notice,
    OutboxMessage,
    PackageAttempt,
    PackageInteraction,
    PathEnrollment,
    QuizAttempt,
    RecordStatus,
    Refresher,
    RefresherAnswer,
    SignInFailure,
    SsoIdentity,
    UnitFeedback,
    User,
    UserRole,
    XapiState,
)
from lms.reports.compliance import cells_changed
from lms.services import item_stats
from lms.services.accounts import end_all_sessions


@dataclass(frozen=True)
class Erased:
    user_id: int
    pseudonym: str


def pseudonym_for(user: User) -> str:
    return f"Gelöschte Person {user.id}"


def erase_person(session: Session, user: User, now: datetime) -> Erased:
    """Remove the person's personal data; keep their evidence under a pseudonym."""
    words = [w for w in {user.display_name.strip(), user.email} if w and len(w) >= 3]
    pseudonym = pseudonym_for(user)
    user_id = user.id
    # What only served the person, and the mails to them (sent, waiting or given up):
    # each holds their address.
    for model in (
        LoginEvent,
        SignInFailure,
        AccountToken,
        CalendarFeed,
        PathEnrollment,
        OutboxMessage,
        Notice,
        # Their login cards stop working and go, with the log of their uses.
        LoginCard,
        # A photo or file handed in may show the person; an accepted one's unit stays
        # completed (unit_progress), which is the evidence.
        Handin,
        # A cmi5 package's own data about the person (bookmarks, answers so far).
        XapiState,
        # Their links to the company's provider and learning platforms: the subject
        # (`sub`) each knows them by is personal data, and a sign-in or launch with it
        # must not find the erased account. A platform's grade links (with the line
        # items, the subject again) and a ticket for a new window go with them; the
        # scores on their way went with the outbox rows above.
        SsoIdentity,
        LtiIdentity,
        LtiGradeLink,
        LtiHandoff,
    ):
        session.execute(delete(model).where(model.user_id == user_id))
    if user.email:  # a learner without an address was never sent any
        session.execute(delete(OutboxMessage).where(OutboxMessage.recipient == user.email))
    session.execute(delete(ManagerDepartment).where(ManagerDepartment.user_id == user_id))
    session.execute(delete(UserRole).where(UserRole.user_id == user_id))
    session.execute(update(UnitFeedback).where(UnitFeedback.user_id == user_id).values(comment=""))
    # Answers as typed may hold anything; grades and pass/fail stay as evidence.
    session.execute(
        update(QuizAttempt)
        .where(QuizAttempt.user_id == user_id)
        .values(responses={}, kept_pages=None)
    )
    # The item statistics count the answers on, as answers of no response.
    item_stats.erase_responses_of(session, user_id)
    own_attempts = select(QuizAttempt.id).where(QuizAttempt.user_id == user_id)
    session.execute(
        update(AttemptAnswer)
        .where(AttemptAnswer.attempt_id.in_(own_attempts))
        .values(response=JSON.NULL)
    )
    # A trainer's feedback on an essay speaks of what the person wrote; the points stay.
    session.execute(
        update(EssayGrade).where(EssayGrade.attempt_id.in_(own_attempts)).values(feedback="")
    )
    own_refreshers = select(Refresher.id).where(Refresher.user_id == user_id)
    session.execute(
        update(RefresherAnswer)
        .where(RefresherAnswer.refresher_id.in_(own_refreshers))
        .values(response=JSON.NULL)
    )
    _erase_package_data(session, user_id)
    # A training done elsewhere stays as evidence; the scan of its certificate, which
    # shows the person's name, goes; a proof still waiting for a decision goes whole.
    session.execute(
        delete(ExternalRecord).where(
            ExternalRecord.user_id == user_id,
            ExternalRecord.status == RecordStatus.PENDING.value,
        )
    )
    session.execute(
        update(ExternalRecord)
        .where(ExternalRecord.user_id == user_id)
        .values(file_data=None, file_name=None, file_type=None, file_size=None)
    )
    session.expire_all()
    person = session.get(User, user_id)
    assert person is not None
    if person.email is not None:  # a placeholder, for code that expects one
        person.email = f"geloescht-{user_id}-{secrets.token_hex(4)}@invalid.example"
    person.display_name = pseudonym
    person.personnel_number = None
    person.external_id = None  # their id in the company's identity system (SCIM)
    person.password_hash = None
    person.pin_hash = None
    person.pin_set_at = None
    person.pin_locked_at = None
    person.language = None
    person.last_login_at = None
    person.must_change_password = False
    person.is_active = False
    person.erased_at = now
    person.managed_departments = []
    end_all_sessions(person)
    cells_changed(session, person.company_id)
    session.flush()
    _replace_everywhere(session, words, pseudonym)
    return Erased(user_id, pseudonym)


def _erase_package_data(session: Session, user_id: int) -> None:
    """What a package kept for the person goes: the runtime data as last committed (it
    holds their name), the suspend data and bookmark, their responses to its
    interactions and in its statements. Completion, success, score, time and each
    interaction's result stay, as a knowledge check's grades do; the trainer's
    figures count the responses on without their text."""
    session.execute(
        update(PackageAttempt)
        .where(PackageAttempt.user_id == user_id)
        .values(cmi={}, suspend_data="", location="")
    )
    session.execute(
        update(PackageInteraction)
        .where(
            PackageInteraction.attempt_id.in_(
                select(PackageAttempt.id).where(PackageAttempt.user_id == user_id)
            )
        )
        .values(response="")
    )
    # A cmi5 package's statements as it sent them: its responses may hold anything typed.
    for record in session.scalars(
        select(LearningRecord).where(
            LearningRecord.user_id == user_id, LearningRecord.statement.is_not(None)
        )
    ):
        statement = record.statement or {}
        result = statement.get("result")
        if isinstance(result, dict) and "response" in result:
            record.statement = {
                **statement,
                "result": {k: v for k, v in result.items() if k != "response"},
            }
    session.flush()


def erase_on_request(session: Session, actor: Actor, user: User, now: datetime) -> Erased:
    """`erase_person` asked for by someone (an admin), with its audit entry, which names
    only the pseudonym: the log must not keep what was erased."""
    company_id = user.company_id
    erased = erase_person(session, user, now)
    audit.record(session, actor, "person.erase", company_id, now, subject=erased.pseudonym,
                 subject_id=erased.user_id)  # fmt: skip
    return erased


# Tables that hold no copy of a person's data (course content, company structure) or
# are handled above (the person's own row): never rewritten by an erasure.
_NOT_SCRUBBED = {
    "users",
    "courses",
    "course_versions",
    "course_companies",
    "version_assets",
    "version_files",
    "package_files",
    "asset_blobs",
    "course_drafts",
    "draft_files",
    "learning_paths",
    "companies",
    "departments",
    "alembic_version",
}


def _replace_everywhere(session: Session, words: list[str], pseudonym: str) -> None:
    """Replace each word (name, e-mail) in every text and JSON column of the tables
    that may hold a copy (audit and access logs, notes, comments, records)."""
    if not words:
        return
    for table in Base.metadata.sorted_tables:
        if table.name in _NOT_SCRUBBED:
            continue
        key = list(table.primary_key.columns)
        for column in table.columns:
            if column.primary_key:
                continue
            if isinstance(column.type, String | Text):
                for word in words:
                    session.execute(
                        update(table)
                        .where(column.contains(word, autoescape=True))
                        .values({column.name: func.replace(column, word, pseudonym)})
                    )
            elif isinstance(column.type, JSON) and key:
                _replace_in_json(session, table, key, column, words, pseudonym)
    session.flush()


def _replace_in_json(
    session: Session, table: Any, key: list[Any], column: Any, words: list[str], pseudonym: str
) -> None:
    # Stored JSON may escape non-ASCII letters ("J\u00f6rg"): look for both spellings.
    spellings = {form for word in words for form in (word, json.dumps(word)[1:-1])}
    as_text = cast(column, Text)
    found = session.execute(
        select(*key, column).where(or_(*(as_text.contains(s, autoescape=True) for s in spellings)))
    ).all()
    for row in found:
        text = json.dumps(row[-1], ensure_ascii=False)
        for word in words:
            text = text.replace(json.dumps(word, ensure_ascii=False)[1:-1], pseudonym)
        where = [k == row[i] for i, k in enumerate(key)]
        session.execute(update(table).where(*where).values({column.name: json.loads(text)}))
