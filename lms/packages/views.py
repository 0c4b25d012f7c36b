"""The pages of a package unit: start a SCO or AU, the player, its commits, its files.

Two blueprints:
- `bp` (under the learner's area, /learn): the launch (POST from the unit page), the
  player page (`/learn/play/<launch_id>`) and the commit endpoint scorm-again posts
  the learner's data to (`/learn/package-commits/<token>`).
- `files_bp` (no login): the package's files (`/package-files/<token>/<path>`), reached
  by the launch's secret token alone, on the package origin (`PACKAGE_ORIGIN`) when
  one is configured – there nothing else answers and no cookie is set
  (lms/security.py) – else on Lernwerk's own host inside a sandbox without
  same-origin rights. Either way a package's scripts never read Lernwerk's cookies,
  pages or CSRF tokens; they talk to the player only through `postMessage`.

The launch token exists only in the learner's session (the database keeps its
SHA-256): the player page reads it from there, so a reload within the launch's 12
hours resumes the same launch.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote, urlsplit

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    send_from_directory,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.datastructures import ContentRange

from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.input_checks import LARGEST_ID
from lms.models import Course, Enrollment, PackageAttempt, PackageLaunch, User
from lms.packages import cmi5, runtime, storage
from lms.permissions import public
from lms.security import csrf, limiter, package_file_policy, policy_with
from lms.services.learning import LearningError
from lms.templating import page_language

bp = Blueprint("packages", __name__)
files_bp = Blueprint("package_files", __name__)

# The launches whose token the session keeps (the newest ones), so the player page can
# be reloaded; a launch lives 12 hours (lms/packages/runtime.py).
SESSION_KEY = "package_launches"
KEPT_LAUNCHES = 4
# A commit of a SCO's data (the whole CMI as JSON) is at most this large.
COMMIT_LIMIT_BYTES = 1024 * 1024
# Files of a course version never change; each launch has URLs of its own.
FILE_MAX_AGE = 12 * 3600
# The two scripts injected into every HTML file of a package (`with_runtime_scripts`).
RUNTIME_SCRIPTS = {
    "cross-frame-api.min.js": "vendor/scorm-again/cross-frame-api.min.js",
    "package-api.js": "js/package-api.js",
}


# --- The learner's side (Lernwerk origin) ------------------------------------------


def _learn_routes() -> Any:
    """The learner area's enrolment look-ups (lms/learn/routes.py), imported when first
    needed: the learner area registers this module's blueprint as it is imported."""
    from lms.learn import routes

    return routes


def learner() -> User:
    user: User = current_user._get_current_object()
    return user


def _unit(enrollment: Enrollment, unit_id: str) -> dict[str, Any]:
    """The unit `unit_id` of the learner's version, as the learner's language renders it."""
    progress, index = _learn_routes()._unit_in(enrollment, unit_id)
    unit: dict[str, Any] = progress.units[index].unit
    return unit


@dataclass(frozen=True)
class ItemRow:
    """An item of a package unit as the unit page shows it."""

    state: runtime.ItemState
    status: str  # not_started, in_progress, completed, passed, failed

    @property
    def item(self) -> dict[str, Any]:
        return self.state.item


def item_status(state: runtime.ItemState) -> str:
    """The word the unit page shows for an item: its best of the current round."""
    latest = state.latest
    if latest is None:
        return "not_started"
    if state.satisfied:
        passed = latest.success == "passed" or state.item.get("passing_score")
        return "passed" if passed else "completed"
    if latest.success == "failed":
        return "failed"
    return "in_progress"


def package_unit_context(enrollment: Enrollment, unit: dict[str, Any]) -> list[ItemRow]:
    """What the unit page shows of a package unit: each item with its state."""
    states = runtime.item_states(db.session, enrollment, unit)
    return [ItemRow(state, item_status(state)) for state in states]


@bp.post("/courses/<slug>/<unit_id>/launch")
def launch(slug: str, unit_id: str) -> ResponseReturnValue:
    """Start or resume an item of a package unit, then open the player."""
    enrollment = _learn_routes().own_enrollment(slug)
    unit = _unit(enrollment, unit_id)
    item_id = request.form.get("item", "")
    try:
        launched = runtime.launch(db.session, current_actor(), enrollment, unit, item_id, now())
    except LearningError:  # not a package unit, or no such item in it
        abort(404)
    if launched.attempt.standard == "cmi5":
        item = runtime.package_item(unit, item_id)
        if item is not None:  # "launched" (and abandoned, waived) before the AU opens
            cmi5.record_launched(db.session, launched.launch, launched.attempt, item, now())
    kept = dict(session.get(SESSION_KEY, {}))
    kept[str(launched.launch.id)] = launched.token
    session[SESSION_KEY] = dict(list(kept.items())[-KEPT_LAUNCHES:])
    return redirect(url_for("learn.packages.play", launch_id=launched.launch.id))


@bp.get("/play/<int:launch_id>")
def play(launch_id: int) -> ResponseReturnValue:
    """The player: the item in a sandboxed frame, the SCORM API on this page."""
    user = learner()
    row = db.session.execute(
        select(PackageLaunch, PackageAttempt, Enrollment, Course)
        .join(PackageAttempt, PackageAttempt.id == PackageLaunch.attempt_id)
        .join(Enrollment, Enrollment.id == PackageAttempt.enrollment_id)
        .join(Course, Course.id == Enrollment.course_id)
        .where(
            PackageLaunch.id == launch_id,
            PackageLaunch.company_id == user.company_id,
            PackageAttempt.user_id == user.id,
        )
    ).first()
    token = session.get(SESSION_KEY, {}).get(str(launch_id))
    if row is None or token is None:
        abort(404)
    launch, attempt, enrollment, course = row
    unit_url = url_for("learn.unit", slug=course.slug, unit_id=attempt.unit_id)
    current = runtime.launch_by_token(db.session, token, now())
    if (
        current is None
        or current.id != launch.id
        or launch.number != attempt.launch_number
        or attempt.ended_at is not None
    ):
        # A newer launch, an ended attempt or 12 hours passed: start again from the unit.
        flash(_("This session has ended. Please start the unit again."), "info")
        return redirect(unit_url)
    unit = _unit(enrollment, attempt.unit_id)
    item = next((i for i in unit["package"]["items"] if i["id"] == attempt.item_id), None)
    if item is None:
        abort(404)
    origin = current_app.config.get("PACKAGE_ORIGIN")
    config = {
        "standard": attempt.standard,
        "launchUrl": _launch_url(launch, attempt, item, token, origin),
        "commitUrl": url_for("learn.packages.commit", token=token),
        "unitUrl": unit_url,
        "runtime": (
            runtime.runtime_data(attempt, item, user, page_language())
            if attempt.standard != "cmi5"
            else None
        ),
        "sequence": attempt.commit_sequence,
        # With a package origin its messages are checked by origin and source; without
        # one the sandboxed frame's origin is opaque ("null"): by source alone. Either
        # way each must carry the launch's API key, which only the package's own pages
        # are given (a page a package embeds from elsewhere has not).
        "packageOrigin": origin or "*",
        "apiKey": api_key(token),
        "texts": {
            "saved": _("Saved"),
            "offline": _("Not saved – no connection, trying again"),
            "refused": _(
                "Not saved: the package reported data Lernwerk cannot keep. "
                "Please tell your trainer."
            ),
            "superseded": _(
                "Not saved: this part is open in another window. Please continue there."
            ),
        },
    }
    response = current_app.make_response(
        render_template(
            "packages/player.html",
            course=course,
            unit=unit,
            item=item,
            attempt=attempt,
            config=config,
            sandbox=_sandbox(origin),
            unit_url=unit_url,
        )
    )
    response.headers["Content-Security-Policy"] = policy_with(frame_src=origin or "'self'")
    return response


def api_key(token: str) -> str:
    """The key a launch's package pages send with each call of the SCORM API (set into
    each page with package-api.js); derived from the launch's secret token."""
    return hashlib.sha256(b"lernwerk package api\n" + token.encode()).hexdigest()[:32]


def _sandbox(origin: str | None) -> str:
    """The frame's sandbox: same-origin rights only on a package origin of its own."""
    flags = "allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox"
    return f"{flags} allow-same-origin" if origin else flags


def _launch_url(
    launch: PackageLaunch,
    attempt: PackageAttempt,
    item: dict[str, Any],
    token: str,
    origin: str | None,
) -> str:
    """The item's launch file on the package origin (or this host), with its parameters."""
    base = (origin or "") + url_for("package_files.file", token=token, path="").rstrip("/")
    if attempt.standard == "cmi5":
        # The statement endpoint is beside the files: on the package origin, if any.
        endpoint = (origin or request.host_url.rstrip("/")) + "/xapi/cmi5/"
        return cmi5.launch_url(launch, attempt, item, token, endpoint, base + "/")
    url = f"{base}/{quote(item['href'])}"
    parameters = (item.get("parameters") or "").strip()
    if parameters.startswith("#"):
        return url + parameters
    parameters = parameters.lstrip("?&")
    return f"{url}?{parameters}" if parameters else url


def _lms_origin() -> str:
    """Lernwerk's origin as the learner's browser sees it: the origin of `BASE_URL` when
    packages have an origin of their own, else this request's (the same host)."""
    if current_app.config.get("PACKAGE_ORIGIN"):
        parts = urlsplit(current_app.config["BASE_URL"])
        return f"{parts.scheme}://{parts.netloc}"
    return request.host_url.rstrip("/")


@bp.post("/package-commits/<token>")
@csrf.exempt
@limiter.limit(
    lambda: current_app.config["PACKAGE_COMMIT_LIMIT"],
    key_func=lambda: "package-commit:" + str((request.view_args or {}).get("token", "")),
)
def commit(token: str) -> ResponseReturnValue:
    """Keep the learner data scorm-again commits (fetch, or the page's `sendBeacon`).

    Exempt from the CSRF check (a beacon cannot send the CSRF header): the launch's
    token in the URL is the synchronizer token – secret, per launch, known to the
    learner's player page and to the launched package (its files' URLs carry it), never
    to another site – and the learner must be signed in and own the launch as well.
    The package itself gains nothing by posting here: it can only write its own
    attempt, which it does through the SCORM API anyway.
    """
    if (request.content_length or 0) > COMMIT_LIMIT_BYTES:
        abort(413)
    launch = runtime.launch_by_token(db.session, token, now())
    if launch is None:
        abort(404)
    attempt = db.session.get(PackageAttempt, launch.attempt_id)
    if attempt is None or attempt.user_id != learner().id:
        abort(403)
    data = request.get_data(cache=False)
    if len(data) > COMMIT_LIMIT_BYTES:  # sent without a Content-Length
        abort(413)
    try:
        body = json.loads(data)
    except (ValueError, RecursionError):  # not JSON, or nested too deeply to read
        abort(400)
    if not isinstance(body, dict) or not isinstance(body.get("cmi"), dict):
        abort(400)
    sequence = body.pop("commitSequence", 0)
    terminate = body.pop("terminate", False) is True
    valid = isinstance(sequence, int) and not isinstance(sequence, bool)
    if not valid or not 0 <= sequence <= LARGEST_ID:  # kept in an INTEGER column
        abort(400)
    try:
        outcome = runtime.commit(db.session, launch, body, sequence, terminate, now())
    except runtime.CommitRefused as refused:  # nothing is kept: the answer is 400
        current_app.logger.info("package commit refused: %s", refused.code)
        return jsonify(result=False, errorCode=391), 400
    if outcome.superseded:
        # The item was launched again (another tab or device): this one's data is not
        # kept, and its player says so instead of "saved".
        return jsonify(result=False, errorCode=391, superseded=True), 409
    # scorm-again's expected answer: anything else counts as a failed commit.
    # Also the commit's number: the player then knows which of its changes are kept
    # (scorm-again's own success event does not say which commit it was).
    return jsonify(result=True, errorCode=0, sequence=sequence)


# --- The package's side (package origin) -------------------------------------------


_HEAD = re.compile(rb"<head(?:\s[^>]*)?>", re.IGNORECASE)
_DOCTYPE = re.compile(rb"\s*<!doctype[^>]*>", re.IGNORECASE)


def with_runtime_scripts(html: bytes, scripts: bytes) -> bytes:
    """`html` with `scripts` (the two runtime script tags) right after `<head>`, else
    after the doctype, else at the very start: the SCO's own scripts then find
    `window.API` / `window.API_1484_11` (set by package-api.js) before they run."""
    found = _HEAD.search(html) or _DOCTYPE.match(html)
    at = found.end() if found else 0
    return html[:at] + scripts + html[at:]


def _on_package_host() -> bool:
    origin = current_app.config.get("PACKAGE_ORIGIN")
    return origin is None or request.host.lower() == urlsplit(origin).netloc.lower()


def _not_found() -> Response:
    # Plain: no page of Lernwerk's (menus, names) ever shows on the package origin.
    return Response("Not Found", status=404, mimetype="text/plain")


def _package_headers(response: Response) -> Response:
    response.headers["Content-Security-Policy"] = package_file_policy(
        _lms_origin(), current_app.config.get("PACKAGE_ORIGIN")
    )
    # Sandboxed packages (opaque origin) load their own files by XHR as well.
    response.headers["Access-Control-Allow-Origin"] = "*"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Cache-Control"] = f"private, max-age={FILE_MAX_AGE}"
    return response


@files_bp.get("/package-files/<token>/<path:path>")
@public
def file(token: str, path: str) -> ResponseReturnValue:
    """A file of the launched package, HTML files with the runtime scripts added."""
    if not _on_package_host():
        return _not_found()
    launch = runtime.launch_by_token(db.session, token, now())
    if launch is None:
        return _not_found()
    attempt = db.session.get(PackageAttempt, launch.attempt_id)
    if attempt is None:
        return _not_found()
    found = storage.file_info(db.session, attempt.version_id, attempt.package, path)
    if found is None:
        return _not_found()
    if not found.content_type.startswith("text/html"):
        return _package_headers(_stored_file(found))
    data = storage.read_part(db.session, found.sha256, 0, found.size) or b""
    base = url_for("package_files.runtime_script", token=token, name="")
    scripts = (
        f'<script src="{base}cross-frame-api.min.js"></script>'
        f'<script src="{base}package-api.js" data-lms-origin="{_lms_origin()}" '
        f'data-api-key="{api_key(token)}"></script>'
    )
    response = Response(
        with_runtime_scripts(data, scripts.encode()), content_type=found.content_type
    )
    response.make_conditional(request, accept_ranges=True, complete_length=response.content_length)
    return _package_headers(response)


def _stored_file(found: storage.StoredFile) -> Response:
    """A package file as it is stored, or the byte range asked for (a video or audio is
    seeked by ranges), with its content hash as ETag. Only the bytes sent are read; a
    span over storage.PART_BYTES is read part by part while it is sent."""
    size = found.size
    # If-None-Match compares weakly (a proxy may have weakened the ETag), If-Range
    # strongly: the range only of the very file the browser has part of (a date never
    # matches: no Last-Modified is sent). Several ranges at once get the whole file.
    if request.if_none_match.contains_weak(found.sha256):
        response = Response(status=304)
        response.set_etag(found.sha256)
        return response
    start, stop, partial = 0, size, False
    asked = request.range
    if_range = request.headers.get("If-Range")
    same_file = if_range is None or if_range.strip() == f'"{found.sha256}"'
    if asked is not None and asked.units == "bytes" and len(asked.ranges) == 1 and same_file:
        suffix = -asked.ranges[0][0]  # "bytes=-500": the last 500 bytes
        # A suffix longer than the file is the whole file (RFC 9110, 14.1.2).
        span = (0, size) if suffix >= size > 0 else asked.range_for_length(size)
        if span is None:
            response = Response(status=416, mimetype="text/plain")
            response.content_range = ContentRange("bytes", None, None, size)
            return response
        (start, stop), partial = span, True
    if stop - start <= storage.PART_BYTES:
        body: bytes | Iterator[bytes] = (
            storage.read_part(db.session, found.sha256, start, stop - start) or b""
        )
    else:
        body = storage.parts(db.app_database, found.sha256, start, stop)
    response = Response(body, status=206 if partial else 200, content_type=found.content_type)
    response.content_length = stop - start
    response.accept_ranges = "bytes"
    if partial:
        response.content_range = ContentRange("bytes", start, stop, size)
    response.set_etag(found.sha256)
    return response


@files_bp.get("/package-files/return")
@public
def returned() -> ResponseReturnValue:
    """Where a package sends its frame when it ends (cmi5's `returnURL`, SCORM packages
    that go to a page of their LMS): a short page that asks the player, by postMessage,
    to save and go back to the unit page. It holds nothing of the learner's: the frame
    is sandboxed, and Lernwerk's own pages may not be framed."""
    if not _on_package_host():
        return _not_found()
    response = current_app.make_response(
        render_template("packages/returned.html", lms_origin=_lms_origin())
    )
    return _package_headers(response)


@files_bp.get("/package-files/return.js")
@public
def return_script() -> ResponseReturnValue:
    if not _on_package_host():
        return _not_found()
    response = send_from_directory(
        f"{current_app.static_folder}/js", "package-return.js", mimetype="text/javascript"
    )
    return _package_headers(response)


@files_bp.get("/package-files/<token>/__lernwerk__/<name>")
@public
def runtime_script(token: str, name: str) -> ResponseReturnValue:
    """scorm-again's cross-frame API and package-api.js, from the package's own origin."""
    if not _on_package_host() or name not in RUNTIME_SCRIPTS:
        return _not_found()
    folder, _sep, filename = RUNTIME_SCRIPTS[name].rpartition("/")
    response = send_from_directory(
        f"{current_app.static_folder}/{folder}", filename, mimetype="text/javascript"
    )
    return _package_headers(response)
