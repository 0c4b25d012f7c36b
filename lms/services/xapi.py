"""xAPI learning records: recorded as events happen, turned into statements on the way out.

Events are stored as `LearningRecord` rows (pseudonymous: the learner is an
account id on this platform, never an e-mail). `statement` builds the xAPI 1.0.3
statement; `push` sends unsent ones to a Learning Record Store in batches and
marks each batch sent only after the LRS accepted it, so a failed run resumes
where it stopped and nothing is sent twice.
"""

from __future__ import annotations

import base64
import json
import uuid
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from typing import Any, cast
from urllib.error import HTTPError, URLError
from urllib.request import Request, urlopen

from sqlalchemy import Table, func, insert, select, update
from sqlalchemy.orm import Session

from lms.models import Enrollment, LearningRecord

VERBS = {
    "experienced": "http://adlnet.gov/expapi/verbs/experienced",
    "answered": "http://adlnet.gov/expapi/verbs/answered",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
}


def record(
    session: Session,
    enrollment: Enrollment,
    verb: str,
    now: datetime,
    *,
    unit: str | None = None,
    question: str | None = None,
    result: dict[str, Any] | None = None,
    version: int | None = None,
) -> LearningRecord:
    """Keep one learning event of the enrolment's learner."""
    row = LearningRecord(
        id=str(uuid.uuid4()),
        company_id=enrollment.company_id,
        user_id=enrollment.user_id,
        verb=verb,
        course=enrollment.course.slug,
        version=version if version is not None else enrollment.version.number,
        unit=unit,
        question=question,
        result=result,
        created_at=now,
    )
    session.add(row)
    return row


# The table, not the entity: an ORM bulk insert would split the rows into one
# statement per combination of None values.
_RECORDS = cast(Table, LearningRecord.__table__)


@dataclass(frozen=True)
class Event:
    """One learning event for `record_all`."""

    verb: str
    unit: str | None = None
    question: str | None = None
    result: dict[str, Any] | None = None


def record_all(
    session: Session,
    enrollment: Enrollment,
    now: datetime,
    events: Sequence[Event],
    *,
    version: int | None = None,
) -> None:
    """Keep several learning events of the enrolment's learner, with one INSERT.

    As `record` each, but without an ORM object per event: handing in a quiz
    records one per question.
    """
    course = enrollment.course.slug
    number = version if version is not None else enrollment.version.number
    session.execute(
        insert(_RECORDS),
        [
            {
                "id": str(uuid.uuid4()),
                "company_id": enrollment.company_id,
                "user_id": enrollment.user_id,
                "verb": event.verb,
                "course": course,
                "version": number,
                "unit": event.unit,
                "question": event.question,
                "result": event.result,
                "created_at": now,
            }
            for event in events
        ],
    )


def score_result(
    score: Decimal, maximum: Decimal, *, success: bool | None = None
) -> dict[str, Any]:
    result: dict[str, Any] = {
        "score": {"raw": float(score), "min": 0.0, "max": float(maximum)},
    }
    if maximum:
        result["score"]["scaled"] = round(float(score / maximum), 4)
    if success is not None:
        result["success"] = success
    return result


def statement(row: LearningRecord, base_url: str) -> dict[str, Any]:
    """The xAPI 1.0.3 statement of one record."""
    base = base_url.rstrip("/")
    if row.statement is not None:
        return _package_statement(row, base)
    object_id = f"{base}/xapi/courses/{row.course}"
    name = row.course
    if row.unit:
        object_id += f"/units/{row.unit}"
        name = row.unit
    if row.question:
        object_id += f"/questions/{row.question}"
        name = row.question
    activity_type = (
        "http://adlnet.gov/expapi/activities/cmi.interaction"
        if row.question
        else "http://adlnet.gov/expapi/activities/assessment"
        if row.verb in ("passed", "failed")
        else "http://adlnet.gov/expapi/activities/course"
        if row.unit is None
        else "http://adlnet.gov/expapi/activities/lesson"
    )
    data: dict[str, Any] = {
        "id": row.id,
        "actor": {
            "objectType": "Agent",
            "account": {"homePage": base, "name": str(row.user_id)},
        },
        "verb": {"id": VERBS[row.verb], "display": {"en-US": row.verb}},
        "object": {
            "objectType": "Activity",
            "id": object_id,
            "definition": {"type": activity_type, "name": {"und": name}},
        },
        "context": {
            "platform": "Lernwerk",
            "extensions": {f"{base}/xapi/extensions/course-version": row.version},
        },
        "timestamp": row.created_at.isoformat(),
    }
    if row.result:
        data["result"] = row.result
    return data


def _package_statement(row: LearningRecord, base: str) -> dict[str, Any]:
    """A cmi5 statement (an AU's, checked at the statement endpoint, or one the LMS made
    for the AU) as it came. `stored` and `authority` are the receiving LRS's to set; the
    actor was checked on arrival to be the learner's account and is kept, unless it
    names anyone else (never forwarded under another learner's records)."""
    kept = row.statement or {}
    data = {key: value for key, value in kept.items() if key not in ("stored", "authority")}
    account = (data.get("actor") or {}).get("account") or {}
    if str(account.get("name")) != str(row.user_id):
        data["actor"] = {
            "objectType": "Agent",
            "account": {"homePage": base, "name": str(row.user_id)},
        }
    data["id"] = row.id
    return data


def all_statements(
    session: Session, base_url: str, unsent_only: bool = False
) -> Iterator[dict[str, Any]]:
    stmt = select(LearningRecord).order_by(LearningRecord.created_at, LearningRecord.id)
    if unsent_only:
        stmt = stmt.where(LearningRecord.sent_at.is_(None))
    for row in session.scalars(stmt.execution_options(yield_per=500)):
        yield statement(row, base_url)


@dataclass(frozen=True)
class PushResult:
    sent: int
    remaining: int
    error: str | None


Sender = Callable[[str, list[dict[str, Any]], str, str], None]


def http_sender(endpoint: str, batch: list[dict[str, Any]], user: str, password: str) -> None:
    """POST a batch to `<endpoint>/statements`; raises on anything but success."""
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    request = Request(  # noqa: S310  (the operator's configured LRS address)
        endpoint.rstrip("/") + "/statements",
        data=json.dumps(batch).encode("utf-8"),
        method="POST",
        headers={
            "Content-Type": "application/json",
            "X-Experience-API-Version": "1.0.3",
            "Authorization": f"Basic {token}",
        },
    )
    with urlopen(request, timeout=30) as response:  # noqa: S310
        if response.status not in (200, 204):
            raise HTTPError(
                request.full_url, response.status, "unexpected status", response.headers, None
            )


def push(
    session: Session,
    base_url: str,
    endpoint: str,
    user: str,
    password: str,
    now: datetime,
    batch_size: int = 100,
    sender: Sender = http_sender,
) -> PushResult:
    """Send unsent statements in batches and stop at the first failure.

    Unlike other services this one commits, after each batch the LRS accepted:
    a later failure must not undo what was already delivered.
    """
    sent = 0
    while True:
        rows = session.scalars(
            select(LearningRecord)
            .where(LearningRecord.sent_at.is_(None))
            .order_by(LearningRecord.created_at, LearningRecord.id)
            .limit(batch_size)
        ).all()
        if not rows:
            return PushResult(sent, 0, None)
        try:
            sender(endpoint, [statement(row, base_url) for row in rows], user, password)
        except (HTTPError, URLError, OSError) as exc:
            session.rollback()
            remaining = session.scalar(
                select(func.count())
                .select_from(LearningRecord)
                .where(LearningRecord.sent_at.is_(None))
            )
            return PushResult(sent, remaining or 0, str(exc))
        session.execute(
            update(LearningRecord)
            .where(LearningRecord.id.in_([row.id for row in rows]))
            .values(sent_at=now)
        )
        session.commit()
        sent += len(rows)
