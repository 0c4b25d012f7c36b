"""The training provider's own people: admins and trainers, the companies trainers serve.

Only admins grant admin or trainer. Nobody removes their own admin role or deactivates
themselves, and the last active admin stays an active admin.
"""

from __future__ import annotations

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import selectinload

from lms.admin import bp
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.input_checks import number_arg
from lms.models import Company, Role, User
from lms.services import accounts, companies
from lms.services.companies import CompanyError
from lms.two_factor import service as two_factor


def _texts() -> dict[str, str]:
    return {
        "own-admin-role": _("You cannot take your own admin role away."),
        "own-account": _("You cannot deactivate your own account."),
        "last-admin": _("This is the last active administrator; there must be one."),
        "not-staff": _("This person belongs to a company, not to the training provider."),
        "email-required": _("Managers, trainers and administrators need an e-mail address."),
    }


def _staff_member(user_id: int) -> User:
    person = db.session.get(User, user_id)
    if person is None or person.company_id is not None:
        abort(404)
    return person


@bp.get("/staff")
def staff() -> ResponseReturnValue:
    people = db.session.scalars(
        select(User)
        .where(User.company_id.is_(None))
        .options(selectinload(User.role_rows), selectinload(User.trainer_companies))
        .order_by(User.display_name)
    ).all()
    all_companies = db.session.scalars(select(Company).order_by(Company.name)).all()
    return render_template("admin/staff.html", people=people, companies=all_companies, roles=Role)


@bp.post("/staff")
def add_staff() -> ResponseReturnValue:
    name = request.form.get("display_name", "").strip()
    email = request.form.get("email", "").strip()
    roles = tuple(
        role for role in (Role.ADMIN, Role.TRAINER) if request.form.get(role.value) == "y"
    )
    if not name or not roles:
        flash(_("Enter a name, an e-mail address and at least one role."), "error")
        return redirect(url_for("admin.staff"))
    try:
        person = companies.add_staff_member(
            db.session,
            current_actor(),
            email=email,
            display_name=name,
            roles=roles,
            now=now(),
            invite_lifetime=timedelta(days=current_app.config["INVITE_TOKEN_DAYS"]),
        )
    except accounts.AccountError as error:
        db.refuse(error.code)
        texts = {
            "email-taken": _("Someone has this e-mail address already."),
            "email-sso-domain": _(
                "This address is at a domain another company signs its people in for: only "
                "that company may have people with it."
            ),
            "email-required": _("Managers, trainers and administrators need an e-mail address."),
        }
        flash(texts.get(error.code, _("Please enter a valid e-mail address.")), "error")
        return redirect(url_for("admin.staff"))
    flash(_("%(name)s is added and invited by e-mail.", name=person.display_name), "success")
    return redirect(url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/roles")
def staff_roles(user_id: int) -> ResponseReturnValue:
    person = _staff_member(user_id)
    wanted = set(request.form.getlist("company", type=number_arg))
    served = tuple(db.session.scalars(select(Company).where(Company.id.in_(wanted))))
    try:
        companies.set_staff_roles(
            db.session,
            current_actor(),
            person,
            admin=request.form.get("admin") == "y",
            trainer=request.form.get("trainer") == "y",
            companies=served,
            now=now(),
        )
    except CompanyError as error:
        db.refuse(error.code)
        flash(_texts().get(error.code, error.code), "error")
        return redirect(url_for("admin.staff"))
    flash(_("The changes to %(name)s are saved.", name=person.display_name), "success")
    return redirect(url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/deactivate")
def deactivate_staff(user_id: int) -> ResponseReturnValue:
    person = _staff_member(user_id)
    try:
        companies.deactivate_staff_member(db.session, current_actor(), person, now())
    except CompanyError as error:
        db.refuse(error.code)
        flash(_texts().get(error.code, error.code), "error")
        return redirect(url_for("admin.staff"))
    flash(
        _("%(name)s is deactivated and logged out everywhere.", name=person.display_name),
        "success",
    )
    return redirect(url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/reactivate")
def reactivate_staff(user_id: int) -> ResponseReturnValue:
    person = _staff_member(user_id)
    companies.reactivate_staff_member(db.session, current_actor(), person, now())
    flash(_("%(name)s is active again.", name=person.display_name), "success")
    return redirect(url_for("admin.staff"))


@bp.post("/staff/<int:user_id>/second-factor/reset")
def reset_second_factor(user_id: int) -> ResponseReturnValue:
    """A lost phone: the person's second factor is gone, and they set it up anew at
    their next login (lms/two_factor)."""
    person = _staff_member(user_id)
    try:
        two_factor.reset(db.session, current_actor(), person, now())
    except two_factor.TwoFactorError as error:
        db.refuse(error.code)
        texts = {
            "own": _("Set up your own second factor again on your profile page."),
            "not-on": _("%(name)s has no second factor.", name=person.display_name),
        }
        flash(texts.get(error.code, error.code), "error")
        return redirect(url_for("admin.staff"))
    flash(
        _(
            "The second factor of %(name)s is reset and they are logged out everywhere. "
            "At their next login they set it up again.",
            name=person.display_name,
        ),
        "success",
    )
    return redirect(url_for("admin.staff"))
