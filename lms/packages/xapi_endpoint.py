"""The statement endpoint cmi5 AUs talk to, at /xapi/cmi5/ (an xAPI 1.0.3 LRS, as small
as cmi5 needs).

- `POST fetch/<token>`: the launch's one-time fetch URL, answering the auth token.
- `statements` (PUT, POST, a minimal GET), `activities/state`, `agents/profile`
  (the learner preferences), `about`.

No login session, no cookie and no CSRF token: every request but `about` and the
fetch carries `Authorization: Basic <auth token>`, which stands for one launch and
reaches only that launch's learner, registration and session. Answers allow any
origin without credentials (CORS `*`): an AU runs on the package origin, or in a
sandbox whose origin is opaque. When a package origin is configured the endpoint is
served there (lms/security.py lets it answer on that host), else on Lernwerk's own.
The rules statements must keep are in `lms/packages/cmi5_statements.py`.
"""

from __future__ import annotations

import hashlib
import json
import logging
from typing import Any

from flask import Blueprint, Response, current_app, request
from flask.typing import ResponseReturnValue
from werkzeug.exceptions import HTTPException

from lms.clock import now
from lms.db import db
from lms.models import User
from lms.packages import cmi5, cmi5_statements
from lms.packages.cmi5 import AuSession, StatementRejected
from lms.permissions import public
from lms.security import csrf, limiter

log = logging.getLogger(__name__)

bp = Blueprint("xapi_cmi5", __name__)
csrf.exempt(bp)

# A request body larger than this is refused (a batch of statements, a state document).
BODY_LIMIT_BYTES = 1024 * 1024
CORS_HEADERS = {
    "Access-Control-Allow-Origin": "*",
    "Access-Control-Allow-Methods": "GET, PUT, POST, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type, X-Experience-API-Version",
    "Access-Control-Expose-Headers": "X-Experience-API-Version, Content-Type",
    "Access-Control-Max-Age": "600",
}


def endpoint_base() -> str:
    """The endpoint's absolute URL (ending in "/") as an AU launched now reaches it: on
    the package origin when one is configured, else on this request's host."""
    origin = current_app.config.get("PACKAGE_ORIGIN") or request.host_url.rstrip("/")
    return f"{origin}{cmi5.ENDPOINT_PATH}/"


@bp.after_request
def _cors(response: Response) -> Response:
    for name, value in CORS_HEADERS.items():
        response.headers[name] = value
    response.headers["X-Experience-API-Version"] = cmi5.XAPI_VERSION
    response.headers["Cache-Control"] = "no-store"
    return response


def _json(document: Any, status: int = 200) -> Response:
    return Response(json.dumps(document), status=status, mimetype="application/json")


def _error(status: int, reason: str) -> Response:
    return _json({"error": reason}, status)


@bp.errorhandler(StatementRejected)
def _rejected(error: StatementRejected) -> Response:
    db.session.rollback()
    return _error(error.status, error.reason)


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    # JSON, never one of Lernwerk's pages: this may be the package origin.
    return _error(error.code or 500, error.name)


@bp.errorhandler(Exception)
def _unexpected(error: Exception) -> Response:
    log.exception("cmi5 request %s %s failed", request.method, request.path)
    db.session.rollback()
    return _error(500, "internal error; nothing was kept")


def _limit() -> str:
    return str(current_app.config["PACKAGE_COMMIT_LIMIT"])


def _per_credential() -> str:
    """Requests are counted per auth token (or fetch URL): one AU's session."""
    given = request.headers.get("Authorization") or request.path
    return "cmi5:" + hashlib.sha256(given.encode("utf-8")).hexdigest()[:32]


def _au() -> AuSession:
    """The launch the request's auth token stands for, with its attempt and AU."""
    if request.method != "GET" and request.headers.get("X-Experience-API-Version") is None:
        raise StatementRejected(400, "X-Experience-API-Version header missing")
    if (request.content_length or 0) > BODY_LIMIT_BYTES:
        raise StatementRejected(413, "request too large")
    launch = cmi5.authenticated_launch(
        db.session, request.headers.get("Authorization"), now(), current_app.config["SECRET_KEY"]
    )
    au = cmi5.au_session(db.session, launch) if launch is not None else None
    if au is None:
        raise StatementRejected(401, "a valid cmi5 auth token is needed")
    return au


@bp.route("/fetch/<token>", methods=["POST", "OPTIONS"])
@public
@limiter.limit(_limit, key_func=_per_credential)
def fetch(token: str) -> ResponseReturnValue:
    """The fetch URL: the auth token once (spec 8.2); every answer is 200 and JSON."""
    if request.method == "OPTIONS":
        return Response(status=204)
    document = cmi5.fetch_auth_token(db.session, token, now(), current_app.config["SECRET_KEY"])
    db.session.commit()
    return _json(document)


@bp.route("/about", methods=["GET", "OPTIONS"])
@public
def about() -> ResponseReturnValue:
    return _json({"version": [cmi5.XAPI_VERSION]})


@bp.route("/statements", methods=["GET", "PUT", "POST", "OPTIONS"])
@public
@limiter.limit(_limit, key_func=_per_credential)
def statements() -> ResponseReturnValue:
    if request.method == "OPTIONS":
        return Response(status=204)
    au = _au()
    if request.method == "GET":
        wanted = request.args.get("statementId")
        if wanted is not None:
            found = cmi5_statements.statement_by_id(db.session, au, wanted)
            return _json(found) if found is not None else _error(404, "no such statement")
        return _json(
            {"statements": cmi5_statements.registration_statements(db.session, au), "more": ""}
        )
    body = _body_json()
    if request.method == "PUT":
        wanted = request.args.get("statementId")
        if not wanted or not isinstance(body, dict):
            raise StatementRejected(400, "PUT needs a statementId and one statement")
        if body.setdefault("id", wanted) != wanted:
            raise StatementRejected(400, "statementId and the statement's id differ")
        cmi5_statements.receive(db.session, au, [body], now())
        db.session.commit()
        return Response(status=204)
    batch = body if isinstance(body, list) else [body]
    ids = cmi5_statements.receive(db.session, au, batch, now())
    db.session.commit()
    return _json(ids)


def _body_json() -> Any:
    try:
        return json.loads(request.get_data(cache=False)[: BODY_LIMIT_BYTES + 1])
    except (ValueError, RecursionError) as error:  # not JSON, or nested too deeply
        raise StatementRejected(400, "the body is not JSON") from error


@bp.route("/activities/state", methods=["GET", "PUT", "POST", "DELETE", "OPTIONS"])
@public
@limiter.limit(_limit, key_func=_per_credential)
def state() -> ResponseReturnValue:
    """The State API, scoped to the launch's learner and registration."""
    if request.method == "OPTIONS":
        return Response(status=204)
    au = _au()
    activity_id = request.args.get("activityId") or ""
    if not activity_id:
        raise StatementRejected(400, "activityId missing")
    cmi5.check_scope(au, request.args.get("agent"), request.args.get("registration"))
    state_id = request.args.get("stateId")
    if request.method == "GET":
        found = cmi5.get_state(au, db.session, activity_id, state_id)
        if found is None:
            return _error(404, "no such state")
        if isinstance(found, list):
            return _json(found)
        content_type, content = found
        # The AU's own bytes with the type it gave: never a page a browser would run
        # (opened directly, it is a sandboxed download).
        answer = Response(content, content_type=content_type)
        answer.headers["Content-Security-Policy"] = "sandbox; default-src 'none'"
        answer.headers["Content-Disposition"] = "attachment"
        answer.headers["X-Content-Type-Options"] = "nosniff"
        return answer
    if request.method == "DELETE":
        cmi5.delete_state(au, db.session, activity_id, state_id)
        db.session.commit()
        return Response(status=204)
    if not state_id:
        raise StatementRejected(400, "stateId missing")
    cmi5.put_state(
        au,
        db.session,
        activity_id,
        state_id,
        request.content_type or "application/octet-stream",
        request.get_data(cache=False)[: BODY_LIMIT_BYTES + 1],
        now(),
        merge=request.method == "POST",
    )
    db.session.commit()
    return Response(status=204)


@bp.route("/agents/profile", methods=["GET", "PUT", "POST", "DELETE", "OPTIONS"])
@public
@limiter.limit(_limit, key_func=_per_credential)
def agent_profile() -> ResponseReturnValue:
    """The learner preferences (spec 11): the learner's language; changes are
    declined with 403, which cmi5 tells AUs to accept."""
    if request.method == "OPTIONS":
        return Response(status=204)
    au = _au()
    cmi5.check_scope(au, request.args.get("agent"), None)
    if request.method != "GET":
        raise StatementRejected(403, "the learner preferences are kept by Lernwerk")
    profile_id = request.args.get("profileId")
    if profile_id is None:
        return _json([cmi5.LEARNER_PREFERENCES])
    if profile_id != cmi5.LEARNER_PREFERENCES:
        return _error(404, "no such profile")
    user = db.session.get(User, au.attempt.user_id)
    default = current_app.config.get("BABEL_DEFAULT_LOCALE", "de")
    return _json(cmi5.learner_preferences(user, default))
