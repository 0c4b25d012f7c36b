"""The admin's form of a company's learning platform (LTI 1.3)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import BooleanField, Field, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, ValidationError

from lms import outbound
from lms.forms import Form


def _address_allowed(_form: Form, field: Field) -> None:
    problem = outbound.address_problem(field.data or "")
    if problem is not None:
        raise ValidationError(problem)


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _required() -> DataRequired:
    return DataRequired(message=_l("Please fill in this field."))


class PlatformForm(Form):
    name = StringField(
        _l("Name"),
        description=_l("How the platform is called here, e.g. Moodle of the training centre."),
        validators=[_required(), Length(max=200)],
        filters=[_strip],
    )
    issuer = StringField(
        _l("Platform ID (issuer)"),
        description=_l("As the platform names itself, e.g. https://moodle.example.com."),
        validators=[_required(), Length(max=500)],
        filters=[_strip],
    )
    client_id = StringField(
        _l("Client ID"),
        description=_l("The ID the platform gave Lernwerk when the tool was added there."),
        validators=[_required(), Length(max=255)],
        filters=[_strip],
    )
    deployment_ids = TextAreaField(
        _l("Deployment IDs"),
        description=_l("One per line. Launches from other deployments are refused."),
        validators=[_required(), Length(max=5000)],
    )
    auth_login_url = StringField(
        _l("Authentication request URL"),
        description=_l("Where the platform signs its people in for the tool (OIDC)."),
        validators=[_required(), Length(max=2000), _address_allowed],
        filters=[_strip],
    )
    token_url = StringField(
        _l("Access token URL"),
        description=_l("The platform's OAuth 2.0 token address, for sending results back."),
        validators=[_required(), Length(max=2000), _address_allowed],
        filters=[_strip],
    )
    jwks_url = StringField(
        _l("Public keyset URL"),
        description=_l("Where the platform publishes the keys it signs launches with."),
        validators=[_required(), Length(max=2000), _address_allowed],
        filters=[_strip],
    )


class DeleteForm(Form):
    confirm = BooleanField(_l("Yes, delete this platform"))
