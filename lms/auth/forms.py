"""Forms of the auth blueprint. Labels and messages are translated lazily."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectChoice,
    SelectField,
    StringField,
)
from wtforms.validators import DataRequired, EqualTo, Length

from lms.forms import Form

_required = DataRequired(message=_l("Please fill in this field."))


class LoginForm(Form):
    email = EmailField(_l("E-mail address"), validators=[_required, Length(max=254)])
    # Not required here: an address of a company with single sign-on needs none (the
    # view asks for it when no single sign-on applies).
    password = PasswordField(
        _l("Password"),
        description=_l("Not needed if your company signs you in with your work account."),
        validators=[Length(max=1024)],
    )
    remember = BooleanField(_l("Stay logged in on this device (14 days)"))
    next = HiddenField()


class ForgotPasswordForm(Form):
    email = EmailField(_l("E-mail address"), validators=[_required, Length(max=254)])


class NewPasswordMixin:
    new_password = PasswordField(
        _l("New password"),
        description=_l("At least 12 characters. A short sentence is easy to remember."),
        validators=[_required, Length(max=1024)],
    )
    confirm_password = PasswordField(
        _l("Repeat the new password"),
        validators=[_required, EqualTo("new_password", message=_l("The two passwords differ."))],
    )


class ResetPasswordForm(NewPasswordMixin, Form):
    pass


class AcceptInvitationForm(NewPasswordMixin, Form):
    # The address, for password managers (a hidden input on the page).
    extra_fields = frozenset({"username"})

    display_name = StringField(
        _l("Your name"),
        description=_l("As colleagues and trainers should see it."),
        validators=[_required, Length(max=200)],
    )


class ChangePasswordForm(NewPasswordMixin, Form):
    current_password = PasswordField(
        _l("Current password"), validators=[_required, Length(max=1024)]
    )


def language_choices() -> list[SelectChoice]:
    # Each language names itself, marked with its own language for screen readers.
    return [
        SelectChoice("de", "Deutsch", render_kw={"lang": "de"}),
        SelectChoice("en", "English", render_kw={"lang": "en"}),
    ]


class ProfileForm(Form):
    display_name = StringField(_l("Your name"), validators=[_required, Length(max=200)])
    language = SelectField(_l("Language"), choices=language_choices(), validators=[_required])
