"""Log in, log out, forgotten password, invitation, profile and password change."""

from __future__ import annotations

from datetime import timedelta

from flask import (
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
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.wrappers import Response

from lms.audit.trail import request_network
from lms.auth import bp, devices, signing_in
from lms.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
)
from lms.clock import now
from lms.db import db
from lms.models import TokenPurpose, User
from lms.permissions import public
from lms.redirects import safe_next
from lms.security import limiter
from lms.services import accounts, throttling
from lms.services.account_mail import send_reset_mail
from lms.services.passwords import verify_password
from lms.shared_devices import kiosk
from lms.sso import service as sso_service
from lms.sso import views as sso_views
from lms.two_factor import service as two_factor
from lms.two_factor import views as two_factor_steps


def _login_failed(response: Response) -> bool:
    # Only failed attempts count towards the limit; a success redirects, and a person
    # sent on to their company's sign-in (lms/sso) gets the page that moves on there.
    return response.status_code != 302 and not sso_views.started()


def _ip_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_IP"])


def _sign_in_budgets() -> throttling.Budgets:
    config = current_app.config
    return throttling.Budgets(
        per_account=throttling.budgets(config["LOGIN_LIMIT_PER_ACCOUNT"]),
        per_network=throttling.budgets(config["LOGIN_LIMIT_PER_ACCOUNT_NETWORK"]),
        per_device=throttling.budgets(config["LOGIN_LIMIT_PER_ACCOUNT_DEVICE"]),
    )


def _password_check_budgets() -> throttling.Budgets:
    return throttling.Budgets(
        per_account=throttling.budgets(current_app.config["PASSWORD_CHECK_LIMIT"]),
        per_network=(),
        per_device=(),
    )


def _account_key(email: str) -> str:
    return throttling.account_key(str(current_app.secret_key), email)


def _too_many_failures(verdict: throttling.Verdict) -> str:
    return ngettext(
        "Too many failed attempts for this account. Please wait %(num)d minute "
        "or reset your password.",
        "Too many failed attempts for this account. Please wait %(num)d minutes "
        "or reset your password.",
        verdict.minutes,
    )


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(
    _ip_limit,
    methods=["POST"],
    key_func=request_network,
    deduct_when=_login_failed,
    scope="login-ip",
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        email, network = form.email.data or "", request_network()
        account = _account_key(email)
        with db.reading():
            known = accounts.find_user_by_email(db.session, email)
            # Single sign-on (lms/sso): an address of a company that signs in through
            # its own provider goes there, whatever was typed as password; the
            # provider's staff and people of other companies keep their password.
            sso_company = sso_service.company_to_sign_in_with(db.session, email, known)
            password_refused = sso_company is None and sso_service.password_refused(
                db.session, email, known
            )
        if sso_company is not None:
            return sso_views.begin(sso_company, email, form.next.data or "")
        if password_refused:
            form.form_errors.append(_company_sign_in_only())
            return render_template("auth/login.html", form=form), 403
        if not form.password.data:
            form.password.errors = [_("Please fill in this field.")]
            return render_template("auth/login.html", form=form), 422
        # The failure is written (and committed) in a transaction of its own before the
        # password is checked, so every worker counts it at once, whatever this request
        # answers; the check itself holds no lock.
        with db.writing() as writing:
            verdict = throttling.reserve(
                writing,
                kind="login",
                account=account,
                user_id=known.id if known else None,
                network=network,
                trusted=devices.is_trusted(account),
                limits_=_sign_in_budgets(),
                now=now(),
            )
        if not verdict.allowed:
            form.form_errors.append(_too_many_failures(verdict))
            return render_template("auth/login.html", form=form), 429
        password = form.password.data or ""
        user = accounts.authenticate(known, password)
        if user is not None:
            throttling.forget(db.session, verdict)
            accounts.upgrade_password_hash(db.session, user, password)
            next_url = safe_next(form.next.data, url_for("main.index"))
            if two_factor.is_asked(user):
                # Staff with a second factor, and admins (who must set one up), are not
                # signed in yet: the code first (lms/two_factor; it remembers the device).
                return two_factor_steps.begin(user, bool(form.remember.data), next_url)
            signing_in.sign_in(user, bool(form.remember.data))
            response = redirect(next_url)
            devices.remember(response, account)
            return response
        throttling.log_failure("login", known.id if known else None, network)
        # One answer for unknown e-mail, wrong password and locked account.
        form.form_errors.append(_("E-mail address or password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out here and on every other device (and at the company's provider, for a
    session begun there: RP-initiated logout)."""
    at_provider = sso_views.provider_logout_url()  # read before the session is cleared
    user = db.session.get(User, current_user.id)
    if user is not None:
        accounts.end_all_sessions(user)
    kiosk.end_session()
    flash(_("You are logged out."), "success")
    if at_provider is not None:
        # The provider signs out too, then sends the browser back to the login page.
        page = sso_views.on_to_provider(
            at_provider,
            heading=_("You are logged out"),
            text=_("You are logged out of Lernwerk. Lernwerk now signs you out at your "
                   "company's sign-in service too."),
            button=_("Sign out at my company's sign-in service"),
        )  # fmt: skip
        return kiosk.forget_person(make_response(page))
    # On a shared device back to its start screen; nothing of the person stays.
    return kiosk.signed_out()


def _company_sign_in_only() -> str:
    return _(
        "Your company signs you in through its own sign-in service: Lernwerk has no "
        "password for you. Enter your e-mail address and choose “Log in” without a "
        "password, or use the sign-in link your company gave you."
    )


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_ip_limit, methods=["POST"], scope="forgot-ip")
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        if sso_service.password_refused(db.session, form.email.data or ""):
            form.email.errors = [_company_sign_in_only()]
            return render_template("auth/forgot.html", form=form), 403
        user = accounts.find_user_by_email(db.session, form.email.data or "")
        # At most a few mails per account and hour, whoever asks for them.
        allowed = current_app.config["RESET_MAILS_PER_HOUR"]
        if (
            user is not None
            and accounts.can_log_in(user)
            and accounts.reset_mails_since(db.session, user, now() - timedelta(hours=1)) < allowed
        ):
            lifetime = timedelta(hours=current_app.config["RESET_TOKEN_HOURS"])
            raw = accounts.issue_token(db.session, user, TokenPurpose.RESET, now(), lifetime)
            send_reset_mail(db.session, user, raw, now())
        # The same answer whether or not the address is known.
        flash(
            _(
                "If an account exists for this address, we have sent a link to reset the password. "
                "Please check your e-mail."
            ),
            "success",
        )
        return redirect(url_for("auth.login"))
    return render_template("auth/forgot.html", form=form)


def _token_problem_page() -> ResponseReturnValue:
    return render_template("auth/link_invalid.html"), 404


def _company_sign_in_page(user: User) -> ResponseReturnValue:
    """A reset or invitation link of someone whose company signs in through its own
    provider only: no password to set, the way to the company's sign-in instead."""
    return render_template("sso/use_company_sign_in.html", email=user.email or ""), 403


# A link from an e-mail carries its token in the path. Opening it puts the token into
# the session and redirects to the same page without it: the token leaves the address
# bar, the browser's history and any Referer at once (and `lms.serving` masks it in
# the access log of that first request).
RESET_LINK_KEY = "reset_token"
INVITATION_LINK_KEY = "invitation_token"


def _token_from_link(token: str | None, key: str, page: str) -> tuple[str, Response | None]:
    """The token of this request: from the link (kept in the session, and a redirect for
    a GET) or from the session."""
    if token is None:
        return str(session.get(key, "")), None
    session[key] = token
    return token, (redirect(url_for(page)) if request.method == "GET" else None)


@bp.route("/password/reset", methods=["GET", "POST"])
@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str | None = None) -> ResponseReturnValue:
    token, moved = _token_from_link(token, RESET_LINK_KEY, "auth.reset_password")
    user = accounts.peek_token(db.session, token, TokenPurpose.RESET, now()) if token else None
    if user is None:
        session.pop(RESET_LINK_KEY, None)
        return _token_problem_page()
    if moved is not None:
        return moved
    if sso_service.required_for(db.session, user):
        session.pop(RESET_LINK_KEY, None)
        return _company_sign_in_page(user)
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password_with_token(
                db.session, token, form.new_password.data or "", now()
            )
        except accounts.PasswordRejected as exc:
            form.new_password.errors = list(exc.problems)
            return render_template("auth/reset.html", form=form, user=user), 422
        except accounts.AccountError:
            session.pop(RESET_LINK_KEY, None)
            return _token_problem_page()
        else:
            session.pop(RESET_LINK_KEY, None)
            flash(_("Your new password is set. Please log in with it."), "success")
            # This browser reached the person's mailbox: it gets the device budget, so
            # guesses elsewhere that spent the account's budget do not keep them out.
            response = redirect(url_for("auth.login"))
            devices.remember(response, _account_key(user.sign_in_name))
            return response
    return render_template("auth/reset.html", form=form, user=user)


@bp.route("/invitation", methods=["GET", "POST"])
@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str | None = None) -> ResponseReturnValue:
    token, moved = _token_from_link(token, INVITATION_LINK_KEY, "auth.accept_invitation")
    user = accounts.peek_token(db.session, token, TokenPurpose.INVITE, now()) if token else None
    if user is None:
        session.pop(INVITATION_LINK_KEY, None)
        return _token_problem_page()
    if moved is not None:
        return moved
    if sso_service.required_for(db.session, user):
        session.pop(INVITATION_LINK_KEY, None)
        return _company_sign_in_page(user)
    form = AcceptInvitationForm()
    if request.method == "GET":
        form.display_name.data = user.display_name
    if form.validate_on_submit():
        try:
            user = accounts.accept_invitation(
                db.session, token, form.display_name.data or "", form.new_password.data or "", now()
            )
        except accounts.PasswordRejected as exc:
            form.new_password.errors = list(exc.problems)
            # The name typed stays in the form; nothing is kept.
            return render_template("auth/invitation.html", form=form, user=user), 422
        except accounts.AccountError:
            session.pop(INVITATION_LINK_KEY, None)
            return _token_problem_page()
        else:
            accounts.record_login(
                db.session, user, now(), request.remote_addr, request.headers.get("User-Agent")
            )
            signing_in.start_session(user, remember=False)  # the token leaves with the old session
            flash(_("Welcome to Lernwerk! Your account is ready."), "success")
            response = redirect(url_for("main.index"))
            devices.remember(response, _account_key(user.sign_in_name))
            return response
    return render_template("auth/invitation.html", form=form, user=user)


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> ResponseReturnValue:
    user = db.session.get(User, current_user.id)
    assert user is not None
    form = ProfileForm(obj=user if request.method == "GET" else None)
    if request.method == "GET" and not user.language:
        form.language.data = str(request.accept_languages.best_match(("de", "en")) or "de")
    if form.validate_on_submit():
        accounts.update_profile(db.session, user, form.display_name.data or "", form.language.data)
        with force_locale(user.language or "de"):
            flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    # People who sign in through their company (lms/sso) have no Lernwerk password to change.
    has_password = (
        bool(user.password_hash)
        and user.password_hash != sso_service.NO_PASSWORD
        and not sso_service.required_for(db.session, user)
    )
    return render_template("auth/profile.html", form=form, user=user, has_password=has_password)


@bp.route("/profile/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    with db.reading():  # the reservation below is written in a transaction of its own
        user = db.session.get(User, current_user.id)
    assert user is not None
    form = ChangePasswordForm()
    if form.validate_on_submit():
        # Written and committed before the password is checked, as at login.
        with db.writing() as writing:
            verdict = throttling.reserve(
                writing,
                kind="password",
                account=_account_key(user.sign_in_name),
                user_id=user.id,
                network=request_network(),
                trusted=False,
                limits_=_password_check_budgets(),
                now=now(),
            )
        if not verdict.allowed:
            form.current_password.errors = [_too_many_failures(verdict)]
            return render_template("auth/change_password.html", form=form, user=user), 429
        if not verify_password(user.password_hash, form.current_password.data or ""):
            throttling.log_failure("password", user.id, request_network())
            form.current_password.errors = [_("The current password is not correct.")]
        else:
            throttling.forget(db.session, verdict)
            try:
                accounts.set_password(db.session, user, form.new_password.data or "")
            except accounts.PasswordRejected as exc:
                form.new_password.errors = list(exc.problems)
                return render_template("auth/change_password.html", form=form, user=user), 422
            else:
                # The new session version ended every session, this one too:
                # log in again here so the user stays on this device.
                signing_in.start_session(user, remember=False)
                flash(_("Your password is changed. Other devices are logged out."), "success")
                return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form, user=user)
