"""Forms of the second factor: a code from the app, a recovery code, the password
asked again before a change."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from lms.forms import Form

_required = DataRequired(message=_l("Please fill in this field."))


class CodeForm(Form):
    code = StringField(
        _l("Code from your authenticator app"),
        description=_l("6 digits. The app shows a new code every 30 seconds."),
        validators=[_required, Length(max=20)],
    )


class RecoveryCodeForm(Form):
    code = StringField(
        _l("Recovery code"),
        description=_l("8 letters and digits, as printed, for example 4F7K-9QXM."),
        validators=[_required, Length(max=30)],
    )


class SetUpForm(CodeForm):
    """Confirming the set-up with the first code the app shows."""


class SetUpAgainForm(SetUpForm):
    """Replacing one's second factor (a new phone): the password too."""

    extra_fields = frozenset({"username"})  # the address, for password managers

    current_password = PasswordField(_l("Your password"), validators=[_required, Length(max=1024)])


class PasswordAgainForm(Form):
    extra_fields = frozenset({"username"})  # the address, for password managers

    current_password = PasswordField(_l("Your password"), validators=[_required, Length(max=1024)])
