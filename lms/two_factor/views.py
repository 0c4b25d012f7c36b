"""The second factor's pages: the sign-in steps after the password, and each staff
member's own page (set up, recovery codes, turn off).

After a right password, an admin or a trainer with a second factor is not signed in:
`begin` keeps a half-signed-in state in the session (who, "remember me", where to go
next, until when) and sends them to the code page; an admin without a second factor
to the set-up page. Only when the code (or a recovery code) matched, or the set-up
was confirmed, does `signing_in.sign_in` start the session. The half-signed-in state
opens no other page: to the rest of the app the person is not signed in.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import segno
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user
from werkzeug.wrappers import Response

from lms import secret_box
from lms.audit.service import Actor
from lms.audit.trail import current_actor, request_network
from lms.auth import devices, signing_in
from lms.clock import now
from lms.db import db
from lms.models import User
from lms.permissions import is_public_endpoint, public
from lms.security import limiter
from lms.services import accounts, throttling
from lms.services.passwords import verify_password
from lms.two_factor import service
from lms.two_factor.forms import (
    CodeForm,
    PasswordAgainForm,
    RecoveryCodeForm,
    SetUpAgainForm,
    SetUpForm,
)

bp = Blueprint("two_factor", __name__)

# The half-signed-in state (a dict), and the sealed seed of a set-up not yet confirmed.
PENDING = "two_factor_pending"
SEED = "two_factor_seed"
# How long the half-signed-in state lasts: long enough to open the app and type a code;
# setting up (installing an app first) may take longer.
CODE_STEP_LIFETIME = timedelta(minutes=5)
SET_UP_STEP_LIFETIME = timedelta(minutes=15)

# What a signed-in admin without a second factor may still reach (everything else leads
# to the set-up page): choosing a password first, signing out, the language.
_SET_UP_ENDPOINTS = {
    "two_factor.set_up",
    "auth.change_password",
    "auth.logout",
    "main.set_language",
    "kiosk.done",
    "static",
}


# --- The sign-in steps ---------------------------------------------------------


@dataclass(frozen=True)
class Pending:
    user: User
    remember: bool
    next: str


def begin(user: User, remember: bool, next_url: str) -> Response:
    """After a right password: the second step instead of signing in (lms.auth.routes)."""
    session.pop(SEED, None)
    on = service.is_on(user)
    lifetime = CODE_STEP_LIFETIME if on else SET_UP_STEP_LIFETIME
    session[PENDING] = {
        "user": user.id,
        "version": user.session_version,
        "remember": remember,
        "next": next_url,
        "until": (now() + lifetime).timestamp(),
    }
    return redirect(url_for("two_factor.code" if on else "two_factor.sign_in_set_up"))


def _pending() -> Pending | None:
    """The half-signed-in person of this browser, unless the state expired or the
    account changed meanwhile (deactivated, password changed, signed out everywhere)."""
    data = session.get(PENDING)
    if not isinstance(data, dict):
        return None
    user = None
    if float(data.get("until", 0)) > now().timestamp():
        user = db.session.get(User, int(data.get("user", 0)))
    if user is None or user.session_version != data.get("version") or not accounts.can_log_in(user):
        session.pop(PENDING, None)
        session.pop(SEED, None)
        return None
    return Pending(user, bool(data.get("remember")), str(data.get("next") or "/"))


def _start_again() -> Response:
    flash(_("Your sign-in took too long or was interrupted. Please log in again."), "info")
    return redirect(url_for("auth.login"))


def _account(user: User) -> str:
    return throttling.account_key(str(current_app.secret_key), user.sign_in_name)


def _finish(pending: Pending) -> Response:
    """The second factor is proven: sign in (the half-signed-in state leaves with the
    old session) and go on."""
    signing_in.sign_in(pending.user, pending.remember)
    response = redirect(pending.next)
    devices.remember(response, _account(pending.user))
    return response


def _failed(response: Any) -> bool:
    # Only failures count towards the limit; a right code redirects.
    return bool(response.status_code != 302)


def _ip_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_IP"])


ip_limit = limiter.limit(
    _ip_limit,
    methods=["POST"],
    key_func=request_network,
    deduct_when=_failed,
    scope="two-factor-ip",
)


def _reserve_code_check(user: User) -> throttling.Verdict:
    """Count a failed code before checking it (committed at once, as a password
    check's): wrong codes are throttled like wrong passwords."""
    budget = throttling.budgets(current_app.config["TOTP_LIMIT"])
    account = _account(user)
    with db.writing() as writing:
        return throttling.reserve(
            writing,
            kind="totp",
            account=account,
            user_id=user.id,
            network=request_network(),
            trusted=devices.is_trusted(account),
            # The browsers the person signed in on before have a budget of their own,
            # so someone who knows the password cannot lock the person out.
            limits_=throttling.Budgets(per_account=budget, per_network=(), per_device=budget),
            now=now(),
        )


def _too_many_codes(verdict: throttling.Verdict) -> str:
    return ngettext(
        "Too many wrong codes. Please wait %(num)d minute.",
        "Too many wrong codes. Please wait %(num)d minutes.",
        verdict.minutes,
    )


@bp.route("/login/code", methods=["GET", "POST"])
@public
@ip_limit
def code() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    with db.reading():  # the check below is reserved in a transaction of its own
        pending = _pending()
    if pending is None:
        return _start_again()
    if not service.is_on(pending.user):
        return redirect(url_for("two_factor.sign_in_set_up"))
    form = CodeForm()
    if form.validate_on_submit():
        verdict = _reserve_code_check(pending.user)
        if not verdict.allowed:
            form.code.errors = [_too_many_codes(verdict)]
            return render_template("two_factor/code.html", form=form), 429
        if service.check_code(db.session, pending.user, form.code.data or "", now()):
            throttling.forget(db.session, verdict)
            return _finish(pending)
        throttling.log_failure("totp", pending.user.id, request_network())
        form.code.errors = [
            _("This code is not correct. Please enter the code your app shows now.")
        ]
    return render_template("two_factor/code.html", form=form)


@bp.route("/login/recovery-code", methods=["GET", "POST"])
@public
@ip_limit
def recovery_code() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    with db.reading():
        pending = _pending()
    if pending is None:
        return _start_again()
    if not service.is_on(pending.user):
        return redirect(url_for("two_factor.sign_in_set_up"))
    form = RecoveryCodeForm()
    if form.validate_on_submit():
        verdict = _reserve_code_check(pending.user)
        if not verdict.allowed:
            form.code.errors = [_too_many_codes(verdict)]
            return render_template("two_factor/recovery_code.html", form=form), 429
        actor = Actor(pending.user, request_network())
        left = service.use_recovery_code(
            db.session, actor, pending.user, form.code.data or "", now()
        )
        if left is not None:
            throttling.forget(db.session, verdict)
            response = _finish(pending)
            flash(
                ngettext(
                    "You are logged in with a recovery code. %(num)d code is left.",
                    "You are logged in with a recovery code. %(num)d codes are left.",
                    left,
                )
                + " "
                + _("Lost your phone? Set up your second factor again on your profile."),
                "warning",
            )
            return response
        throttling.log_failure("totp", pending.user.id, request_network())
        form.code.errors = [_("This recovery code is not correct or was used already.")]
    return render_template("two_factor/recovery_code.html", form=form)


def _seed() -> str:
    """The seed of this browser's set-up: kept (sealed) in the session while the page
    is open, so reloading it shows the same QR code; a new one for each sign-in."""
    sealed = session.get(SEED)
    if isinstance(sealed, str):
        try:
            return secret_box.open_sealed(sealed)
        except secret_box.SecretUnreadable:
            pass
    secret = service.new_secret()
    session[SEED] = secret_box.seal(secret)
    return secret


def _set_up_page(form: SetUpForm, user: User, secret: str, *, signed_in: bool) -> str:
    issuer = str(current_app.config["PROVIDER_NAME"])
    uri = service.setup_uri(secret, user.sign_in_name, issuer)
    qr = segno.make(uri, error="m").svg_inline(
        scale=1,
        border=4,
        omitsize=True,
        light="#fff",
        title=_("QR code for your authenticator app"),
    )
    return render_template(
        "two_factor/set_up.html",
        form=form,
        qr=qr,
        secret=service.grouped(secret),
        issuer=issuer,
        account=user.sign_in_name,
        signed_in=signed_in,
        again=service.is_on(user),
        required=service.is_required(user),
    )


def _recovery_codes_page(codes: list[str], next_url: str, *, first: bool) -> Response:
    """The new recovery codes: shown this once, never kept by a cache."""
    response = make_response(
        render_template("two_factor/recovery_codes.html", codes=codes, next=next_url, first=first)
    )
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.route("/login/set-up", methods=["GET", "POST"])
@public
@ip_limit
def sign_in_set_up() -> ResponseReturnValue:
    """An admin without a second factor sets it up before being signed in."""
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    pending = _pending()
    if pending is None:
        return _start_again()
    if service.is_on(pending.user):
        return redirect(url_for("two_factor.code"))
    if not service.is_required(pending.user):
        session.pop(PENDING, None)
        return _start_again()
    secret = _seed()
    form = SetUpForm()
    if form.validate_on_submit():
        actor = Actor(pending.user, request_network())
        codes = service.confirm_setup(
            db.session, actor, pending.user, secret, form.code.data or "", now()
        )
        if codes is not None:
            signing_in.sign_in(pending.user, pending.remember)
            response = _recovery_codes_page(codes, pending.next, first=True)
            devices.remember(response, _account(pending.user))
            return response
        form.code.errors = [_wrong_set_up_code()]
    return _set_up_page(form, pending.user, secret, signed_in=False)


def _wrong_set_up_code() -> str:
    return _(
        "This code does not match. Check that the app shows an entry for %(issuer)s "
        "and enter its current code.",
        issuer=current_app.config["PROVIDER_NAME"],
    )


# --- Each staff member's own page ------------------------------------------------


def _me() -> User:
    user = db.session.get(User, current_user.id)
    if user is None:
        abort(404)
    return user


@bp.before_request
def _staff_only() -> None:
    """The own pages exist for admins and trainers only (404 for everyone else); the
    sign-in steps are public."""
    if is_public_endpoint(current_app, request.endpoint):
        return
    if current_user.is_authenticated and not service.may_use(current_user):
        abort(404)


def _password_check(user: User, form: PasswordAgainForm | SetUpAgainForm) -> int | None:
    """Check the password asked again (throttled like changing the password): None if
    it matched, else the status to answer with (its error is on the form)."""
    with db.writing() as writing:
        verdict = throttling.reserve(
            writing,
            kind="password",
            account=_account(user),
            user_id=user.id,
            network=request_network(),
            trusted=False,
            limits_=throttling.Budgets(
                per_account=throttling.budgets(current_app.config["PASSWORD_CHECK_LIMIT"]),
                per_network=(),
                per_device=(),
            ),
            now=now(),
        )
    if not verdict.allowed:
        form.current_password.errors = [
            ngettext(
                "Too many wrong passwords. Please wait %(num)d minute.",
                "Too many wrong passwords. Please wait %(num)d minutes.",
                verdict.minutes,
            )
        ]
        return 429
    if not verify_password(user.password_hash, form.current_password.data or ""):
        throttling.log_failure("password", user.id, request_network())
        form.current_password.errors = [_("The password is not correct.")]
        return 200
    throttling.forget(db.session, verdict)
    return None


def _settings_page(
    user: User, renew: PasswordAgainForm | None = None, off: PasswordAgainForm | None = None
) -> str:
    return render_template(
        "two_factor/settings.html",
        user=user,
        status=service.status(db.session, user),
        renew=renew or PasswordAgainForm(prefix="renew"),
        off=off or PasswordAgainForm(prefix="off"),
    )


@bp.get("/profile/two-factor")
def settings() -> ResponseReturnValue:
    return _settings_page(_me())


@bp.route("/profile/two-factor/set-up", methods=["GET", "POST"])
def set_up() -> ResponseReturnValue:
    """Setting up (a trainer's choice, an admin signed in before it was required) or
    setting up again on a new phone (the password asked again)."""
    with db.reading():
        user = _me()
    again = service.is_on(user)
    form: SetUpForm = SetUpAgainForm() if again else SetUpForm()
    secret = _seed()
    if form.validate_on_submit():
        if isinstance(form, SetUpAgainForm):
            status = _password_check(user, form)
            if status is not None:
                return _set_up_page(form, user, secret, signed_in=True), status
        codes = service.confirm_setup(
            db.session, current_actor(), user, secret, form.code.data or "", now()
        )
        if codes is not None:
            session.pop(SEED, None)
            return _recovery_codes_page(codes, url_for("two_factor.settings"), first=not again)
        form.code.errors = [_wrong_set_up_code()]
    return _set_up_page(form, user, secret, signed_in=True)


@bp.post("/profile/two-factor/recovery-codes")
def renew_recovery_codes() -> ResponseReturnValue:
    with db.reading():
        user = _me()
    if not service.is_on(user):
        return redirect(url_for("two_factor.settings"))
    form = PasswordAgainForm(prefix="renew")
    if not form.validate_on_submit():
        return _settings_page(user, renew=form), 422
    status = _password_check(user, form)
    if status is not None:
        return _settings_page(user, renew=form), status
    codes = service.renew_recovery_codes(db.session, current_actor(), user, now())
    return _recovery_codes_page(codes, url_for("two_factor.settings"), first=False)


@bp.post("/profile/two-factor/turn-off")
def turn_off() -> ResponseReturnValue:
    with db.reading():
        user = _me()
    if service.is_required(user) or not service.is_on(user):
        abort(403 if service.is_required(user) else 404)
    form = PasswordAgainForm(prefix="off")
    if not form.validate_on_submit():
        return _settings_page(user, off=form), 422
    status = _password_check(user, form)
    if status is not None:
        return _settings_page(user, off=form), status
    service.turn_off(db.session, current_actor(), user, now())
    flash(_("The second factor is turned off. You log in with your password only."), "success")
    return redirect(url_for("two_factor.settings"))


# --- Admins must have it ----------------------------------------------------------


def _require_second_factor() -> ResponseReturnValue | None:
    """App-wide before_request: a signed-in admin without a second factor (signed in
    before it was required, or made admin since) sets it up before anything else."""
    if not current_user.is_authenticated or current_user.must_change_password:
        return None
    if request.endpoint in _SET_UP_ENDPOINTS or is_public_endpoint(current_app, request.endpoint):
        return None
    if service.is_required(current_user) and not service.is_on(current_user):
        return redirect(url_for("two_factor.set_up"))
    return None


def init_app(app: Flask) -> None:
    app.register_blueprint(bp)
    app.before_request(_require_second_factor)
