"""Playing a package's items: launches, attempts, commits, and what they complete.

A learner opens an item (a SCO, or a cmi5 AU) with `launch`: it resumes the item's
attempt if the learner can go on with it (not ended, on the learner's version, in
the current round), else starts the next one, and adds a `PackageLaunch` with a
secret token (only its SHA-256 is kept). The player hands the SCO the attempt's data
(`runtime_data`) and posts the SCO's commits to `commit`, which keeps the SCO's own
data, works out completion and success as the LMS (`lms.packages.scorm`), records
the interactions and, once every item of the unit is done,
`learning.record_package_done`.

A commit is stored only if it belongs to the attempt's latest launch and comes after
the last one stored (its sequence number, counted anew in each launch): a tab left
open or a late beacon never undoes newer data, and the tab left open is told its data
is not kept (`CommitOutcome.superseded`). Plain functions; they flush, never
commit. Learner progress writes no audit entry (as quizzes and lessons).
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, func, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, contains_eager, defer
from sqlalchemy.orm.attributes import set_committed_value

from lms.audit.service import Actor
from lms.models import (
    CourseVersion,
    Enrollment,
    PackageAttempt,
    PackageInteraction,
    PackageLaunch,
    User,
)
from lms.packages import scorm
from lms.packages.scorm import CommitRefused, Verdict
from lms.services import learning, xapi

LAUNCH_LIFETIME = timedelta(hours=12)
# A session's time as the SCO reports it, but never more than the launch has been
# open (plus this slack): the time spent is printed on proofs of instruction.
_TIME_SLACK = 60

_ATTEMPTS = cast(Table, PackageAttempt.__table__)
_INTERACTIONS = cast(Table, PackageInteraction.__table__)


@dataclass(frozen=True)
class Launched:
    attempt: PackageAttempt
    launch: PackageLaunch
    token: str  # the launch's secret; only its SHA-256 is stored (token_digest)
    resumed: bool


@dataclass(frozen=True)
class CommitOutcome:
    """What a commit did. `stored` is False for a commit that was ignored. One not after
    the last stored of its launch (a late beacon) or one after the attempt ended has
    nothing to save: the player is told it succeeded. One of a launch the item was
    launched again after (`superseded`: another tab or device) is dropped although
    it may hold the learner's work: its player must say it is not saved."""

    stored: bool
    attempt: PackageAttempt
    completion: str
    success: str
    satisfied: bool  # the item is done (in this attempt)
    ended: bool  # the attempt has ended: the next launch starts a new one
    unit_done: bool = False  # with this commit every item of the unit is done
    superseded: bool = False  # a newer launch of the attempt came after this one


@dataclass(frozen=True)
class ItemState:
    """An item of a package unit as the learner's unit page shows it (current round)."""

    item: dict[str, Any]
    latest: PackageAttempt | None  # without cmi and suspend data (deferred)
    satisfied: bool  # an attempt of this round is done
    can_resume: bool  # the latest attempt goes on at the next launch
    attempts: int
    best_score: Decimal | None  # the best scaled score (0…1) of the round's attempts


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def package_item(unit: dict[str, Any], item_id: str) -> dict[str, Any] | None:
    """The item `item_id` of a package unit (as rendered), or None."""
    package = unit.get("package") or {}
    return next((item for item in package.get("items") or () if item["id"] == item_id), None)


def _item_rules(item: dict[str, Any]) -> dict[str, Any]:
    """What the server judges an item's commits by, kept with its attempt: a commit
    needs no look-up of the version."""
    return {
        "passing_score": item.get("passing_score"),
        "completion_threshold": item.get("completion_threshold"),
        "move_on": item.get("move_on") or "Completed",
    }


def _checked_item(enrollment: Enrollment, unit: dict[str, Any], item_id: str) -> dict[str, Any]:
    """The item, if `unit` is a package unit of the enrolment's version that has it."""
    main = learning.unit_of_type(enrollment, str(unit.get("id")), "package")
    if main is None or unit.get("type") != "package":
        raise learning.LearningError("not-a-package")
    item = package_item(unit, item_id)
    if item is None:
        raise learning.LearningError("unknown-item")
    return item


# The latest attempt of an item (of any round and version).
_LATEST_ATTEMPT = (
    select(PackageAttempt)
    .where(
        PackageAttempt.enrollment_id == bindparam("enrollment_id"),
        PackageAttempt.unit_id == bindparam("unit_id"),
        PackageAttempt.item_id == bindparam("item_id"),
    )
    .order_by(PackageAttempt.number.desc())
    .limit(1)
)

# Another launch of an attempt: one statement, so two launches at once (a double
# click, two tabs) get numbers one after the other. The commit sequence is counted
# anew in each launch.
_NEXT_LAUNCH = (
    update(_ATTEMPTS)
    .where(_ATTEMPTS.c.id == bindparam("attempt_id"))
    .values(launch_number=_ATTEMPTS.c.launch_number + 1, commit_sequence=0)
    .returning(_ATTEMPTS.c.launch_number)
)


def _goes_on(attempt: PackageAttempt | None, enrollment: Enrollment) -> bool:
    """Whether the learner goes on with `attempt` at the next launch: not ended, on the
    learner's version (an attempt stays pinned to the version it started on) and in
    the current round."""
    return (
        attempt is not None
        and attempt.ended_at is None
        and attempt.version_id == enrollment.version_id
        and attempt.started_at >= enrollment.counts_from
    )


def launch(
    session: Session,
    actor: Actor,
    enrollment: Enrollment,
    unit: dict[str, Any],
    item_id: str,
    now: datetime,
) -> Launched:
    """Open item `item_id` of package unit `unit` (as the learner's language renders it,
    from the enrolment's version) for the enrolment's learner.

    Resumes the item's latest attempt if it goes on (`_goes_on`), else starts attempt
    number + 1 with empty data; adds a launch valid for `LAUNCH_LIFETIME`.
    """
    if actor.user is not None and actor.user.id != enrollment.user_id:
        raise learning.LearningError("not-your-enrollment")
    item = _checked_item(enrollment, unit, item_id)
    keys = {"enrollment_id": enrollment.id, "unit_id": unit["id"], "item_id": item_id}
    latest = session.scalar(_LATEST_ATTEMPT, keys)
    resumed = latest is not None and _goes_on(latest, enrollment)
    if latest is not None and resumed:
        attempt = _relaunched(session, latest)
    else:
        attempt = _new_attempt(session, enrollment, unit, item, latest, now)
    token = secrets.token_urlsafe(32)
    opened = PackageLaunch(
        company_id=enrollment.company_id,
        attempt_id=attempt.id,
        attempt=attempt,
        number=attempt.launch_number,
        token_digest=token_digest(token),
        session_id=str(uuid.uuid4()),
        launched_at=now,
        expires_at=now + LAUNCH_LIFETIME,
    )
    session.add(opened)
    session.flush()
    return Launched(attempt, opened, token, resumed)


def _new_attempt(
    session: Session,
    enrollment: Enrollment,
    unit: dict[str, Any],
    item: dict[str, Any],
    latest: PackageAttempt | None,
    now: datetime,
) -> PackageAttempt:
    package = unit["package"]
    attempt = PackageAttempt(
        company_id=enrollment.company_id,
        user_id=enrollment.user_id,
        enrollment_id=enrollment.id,
        version_id=enrollment.version_id,
        unit_id=unit["id"],
        package=package["file"],
        item_id=item["id"],
        standard=package["standard"],
        number=(latest.number if latest is not None else 0) + 1,
        completion="not_attempted",
        success="unknown",
        total_seconds=0,
        location="",
        suspend_data="",
        cmi={"item": _item_rules(item)},
        launch_number=1,
        commit_sequence=0,
        registration=str(uuid.uuid4()) if package["standard"] == "cmi5" else None,
        started_at=now,
        updated_at=now,
    )
    try:
        with session.begin_nested():
            session.add(attempt)
    except IntegrityError:
        # Another launch started the same attempt a moment ago: go on with that one.
        keys = {"enrollment_id": enrollment.id, "unit_id": unit["id"], "item_id": item["id"]}
        started = session.scalar(_LATEST_ATTEMPT, keys)
        if started is None or not _goes_on(started, enrollment):
            raise
        return _relaunched(session, started)
    return attempt


def _relaunched(session: Session, attempt: PackageAttempt) -> PackageAttempt:
    number = session.execute(_NEXT_LAUNCH, {"attempt_id": attempt.id}).scalar_one()
    set_committed_value(attempt, "launch_number", number)
    set_committed_value(attempt, "commit_sequence", 0)
    return attempt


# A launch by its token's digest, with its attempt (one query: the commit's first).
_BY_DIGEST = (
    select(PackageLaunch)
    .join(PackageLaunch.attempt)
    .options(contains_eager(PackageLaunch.attempt))
    .where(PackageLaunch.token_digest == bindparam("digest"))
)


def launch_by_token(session: Session, token: str, now: datetime) -> PackageLaunch | None:
    """The launch whose secret is `token` (with its `attempt`), None if there is none or
    it has expired. The token is the only way to a launch: it names the company too."""
    if not token or len(token) > 200:
        return None
    found = session.scalar(_BY_DIGEST, {"digest": token_digest(token)})
    if found is None or found.expires_at <= now:
        return None
    return found


def runtime_data(
    attempt: PackageAttempt, item: dict[str, Any], user: User, language: str
) -> dict[str, Any]:
    """What the player loads into scorm-again (`loadFromJSON`) before the SCO starts:
    the learner (account id and name), entry (ab-initio, resume), location and
    suspend data, the mastery score or scaled passing score and completion threshold
    of `item`, launch data, credit and mode, total time, status and score so far,
    objectives, and (SCORM 2004) the interactions so far. `language`: the learner's."""
    return scorm.load_data(
        attempt.standard,
        attempt.cmi or {},
        completion=attempt.completion,
        success=attempt.success,
        location=attempt.location,
        suspend_data=attempt.suspend_data,
        total_seconds=attempt.total_seconds,
        item=item,
        learner=scorm.Learner(str(user.id), user.display_name, language),
    )


# Storing a commit: only if it belongs to the attempt's latest launch, comes after the
# last one stored and the attempt has not ended. One statement, so of two commits at
# once the later one wins whatever order they arrive in.
_STORE = (
    update(_ATTEMPTS)
    .where(
        _ATTEMPTS.c.id == bindparam("attempt_id"),
        _ATTEMPTS.c.launch_number == bindparam("launch"),
        _ATTEMPTS.c.commit_sequence < bindparam("sequence"),
        _ATTEMPTS.c.ended_at.is_(None),
    )
    .values(
        commit_sequence=bindparam("sequence"),
        completion=bindparam("new_completion", type_=_ATTEMPTS.c.completion.type),
        success=bindparam("new_success", type_=_ATTEMPTS.c.success.type),
        score_scaled=bindparam("new_score_scaled", type_=_ATTEMPTS.c.score_scaled.type),
        score_raw=bindparam("new_score_raw", type_=_ATTEMPTS.c.score_raw.type),
        total_seconds=bindparam("new_total_seconds", type_=_ATTEMPTS.c.total_seconds.type),
        location=bindparam("new_location", type_=_ATTEMPTS.c.location.type),
        suspend_data=bindparam("new_suspend_data", type_=_ATTEMPTS.c.suspend_data.type),
        cmi=bindparam("new_cmi", type_=_ATTEMPTS.c.cmi.type),
        updated_at=bindparam("now", type_=_ATTEMPTS.c.updated_at.type),
        ended_at=bindparam("new_ended_at", type_=_ATTEMPTS.c.ended_at.type),
        satisfied_at=func.coalesce(
            _ATTEMPTS.c.satisfied_at,
            bindparam("new_satisfied_at", type_=_ATTEMPTS.c.satisfied_at.type),
        ),
    )
)


def _decimal(value: object) -> Decimal | None:
    return Decimal(str(value)) if value not in (None, "") else None


def commit(
    session: Session,
    launch: PackageLaunch,
    data: dict[str, Any],
    sequence: int,
    terminate: bool,
    now: datetime,
) -> CommitOutcome:
    """Store a SCO's commit (scorm-again's JSON body, `{"cmi": {...}}`) of `launch`.

    `sequence` is the commit's number in its launch (scorm-again's commitSequence),
    `terminate` whether the SCO ended its session with it. `CommitRefused` if the body
    is no commit or a value the SCO gets back is too long; nothing is stored then.
    """
    attempt = launch.attempt
    if (
        launch.number != attempt.launch_number
        or sequence <= attempt.commit_sequence
        or attempt.ended_at is not None
    ):
        return _ignored(attempt, launch)
    if attempt.standard not in (scorm.SCORM12, scorm.SCORM2004):
        raise CommitRefused("not-scorm")  # a cmi5 AU sends statements instead
    reported = scorm.read_commit(attempt.standard, data)
    stored = attempt.cmi or {}
    rules = stored.get("item") or {}
    before = Verdict(attempt.completion, attempt.success)
    verdict = scorm.judge(
        reported,
        _decimal(rules.get("passing_score")),
        _decimal(rules.get("completion_threshold")),
        terminate,
        before,
    )
    timing = _launch_time(stored.get("session") or {}, launch, attempt, reported)
    open_for = max((now - launch.launched_at).total_seconds(), 0) + _TIME_SLACK
    total = int(timing["before"] + min(timing["pages"] + reported.session_seconds, open_for))
    ended = terminate and scorm.ends_attempt(reported, verdict)
    now_satisfied = attempt.satisfied_at is None and scorm.satisfied(
        rules.get("move_on") or "Completed", verdict
    )
    kept = {
        **scorm.stored_cmi(reported),
        "item": rules,
        "session": timing,
    }
    changed = scorm.changed_interactions(stored, reported)
    values = {
        "new_completion": verdict.completion,
        "new_success": verdict.success,
        "new_score_scaled": reported.score_scaled(),
        "new_score_raw": reported.score_raw,
        "new_total_seconds": total,
        "new_location": reported.location,
        "new_suspend_data": reported.suspend_data,
        "new_cmi": kept,
        "new_ended_at": now if ended else None,
        "new_satisfied_at": now if now_satisfied else None,
    }
    done = session.execute(
        _STORE,
        {"attempt_id": attempt.id, "launch": launch.number, "sequence": sequence, "now": now}
        | values,
    )
    if done.rowcount != 1:  # type: ignore[attr-defined]
        # A newer commit or launch came first (another request, at the same moment).
        session.refresh(attempt)
        return _ignored(attempt, launch)
    for name, value in (
        ("commit_sequence", sequence),
        ("completion", verdict.completion),
        ("success", verdict.success),
        ("score_scaled", values["new_score_scaled"]),
        ("score_raw", values["new_score_raw"]),
        ("total_seconds", total),
        ("location", reported.location),
        ("suspend_data", reported.suspend_data),
        ("cmi", kept),
        ("updated_at", now),
        ("ended_at", values["new_ended_at"]),
        ("satisfied_at", attempt.satisfied_at or values["new_satisfied_at"]),
    ):
        set_committed_value(attempt, name, value)
    if changed:
        _store_interactions(session, attempt, reported, set(changed), now)
    if terminate and launch.terminated_at is None:
        launch.terminated_at = now
    events = _events(attempt, before, verdict, reported)
    unit_done = False
    if events or now_satisfied:
        enrollment = session.get(Enrollment, attempt.enrollment_id)
        assert enrollment is not None
        if events:
            xapi.record_all(
                session, enrollment, now, events, version=_version_number(session, attempt)
            )
        if now_satisfied:
            unit_done = complete_unit_if_done(session, enrollment, attempt.unit_id, now)
    session.flush()
    return CommitOutcome(
        True,
        attempt,
        verdict.completion,
        verdict.success,
        attempt.satisfied_at is not None,
        ended,
        unit_done,
    )


def _launch_time(
    kept: dict[str, Any], launch: PackageLaunch, attempt: PackageAttempt, reported: scorm.Reported
) -> dict[str, Any]:
    """What the attempt keeps of this launch's time (its "session" in `cmi`): the
    attempt's time `before` the launch, the session time of the launch's earlier pages
    (`pages`) and the session time it reported `last`.

    The session's time counts once per launch, however often it commits. A player page
    reloaded within its launch starts a new session at 0 (scorm-again counts anew):
    a session time below the last one seen means the page restarted, so the last one
    is kept in `pages`. Together they never count more than the launch has been open
    (`commit`); only stored commits come here, so a late beacon never counts twice.
    """
    if kept.get("launch") != launch.number:  # the launch's first commit
        kept = {"before": attempt.total_seconds}
    pages, last = kept.get("pages", 0), kept.get("last", 0)
    if reported.session_seconds < last:
        pages += last
    return {
        "launch": launch.number,
        "before": kept["before"],
        "pages": pages,
        "last": reported.session_seconds,
    }


def _ignored(attempt: PackageAttempt, launch: PackageLaunch) -> CommitOutcome:
    ended = attempt.ended_at is not None
    return CommitOutcome(
        False,
        attempt,
        attempt.completion,
        attempt.success,
        attempt.satisfied_at is not None,
        ended,
        superseded=not ended and launch.number != attempt.launch_number,
    )


def _store_interactions(
    session: Session,
    attempt: PackageAttempt,
    reported: scorm.Reported,
    positions: set[int],
    now: datetime,
) -> None:
    """The interactions at `positions` as reported now (each replaces the one stored)."""
    session.execute(
        delete(_INTERACTIONS).where(
            _INTERACTIONS.c.attempt_id == attempt.id,
            _INTERACTIONS.c.position.in_(sorted(positions)),
        )
    )
    rows = [
        {
            "company_id": attempt.company_id,
            "attempt_id": attempt.id,
            "version_id": attempt.version_id,
            "unit_id": attempt.unit_id,
            "position": row.position,
            "interaction_id": row.interaction_id,
            "kind": row.kind,
            "result": row.result,
            "response": row.response,
            "description": row.description,
            "recorded_at": now,
        }
        for row in reported.interaction_rows()
        if row.position in positions
    ]
    if rows:
        session.execute(insert(_INTERACTIONS), rows)


def _events(
    attempt: PackageAttempt, before: Verdict, verdict: Verdict, reported: scorm.Reported
) -> list[xapi.Event]:
    """The learning records of a commit: "completed" when the item is first completed in
    the attempt, "passed"/"failed" when its success changes to one of them."""
    result: dict[str, Any] = {"duration": scorm.duration(attempt.total_seconds)}
    scaled = attempt.score_scaled
    if scaled is not None:
        result["score"] = {"scaled": float(scaled)}
    events = []
    if verdict.completion == "completed" and before.completion != "completed":
        events.append(
            xapi.Event("completed", unit=attempt.unit_id, result=result | {"completion": True})
        )
    if verdict.success in ("passed", "failed") and verdict.success != before.success:
        events.append(
            xapi.Event(
                verdict.success,
                unit=attempt.unit_id,
                result=result | {"success": verdict.success == "passed"},
            )
        )
    return events


def _version_number(session: Session, attempt: PackageAttempt) -> int:
    version = session.get(CourseVersion, attempt.version_id)
    assert version is not None
    return version.number


# The items of a unit done in the enrolment's current round, with their success.
_DONE_ITEMS = select(PackageAttempt.item_id, PackageAttempt.success).where(
    PackageAttempt.enrollment_id == bindparam("enrollment_id"),
    PackageAttempt.unit_id == bindparam("unit_id"),
    PackageAttempt.satisfied_at.is_not(None),
    PackageAttempt.started_at >= bindparam("since", type_=PackageAttempt.started_at.type),
)


def complete_unit_if_done(
    session: Session, enrollment: Enrollment, unit_id: str, now: datetime
) -> bool:
    """Record the unit once every item of it (as the learner's version has it) is done in
    this round: "passed" if each passed, else "done". True if every item is done."""
    unit = learning.unit_of_type(enrollment, unit_id, "package")
    if unit is None:
        return False  # the learner's version has no such unit any more
    items = [item["id"] for item in unit["package"]["items"]]
    rows = session.execute(
        _DONE_ITEMS,
        {"enrollment_id": enrollment.id, "unit_id": unit_id, "since": enrollment.counts_from},
    ).all()
    done = {row.item_id for row in rows}
    if not items or not set(items) <= done:
        return False
    passed = all(
        any(row.item_id == item and row.success == "passed" for row in rows) for item in items
    )
    learning.record_package_done(session, enrollment, unit_id, passed, now)
    return True


# Every attempt of a unit in the round (their large columns left out).
_UNIT_ATTEMPTS = (
    select(PackageAttempt)
    .where(
        PackageAttempt.enrollment_id == bindparam("enrollment_id"),
        PackageAttempt.unit_id == bindparam("unit_id"),
        PackageAttempt.started_at >= bindparam("since", type_=PackageAttempt.started_at.type),
    )
    .order_by(PackageAttempt.item_id, PackageAttempt.number)
    .options(defer(PackageAttempt.cmi), defer(PackageAttempt.suspend_data))
)


def item_states(session: Session, enrollment: Enrollment, unit: dict[str, Any]) -> list[ItemState]:
    """Each item of package unit `unit` (as rendered) with the learner's attempts at it in
    the current round: one query for all items."""
    attempts = session.scalars(
        _UNIT_ATTEMPTS,
        {"enrollment_id": enrollment.id, "unit_id": unit["id"], "since": enrollment.counts_from},
    ).all()
    states = []
    for item in (unit.get("package") or {}).get("items") or ():
        own = [attempt for attempt in attempts if attempt.item_id == item["id"]]
        latest = own[-1] if own else None
        scores = [a.score_scaled for a in own if a.score_scaled is not None]
        states.append(
            ItemState(
                item=item,
                latest=latest,
                satisfied=any(a.satisfied_at is not None for a in own),
                can_resume=_goes_on(latest, enrollment),
                attempts=len(own),
                best_score=max(scores) if scores else None,
            )
        )
    return states
