"""The start page, the language switch and the health check."""

from __future__ import annotations

from flask import (
    abort,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_login import current_user
from sqlalchemy import func, select, true
from sqlalchemy.orm import joinedload

from lms import certificates
from lms.clock import now
from lms.content.importer import visible_to
from lms.db import db
from lms.main import bp, health
from lms.models import (
    AssetBlob,
    Company,
    Completion,
    Course,
    CourseVersion,
    Role,
    User,
    VersionAsset,
)
from lms.permissions import public
from lms.redirects import safe_next
from lms.security import limiter
from lms.services import accounts

# The area a user lands on after logging in, by the first role they hold.
START_PAGES = (
    (Role.ADMIN, "admin.index"),
    (Role.TRAINER, "author.index"),
    (Role.MANAGER, "manage.index"),
    (Role.LEARNER, "learn.index"),
)


@bp.get("/")
def index() -> ResponseReturnValue:
    for role, endpoint in START_PAGES:
        if current_user.has_role(role):
            return redirect(url_for(endpoint))
    return redirect(url_for("auth.profile"))


@bp.post("/language")
@public
def set_language() -> ResponseReturnValue:
    lang = request.form.get("lang", "")
    if lang in current_app.config["LANGUAGES"]:
        session["lang"] = lang
        if current_user.is_authenticated:
            user = db.session.get(User, current_user.id)
            if user is not None:
                accounts.choose_language(db.session, user, lang)
    return redirect(safe_next(request.form.get("next"), url_for("main.index")))


def _health_answer(checks: dict[str, str]) -> ResponseReturnValue:
    ready = all(verdict == health.OK for verdict in checks.values())
    body = {"status": "ok" if ready else "unavailable", "checks": checks}
    return body, 200 if ready else 503, {"Cache-Control": "no-store"}


@bp.get("/healthz/live")
@public
def healthz_live() -> ResponseReturnValue:
    """Liveness, for an orchestrator: the process answers. It asks the database
    nothing, so an outage there does not get every worker restarted."""
    return _health_answer({})


@bp.get("/healthz")
@bp.get("/healthz/ready")
@public
def healthz() -> ResponseReturnValue:
    """Readiness, for a proxy or load balancer: 200 if the database accepts a write
    and the disk has room; 503 naming the check that failed. /healthz is the same."""
    return _health_answer(health.readiness(current_app))


# Course assets under versioned URLs never change: cache them for a year.
ASSET_CACHE = "private, max-age=31536000, immutable"
# An SVG opened directly must not run script or load anything.
SVG_POLICY = "default-src 'none'; style-src 'unsafe-inline'; sandbox"


@bp.get("/content/<slug>/<digest>/<path:asset_path>")
def course_asset(slug: str, digest: str, asset_path: str) -> ResponseReturnValue:
    """An image, audio, video or PDF of a course version (logged-in users only)."""
    row = db.session.execute(
        select(VersionAsset.content_type, AssetBlob.data)
        .join(AssetBlob, AssetBlob.sha256 == VersionAsset.sha256)
        .join(CourseVersion, CourseVersion.id == VersionAsset.version_id)
        .join(Course, Course.id == CourseVersion.course_id)
        .where(
            Course.slug == slug,
            CourseVersion.content_hash.startswith(digest, autoescape=True),
            VersionAsset.path == asset_path,
            func.length(digest) == 16,
            # People of a company see the assets of the courses open to it.
            visible_to(current_user.company_id) if current_user.company_id else true(),
        )
        .limit(1)
    ).first()
    if row is None:
        abort(404)
    content_type, data = row
    response = make_response(data)
    response.headers["Content-Type"] = content_type
    response.headers["Cache-Control"] = ASSET_CACHE
    if content_type == "image/svg+xml":
        response.headers["Content-Security-Policy"] = SVG_POLICY
    if content_type == "application/pdf":
        response.headers["Content-Disposition"] = "attachment"
    return response


@bp.get("/verify/<code>")
@public
@limiter.limit("60 per minute")
def verify(code: str) -> ResponseReturnValue:
    """Whether a certificate is valid; shows no more than the certificate itself."""
    completion = db.session.scalar(
        select(Completion)
        .where(Completion.code == certificates.normalize_code(code))
        .options(joinedload(Completion.version), joinedload(Completion.course))
    )
    if completion is None:
        return render_template("main/verify.html", completion=None, code=code), 404
    user = db.session.get(User, completion.user_id)
    company = db.session.get(Company, completion.company_id)
    return render_template(
        "main/verify.html",
        completion=completion,
        status=certificates.status(db.session, completion, now()),
        learner=user.display_name if user else "",
        company=company.name if company else "",
        code=completion.code,
    )
