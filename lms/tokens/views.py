"""The admin's pages for tokens: a company's SCIM and API tokens
(/admin/companies/<id>/tokens) and the provider's own API tokens, for every company
(/admin/platform/api-tokens).

A new token is shown once, on the answer to the form that created it (never stored,
never shown again; the answer is not cached). Revoking asks for a confirmation.
Both blueprints are registered under the admin area and inherit its guard.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from wtforms import BooleanField, RadioField, SelectChoice, StringField
from wtforms.validators import DataRequired, Length, Optional, ValidationError

from lms.areas import company_in_url
from lms.audit.trail import current_actor
from lms.clock import local_zone, now, today
from lms.db import db
from lms.forms import Form
from lms.input_checks import DateField
from lms.models import ApiToken, Company, TokenKind, TokenScope
from lms.tokens import service

company_bp = Blueprint("tokens", __name__)
company_in_url(company_bp)
provider_bp = Blueprint("provider_tokens", __name__)

DEFAULT_LIFETIME_DAYS = 365
MAX_LIFETIME_YEARS = 3


class TokenForm(Form):
    name = StringField(
        _l("Name"),
        description=_l("What uses the token, e.g. Entra ID provisioning or HR system."),
        validators=[
            DataRequired(message=_l("Please enter a name.")),  # blanks alone are none
            Length(max=service.NAME_LENGTH, message=_l("Please use at most 120 characters.")),
        ],
    )
    kind = RadioField(
        _l("Kind"),
        choices=[
            SelectChoice(
                TokenKind.SCIM.value, _l("SCIM: the identity system creates and changes people")
            ),
            SelectChoice(
                TokenKind.API.value, _l("REST API: the company's own programs read or write data")
            ),
        ],
        default=TokenKind.SCIM.value,
    )
    scope = RadioField(
        _l("Access (REST API only)"),
        choices=[
            SelectChoice(TokenScope.READ.value, _l("Read only")),
            SelectChoice(TokenScope.READ_WRITE.value, _l("Read and write")),
        ],
        default=TokenScope.READ.value,
    )
    expires_on = DateField(
        _l("Valid until (REST API only)"),
        description=_l("At most three years from today. SCIM tokens do not expire."),
        validators=[Optional()],
    )

    def validate_expires_on(self, field: DateField) -> None:
        if field.data is None:
            return
        if field.data <= today():
            raise ValidationError(_("Please choose a date after today."))
        if field.data > _latest_expiry():
            raise ValidationError(_("Please choose a date at most three years from today."))


class RevokeForm(Form):
    confirm = BooleanField(_l("Yes, this token is to stop working now."))


def _latest_expiry() -> date:
    day = today()
    try:
        return day.replace(year=day.year + MAX_LIFETIME_YEARS)
    except ValueError:  # 29 February
        return day.replace(year=day.year + MAX_LIFETIME_YEARS, day=28)


def _end_of(day: date) -> datetime:
    """The token works until the end of `day` (platform time)."""
    return datetime.combine(day + timedelta(days=1), time.min, local_zone())


def _company() -> Company | None:
    """The company of a company page, None on the provider's page."""
    if "company_id" not in g:
        return None
    company = db.session.get(Company, g.company_id)
    if company is None:
        abort(404)
    return company


def _token(company: Company | None, token_id: int) -> ApiToken:
    """A token of this company (or of the provider); 404 for anyone else's."""
    condition = (
        ApiToken.company_id.is_(None) if company is None else ApiToken.company_id == company.id
    )
    token = db.session.scalar(select(ApiToken).where(ApiToken.id == token_id, condition))
    if token is None:
        abort(404)
    return token


def _back(company: Company | None) -> str:
    if company is None:
        return url_for("admin.platform")
    return url_for("admin.company", company_id=company.id) + "#tokens"


def _page(form: TokenForm | None = None, status: int = 200) -> ResponseReturnValue:
    company = _company()
    company_id = company.id if company is not None else None
    if form is None:
        form = TokenForm(formdata=None)
        form.expires_on.data = today() + timedelta(days=DEFAULT_LIFETIME_DAYS)
    return render_template(
        "tokens/index.html",
        company=company,
        back=_back(company),
        scim_tokens=service.tokens_of(db.session, TokenKind.SCIM, company_id)
        if company is not None
        else [],
        api_tokens=service.tokens_of(db.session, TokenKind.API, company_id),
        form=form,
        now=now(),
        scim_url=url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0],
    ), status


def index() -> ResponseReturnValue:
    return _page()


def create() -> ResponseReturnValue:
    company = _company()
    form = TokenForm()
    if company is None:
        form.kind.data = TokenKind.API.value  # the provider has API tokens only
    if not form.validate_on_submit():
        return _page(form, 422)
    kind = TokenKind(form.kind.data)
    expires_at = None
    if kind is TokenKind.API:
        expires_on = form.expires_on.data or today() + timedelta(days=DEFAULT_LIFETIME_DAYS)
        expires_at = _end_of(expires_on)
    created = service.create(
        db.session,
        current_actor(),
        kind,
        company,
        form.name.data or "",
        now(),
        scope=TokenScope(form.scope.data) if kind is TokenKind.API else TokenScope.READ_WRITE,
        expires_at=expires_at,
    )
    response = render_template(
        "tokens/created.html",
        company=company,
        token=created.token,
        value=created.value,
        back=url_for(".index"),
        scim_url=url_for("scim.service_provider_config", _external=True).rsplit("/", 1)[0],
    )
    # The only answer that holds the token: never kept by a cache or shown by "back".
    return response, 201, {"Cache-Control": "no-store", "Pragma": "no-cache"}


def confirm_revoke(token_id: int) -> ResponseReturnValue:
    company = _company()
    token = _token(company, token_id)
    return render_template(
        "tokens/revoke.html", company=company, token=token, form=RevokeForm(formdata=None)
    )


def revoke(token_id: int) -> ResponseReturnValue:
    company = _company()
    token = _token(company, token_id)
    form = RevokeForm()
    if not form.validate_on_submit():
        abort(400)
    if not form.confirm.data:
        flash(_("The token still works: tick the box to revoke it."), "error")
        return redirect(url_for(".confirm_revoke", token_id=token.id))
    service.revoke(db.session, current_actor(), token, now())
    flash(_("“%(name)s” is revoked and no longer works.", name=token.name), "success")
    return redirect(url_for(".index"))


def _register(bp: Blueprint) -> None:
    bp.add_url_rule("/", view_func=index, methods=["GET"])
    bp.add_url_rule("/new", view_func=create, methods=["POST"])
    bp.add_url_rule("/<int:token_id>/revoke", view_func=confirm_revoke, methods=["GET"])
    bp.add_url_rule("/<int:token_id>/revoke", view_func=revoke, endpoint="revoke",
                    methods=["POST"])  # fmt: skip


_register(company_bp)
_register(provider_bp)


def company_section(company: Company) -> dict[str, Any]:
    """For the admin's company page (tokens/_company_section.html)."""
    return {
        "scim": service.tokens_of(db.session, TokenKind.SCIM, company.id),
        "api": service.tokens_of(db.session, TokenKind.API, company.id),
    }


@company_bp.app_context_processor
def _template_globals() -> dict[str, Any]:
    return {"company_tokens": company_section}
