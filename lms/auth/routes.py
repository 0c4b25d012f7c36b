"""Log in, log out, forgotten password, invitation, profile and password change."""

from __future__ import annotations

from datetime import timedelta

from flask import current_app, flash, redirect, render_template, request, session, url_for
from flask.typing import ResponseReturnValue
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from werkzeug.wrappers import Response

from lms.auth import bp
from lms.auth.forms import (
    AcceptInvitationForm,
    ChangePasswordForm,
    ForgotPasswordForm,
    LoginForm,
    ProfileForm,
    ResetPasswordForm,
)
from lms.auth.passwords import verify_password
from lms.clock import now
from lms.db import db
from lms.mail import send_mail
from lms.models import TokenPurpose, User
from lms.permissions import public
from lms.redirects import safe_next
from lms.security import limiter
from lms.services import accounts


def _login_account_key() -> str:
    return "login-account:" + accounts.normalize_email(request.form.get("email", ""))


def _login_failed(response: Response) -> bool:
    # Only failed attempts count towards the limit; a success redirects.
    return response.status_code != 302


def _ip_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_IP"])


def _account_limit() -> str:
    return str(current_app.config["LOGIN_LIMIT_PER_ACCOUNT"])


def _start_session(user: User, remember: bool) -> None:
    keep = {key: session[key] for key in ("lang",) if key in session}
    session.clear()
    session.update(keep)
    session.permanent = True
    login_user(user, remember=remember, duration=timedelta(days=14))


@bp.route("/login", methods=["GET", "POST"])
@public
@limiter.limit(_ip_limit, methods=["POST"], deduct_when=_login_failed, scope="login-ip")
@limiter.limit(
    _account_limit,
    methods=["POST"],
    key_func=_login_account_key,
    deduct_when=_login_failed,
    scope="login-account",
)
def login() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if request.method == "GET":
        form.next.data = request.args.get("next", "")
    if form.validate_on_submit():
        user = accounts.authenticate(
            db.session, form.email.data or "", form.password.data or "", now()
        )
        if user is not None:
            accounts.record_login(
                db.session, user, now(), request.remote_addr, request.headers.get("User-Agent")
            )
            db.session.commit()
            _start_session(user, bool(form.remember.data))
            return redirect(safe_next(form.next.data, url_for("main.index")))
        # One answer for unknown e-mail, wrong password and locked account.
        form.form_errors.append(_("E-mail address or password is not correct."))
    return render_template("auth/login.html", form=form)


@bp.post("/logout")
def logout() -> ResponseReturnValue:
    """Log out here and on every other device."""
    user = db.session.get(User, current_user.id)
    if user is not None:
        accounts.end_all_sessions(user)
        db.session.commit()
    logout_user()
    keep = session.get("lang")
    session.clear()
    if keep:
        session["lang"] = keep
    flash(_("You are logged out."), "success")
    return redirect(url_for("auth.login"))


def _mail_language(user: User) -> str:
    if user.language:
        return user.language
    if user.company is not None:
        return user.company.default_language
    return str(current_app.config["BABEL_DEFAULT_LOCALE"])


def send_reset_mail(user: User, raw_token: str) -> None:
    link = url_for("auth.reset_password", token=raw_token, _external=True)
    hours = current_app.config["RESET_TOKEN_HOURS"]
    with force_locale(_mail_language(user)):
        send_mail(
            user.email,
            _("Reset your Lernwerk password"),
            render_template("auth/mail_reset.txt", user=user, link=link, hours=hours),
        )


def send_invitation_mail(user: User, raw_token: str) -> None:
    link = url_for("auth.accept_invitation", token=raw_token, _external=True)
    days = current_app.config["INVITE_TOKEN_DAYS"]
    with force_locale(_mail_language(user)):
        send_mail(
            user.email,
            _("Your invitation to Lernwerk"),
            render_template("auth/mail_invitation.txt", user=user, link=link, days=days),
        )


@bp.route("/password/forgot", methods=["GET", "POST"])
@public
@limiter.limit(_ip_limit, methods=["POST"], scope="forgot-ip")
def forgot_password() -> ResponseReturnValue:
    form = ForgotPasswordForm()
    if form.validate_on_submit():
        user = accounts.find_user_by_email(db.session, form.email.data or "")
        if user is not None and accounts.can_log_in(user):
            lifetime = timedelta(hours=current_app.config["RESET_TOKEN_HOURS"])
            raw = accounts.issue_token(db.session, user, TokenPurpose.RESET, now(), lifetime)
            db.session.commit()
            send_reset_mail(user, raw)
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


@bp.route("/password/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str) -> ResponseReturnValue:
    user = accounts.peek_token(db.session, token, TokenPurpose.RESET, now())
    if user is None:
        return _token_problem_page()
    form = ResetPasswordForm()
    if form.validate_on_submit():
        try:
            accounts.reset_password_with_token(
                db.session, token, form.new_password.data or "", now()
            )
        except accounts.PasswordRejected as exc:
            form.new_password.errors = list(exc.problems)
        except accounts.AccountError:
            db.session.rollback()
            return _token_problem_page()
        else:
            db.session.commit()
            flash(_("Your new password is set. Please log in with it."), "success")
            return redirect(url_for("auth.login"))
    return render_template("auth/reset.html", form=form, user=user)


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept_invitation(token: str) -> ResponseReturnValue:
    user = accounts.peek_token(db.session, token, TokenPurpose.INVITE, now())
    if user is None:
        return _token_problem_page()
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
        except accounts.AccountError:
            db.session.rollback()
            return _token_problem_page()
        else:
            accounts.record_login(
                db.session, user, now(), request.remote_addr, request.headers.get("User-Agent")
            )
            db.session.commit()
            _start_session(user, remember=False)
            flash(_("Welcome to Lernwerk! Your account is ready."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/invitation.html", form=form, user=user)


@bp.route("/profile", methods=["GET", "POST"])
def profile() -> ResponseReturnValue:
    user = db.session.get(User, current_user.id)
    assert user is not None
    form = ProfileForm(obj=user if request.method == "GET" else None)
    if request.method == "GET" and not user.language:
        form.language.data = str(request.accept_languages.best_match(("de", "en")) or "de")
    if form.validate_on_submit():
        user.display_name = (form.display_name.data or "").strip()
        user.language = form.language.data
        db.session.commit()
        with force_locale(user.language or "de"):
            flash(_("Your profile is saved."), "success")
        return redirect(url_for("auth.profile"))
    return render_template("auth/profile.html", form=form, user=user)


@bp.route("/profile/password", methods=["GET", "POST"])
def change_password() -> ResponseReturnValue:
    user = db.session.get(User, current_user.id)
    assert user is not None
    form = ChangePasswordForm()
    if form.validate_on_submit():
        if not verify_password(user.password_hash, form.current_password.data or ""):
            form.current_password.errors = [_("The current password is not correct.")]
        else:
            try:
                accounts.set_password(db.session, user, form.new_password.data or "")
            except accounts.PasswordRejected as exc:
                form.new_password.errors = list(exc.problems)
            else:
                db.session.commit()
                # The new session version ended every session, this one too:
                # log in again here so the user stays on this device.
                _start_session(user, remember=False)
                flash(_("Your password is changed. Other devices are logged out."), "success")
                return redirect(url_for("auth.profile"))
    return render_template("auth/change_password.html", form=form, user=user)
