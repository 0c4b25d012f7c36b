"""cmi5: the statements an AU sends, checked against the cmi5 rules and kept.

The statement endpoint (`lms/packages/xapi_endpoint.py`) hands each batch to
`receive`. A statement must be the launched learner's, in the launch's registration
and session; cmi5 defined statements must keep the rules (initialized first,
terminated last, one completed and one passed per registration, passed/failed
consistent with the mastery score, no verb only the LMS may use). Each is kept as a
`LearningRecord` with the statement as it came, so `lms xapi push` forwards it, and
what it says changes the AU's attempt (`_apply`): completion, success, score, time,
and the unit once every AU met its moveOn (`cmi5.record_satisfied`). Launching, the
State API and the LMS's own statements are in `lms/packages/cmi5.py`.
"""

from __future__ import annotations

import uuid
from datetime import datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.models import LearningRecord, PackageAttempt, PackageLaunch
from lms.packages.cmi5 import (
    CMI5_CATEGORY,
    MOVEON_CATEGORY,
    SESSION_ID,
    VERBS,
    XAPI_VERSION,
    AuSession,
    StatementRejected,
    authority,
    keep_cmi5_facts,
    parse_duration,
    record_satisfied,
    same_agent,
)
from lms.packages.scorm import meets_move_on

_VERB_NAMES = {iri: name for name, iri in VERBS.items()}
# Verbs only the LMS may use in cmi5 defined statements.
LMS_VERBS = {"launched", "abandoned", "waived", "satisfied"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"
# Statements one session (launch) may send: an AU reporting every click of a long
# module stays far below; a runaway one cannot fill the database.
MAX_SESSION_STATEMENTS = 2000


def receive(session: Session, au: AuSession, statements: list[Any], now: datetime) -> list[str]:
    """Check and keep the AU's statements in order; their ids. Raises
    `StatementRejected` at the first that breaks a rule (the caller rolls back, so a
    batch is kept whole or not at all)."""
    ids = []
    for data in statements:
        ids.append(_receive_one(session, au, data, now))
    return ids


def _receive_one(session: Session, au: AuSession, data: Any, now: datetime) -> str:
    if not isinstance(data, dict):
        raise StatementRejected(400, "a statement must be a JSON object")
    statement_id = _statement_id(data)
    verb_id = _verb_id(data)
    if verb_id == VOIDED:
        raise StatementRejected(403, "voiding is not allowed")
    if not same_agent(data.get("actor"), au.actor):
        raise StatementRejected(403, "actor is not the launched learner")
    context = data.get("context")
    if not isinstance(context, dict) or context.get("registration") != au.attempt.registration:
        raise StatementRejected(403, "registration is not the launch's")
    extensions = context.get("extensions")
    if not isinstance(extensions, dict) or extensions.get(SESSION_ID) != au.launch.session_id:
        raise StatementRejected(403, "session id is not the launch's")
    known = session.get(LearningRecord, statement_id)
    if known is not None:
        if known.statement is not None and _same_statement(known.statement, data):
            return statement_id  # sent again (a retry): kept once
        raise StatementRejected(409, "a different statement has this id")
    launch, attempt = au.launch, au.attempt
    if launch.abandoned_at is not None:
        raise StatementRejected(403, "the session was abandoned")
    if launch.terminated_at is not None:
        raise StatementRejected(403, "the session has terminated")
    verb = _VERB_NAMES.get(verb_id)
    defined = verb is not None and _has_category(context, CMI5_CATEGORY)
    if launch.initialized_at is None and not (defined and verb == "initialized"):
        raise StatementRejected(403, "the first statement of a session must be initialized")
    if defined:
        _check_defined(au, data, verb or "", context)
    elif verb != "terminated" and _session_statements(session, au) >= MAX_SESSION_STATEMENTS:
        raise StatementRejected(403, "too many statements in this session")
    stored = dict(data)
    stored["id"] = statement_id
    stored.setdefault("timestamp", now.isoformat())
    stored["stored"] = now.isoformat()
    stored["authority"] = authority(au.base)
    stored.setdefault("version", XAPI_VERSION)
    session.add(
        LearningRecord(
            id=statement_id,
            company_id=attempt.company_id,
            user_id=attempt.user_id,
            verb=verb_id.rstrip("/").rsplit("/", 1)[-1][:20],
            course=au.course,
            version=au.version.number,
            unit=attempt.unit_id,
            statement=stored,
            created_at=now,
        )
    )
    session.flush()
    _apply(au, data, verb if defined else None, now)
    return statement_id


def _session_statements(session: Session, au: AuSession) -> int:
    """How many statements the learner's records of this unit hold since the launch."""
    attempt = au.attempt
    return (
        session.scalar(
            select(func.count())
            .select_from(LearningRecord)
            .where(
                LearningRecord.user_id == attempt.user_id,
                LearningRecord.course == au.course,
                LearningRecord.unit == attempt.unit_id,
                LearningRecord.created_at >= au.launch.launched_at,
            )
        )
        or 0
    )


def _statement_id(data: dict[str, Any]) -> str:
    given = data.get("id")
    if given is None:
        return str(uuid.uuid4())
    try:
        return str(uuid.UUID(str(given)))
    except ValueError as error:
        raise StatementRejected(400, "the statement id is not a UUID") from error


def _verb_id(data: dict[str, Any]) -> str:
    verb = data.get("verb")
    if not isinstance(verb, dict) or not isinstance(verb.get("id"), str) or not verb["id"]:
        raise StatementRejected(400, "a statement needs a verb id")
    obj = data.get("object")
    if not isinstance(obj, dict) or not obj.get("id"):
        raise StatementRejected(400, "a statement needs an object id")
    return str(verb["id"])


def _has_category(context: dict[str, Any], category: str) -> bool:
    activities = context.get("contextActivities")
    if not isinstance(activities, dict):
        return False
    listed = activities.get("category")
    if isinstance(listed, dict):
        listed = [listed]
    return isinstance(listed, list) and any(
        isinstance(a, dict) and a.get("id") == category for a in listed
    )


def _same_statement(kept: dict[str, Any], sent: dict[str, Any]) -> bool:
    ignore = {"id", "stored", "authority", "version", "timestamp"}
    return {k: v for k, v in kept.items() if k not in ignore} == {
        k: v for k, v in sent.items() if k not in ignore
    }


def _check_defined(au: AuSession, data: dict[str, Any], verb: str, context: dict[str, Any]) -> None:
    """The cmi5 rules for a cmi5 defined statement (spec 9.3, 9.4, 9.5)."""
    attempt, launch = au.attempt, au.launch
    if verb in LMS_VERBS:
        raise StatementRejected(403, f"only the LMS sends {verb}")
    if data["object"].get("id") != au.activity_id:
        raise StatementRejected(403, "the object is not the launched AU")
    session_verbs = _session_verbs(attempt, launch)
    if verb in session_verbs:
        raise StatementRejected(403, f"{verb} was sent in this session already")
    if verb == "initialized" and launch.initialized_at is not None:
        raise StatementRejected(403, "the session is initialized already")
    result = _result_of(data)
    score = _scaled_score(result)
    if verb in ("passed", "failed"):
        if {"passed", "failed"} & set(session_verbs):
            raise StatementRejected(403, "one of passed or failed per session")
        mastery = au.mastery_score
        if verb == "passed":
            if attempt.success == "passed":
                raise StatementRejected(403, "passed was sent in this registration already")
            if result.get("success") is not True:
                raise StatementRejected(403, "passed needs result.success true")
            if mastery is not None and score is not None and score < mastery:
                raise StatementRejected(403, "passed with a score below the mastery score")
        else:
            if attempt.success == "passed":
                raise StatementRejected(403, "failed after passed in this registration")
            if result.get("success") is not False:
                raise StatementRejected(403, "failed needs result.success false")
            if mastery is not None and score is not None and score >= mastery:
                raise StatementRejected(403, "failed with a score at or above the mastery score")
    elif "score" in result:
        raise StatementRejected(403, f"{verb} must not carry a score")
    if verb == "completed":
        if attempt.completion == "completed":
            raise StatementRejected(403, "completed was sent in this registration already")
        if result.get("completion") is not True:
            raise StatementRejected(403, "completed needs result.completion true")
    allowed = {"passed": {"success"}, "failed": {"success"}, "completed": {"completion"}}
    if {"success", "completion"} & set(result) - allowed.get(verb, set()):
        raise StatementRejected(403, f"{verb} must not carry success or completion")
    if ("success" in result or "completion" in result) != _has_category(context, MOVEON_CATEGORY):
        raise StatementRejected(403, "the moveOn category goes with success or completion")


def _result_of(data: dict[str, Any]) -> dict[str, Any]:
    result = data.get("result")
    return result if isinstance(result, dict) else {}


def _scaled_score(result: dict[str, Any]) -> Decimal | None:
    score = result.get("score")
    if not isinstance(score, dict) or "scaled" not in score:
        return None
    try:
        value = Decimal(str(score["scaled"]))
    except InvalidOperation as error:
        raise StatementRejected(400, "score.scaled is not a number") from error
    if not value.is_finite() or not Decimal(-1) <= value <= Decimal(1):  # NaN, Infinity
        raise StatementRejected(400, "score.scaled is outside -1…1")
    return value


def _session_verbs(attempt: PackageAttempt, launch: PackageLaunch) -> list[str]:
    """The cmi5 defined verbs of the attempt's current session so far (kept in the
    attempt's `cmi` under "cmi5")."""
    kept = (attempt.cmi or {}).get("cmi5") or {}
    if kept.get("session") != launch.session_id:
        return []
    return list(kept.get("verbs", []))


def _apply(au: AuSession, data: dict[str, Any], verb: str | None, now: datetime) -> None:
    """What an accepted statement changes in the attempt and the launch."""
    attempt, launch = au.attempt, au.launch
    attempt.updated_at = now
    if verb is None:
        return
    keep_cmi5_facts(
        attempt, session=launch.session_id, verbs=[*_session_verbs(attempt, launch), verb]
    )
    result = _result_of(data)
    if verb == "initialized":
        launch.initialized_at = now
        if attempt.completion == "not_attempted":
            attempt.completion = "incomplete"
    elif verb == "completed":
        attempt.completion = "completed"
    elif verb in ("passed", "failed"):
        attempt.success = verb
        given = result.get("score")
        score: dict[str, Any] = given if isinstance(given, dict) else {}
        scaled = _scaled_score(result)
        if scaled is not None:
            attempt.score_scaled = scaled
        raw = score.get("raw")
        # Kept as the attempt's score_raw (NUMERIC(12, 4)): a raw score beyond ±10⁸
        # is left out, as of a SCORM commit (lms/packages/scorm.py).
        if isinstance(raw, int | float) and not isinstance(raw, bool):
            number = Decimal(str(raw))
            if number.is_finite() and abs(number) < 10**8:
                attempt.score_raw = number.quantize(Decimal("0.0001"))
    elif verb == "terminated":
        launch.terminated_at = now
        # The AU's own figure, at most as long as the session was open (and a minute for
        # clocks): a made-up duration never inflates the proof of instruction.
        open_for = int((now - launch.launched_at).total_seconds()) + 60
        attempt.total_seconds += min(parse_duration(result.get("duration")), max(open_for, 0))
    move_on = au.item.get("move_on") or "Completed"  # spec 13.1.4
    if attempt.satisfied_at is None and meets_move_on(move_on, attempt.completion, attempt.success):
        attempt.satisfied_at = now
        record_satisfied(au, now)
    if verb == "terminated" and attempt.satisfied_at is not None:
        attempt.ended_at = now


# --- Reading statements back (minimal GET) -------------------------------------------


def statement_by_id(session: Session, au: AuSession, statement_id: str) -> dict[str, Any] | None:
    """One statement of the launch's learner and registration, or None."""
    try:
        key = str(uuid.UUID(statement_id))
    except ValueError:
        return None
    row = session.get(LearningRecord, key)
    if row is None or row.statement is None or row.user_id != au.attempt.user_id:
        return None
    context = row.statement.get("context") or {}
    return row.statement if context.get("registration") == au.attempt.registration else None


def registration_statements(session: Session, au: AuSession, limit: int = 100) -> list[Any]:
    """The latest statements of the launch's AU attempt (learner and unit, newest first)."""
    rows = session.scalars(
        select(LearningRecord)
        .where(
            LearningRecord.user_id == au.attempt.user_id,
            LearningRecord.course == au.course,
            LearningRecord.unit == au.attempt.unit_id,
            LearningRecord.statement.is_not(None),
            LearningRecord.created_at >= au.attempt.started_at,
        )
        .order_by(LearningRecord.created_at.desc(), LearningRecord.id)
        .limit(limit * 4)
    )
    found = [
        row.statement
        for row in rows
        if row.statement is not None
        and (row.statement.get("context") or {}).get("registration") == au.attempt.registration
    ]
    return found[:limit]
