"""PIN sign-in, choosing a PIN, and a manager's or admin's PIN reset.

`bp` ("pins") is registered on the app at /pin: the sign-in page, public, and the
page where a signed-in person chooses or changes their PIN. `people_bp`
("pin_reset") is registered under the manager's /team/people and the admin's
/admin/companies/<id>/people and inherits their role guards.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import HiddenField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from lms.areas import area, company_in_url
from lms.audit.trail import current_actor, request_network
from lms.auth import signing_in
from lms.clock import now
from lms.db import db
from lms.forms import Form
from lms.models import Company, User
from lms.permissions import get_for_company, get_person_for_manager, public
from lms.pins import checking, service
from lms.redirects import safe_next
from lms.security import limiter
from lms.shared_devices.cookie import current_device

bp = Blueprint("pins", __name__)
people_bp = Blueprint("pin_reset", __name__)
company_in_url(people_bp)

# Set by a sign-in that must be followed by choosing a PIN (a login card's or an
# invitation letter's first use): every page but these leads to `choose`
# (lms/permissions.py).
MUST_CHOOSE_PIN = "must_choose_pin"

_required = DataRequired(message=_l("Please fill in this field."))
_PIN_HINT = _l("At least 6 digits. Not a run like 123456 and not your personnel number.")


class SignInForm(Form):
    code = StringField(
        _l("Company's sign-in code"),
        description=_l(
            "Six letters and digits, for example on the notice board or your login card."
        ),
        validators=[_required, Length(max=20)],
    )
    number = StringField(
        _l("Personnel number or user name"), validators=[_required, Length(max=50)]
    )
    pin = PasswordField(_l("PIN"), validators=[_required, Length(max=50)])
    next = HiddenField()


class ChoosePinForm(Form):
    current_pin = PasswordField(_l("Current PIN"), validators=[_required, Length(max=50)])
    pin = PasswordField(
        _l("New PIN"), description=_PIN_HINT, validators=[_required, Length(max=50)]
    )
    pin_again = PasswordField(
        _l("Repeat the new PIN"),
        validators=[_required, EqualTo("pin", message=_l("The two PINs differ."))],
    )


def _device_company_id() -> int | None:
    """The company of the shared device this browser is (lms.shared_devices), if any."""
    device = current_device()
    return device.company_id if device is not None else None


def _failed(response: Any) -> bool:
    # Only failures count towards the limit; a sign-in redirects.
    return bool(response.status_code != 302)


def _ip_limit() -> str:
    return str(current_app.config["PIN_LIMIT_PER_IP"])


@bp.route("/", methods=["GET", "POST"])
@public
@limiter.limit(
    _ip_limit, methods=["POST"], key_func=request_network, deduct_when=_failed, scope="pin-ip"
)
def sign_in() -> ResponseReturnValue:
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = SignInForm()
    device_company_id = _device_company_id()
    with db.reading():
        device_company = db.session.get(Company, device_company_id) if device_company_id else None
        if device_company is not None:
            del form.code  # the shared device knows its company
        if request.method == "GET":
            form.next.data = request.args.get("next", "")
        if not form.validate_on_submit():
            return _sign_in_page(form, device_company)
        number = form.number.data or ""
        if device_company is not None:
            company: Company | None = device_company
            code = device_company.sign_in_code or ""
        else:
            code = form.code.data or ""
            company = service.find_company(db.session, code)
        if (
            company is not None
            and company.pin_only_on_shared_devices
            and device_company_id != company.id
        ):
            form.form_errors.append(
                _(
                    "In this company, a PIN signs in only on the company's shared devices"
                    " (for example the tablet in the break room). Please use one of them"
                    " or ask your manager."
                )
            )
            return _sign_in_page(form, device_company), 403
        person = service.find_in_company(db.session, company, number) if company else None
    result = checking.check_pin(person, form.pin.data or "", checking.account_key(code, number))
    if not result.ok or result.user is None:
        form.form_errors.append(result.message)
        return _sign_in_page(form, device_company), result.status
    signing_in.sign_in(result.user, remember=False)
    return redirect(safe_next(form.next.data, url_for("main.index")))


def _sign_in_page(form: SignInForm, device_company: Company | None) -> str:
    return render_template("pins/sign_in.html", form=form, device_company=device_company)


@bp.route("/choose", methods=["GET", "POST"])
def choose() -> ResponseReturnValue:
    """The signed-in person chooses a PIN (after a card's or letter's first use) or
    changes theirs (profile page; the current PIN is asked)."""
    must = bool(session.get(MUST_CHOOSE_PIN))
    form = ChoosePinForm()
    with db.reading():
        user = db.session.get(User, current_user.id)
        if user is None or not service.may_use_pin(user):
            abort(404)
        asks_current = user.pin_hash is not None and not must
        if not asks_current:
            del form.current_pin
        if not form.validate_on_submit():
            return _choose_page(form, user, must, 422 if form.is_submitted() else 200)
        problems = service.pin_problems(form.pin.data or "", user)
        if problems:
            form.pin.errors = list(problems)
            return _choose_page(form, user, must, 422)
    if asks_current:
        result = checking.check_pin(user, form.current_pin.data or "")
        if not result.ok:
            form.current_pin.errors = [result.message]
            return _choose_page(form, user, must, result.status if result.status != 200 else 422)
    fresh = db.session.get(User, user.id, populate_existing=True)
    if fresh is None:
        abort(404)
    service.set_pin(db.session, current_actor(), fresh, form.pin.data or "", now())
    session.pop(MUST_CHOOSE_PIN, None)
    flash(
        _(
            "Your PIN is set. From now on you log in with your company's sign-in code, your"
            " personnel number and this PIN."
        ),
        "success",
    )
    return redirect(url_for("main.index") if must else url_for("auth.profile"))


def _choose_page(form: ChoosePinForm, user: User, must: bool, status: int) -> ResponseReturnValue:
    return render_template("pins/choose.html", form=form, user=user, must=must), status


# --- A manager's or admin's reset -----------------------------------------------------


def _person_in_reach(user_id: int) -> User:
    """The person the admin (any of the company in the URL) or the manager (their
    visible people) may reset the PIN of; 404 otherwise."""
    if area() == "admin":
        person = get_for_company(db.session, User, user_id, g.get("company_id"))
    else:
        manager = db.session.get(User, current_user.id)
        if manager is None:
            abort(404)
        person = get_person_for_manager(db.session, manager, user_id)
    if person.erased_at is not None:
        abort(404)
    return person


@people_bp.post("/<int:user_id>/pin/reset")
def reset(user_id: int) -> ResponseReturnValue:
    person = _person_in_reach(user_id)
    service.reset_pin(db.session, current_actor(), person, now())
    flash(
        _(
            "The PIN of %(name)s is reset. They log in next with their login card or"
            " invitation letter and choose a new PIN.",
            name=person.display_name,
        ),
        "success",
    )
    if area() == "admin":
        back = url_for("admin.people.edit", user_id=person.id)
    else:
        back = url_for("manage.person", user_id=person.id)
    return redirect(safe_next(request.form.get("next"), back))
