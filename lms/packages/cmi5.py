"""cmi5: launching an AU, the rules its statements must keep, and the statements the LMS writes.

A cmi5 AU is launched with a URL that names the statement endpoint
(`lms/packages/xapi_endpoint.py`), a one-time fetch URL, the learner as an xAPI
agent (the account id on this platform, as `lms xapi push` sends it), the
attempt's registration and the AU's activity id. The AU trades the fetch URL for
an auth token once, reads `LMS.LaunchData` from the State API and sends its
statements, which are checked here against the launch and the cmi5 rules
(initialized first, terminated last, one completed and one passed per
registration, passed/failed consistent with the mastery score) and kept as
`LearningRecord`s with the statement as it came, so `lms xapi push` forwards them.

The LMS writes its own statements: "launched" when a session starts
(`record_launched`), "abandoned" for an earlier session of the attempt that never
terminated (`abandon_stale`), "waived" for AUs whose moveOn is NotApplicable (at
the first launch of any AU of the unit), and "satisfied" for the package (the cmi5
course) once every AU of the unit met its moveOn; the unit is then recorded done.

Lernwerk's attempts are per AU, so a registration belongs to one AU's attempt. It
lasts across sessions (the AU's bookmark in the State API stays), and the attempt
ends at a "terminated" once the AU has met its moveOn.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import re
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal, InvalidOperation
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode

from flask import current_app, has_app_context
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from lms.models import (
    CourseVersion,
    Enrollment,
    LearningRecord,
    PackageAttempt,
    PackageLaunch,
    User,
    XapiState,
)
from lms.packages.runtime import token_digest

XAPI_VERSION = "1.0.3"

CMI5_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/cmi5"
MOVEON_CATEGORY = "https://w3id.org/xapi/cmi5/context/categories/moveon"
_EXTENSION = "https://w3id.org/xapi/cmi5/context/extensions/"
SESSION_ID = _EXTENSION + "sessionid"
MASTERY_SCORE = _EXTENSION + "masteryscore"
LAUNCH_MODE = _EXTENSION + "launchmode"
LAUNCH_URL = _EXTENSION + "launchurl"
MOVE_ON = _EXTENSION + "moveon"
LAUNCH_PARAMETERS = _EXTENSION + "launchparameters"
REASON = "https://w3id.org/xapi/cmi5/result/extensions/reason"
AU_TYPE = "https://w3id.org/xapi/cmi5/activitytype/au"
COURSE_TYPE = "https://w3id.org/xapi/cmi5/activitytype/course"

VERBS = {
    "launched": "http://adlnet.gov/expapi/verbs/launched",
    "initialized": "http://adlnet.gov/expapi/verbs/initialized",
    "completed": "http://adlnet.gov/expapi/verbs/completed",
    "passed": "http://adlnet.gov/expapi/verbs/passed",
    "failed": "http://adlnet.gov/expapi/verbs/failed",
    "terminated": "http://adlnet.gov/expapi/verbs/terminated",
    "abandoned": "https://w3id.org/xapi/adl/verbs/abandoned",
    "waived": "https://w3id.org/xapi/adl/verbs/waived",
    "satisfied": "https://w3id.org/xapi/adl/verbs/satisfied",
}
_VERB_NAMES = {iri: name for name, iri in VERBS.items()}
# Verbs only the LMS may use in cmi5 defined statements.
LMS_VERBS = {"launched", "abandoned", "waived", "satisfied"}
VOIDED = "http://adlnet.gov/expapi/verbs/voided"

# Where the statement endpoint is (lms/packages/xapi_endpoint.py registers it there).
ENDPOINT_PATH = "/xapi/cmi5"
LAUNCH_DATA = "LMS.LaunchData"
LEARNER_PREFERENCES = "cmi5LearnerPreferences"
# The largest state document an AU may keep (bytes), and how many per registration: a
# bookmark, not a file store.
MAX_STATE_BYTES = 256 * 1024
MAX_STATES = 100
# Statements one session (launch) may send: an AU reporting every click of a long
# module stays far below; a runaway one cannot fill the database.
MAX_SESSION_STATEMENTS = 2000


class StatementRejected(Exception):
    """A request the statement endpoint refuses: `status` (400, 403, 404, 409) and why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


# --- Who and what: the ids statements carry ----------------------------------------


def platform_url(base_url: str | None = None) -> str:
    """The platform's address (BASE_URL): the actor's homePage and the ids' prefix."""
    if base_url is None:
        base_url = str(current_app.config["BASE_URL"]) if has_app_context() else ""
    return base_url.rstrip("/")


def actor(user_id: int, base_url: str | None = None) -> dict[str, Any]:
    """The learner as an xAPI agent: the account id on this platform, no name or e-mail
    (as `services/xapi.py` sends every other record)."""
    return {
        "objectType": "Agent",
        "account": {"homePage": platform_url(base_url), "name": str(user_id)},
    }


def au_activity_id(base: str, course: str, unit_id: str, item_id: str) -> str:
    """The AU's activity id, generated by the LMS (cmi5 forbids the publisher's id):
    the same for every registration of the same AU of the same unit."""
    return f"{base}/xapi/courses/{course}/units/{unit_id}/aus/{quote(item_id, safe='')}"


def package_activity_id(base: str, course: str, unit_id: str) -> str:
    """The package as a cmi5 course (the object of the LMS's "satisfied" statement)."""
    return f"{base}/xapi/courses/{course}/units/{unit_id}"


def unit_page_url(base: str, course: str, unit_id: str) -> str:
    return f"{base}/learn/courses/{course}/{unit_id}"


def return_url(base: str) -> str:
    """Where the AU sends its frame when it ends (`returnURL`): the player's return page
    on the package host (lms/packages/views.returned), which asks the player to go back
    to the unit page – Lernwerk's own pages may not be framed."""
    origin = current_app.config.get("PACKAGE_ORIGIN") if has_app_context() else None
    return f"{origin or base}/package-files/return"


# --- Where a launch belongs ----------------------------------------------------------


@dataclass(frozen=True)
class AuSession:
    """A launch with everything its statements are checked against."""

    launch: PackageLaunch
    attempt: PackageAttempt
    enrollment: Enrollment
    version: CourseVersion
    unit: dict[str, Any]
    item: dict[str, Any]
    base: str

    @property
    def course(self) -> str:
        return self.enrollment.course.slug

    @property
    def activity_id(self) -> str:
        return au_activity_id(self.base, self.course, self.attempt.unit_id, self.item["id"])

    @property
    def actor(self) -> dict[str, Any]:
        return actor(self.attempt.user_id, self.base)

    @property
    def mastery_score(self) -> Decimal | None:
        value = self.item.get("passing_score")
        return Decimal(str(value)) if value not in (None, "") else None


def package_unit(version: CourseVersion, unit_id: str, package: str) -> dict[str, Any] | None:
    """The version's package unit `unit_id` in the language whose ZIP is `package`
    (a translation may name its own), else in the version's main language."""
    units = version.content["units"]
    found = None
    for language in (version.language, *sorted(units)):
        unit = next((u for u in units.get(language, ()) if u["id"] == unit_id), None)
        if unit is None or not unit.get("package"):
            continue
        if unit["package"].get("file") == package:
            return unit
        found = found or unit
    return found


def _item(unit: dict[str, Any], item_id: str) -> dict[str, Any] | None:
    return next((i for i in unit["package"]["items"] if i["id"] == item_id), None)


def au_session(
    session: Session, launch: PackageLaunch, base_url: str | None = None
) -> AuSession | None:
    """The launch's attempt, enrolment, version, unit and AU; None if any is gone."""
    attempt = session.get(PackageAttempt, launch.attempt_id)
    if attempt is None or attempt.standard != "cmi5":
        return None
    enrollment = session.get(Enrollment, attempt.enrollment_id)
    version = session.get(CourseVersion, attempt.version_id)
    if enrollment is None or version is None:
        return None
    unit = package_unit(version, attempt.unit_id, attempt.package)
    item = _item(unit, attempt.item_id) if unit is not None else None
    if unit is None or item is None:
        return None
    return AuSession(launch, attempt, enrollment, version, unit, item, platform_url(base_url))


# --- Launching -------------------------------------------------------------------------


def launch_url(
    launch: PackageLaunch,
    attempt: PackageAttempt,
    item: dict[str, Any],
    token: str,
    endpoint_base: str,
    files_base: str | None = None,
    *,
    course: str | None = None,
    base_url: str | None = None,
) -> str:
    """The AU's URL with the cmi5 launch parameters (spec 8.1).

    `files_base` is the package-file URL of this launch (`/package-files/<token>/`, on
    the package origin when one is configured; that by default); the AU's `href` is
    appended with the AU's own query (its url's parameters) kept. `endpoint_base` is the
    statement endpoint's absolute URL (`…/xapi/cmi5/`), or just the origin it is on;
    the fetch URL is beside it. The attempt needs its registration (the runtime's
    `launch` gives a cmi5 attempt one; `record_launched` does if it has none).
    """
    if attempt.registration is None:
        raise ValueError("the attempt has no registration yet: call record_launched first")
    base = platform_url(base_url)
    if course is None:
        course = _course_of(attempt)
    endpoint = endpoint_base.rstrip("/")
    if not endpoint.endswith(ENDPOINT_PATH):
        endpoint += ENDPOINT_PATH
    endpoint += "/"
    if files_base is None:
        from flask import url_for

        origin = current_app.config.get("PACKAGE_ORIGIN") or ""
        files_base = origin + url_for("package_files.file", token=token, path="")
    if not files_base.endswith("/"):
        files_base += "/"
    own = parse_qsl(item.get("parameters") or "", keep_blank_values=True)
    ours = {
        "endpoint": endpoint,
        "fetch": f"{endpoint}fetch/{token}",
        "actor": json.dumps(actor(attempt.user_id, base), separators=(",", ":")),
        "registration": attempt.registration,
        "activityId": au_activity_id(base, course, attempt.unit_id, item["id"]),
    }
    query = [(name, value) for name, value in own if name not in ours]
    query.extend(ours.items())
    href = quote(item["href"].lstrip("/"))
    return files_base + href + "?" + urlencode(query, quote_via=quote)


def _course_of(attempt: PackageAttempt) -> str:
    from sqlalchemy.orm import object_session

    session = object_session(attempt)
    enrollment = session.get(Enrollment, attempt.enrollment_id) if session else None
    if enrollment is None:
        raise ValueError("the attempt's enrolment is not at hand")
    return enrollment.course.slug


def launch_data(au: AuSession) -> dict[str, Any]:
    """The `LMS.LaunchData` state document (spec 10): the context template every
    statement of the session must carry, and what the AU needs to know."""
    data: dict[str, Any] = {
        "contextTemplate": context_template(au),
        "launchMode": "Normal",
        "launchMethod": au.item.get("launch_method") or "AnyWindow",
        "moveOn": au.item.get("move_on") or "Completed",
        "returnURL": return_url(au.base),
    }
    if au.mastery_score is not None:
        data["masteryScore"] = float(au.mastery_score)
    parameters = au.item.get("launch_data") or ""
    if parameters:
        data["launchParameters"] = parameters
    return data


def context_template(au: AuSession) -> dict[str, Any]:
    return {
        "contextActivities": {"grouping": [{"objectType": "Activity", "id": au.item["id"]}]},
        "extensions": {SESSION_ID: au.launch.session_id},
    }


def learner_preferences(user: User | None, default_language: str = "de") -> dict[str, str]:
    """The `cmi5LearnerPreferences` agent profile (spec 11): the learner's language."""
    language = (user.language if user is not None else None) or default_language
    return {"languagePreference": language, "audioPreference": "on"}


def record_launched(
    session: Session,
    launch: PackageLaunch,
    attempt: PackageAttempt,
    item: dict[str, Any],
    now: datetime,
    *,
    base_url: str | None = None,
) -> LearningRecord | None:
    """Start a cmi5 session for a new launch, before the AU is opened: give the attempt
    its registration (if it has none), abandon earlier sessions that never terminated,
    waive the unit's NotApplicable AUs, and write "launched" (spec 9.3.1). Once per
    launch: the fetch calls it as well, in case the launching page did not. Flushes.
    None for an attempt that is not a cmi5 one, or a launch started already."""
    if attempt.standard != "cmi5":
        return None
    if ((attempt.cmi or {}).get("cmi5") or {}).get("launched") == launch.session_id:
        return None
    if attempt.registration is None:
        attempt.registration = str(uuid.uuid4())
    _keep_cmi5(attempt, launched=launch.session_id)
    session.flush()
    abandon_stale(session, attempt, now, current=launch, base_url=base_url)
    au = au_session(session, launch, base_url)
    if au is None:
        return None
    waive_not_applicable(session, au, now)
    extensions: dict[str, Any] = {
        SESSION_ID: launch.session_id,
        LAUNCH_MODE: "Normal",
        # The unit page the AU is launched from: the file URL itself carries the
        # launch's secret, which has no place in a record sent on to an LRS.
        LAUNCH_URL: unit_page_url(au.base, au.course, attempt.unit_id),
        MOVE_ON: item.get("move_on") or "Completed",
    }
    if au.mastery_score is not None:
        extensions[MASTERY_SCORE] = float(au.mastery_score)
    if item.get("launch_data"):
        extensions[LAUNCH_PARAMETERS] = item["launch_data"]
    return _lms_statement(session, au, "launched", now, extensions=extensions)


def abandon_stale(
    session: Session,
    attempt: PackageAttempt,
    now: datetime,
    *,
    current: PackageLaunch | None = None,
    base_url: str | None = None,
) -> int:
    """Abandon every earlier session of the attempt that neither terminated nor was
    abandoned (spec 9.3.6), with an "abandoned" statement (the session's time as its
    duration) for each the AU had started (fetched its token); no statement of it is
    accepted afterwards. How many were abandoned."""
    if attempt.standard != "cmi5":
        return 0
    stale = session.scalars(
        select(PackageLaunch)
        .where(
            PackageLaunch.attempt_id == attempt.id,
            PackageLaunch.terminated_at.is_(None),
            PackageLaunch.abandoned_at.is_(None),
        )
        .order_by(PackageLaunch.number)
    ).all()
    count = 0
    for launch in stale:
        if current is not None and launch.id == current.id:
            continue
        launch.abandoned_at = now
        # A session the AU never started (no fetch: a reload, a closed tab) just ends.
        au = au_session(session, launch, base_url) if launch.fetched_at is not None else None
        if au is not None:
            last = max(attempt.updated_at, launch.launched_at)
            seconds = max(0, int((last - launch.launched_at).total_seconds()))
            _lms_statement(
                session,
                au,
                "abandoned",
                now,
                extensions={SESSION_ID: launch.session_id},
                result={"duration": iso_duration(seconds)},
            )
        count += 1
    session.flush()
    return count


def waive_not_applicable(session: Session, au: AuSession, now: datetime) -> int:
    """Satisfy the unit's AUs whose moveOn is NotApplicable, each with a "waived"
    statement (reason "Administrative") in a session of its own (spec 9.3.7), at the
    first launch of any AU of the unit: they are never required. How many."""
    waived = 0
    for item in au.unit["package"]["items"]:
        if item.get("move_on") != "NotApplicable":
            continue
        exists = session.scalar(
            select(PackageAttempt.id).where(
                PackageAttempt.enrollment_id == au.enrollment.id,
                PackageAttempt.unit_id == au.attempt.unit_id,
                PackageAttempt.item_id == item["id"],
                PackageAttempt.satisfied_at >= au.enrollment.counts_from,
            )
        )
        if exists is not None:
            continue
        attempt = _waivable_attempt(session, au, item, now)
        attempt.completion = "completed"
        attempt.satisfied_at = now
        attempt.updated_at = now
        session.flush()
        ghost = PackageLaunch(
            company_id=attempt.company_id,
            attempt_id=attempt.id,
            number=0,
            token_digest=token_digest(uuid.uuid4().hex),
            session_id=str(uuid.uuid4()),
            launched_at=now,
            expires_at=now,
            terminated_at=now,
        )
        waived_au = AuSession(ghost, attempt, au.enrollment, au.version, au.unit, item, au.base)
        _lms_statement(
            session,
            waived_au,
            "waived",
            now,
            extensions={SESSION_ID: ghost.session_id},
            result={"success": True, "completion": True, "extensions": {REASON: "Administrative"}},
            move_on_category=True,
        )
        waived += 1
    if waived:
        _unit_satisfied(au, now)
    return waived


def _waivable_attempt(
    session: Session, au: AuSession, item: dict[str, Any], now: datetime
) -> PackageAttempt:
    latest = session.scalar(
        select(PackageAttempt)
        .where(
            PackageAttempt.enrollment_id == au.enrollment.id,
            PackageAttempt.unit_id == au.attempt.unit_id,
            PackageAttempt.item_id == item["id"],
        )
        .order_by(PackageAttempt.number.desc())
        .limit(1)
    )
    if latest is not None and latest.ended_at is None and latest.version_id == au.version.id:
        if latest.registration is None:
            latest.registration = str(uuid.uuid4())
        return latest
    attempt = PackageAttempt(
        company_id=au.attempt.company_id,
        user_id=au.attempt.user_id,
        enrollment_id=au.enrollment.id,
        version_id=au.version.id,
        unit_id=au.attempt.unit_id,
        package=au.attempt.package,
        item_id=item["id"],
        standard="cmi5",
        number=(latest.number + 1) if latest is not None else 1,
        registration=str(uuid.uuid4()),
        started_at=now,
        updated_at=now,
    )
    session.add(attempt)
    return attempt


# --- The fetch URL and the auth token ------------------------------------------------


def fetch_auth_token(session: Session, token: str, now: datetime, secret: str) -> dict[str, str]:
    """The answer to a POST to the fetch URL (spec 8.2): the auth token the first time,
    the cmi5 error document after that, for an expired or ended session, or an
    unknown token."""
    launch = session.scalar(
        select(PackageLaunch).where(PackageLaunch.token_digest == token_digest(token))
    )
    attempt = session.get(PackageAttempt, launch.attempt_id) if launch is not None else None
    if launch is None or attempt is None or attempt.standard != "cmi5":
        return {"error-code": "2", "error-text": "Unknown launch."}
    if launch.fetched_at is not None:
        return {
            "error-code": "1",
            "error-text": "The authorization token has already been returned.",
        }
    if launch.expires_at <= now or launch.abandoned_at or launch.terminated_at:
        return {"error-code": "1", "error-text": "The session has expired."}
    launch.fetched_at = now
    record_launched(session, launch, attempt, _launch_item(session, launch), now)
    session.flush()
    return {"auth-token": auth_token(launch, secret)}


def _launch_item(session: Session, launch: PackageLaunch) -> dict[str, Any]:
    au = au_session(session, launch)
    return au.item if au is not None else {}


def auth_token(launch: PackageLaunch, secret: str) -> str:
    """Basic credentials `<launch id>:<HMAC of the launch's token digest>`: worth
    nothing without the server's secret, and only for this launch."""
    return base64.b64encode(f"{launch.id}:{_mac(launch, secret)}".encode()).decode("ascii")


def _mac(launch: PackageLaunch, secret: str) -> str:
    message = f"cmi5-auth:{launch.token_digest}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()


def authenticated_launch(
    session: Session, authorization: str | None, now: datetime, secret: str
) -> PackageLaunch | None:
    """The launch whose auth token is in `Authorization: Basic …`, if it was fetched
    and the session is still open (not expired, abandoned or terminated); else None.
    A terminated session's token still reads (state, statements): it can send nothing."""
    if not authorization or not authorization.startswith("Basic "):
        return None
    try:
        decoded = base64.b64decode(authorization[6:].strip(), validate=True).decode("ascii")
    except (ValueError, UnicodeDecodeError):
        return None
    launch_id, _, mac = decoded.partition(":")
    if not launch_id.isdigit() or len(launch_id) > 12 or not mac:
        return None
    launch = session.get(PackageLaunch, int(launch_id))
    if launch is None or launch.fetched_at is None or launch.expires_at <= now:
        return None
    if not hmac.compare_digest(mac, _mac(launch, secret)):
        return None
    return launch


# --- Agents and registrations in requests --------------------------------------------


def same_agent(given: Any, expected: dict[str, Any]) -> bool:
    """Whether an agent (parsed JSON) is the learner's account."""
    if not isinstance(given, dict) or given.get("objectType", "Agent") != "Agent":
        return False
    account = given.get("account")
    want = expected["account"]
    return (
        isinstance(account, dict)
        and str(account.get("homePage", "")).rstrip("/") == want["homePage"]
        and str(account.get("name")) == want["name"]
    )


def check_scope(au: AuSession, agent: str | None, registration: str | None) -> None:
    """A State API request must name the launch's learner and registration."""
    try:
        parsed = json.loads(agent or "")
    except ValueError as error:
        raise StatementRejected(400, "agent is not JSON") from error
    if not same_agent(parsed, au.actor):
        raise StatementRejected(403, "agent is not the launched learner")
    if registration is not None and registration != au.attempt.registration:
        raise StatementRejected(403, "registration is not the launch's")


# --- The State API -------------------------------------------------------------------


def _state_query(au: AuSession, activity_id: str) -> Any:
    return select(XapiState).where(
        XapiState.user_id == au.attempt.user_id,
        XapiState.registration == au.attempt.registration,
        XapiState.activity_id == activity_id,
    )


def get_state(au: AuSession, session: Session, activity_id: str, state_id: str | None) -> Any:
    """A state document (content type, bytes), the list of state ids (without
    `state_id`), or None. `LMS.LaunchData` is made from the launch."""
    if state_id == LAUNCH_DATA:
        if activity_id != au.activity_id:
            return None
        return ("application/json", json.dumps(launch_data(au)).encode("utf-8"))
    if state_id is None:
        ids = session.scalars(_state_query(au, activity_id).with_only_columns(XapiState.state_id))
        names = sorted(ids)
        if activity_id == au.activity_id:
            names.insert(0, LAUNCH_DATA)
        return names
    row = session.scalar(_state_query(au, activity_id).where(XapiState.state_id == state_id))
    return (row.content_type, row.content) if row is not None else None


def put_state(
    au: AuSession,
    session: Session,
    activity_id: str,
    state_id: str,
    content_type: str,
    content: bytes,
    now: datetime,
    *,
    merge: bool = False,
) -> None:
    """Keep a state document (PUT replaces it; POST merges JSON objects, as xAPI says)."""
    if state_id == LAUNCH_DATA:
        raise StatementRejected(403, "LMS.LaunchData is the LMS's document")
    if not state_id or len(state_id) > 200 or len(activity_id) > 500:
        raise StatementRejected(400, "stateId or activityId missing or too long")
    if len(content) > MAX_STATE_BYTES:
        raise StatementRejected(413, "state document too large")
    row = session.scalar(_state_query(au, activity_id).where(XapiState.state_id == state_id))
    if merge and row is not None:
        try:
            old, new = json.loads(row.content), json.loads(content)
        except ValueError as error:
            raise StatementRejected(400, "only JSON documents can be merged") from error
        if not isinstance(old, dict) or not isinstance(new, dict):
            raise StatementRejected(400, "only JSON objects can be merged")
        content = json.dumps({**old, **new}).encode("utf-8")
        content_type = "application/json"
    if row is None:
        kept = session.scalar(
            select(func.count())
            .select_from(XapiState)
            .where(
                XapiState.user_id == au.attempt.user_id,
                XapiState.registration == au.attempt.registration,
            )
        )
        if (kept or 0) >= MAX_STATES:
            raise StatementRejected(403, "too many state documents in this registration")
        row = XapiState(
            company_id=au.attempt.company_id,
            user_id=au.attempt.user_id,
            registration=au.attempt.registration,
            activity_id=activity_id,
            state_id=state_id,
        )
        session.add(row)
    row.content_type = (content_type or "application/octet-stream")[:100]
    row.content = content
    row.updated_at = now
    session.flush()


def delete_state(au: AuSession, session: Session, activity_id: str, state_id: str | None) -> None:
    if state_id == LAUNCH_DATA:
        raise StatementRejected(403, "LMS.LaunchData is the LMS's document")
    query = _state_query(au, activity_id)
    if state_id is not None:
        query = query.where(XapiState.state_id == state_id)
    for row in session.scalars(query):
        session.delete(row)
    session.flush()


# --- Statements ----------------------------------------------------------------------


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
    stored["authority"] = _authority(au.base)
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


def _keep_cmi5(attempt: PackageAttempt, **values: Any) -> None:
    cmi = dict(attempt.cmi or {})
    cmi["cmi5"] = {**(cmi.get("cmi5") or {}), **values}
    attempt.cmi = cmi


def _apply(au: AuSession, data: dict[str, Any], verb: str | None, now: datetime) -> None:
    """What an accepted statement changes in the attempt and the launch."""
    attempt, launch = au.attempt, au.launch
    attempt.updated_at = now
    if verb is None:
        return
    _keep_cmi5(attempt, session=launch.session_id, verbs=[*_session_verbs(attempt, launch), verb])
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
    if attempt.satisfied_at is None and move_on_met(au.item.get("move_on"), attempt):
        attempt.satisfied_at = now
        _unit_satisfied(au, now)
    if verb == "terminated" and attempt.satisfied_at is not None:
        attempt.ended_at = now


def move_on_met(move_on: str | None, attempt: PackageAttempt) -> bool:
    """Whether the attempt meets the AU's moveOn (spec 13.1.4)."""
    completed = attempt.completion == "completed"
    passed = attempt.success == "passed"
    return {
        "Passed": passed,
        "Completed": completed,
        "CompletedAndPassed": completed and passed,
        "CompletedOrPassed": completed or passed,
        "NotApplicable": True,
    }.get(move_on or "Completed", completed)


def _unit_satisfied(au: AuSession, now: datetime) -> None:
    """When every AU of the unit met its moveOn in this round, the unit is done (the
    runtime's rule for every package: "passed" if each item passed, else "done") and
    the LMS writes "satisfied" for the package, the cmi5 course (spec 9.3.9), once."""
    from sqlalchemy.orm import object_session

    from lms.packages import runtime

    session = object_session(au.attempt)
    assert session is not None
    session.flush()
    if not runtime.complete_unit_if_done(session, au.enrollment, au.attempt.unit_id, now):
        return
    already = session.scalar(
        select(LearningRecord.id).where(
            LearningRecord.user_id == au.attempt.user_id,
            LearningRecord.course == au.course,
            LearningRecord.unit == au.attempt.unit_id,
            LearningRecord.verb == "satisfied",
            LearningRecord.created_at >= au.enrollment.counts_from,
        )
    )
    if already is None:
        package = package_activity_id(au.base, au.course, au.attempt.unit_id)
        _lms_statement(
            session,
            au,
            "satisfied",
            now,
            extensions={SESSION_ID: au.launch.session_id},
            object_={"objectType": "Activity", "id": package, "definition": {"type": COURSE_TYPE}},
            # After the AU's statement that satisfied it, in the records' order too.
            created_at=now + timedelta(microseconds=1),
        )


def _authority(base: str) -> dict[str, Any]:
    return {"objectType": "Agent", "account": {"homePage": base, "name": "lernwerk"}}


def _lms_statement(
    session: Session,
    au: AuSession,
    verb: str,
    now: datetime,
    *,
    extensions: dict[str, Any],
    result: dict[str, Any] | None = None,
    object_: dict[str, Any] | None = None,
    move_on_category: bool = False,
    created_at: datetime | None = None,
) -> LearningRecord:
    """A cmi5 defined statement the LMS makes (launched, abandoned, waived, satisfied),
    kept as a record with its statement like the AU's."""
    categories = [{"objectType": "Activity", "id": CMI5_CATEGORY}]
    if move_on_category:
        categories.append({"objectType": "Activity", "id": MOVEON_CATEGORY})
    statement_id = str(uuid.uuid4())
    data: dict[str, Any] = {
        "id": statement_id,
        "actor": au.actor,
        "verb": {"id": VERBS[verb], "display": {"en-US": verb}},
        "object": object_
        or {
            "objectType": "Activity",
            "id": au.activity_id,
            "definition": {"type": AU_TYPE, "name": {"und": au.item.get("title") or au.item["id"]}},
        },
        "context": {
            "registration": au.attempt.registration,
            "contextActivities": {
                "category": categories,
                "grouping": [{"objectType": "Activity", "id": au.item["id"]}],
            },
            "extensions": extensions,
        },
        "timestamp": now.isoformat(),
        "stored": now.isoformat(),
        "authority": _authority(au.base),
        "version": XAPI_VERSION,
    }
    if result is not None:
        data["result"] = result
    row = LearningRecord(
        id=statement_id,
        company_id=au.attempt.company_id,
        user_id=au.attempt.user_id,
        verb=verb,
        course=au.course,
        version=au.version.number,
        unit=au.attempt.unit_id,
        statement=data,
        created_at=created_at or now,
    )
    session.add(row)
    session.flush()
    return row


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


# --- Durations -----------------------------------------------------------------------

_DURATION = re.compile(
    r"^P(?:(?P<d>\d+(?:\.\d+)?)D)?"
    r"(?:T(?:(?P<h>\d+(?:\.\d+)?)H)?(?:(?P<m>\d+(?:\.\d+)?)M)?(?:(?P<s>\d+(?:\.\d+)?)S)?)?$"
)


def parse_duration(value: Any) -> int:
    """Whole seconds of an ISO 8601 duration (PT1H2M3.5S); 0 for anything else."""
    if not isinstance(value, str) or value in ("P", "PT"):
        return 0
    match = _DURATION.match(value)
    if match is None:
        return 0
    parts = {k: float(v) if v else 0.0 for k, v in match.groupdict().items()}
    seconds = parts["d"] * 86400 + parts["h"] * 3600 + parts["m"] * 60 + parts["s"]
    return int(min(seconds, 10 * 365 * 86400))


def iso_duration(seconds: int) -> str:
    hours, rest = divmod(max(0, seconds), 3600)
    minutes, secs = divmod(rest, 60)
    return f"PT{hours}H{minutes}M{secs}S"
