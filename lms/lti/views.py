"""LTI 1.3 pages: the public /lti endpoints a learning platform calls, and the admin's
pages of a company's platforms (/admin/companies/<id>/lti/).

`bp` (public, no CSRF token: the platform posts these forms, and what protects them
is the state, the nonce and the platform's signature):

- /lti/login: the platform's third-party initiated login. The platform is found by
  its issuer and client ID; a launch on its way (state and nonce) is stored in the
  database, used once and for ten minutes at most, so every worker and instance
  agrees; the browser gets a cookie bound to the state (see `_bind_browser`) and goes
  on to the platform's authentication address.
- /lti/launch: the platform posts the signed ID token with the state. Checked:
  the state (known, unused, unexpired) and, unless the launch is framed, that this
  browser holds the state's cookie (else someone could post their own launch from
  the victim's browser and sign the victim in as themselves); the signature against
  the platform's keys, issuer, audience, times, nonce, deployment, message type and
  version, the target link (a module the company sees). Then the person (linked,
  matched by address in the company if a learner only, or created), the enrolment
  and the grade link, and the person is signed in and sent to the module. A launch
  inside the platform's frame, where browsers keep no cookie of Lernwerk's, signs
  nobody in: it shows a button that opens Lernwerk in a new window with a one-time
  ticket (/lti/continue/<ticket>), whose page asks "Continue as <name>" and signs in
  only when the button there is pressed (a POST with the CSRF token).
- /lti/jwks: Lernwerk's public keys (the platform checks the client assertion of
  the grade return with them).

A refused launch answers a page with a sentence (400, or 403 for a person who may
not come in), logs the reason and keeps nothing. No database transaction is open
while the platform's keys are read. LTI never signs in a person who has a second
factor, and links a platform's account to an existing person by address only if
that person is a learner only (lms.lti.service.person_for).
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from datetime import datetime
from urllib.parse import urlencode, urlsplit

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.exc import IntegrityError
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from lms.areas import CompanyPlace, company_in_url, whole_company_places
from lms.audit.trail import current_actor, request_network
from lms.auth import signing_in
from lms.clock import now
from lms.content.importer import catalogue
from lms.db import db, write_intent
from lms.forms import Form
from lms.input_checks import as_id
from lms.lti import forms, grades, keys, protocol, service
from lms.lti.protocol import LtiRefused
from lms.models import Course, Role, User
from lms.models.lti import LtiPlatform
from lms.permissions import public
from lms.security import CONTENT_SECURITY_POLICY, csrf, limiter
from lms.services import learning

log = logging.getLogger("lms.lti")

bp = Blueprint("lti", __name__)
csrf.exempt(bp)

# A class of thirty starting at once comes from one network.
LAUNCH_LIMIT = "120/minute"


def failure_text(code: str) -> str:
    """What a person reads when a launch from their learning platform did not work."""
    texts = {
        "unknown-platform": _(
            "Lernwerk does not know this learning platform. Please ask the platform's "
            "administrator to register it with Lernwerk."
        ),
        "state": _(
            "This launch was already used or took too long. Please open the activity "
            "in your learning platform again."
        ),
        "nonce": _(
            "This launch was already used or took too long. Please open the activity "
            "in your learning platform again."
        ),
        "expired": _(
            "The launch has expired. Please open the activity in your learning platform again."
        ),
        "bad-signature": _(
            "The launch was not signed by your learning platform, so Lernwerk does not trust it."
        ),
        "wrong-audience": _(
            "The launch was meant for a different tool, not Lernwerk. Please tell the "
            "platform's administrator."
        ),
        "wrong-issuer": _(
            "The launch came from a different platform than the one registered. Please "
            "tell the platform's administrator."
        ),
        "deployment": _(
            "Lernwerk is not set up for this place of your learning platform (its "
            "deployment). Please tell the platform's administrator."
        ),
        "message-type": _("Lernwerk can open modules only (LTI 1.3 resource links)."),
        "no-course": _(
            "The module of this activity does not exist or is not open to your company. "
            "Please tell the platform's administrator."
        ),
        "unreachable": _(
            "Your learning platform cannot be reached at the moment. Please try again in "
            "a few minutes."
        ),
        "address": _(
            "Your learning platform is set up with an address Lernwerk may not call. "
            "Please tell the training provider."
        ),
        "bad-answer": _(
            "Your learning platform answered in a way Lernwerk does not understand. "
            "Please tell the platform's administrator."
        ),
        "other-company": _(
            "Your account belongs to another company. Please open Lernwerk through your "
            "own company."
        ),
        "deactivated": _("Your account is deactivated. Please contact your manager or HR."),
        "company-suspended": _(
            "Your company's access to Lernwerk is paused. Please contact your manager or HR."
        ),
        "handoff": _(
            "This link was already used or is too old. Please open the activity in your "
            "learning platform again."
        ),
        "other-browser": _(
            "This launch did not start in this browser. Please open the activity in your "
            "learning platform again."
        ),
        "address-taken": _(
            "An account with this e-mail address exists and cannot be opened from the "
            "learning platform. Please sign in to Lernwerk directly."
        ),
        "second-factor": _(
            "Your account is protected by a second factor and cannot be opened from the "
            "learning platform. Please sign in to Lernwerk directly."
        ),
        "not-a-learner": _(
            "Your account has more rights than a learner's and cannot be opened from the "
            "learning platform. Please sign in to Lernwerk directly."
        ),
    }
    return texts.get(code, _("The launch could not be checked. Please open the activity again."))


_REFUSALS = frozenset(
    {
        "other-company",
        "deactivated",
        "company-suspended",
        "address-taken",
        "second-factor",
        "not-a-learner",
    }
)


def _refused(code: str, detail: str = "", platform_id: int | None = None) -> ResponseReturnValue:
    # Never a token in the log: the reason's code and a plain detail.
    log.warning("LTI launch refused: %s (platform %s) %s", code, platform_id, detail)
    status = 503 if code == "unreachable" else 403 if code in _REFUSALS else 400
    response = make_response(
        render_template("lti/failed.html", text=failure_text(code), code=code), status
    )
    response.headers["Cache-Control"] = "no-store"
    if _framed() and platform_id is not None:
        platform = db.session.get(LtiPlatform, platform_id)
        if platform is not None:
            # The platform shows why in its own frame, not a frame the browser blocked.
            _framable_by(response, platform)
    return response


def _state_cookie(state: str) -> tuple[str, str]:
    """The name and value of the cookie that binds a launch on its way to the browser
    that began it: the name from the state's digest (each tab's launch has its own),
    the value a digest of the state keyed with the app's secret."""
    digest = hashlib.sha256(state.encode()).hexdigest()[:16]
    secret = current_app.secret_key or ""
    key = secret if isinstance(secret, bytes) else str(secret).encode()
    value = hmac.new(key, b"lti-browser\n" + state.encode(), hashlib.sha256).hexdigest()
    return f"lms_lti_{digest}", value


def _cookie_secure() -> bool:
    return request.is_secure or bool(current_app.config.get("SESSION_COOKIE_SECURE"))


def _bind_browser(response: Response, state: str) -> None:
    # The launch is a form the platform's page posts to Lernwerk (a cross-site POST):
    # a cookie comes along only with SameSite=None, which browsers take only with
    # Secure (LTI 1.3 needs HTTPS anyway). Over plain HTTP (development) no SameSite
    # is named, which browsers without "Lax by default" send along.
    name, value = _state_cookie(state)
    secure = _cookie_secure()
    response.set_cookie(
        name, value, max_age=service.STATE_SECONDS, path=request.script_root + "/lti/",
        secure=secure, httponly=True, samesite="None" if secure else None,
    )  # fmt: skip


def _started_here(state: str) -> bool:
    """Whether this browser holds the cookie of the launch with `state`."""
    name, value = _state_cookie(state)
    return hmac.compare_digest(request.cookies.get(name, "").encode(), value.encode())


def _forget_browser(response: Response, state: str) -> None:
    name, _value = _state_cookie(state)
    if name in request.cookies:
        secure = _cookie_secure()
        response.delete_cookie(
            name, path=request.script_root + "/lti/", secure=secure, httponly=True,
            samesite="None" if secure else None,
        )  # fmt: skip


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(lambda: LAUNCH_LIMIT, key_func=request_network, scope="lti-login")
def login() -> ResponseReturnValue:
    """Third-party initiated login: on to the platform's authentication address with a
    fresh state and nonce."""
    values = request.values
    issuer = values.get("iss", "")[:500]
    login_hint = values.get("login_hint", "")
    target = values.get("target_link_uri", "")
    if not issuer or not login_hint or not target:
        return _refused("incomplete", "iss, login_hint or target_link_uri missing")
    with db.reading():
        platform = service.find_platform(db.session, issuer, values.get("client_id", "")[:255])
        if platform is None:
            return _refused("unknown-platform", f"issuer {issuer!r}")
        deployment = values.get("lti_deployment_id")
        if deployment is not None and deployment not in platform.deployment_list:
            return _refused("deployment", f"deployment {deployment[:80]!r}", platform.id)
        if not platform.company.is_active:
            return _refused("company-suspended", "", platform.id)
    write_intent.set(True)  # the launch on its way is stored
    pending = service.begin_launch(db.session, platform, now())
    service.prune_launches(db.session, now())
    params = {
        "scope": "openid",
        "response_type": "id_token",
        "response_mode": "form_post",
        "prompt": "none",
        "client_id": platform.client_id,
        "redirect_uri": url_for("lti.launch", _external=True),
        "login_hint": login_hint,
        "state": pending.state,
        "nonce": pending.nonce,
    }
    if "lti_message_hint" in values:
        params["lti_message_hint"] = values["lti_message_hint"]
    joiner = "&" if urlsplit(platform.auth_login_url).query else "?"
    response = redirect(platform.auth_login_url + joiner + urlencode(params))
    response.headers["Cache-Control"] = "no-store"
    _bind_browser(response, pending.state)
    return response


def _slug_of(target: str) -> str | None:
    """The module a target link URI names: Lernwerk's own address of a module page
    (what the platform's admin copies from the platform's page in Lernwerk)."""
    try:
        parts = urlsplit(target)
    except ValueError:
        return None
    if parts.scheme not in ("https", "http") or parts.netloc != request.host:
        return None
    root = request.script_root
    if root and not parts.path.startswith(root + "/"):
        return None
    adapter = current_app.url_map.bind(request.host)
    try:
        endpoint, arguments = adapter.match(parts.path[len(root) :], method="GET")
    except HTTPException:
        return None
    if endpoint != "learn.course":
        return None
    return str(arguments.get("slug", "")) or None


def _framed() -> bool:
    """Whether the browser shows the launch inside a frame (the platform's page)."""
    return request.headers.get("Sec-Fetch-Dest", "") in ("iframe", "frame")


@bp.post("/launch")
@public
@limiter.limit(lambda: LAUNCH_LIMIT, key_func=request_network, scope="lti-launch")
def launch() -> ResponseReturnValue:
    state = request.form.get("state", "")
    response = make_response(_launch(state))
    if state and len(state) <= 64:
        _forget_browser(response, state)  # the state is used up or refused either way
    return response


def _launch(state: str) -> ResponseReturnValue:
    id_token = request.form.get("id_token", "")
    if "error" in request.form:
        return _refused("state", f"the platform answered {request.form['error'][:60]!r}")
    if not id_token or len(id_token) > 64 * 1024:
        return _refused("bad-token", "no ID token")
    at = now()
    with db.reading():
        pending = service.pending_launch(db.session, state, at)
        if pending is None:
            return _refused("state", "unknown, used or expired state")
        if not _framed() and not _started_here(state):
            # Someone's own launch posted from another browser would sign its person
            # in there. A framed launch signs nobody in (and its browser may keep no
            # cookie of Lernwerk's there): its new window asks who continues.
            return _refused("other-browser", "no cookie of this state: the login began in "
                            "another browser", pending.platform_id)  # fmt: skip
        platform = db.session.get_one(LtiPlatform, pending.platform_id)
        expected = protocol.Expected(
            issuer=platform.issuer,
            client_id=platform.client_id,
            nonce=pending.nonce,
            deployment_ids=tuple(platform.deployment_list),
        )
        platform_id, pending_id, jwks_url = platform.id, pending.id, platform.jwks_url
    try:
        claims = protocol.check_launch(id_token, jwks_url, expected, at)
    except LtiRefused as refused:
        return _refused(refused.code, refused.detail, platform_id)
    # From here the launch writes: on SQLite its transaction takes the write lock.
    write_intent.set(True)
    if not service.use_launch(db.session, pending_id, at):
        return _refused("state", "used by another request a moment ago", platform_id)
    platform = db.session.get_one(LtiPlatform, platform_id)
    slug = _slug_of(str(claims.get(protocol.TARGET_LINK_URI, "")))
    course = service.launchable_course(db.session, slug, platform.company_id) if slug else None
    if course is None:
        return _refused("no-course", f"target {str(claims.get(protocol.TARGET_LINK_URI))[:200]!r}",
                        platform_id)  # fmt: skip
    try:
        person = service.person_for(db.session, platform, claims, at, request_network())
        learning.enroll(db.session, person, course, at)
        service.keep_grade_link(db.session, platform, person, course, claims, at)
    except service.LaunchRefused as refused:
        return _refused(refused.code, refused.detail, platform_id)
    except learning.LearningError as exc:
        return _refused("no-course", str(exc), platform_id)
    except IntegrityError:
        # The same person's first launch in two tabs at once: the other one linked or
        # added them a moment ago.
        db.session.rollback()
        return _refused("state", "linked by a launch at the same moment", platform_id)
    log.info("person %s launched into module %s from platform %s",
             person.id, course.id, platform_id)  # fmt: skip
    if _framed():
        return _framed_page(platform, person, course, at)
    signing_in.sign_in(person, remember=False)
    return redirect(url_for("learn.course", slug=course.slug))


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}" if parts.scheme and parts.netloc else ""


def _framed_page(
    platform: LtiPlatform, person: User, course: Course, at: datetime
) -> ResponseReturnValue:
    """Inside the platform's frame: a button that opens Lernwerk in a new window, where
    a one-time ticket signs the person in. Only the platform may frame this page."""
    token = service.new_handoff(db.session, person, course, at)
    response = make_response(
        render_template(
            "lti/framed.html",
            course=course,
            url=url_for("lti.handoff", token=token, _external=True),
        )
    )
    _framable_by(response, platform)
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _framable_by(response: Response, platform: LtiPlatform) -> None:
    """Let the platform's pages (its issuer's and login's origins), and only them, frame
    `response`; every other page of Lernwerk refuses any frame."""
    origins = sorted({o for o in (_origin(platform.issuer), _origin(platform.auth_login_url)) if o})
    policy = CONTENT_SECURITY_POLICY.replace(
        "frame-ancestors 'none'", "frame-ancestors " + (" ".join(origins) or "'none'")
    )
    response.headers["Content-Security-Policy"] = policy
    # Browsers that know frame-ancestors ignore X-Frame-Options beside it.
    response.headers["X-Frame-Options"] = "SAMEORIGIN"


@bp.route("/continue/<token>", methods=["GET", "POST"])
@public
@limiter.limit(lambda: LAUNCH_LIMIT, key_func=request_network, scope="lti-continue")
def handoff(token: str) -> ResponseReturnValue:
    """The new window of a framed launch: a page naming the person the ticket signs in
    (a link opened by someone else must not sign them in unasked); its button (a POST
    with the CSRF token) uses the ticket, once, and signs the person in."""
    form = Form()
    if request.method == "GET" or not form.validate_on_submit():
        with db.reading():
            found = service.unused_handoff(db.session, token, now())
            if found is None:
                return _refused("handoff", "unknown, used or expired ticket")
            person = db.session.get_one(User, found.user_id)
            refusal = _may_not_continue(person)
            if refusal:
                return _refused(refusal, f"person {person.id}")
            version = learning.latest_version(
                db.session, db.session.get_one(Course, found.course_id)
            )
            other = current_user if current_user.is_authenticated else None
            page = render_template(
                "lti/continue.html",
                person=person,
                module=version.title if version is not None else "",
                signed_in=other if other is not None and other.id != person.id else None,
                again=request.method == "POST",
            )
        response = make_response(page, 400 if request.method == "POST" else 200)
        response.headers["Cache-Control"] = "no-store"
        response.headers["Referrer-Policy"] = "no-referrer"  # the ticket is in the address
        return response
    db.session.commit()  # ends a reading transaction begun before this view
    write_intent.set(True)
    used = service.use_handoff(db.session, token, now())
    if used is None:
        return _refused("handoff", "unknown, used or expired ticket")
    person = db.session.get_one(User, used.user_id)
    refusal = _may_not_continue(person)
    if refusal:
        return _refused(refusal, f"person {person.id}")
    course = db.session.get_one(Course, used.course_id)
    signing_in.sign_in(person, remember=False)
    return redirect(url_for("learn.course", slug=course.slug))


def _may_not_continue(person: User) -> str:
    """Why the ticket's person may not be signed in now (deactivated, their company
    paused, a second factor since the launch), or ""."""
    if not person.is_active:
        return "deactivated"
    if person.company is not None and not person.company.is_active:
        return "company-suspended"
    if service.has_second_factor(person):
        return "second-factor"
    if person.roles != {Role.LEARNER}:
        return "not-a-learner"
    return ""


@bp.get("/jwks")
@public
def jwks() -> ResponseReturnValue:
    """Lernwerk's public keys for LTI (a JWKS document)."""
    with db.reading():
        published = keys.published_keys(db.session)
    if not published["keys"]:
        write_intent.set(True)
        keys.signing_key(db.session, now())
        published = keys.published_keys(db.session)
    response = jsonify(published)
    response.headers["Cache-Control"] = "public, max-age=300"
    return response


# --- The admin's pages of a company's platforms ----------------------------------------

settings_bp = Blueprint("lti_platforms", __name__)
company_in_url(settings_bp)
places = whole_company_places("lti")


def tool_urls() -> dict[str, str]:
    """The addresses the platform's administrator enters when adding Lernwerk."""
    return {
        "login": url_for("lti.login", _external=True),
        "launch": url_for("lti.launch", _external=True),
        "jwks": url_for("lti.jwks", _external=True),
    }


def _courses(company_id: int) -> list[tuple[str, str]]:
    """The live modules the company sees: (title, target link URI), by title."""
    return [
        (version.title, url_for("learn.course", slug=course.slug, _external=True))
        for course, version in catalogue(db.session, company_id)
    ]


def _platform(place: CompanyPlace, platform_id: int) -> LtiPlatform:
    key = as_id(platform_id)
    found = service.platform_of_company(db.session, key, place.company.id) if key else None
    if found is None:
        abort(404)
    return found


def _fields(form: forms.PlatformForm) -> service.PlatformFields:
    return service.PlatformFields(
        name=form.name.data or "",
        issuer=form.issuer.data or "",
        client_id=form.client_id.data or "",
        deployment_ids=service.parse_deployments(form.deployment_ids.data or ""),
        auth_login_url=form.auth_login_url.data or "",
        token_url=form.token_url.data or "",
        jwks_url=form.jwks_url.data or "",
    )


def _taken(form: forms.PlatformForm) -> None:
    form.client_id.errors = [
        _("A platform with this platform ID and client ID is registered already.")
    ]


@bp.app_template_global("lti_platforms_of_company")
def lti_platforms_of_company(company_id: int) -> list[LtiPlatform]:
    return service.platforms_of(db.session, company_id)


@settings_bp.get("/")
def index() -> ResponseReturnValue:
    place = places.current()
    return render_template(
        "lti/platforms.html",
        place=place,
        company=place.company,
        platforms=service.platforms_of(db.session, place.company.id),
        urls=tool_urls(),
        courses=_courses(place.company.id),
    )


@settings_bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    place = places.current()
    form = forms.PlatformForm()
    if form.validate_on_submit():
        try:
            platform = service.create_platform(
                db.session, current_actor(), place.company, _fields(form), now()
            )
        except service.LtiError:
            _taken(form)
        else:
            flash(_("The platform %(name)s is registered.", name=platform.name), "success")
            return redirect(url_for(".index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "lti/platform_form.html", place=place, company=place.company, form=form,
        platform=None, urls=tool_urls(), delete_form=None, scores=[], shown_days=0,
    ), status  # fmt: skip


@settings_bp.route("/<int:platform_id>/", methods=["GET", "POST"])
def edit(platform_id: int) -> ResponseReturnValue:
    place = places.current()
    platform = _platform(place, platform_id)
    if request.method == "GET":
        form = forms.PlatformForm(formdata=None, obj=platform)
        form.deployment_ids.data = "\n".join(platform.deployment_list)
    else:
        form = forms.PlatformForm()
    if form.validate_on_submit():
        try:
            changed = service.update_platform(
                db.session, current_actor(), platform, _fields(form), now()
            )
        except service.LtiError:
            _taken(form)
        else:
            if changed:
                flash(_("The platform %(name)s is saved.", name=platform.name), "success")
            return redirect(url_for(".index"))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "lti/platform_form.html", place=place, company=place.company, form=form,
        platform=platform, urls=tool_urls(), delete_form=forms.DeleteForm(formdata=None),
        scores=grades.recent_scores(db.session, platform, now()), shown_days=grades.SHOWN_DAYS,
    ), status  # fmt: skip


@settings_bp.post("/<int:platform_id>/scores/<int:row_id>/send-again")
def send_score_again(platform_id: int, row_id: int) -> ResponseReturnValue:
    place = places.current()
    platform = _platform(place, platform_id)
    key = as_id(row_id)
    row = grades.score_of_platform(db.session, key, platform) if key else None
    if row is None:
        abort(404)
    if not Form().validate_on_submit():
        abort(400)
    if row.failed_at is None:
        flash(_("This result is still on its way to the platform."), "info")
    else:
        grades.send_again(db.session, current_actor(), platform, row, now())
        flash(_("The result is sent to the platform again shortly."), "success")
    return redirect(url_for(".edit", platform_id=platform.id) + "#scores")


@settings_bp.post("/<int:platform_id>/delete")
def delete(platform_id: int) -> ResponseReturnValue:
    place = places.current()
    platform = _platform(place, platform_id)
    form = forms.DeleteForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirm.data:
        flash(_("The platform is kept: tick the box to confirm deleting it."), "error")
        return redirect(url_for(".edit", platform_id=platform.id) + "#delete")
    name = platform.name
    service.delete_platform(db.session, current_actor(), platform, now())
    flash(_("The platform %(name)s is deleted.", name=name), "success")
    return redirect(url_for(".index"))
