"""The kiosk start screen and the company's list of shared devices.

`bp` (at /kiosk) holds the start screen "Wer lernt jetzt?", "Fertig" and the input
report of kiosk.js, and installs the app-wide request hooks of kiosk mode.
`area_bp` is the page "Gemeinsame Geräte" with the company's sign-in settings,
registered under the manager's area (/team/devices, managers of the whole company)
and the admin's (/admin/companies/<id>/devices).
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from werkzeug.wrappers import Response
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length

from lms.areas import CompanyPlace, area, company_in_url, whole_company_places
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.forms import Form
from lms.models import Company
from lms.permissions import public
from lms.redirects import safe_next
from lms.shared_devices import kiosk, service
from lms.shared_devices.cookie import clear_stale_cookie, current_device, set_device_cookie

bp = Blueprint("kiosk", __name__)
area_bp = Blueprint("shared_devices", __name__)
company_in_url(area_bp)

bp.before_app_request(kiosk.check_request)
bp.after_app_request(clear_stale_cookie)


@bp.app_context_processor
def _kiosk_globals() -> dict[str, Any]:
    return {"kiosk_session": _kiosk_session, "on_shared_device": _on_shared_device}


def _kiosk_session() -> dict[str, int] | None:
    """For the header: the idle time and countdown of a kiosk session (None outside)."""
    if not kiosk.in_kiosk_session():
        return None
    return {"idle": kiosk.idle_seconds(), "warn": kiosk.warning_seconds()}


def _on_shared_device() -> bool:
    """Whether this browser is a shared device (forms hide "remember me")."""
    return current_device() is not None


# --- The start screen and "Fertig" ---------------------------------------------------


@bp.get("/")
@public
def start() -> ResponseReturnValue:
    """On a shared device: "Wer lernt jetzt?". Elsewhere: what a shared device is."""
    device = current_device()
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    if device is None:
        return render_template("shared_devices/not_shared.html")
    company = db.session.get(Company, device.company_id)
    return render_template(
        "shared_devices/start.html",
        device=device,
        company=company,
    )


@bp.post("/done")
@public
def done() -> ResponseReturnValue:
    """ "Fertig": sign out of this browser and back to the start screen (kiosk.js posts
    it with reason=idle when the countdown ran out)."""
    if current_user.is_authenticated:
        kiosk.end_session()
        if request.form.get("reason") == "idle":
            flash(kiosk.idle_message(), "info")
        else:
            flash(_("You are logged out."), "success")
    return kiosk.signed_out()


@bp.post("/active")
def active() -> ResponseReturnValue:
    """kiosk.js reports input on a page (the request hook has counted it)."""
    return Response(status=204)


# --- The company's shared devices and sign-in settings ------------------------------


class EnrolForm(Form):
    name = StringField(
        _l("Name of this device"),
        description=_l("Where it stands, so that you recognise it in the list."),
        validators=[
            DataRequired(message=_l("Please enter a name, e.g. Tablet break room hall 2.")),
            Length(max=service.NAME_LENGTH, message=_l("Please use at most 80 characters.")),
        ],
    )


class NewCodeForm(Form):
    # The old code stops working at once, on every printed list and notice: asked
    # for in words, not taken from one stray tap.
    confirm = BooleanField(_l("Yes, the old code is to stop working now."))


class PinSettingForm(Form):
    pin_only_on_shared_devices = BooleanField(
        _l("PIN sign-in only on shared devices"),
        description=_l(
            "People without an e-mail address then log in with their PIN only on the "
            "company's shared devices, not on their own phone."
        ),
    )


places = whole_company_places("shared-devices")


def _page(place: CompanyPlace, enrol_form: EnrolForm | None = None, status: int = 200) -> Any:
    device = current_device()
    if device is not None and device.company_id != place.company.id:
        device = None  # another company's device (an admin's browser)
    return render_template(
        "shared_devices/devices.html",
        place=place,
        company=place.company,
        devices=service.company_devices(db.session, place.company.id),
        this_device=device,
        enrol_form=enrol_form or EnrolForm(formdata=None),
        pin_form=PinSettingForm(formdata=None, obj=place.company),
        admin=area() == "admin",
    ), status


@area_bp.get("/")
def index() -> ResponseReturnValue:
    return _page(places.current())


@area_bp.post("/enrol")
def enrol() -> ResponseReturnValue:
    """Make this browser a shared device of the company (sets the device cookie)."""
    place = places.current()
    form = EnrolForm()
    if not form.validate_on_submit():
        return _page(place, form, 422)
    device, value = service.enrol(
        db.session, current_actor(), place.company, form.name.data or "", now()
    )
    flash(
        _(
            "This browser is now the shared device “%(name)s”. Log out to see its start screen.",
            name=device.name,
        ),
        "success",
    )
    response = redirect(url_for(".index"))
    set_device_cookie(response, value)
    return response


@area_bp.post("/<int:device_id>/revoke")
def revoke(device_id: int) -> ResponseReturnValue:
    place = places.current()
    device = service.device_of_company(db.session, device_id, place.company.id)
    if device is None:
        abort(404)
    service.revoke(db.session, current_actor(), device, now())
    flash(_("“%(name)s” is no longer a shared device.", name=device.name), "success")
    # The admin may revoke from the company page and returns there.
    return redirect(safe_next(request.form.get("next"), url_for(".index")))


@area_bp.post("/sign-in-code")
def new_code() -> ResponseReturnValue:
    place = places.current()
    form = NewCodeForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirm.data:
        flash(_("The code is unchanged: tick the box to confirm a new code."), "error")
        return redirect(url_for(".index") + "#sign-in")
    code = service.new_code(db.session, current_actor(), place.company, now())
    flash(
        _("The new sign-in code is %(code)s. The old code no longer works.", code=code),
        "success",
    )
    return redirect(url_for(".index") + "#sign-in")


@area_bp.post("/pin-setting")
def pin_setting() -> ResponseReturnValue:
    place = places.current()
    form = PinSettingForm()
    if not form.validate_on_submit():
        abort(400)
    value = bool(form.pin_only_on_shared_devices.data)
    if service.set_pin_only_on_shared_devices(
        db.session, current_actor(), place.company, value, now()
    ):
        if value:
            flash(_("PIN sign-in now works only on the company's shared devices."), "success")
        else:
            flash(_("PIN sign-in now works on every device."), "success")
    return redirect(url_for(".index") + "#sign-in")
