"""The admin's pages of a company's webhooks (/admin/companies/<id>/webhooks/): the
endpoints, adding one (its signing secret shown once), changing what it receives,
a new secret, deleting it, its deliveries with "Erneut senden", and "Test senden".

Registered under the admin's area only (its role guard); every endpoint and delivery
is loaded within the company of the URL, so another company's ids answer 404.
"""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, StringField
from wtforms.validators import DataRequired, Length, ValidationError

from lms import outbound
from lms.areas import CompanyPlace, company_in_url, whole_company_places
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.forms import CheckboxListField, Form
from lms.input_checks import as_id
from lms.models import WebhookEndpoint
from lms.webhooks import events, service

bp = Blueprint("webhooks", __name__)
company_in_url(bp)
places = whole_company_places("webhooks")


def _address_allowed(_form: Form, field: Field) -> None:
    problem = outbound.address_problem(field.data or "")
    if problem is not None:
        raise ValidationError(problem)


def _event_choices() -> list[tuple[str, Any]]:
    return [(name, label) for name, label in events.EVENTS.items()]


class _EventsForm(Form):
    events = CheckboxListField(
        _l("Events"),
        description=_l("Lernwerk sends a message to the address for each of these."),
        validators=[DataRequired(message=_l("Please choose at least one event."))],
    )
    description = StringField(
        _l("Description"),
        description=_l("What the address belongs to, e.g. HR system Personio."),
        validators=[
            Length(max=service.DESCRIPTION_LENGTH, message=_l("Please use at most 200 characters."))
        ],
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.events.choices = _event_choices()


class NewEndpointForm(_EventsForm):
    url = StringField(
        _l("Address (URL)"),
        description=_l("The HTTPS address of your system that receives the events."),
        validators=[
            DataRequired(message=_l("Please enter the address.")),
            Length(max=service.URL_LENGTH, message=_l("The address is too long.")),
            _address_allowed,
        ],
        filters=[lambda value: value.strip() if isinstance(value, str) else value],
    )


class EditEndpointForm(_EventsForm):
    active = BooleanField(
        _l("Active"),
        description=_l("Switched off, the address receives nothing until it is switched on."),
    )


class ActionForm(Form):
    """A button's form: its CSRF token only."""


class ConfirmForm(ActionForm):
    confirm = BooleanField()


def _endpoint(place: CompanyPlace, endpoint_id: int) -> WebhookEndpoint:
    key = as_id(endpoint_id)
    found = service.endpoint_of_company(db.session, key, place.company.id) if key else None
    if found is None:
        abort(404)
    return found


def _no_store(response: Any) -> Any:
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/")
def index() -> ResponseReturnValue:
    place = places.current()
    return render_template(
        "webhooks/index.html",
        place=place,
        company=place.company,
        rows=service.company_endpoints(db.session, place.company.id),
        event_labels=events.EVENTS,
    )


@bp.route("/new", methods=["GET", "POST"])
def new() -> ResponseReturnValue:
    place = places.current()
    form = NewEndpointForm()
    if request.method == "GET":
        form.events.data = list(events.EVENTS)
    if form.validate_on_submit():
        endpoint, secret = service.create_endpoint(
            db.session,
            current_actor(),
            place.company,
            form.url.data or "",
            form.description.data or "",
            form.events.data or [],
            now(),
        )
        return _secret_page(place, endpoint, secret, created=True)
    status = 422 if request.method == "POST" else 200
    return render_template(
        "webhooks/new.html", place=place, company=place.company, form=form
    ), status


def _secret_page(
    place: CompanyPlace, endpoint: WebhookEndpoint, secret: str, *, created: bool
) -> ResponseReturnValue:
    """The secret, once: answered to the POST itself (no redirect that could be
    reloaded from the history), and kept by no cache."""
    response = make_response(
        render_template(
            "webhooks/secret.html",
            place=place,
            company=place.company,
            endpoint=endpoint,
            secret=secret,
            created=created,
        )
    )
    return _no_store(response)


@bp.get("/<int:endpoint_id>/")
def endpoint(endpoint_id: int) -> ResponseReturnValue:
    place = places.current()
    found = _endpoint(place, endpoint_id)
    form = EditEndpointForm(
        formdata=None,
        events=found.event_list,
        description=found.description,
        active=found.active,
    )
    return _endpoint_page(place, found, form)


def _endpoint_page(
    place: CompanyPlace, found: WebhookEndpoint, form: EditEndpointForm, status: int = 200
) -> ResponseReturnValue:
    return render_template(
        "webhooks/endpoint.html",
        place=place,
        company=place.company,
        endpoint=found,
        form=form,
        deliveries=service.deliveries(db.session, found, now()),
        shown_days=service.SHOWN_DAYS,
        event_labels=events.EVENTS,
    ), status


@bp.post("/<int:endpoint_id>/")
def edit(endpoint_id: int) -> ResponseReturnValue:
    place = places.current()
    found = _endpoint(place, endpoint_id)
    form = EditEndpointForm()
    if not form.validate_on_submit():
        return _endpoint_page(place, found, form, 422)
    if service.update_endpoint(
        db.session,
        current_actor(),
        found,
        form.description.data or "",
        form.events.data or [],
        bool(form.active.data),
        now(),
    ):
        flash(_("The endpoint is saved."), "success")
    return redirect(url_for(".endpoint", endpoint_id=found.id))


def _unconfirmed(found: WebhookEndpoint, refused: str, section: str) -> ResponseReturnValue | None:
    """None when the confirmation box was ticked; else back to the endpoint's `section`
    with `refused` said. A form without its CSRF token answers 400."""
    form = ConfirmForm()
    if not form.validate_on_submit():
        abort(400)
    if form.confirm.data:
        return None
    flash(refused, "error")
    return redirect(url_for(".endpoint", endpoint_id=found.id) + "#" + section)


@bp.post("/<int:endpoint_id>/secret")
def new_secret(endpoint_id: int) -> ResponseReturnValue:
    place = places.current()
    found = _endpoint(place, endpoint_id)
    unconfirmed = _unconfirmed(
        found, _("The secret is unchanged: tick the box to confirm a new secret."), "secret"
    )
    if unconfirmed is not None:
        return unconfirmed
    secret = service.renew_secret(db.session, current_actor(), found, now())
    return _secret_page(place, found, secret, created=False)


@bp.post("/<int:endpoint_id>/delete")
def delete(endpoint_id: int) -> ResponseReturnValue:
    place = places.current()
    found = _endpoint(place, endpoint_id)
    unconfirmed = _unconfirmed(
        found, _("The endpoint is kept: tick the box to confirm deleting it."), "delete"
    )
    if unconfirmed is not None:
        return unconfirmed
    url = found.url
    service.delete_endpoint(db.session, current_actor(), found, now())
    flash(_("The endpoint %(url)s is deleted.", url=url), "success")
    return redirect(url_for(".index"))


@bp.post("/<int:endpoint_id>/test")
def test(endpoint_id: int) -> ResponseReturnValue:
    place = places.current()
    found = _endpoint(place, endpoint_id)
    if not ActionForm().validate_on_submit():
        abort(400)
    service.send_test(db.session, current_actor(), found, now())
    flash(_("A test event is on its way. Its delivery appears below within a minute."), "success")
    return redirect(url_for(".endpoint", endpoint_id=found.id) + "#deliveries")


@bp.post("/<int:endpoint_id>/deliveries/<int:delivery_id>/resend")
def resend(endpoint_id: int, delivery_id: int) -> ResponseReturnValue:
    place = places.current()
    found = _endpoint(place, endpoint_id)
    key = as_id(delivery_id)
    delivery = service.delivery_of_endpoint(db.session, key, found) if key else None
    if delivery is None:
        abort(404)
    if not ActionForm().validate_on_submit():
        abort(400)
    try:
        service.resend(db.session, current_actor(), delivery, now())
    except service.WebhookError:
        flash(_("This delivery is still waiting to be sent."), "info")
    else:
        flash(_("The event is sent again shortly, as a new delivery."), "success")
    return redirect(url_for(".endpoint", endpoint_id=found.id) + "#deliveries")
