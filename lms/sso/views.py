"""Signing in through a company's OpenID provider, and the admin's settings page.

`bp` (on the app, public, /sso): /sso/start sends a person to their company's
provider (from the login page's form, or a GET with `?email=` or `?domain=` for a
bookmark), /sso/callback takes them back, checks everything and signs them in.
`settings_bp` (under the admin's /admin/companies/<id>/sso): the company's
settings, its group mappings and the connection test.

The state, nonce and PKCE verifier of a sign-in on its way live in the Flask
session (signed, not readable by other sites) and are used once; the ID token is kept
in the session only for the provider's sign-out. No database transaction is open
while Lernwerk talks to the provider.
"""

from __future__ import annotations

import logging
import secrets
import time
from dataclasses import dataclass
from typing import Any

from flask import (
    Blueprint,
    flash,
    g,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    PasswordField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.validators import DataRequired, Length, Optional

from lms import outbound
from lms.areas import company_in_url, whole_company_places
from lms.audit.trail import current_actor, request_network
from lms.auth import signing_in
from lms.clock import now
from lms.db import db, write_intent
from lms.forms import Form
from lms.models import Department
from lms.models.integration import SsoGroupMapping, SsoSettings
from lms.permissions import get_for_company, public
from lms.redirects import safe_next
from lms.secret_box import SecretUnreadable
from lms.security import limiter
from lms.sso import oidc, service
from lms.sso.oidc import SsoFailure

log = logging.getLogger("lms.sso")

bp = Blueprint("sso", __name__)
FLOW_KEY = "sso_flow"  # the sign-in on its way (state, nonce, verifier, company, next)
LOGOUT_KEY = "sso_signed_in"  # {"company": id, "id_token": ...}: for the provider's sign-out
FLOW_SECONDS = 10 * 60
# The session is a cookie, and browsers drop a cookie above 4 KB: an ID token longer
# than this (Entra ID's with many groups) is not kept; the provider's sign-out then
# goes without the hint and the provider asks the person to confirm.
ID_TOKEN_KEPT = 1500


def failure_text(code: str) -> str:
    """What a person reads when the sign-in through their company did not work."""
    texts = {
        "unreachable": _(
            "Your company's sign-in service cannot be reached at the moment. Please try "
            "again in a few minutes; if it keeps happening, tell your company's IT."
        ),
        "address": _(
            "Your company's sign-in service is set up with an address Lernwerk may not "
            "call. Please tell your company's IT or the training provider."
        ),
        "bad-discovery": _(
            "Your company's sign-in service answered in a way Lernwerk does not "
            "understand. Please tell your company's IT."
        ),
        "wrong-issuer": _(
            "The sign-in came from a different service than the one your company set "
            "up. Please tell your company's IT."
        ),
        "wrong-audience": _(
            "The sign-in was meant for a different application, not Lernwerk. Please "
            "tell your company's IT."
        ),
        "expired": _("The sign-in has expired. Please sign in again."),
        "unsigned": _(
            "The sign-in was not signed by your company's sign-in service, so Lernwerk "
            "does not trust it. Please sign in again."
        ),
        "bad-signature": _(
            "The sign-in was not signed by your company's sign-in service, so Lernwerk "
            "does not trust it. Please sign in again."
        ),
        "bad-token": _("The sign-in could not be checked. Please sign in again."),
        "token-refused": _(
            "Your company's sign-in service did not confirm the sign-in. Please sign in again."
        ),
        "nonce": _(
            "This sign-in was already used or does not belong to this browser. Please "
            "sign in again."
        ),
        "state": _(
            "This sign-in does not belong to this browser, or it was already used or took "
            "too long. Please start again on the login page."
        ),
        "cancelled": _("The sign-in was cancelled at your company's sign-in service."),
        "unverified-email": _(
            "Your company's sign-in service has not confirmed your e-mail address, so "
            "Lernwerk cannot tell who you are. Please ask your company's IT to confirm it."
        ),
        "foreign-address": _(
            "Your e-mail address does not belong to this company. Please sign in with "
            "the address your company registered for you."
        ),
        "other-company": _(
            "Your account belongs to another company. Please sign in through your own "
            "company's sign-in service or with your password."
        ),
        "unknown-person": _(
            "Lernwerk does not know you yet. Please ask your manager or HR to add you."
        ),
        "deactivated": _("Your account is deactivated. Please contact your manager or HR."),
        "company-suspended": _(
            "Your company's access to Lernwerk is paused. Please contact your manager or HR."
        ),
        "off": _(
            "Your company does not sign in through its own service (any more). Please log "
            "in with your e-mail address and password."
        ),
        "secret-unreadable": _(
            "Lernwerk cannot read your company's sign-in settings. Please tell the "
            "training provider."
        ),
    }
    return texts.get(code, texts["bad-token"])


def _failed(code: str, detail: str = "", company_id: int | None = None) -> ResponseReturnValue:
    # Never a token, code or secret in the log: the failure's code and a plain detail.
    log.warning("single sign-on failed: %s (company %s) %s", code, company_id, detail)
    status = 503 if code == "unreachable" else 403 if code in _REFUSALS else 400
    return render_template("sso/failed.html", text=failure_text(code), code=code), status


_REFUSALS = frozenset(
    {"foreign-address", "other-company", "unknown-person", "deactivated", "company-suspended",
     "unverified-email", "off"}
)  # fmt: skip


def begin(company_id: int, email: str, next_url: str) -> ResponseReturnValue:
    """Send the person to their company's provider (from the login page or /sso/start).

    Call with the request's transaction ended: the provider's discovery document may
    be read over the network."""
    with db.reading():
        settings = service.settings_of(db.session, company_id)
        if settings is None or not settings.enabled or not settings.company.is_active:
            return _failed("off", company_id=company_id)
        issuer, client_id = settings.issuer, settings.client_id
    try:
        provider = oidc.discover(issuer)
        url, pending = oidc.authorization_request(
            provider, client_id, url_for("sso.callback", _external=True), login_hint=email
        )
    except SsoFailure as failure:
        return _failed(failure.code, failure.detail, company_id)
    session[FLOW_KEY] = {
        "state": pending.state,
        "nonce": pending.nonce,
        "verifier": pending.code_verifier,
        "company": company_id,
        "next": safe_next(next_url, ""),
        "at": int(time.time()),
    }
    g.sso_started = True
    if request.method == "GET":
        return redirect(url)
    return on_to_provider(
        url,
        heading=_("On to your company's sign-in"),
        text=_("Lernwerk sends you to your company's sign-in service. Sign in there with "
               "your work account; you then come back here."),
        button=_("Continue to your company's sign-in"),
    )  # fmt: skip


def started() -> bool:
    """Whether this request sent the person on to their company's provider (not a
    failed sign-in, for the login page's limit)."""
    return bool(g.get("sso_started"))


def on_to_provider(url: str, *, heading: str, text: str, button: str) -> ResponseReturnValue:
    """A page that moves on to the provider at once: the answer to a form, which may
    not redirect to another site (form-action 'self'). Nothing of it is kept or
    passed on as Referer."""
    response = make_response(
        render_template("sso/continue.html", url=url, heading=heading, text=text, button=button)
    )
    response.headers["Cache-Control"] = "no-store"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


class StartForm(Form):
    email = EmailField(_l("E-mail address"), validators=[DataRequired(), Length(max=254)])
    next = HiddenField()


@bp.route("/start", methods=["GET", "POST"])
@public
@limiter.limit(lambda: "30/minute", key_func=request_network, scope="sso-start")
def start() -> ResponseReturnValue:
    """POST (a form with the address) or GET (?email= or ?domain=, for a bookmark of
    the company's sign-in)."""
    if request.method == "POST":
        form = StartForm()
        if not form.validate_on_submit():
            return redirect(url_for("auth.login"))
        email, next_url = form.email.data or "", form.next.data or ""
    else:
        email = request.args.get("email", "")[:254]
        domain = request.args.get("domain", "")[:253]
        next_url = request.args.get("next", "")
        if not email and domain:
            email = "@" + domain
    with db.reading():
        settings = service.settings_for_address(db.session, email) if email else None
        company_id = settings.company_id if settings else None
    if company_id is None:
        flash(
            _("Your e-mail address does not belong to a company that signs in through its "
              "own service. Please log in with your password."),
            "info",
        )  # fmt: skip
        return redirect(url_for("auth.login"))
    return begin(company_id, email if "@" in email[1:] else "", next_url)


@bp.get("/callback")
@public
@limiter.limit(lambda: "30/minute", key_func=request_network, scope="sso-callback")
def callback() -> ResponseReturnValue:
    """The provider sends the person back: check the state (once), trade the code,
    check the ID token, find the person and sign them in."""
    pending: dict[str, Any] | None = session.pop(FLOW_KEY, None)
    given_state = request.args.get("state", "")
    if (
        not isinstance(pending, dict)
        or not given_state
        or not secrets.compare_digest(given_state, str(pending.get("state", "")))
        or time.time() - int(pending.get("at", 0)) > FLOW_SECONDS
    ):
        return _failed("state", "no matching sign-in on its way in this session")
    company_id = int(pending["company"])
    if "error" in request.args:
        error = request.args.get("error", "")[:60]
        code = "cancelled" if error in ("access_denied", "login_required") else "token-refused"
        return _failed(code, f"the provider answered {error!r}", company_id)
    code = request.args.get("code", "")
    if not code:
        return _failed("token-refused", "no code in the answer", company_id)
    with db.reading():
        settings = service.settings_of(db.session, company_id)
        if settings is None or not settings.enabled:
            return _failed("off", company_id=company_id)
        issuer, client_id = settings.issuer, settings.client_id
        try:
            client_secret = service.client_secret_of(settings)
        except SecretUnreadable:
            return _failed("secret-unreadable", company_id=company_id)
    try:
        provider = oidc.discover(issuer)
        id_token = oidc.exchange_code(
            provider, client_id, client_secret, url_for("sso.callback", _external=True),
            code, str(pending["verifier"]),
        )  # fmt: skip
        claims = oidc.check_id_token(
            provider, id_token, client_id=client_id, nonce=str(pending["nonce"]), now=now()
        )
    except SsoFailure as failure:
        return _failed(failure.code, failure.detail, company_id)
    # From here this request writes (the link, the login history): on SQLite its
    # transaction takes the write lock at once, as a POST's does.
    write_intent.set(True)
    settings = db.session.get_one(SsoSettings, company_id)
    try:
        person = service.person_for(
            db.session, settings, provider.issuer, claims, now(), request_network()
        )
    except service.SsoRefused as refused:
        db.session.rollback()
        return _failed(refused.code, "", company_id)
    except IntegrityError:
        # The same person's first sign-in in two tabs at once: the other one linked
        # (or added) them a moment ago; signing in again now finds the link.
        db.session.rollback()
        return _failed("bad-token", "linked or added by a sign-in at the same moment", company_id)
    signing_in.sign_in(person, remember=False)
    kept = id_token if len(id_token) <= ID_TOKEN_KEPT else ""
    session[LOGOUT_KEY] = {"company": company_id, "id_token": kept}
    log.info("person %s of company %s signed in through their provider", person.id, company_id)
    return redirect(safe_next(str(pending.get("next") or ""), url_for("main.index")))


def provider_logout_url() -> str | None:
    """Where the sign-out continues at the provider (RP-initiated logout), for a
    session begun there whose company wants it; None otherwise. Read before the
    session is cleared."""
    signed_in = session.get(LOGOUT_KEY)
    if not isinstance(signed_in, dict):
        return None
    with db.reading():
        settings = service.settings_of(db.session, int(signed_in.get("company", 0)))
        if settings is None or not settings.enabled or not settings.provider_logout:
            return None
        issuer, client_id = settings.issuer, settings.client_id
    try:
        provider = oidc.discover(issuer)
    except SsoFailure as failure:
        log.warning("provider's sign-out skipped: %s %s", failure.code, failure.detail)
        return None
    return oidc.logout_url(
        provider, str(signed_in.get("id_token", "")), client_id,
        url_for("auth.login", _external=True),
    )  # fmt: skip


# --- The admin's settings page ---------------------------------------------------------

settings_bp = Blueprint("sso_settings", __name__)
company_in_url(settings_bp)
places = whole_company_places("sso")


class SettingsForm(Form):
    enabled = BooleanField(_l("Sign in through the company's own service (single sign-on)"))
    issuer = StringField(
        _l("Issuer address"),
        description=_l(
            "The address of the company's OpenID Connect provider, e.g. "
            "https://accounts.google.com or https://login.microsoftonline.com/TENANT-ID/v2.0."
        ),
        validators=[Length(max=500)],
    )
    client_id = StringField(
        _l("Client ID"),
        description=_l("The ID of the app the company registered for Lernwerk."),
        validators=[Length(max=255)],
    )
    client_secret = PasswordField(
        _l("Client secret"),
        description=_l(
            "Stored encrypted and never shown again. Leave empty to keep the stored one."
        ),
        validators=[Length(max=2000)],
    )
    domains = TextAreaField(
        _l("E-mail domains"),
        description=_l(
            "One per line, e.g. mueller-metallbau.de. An address there signs in "
            "through this company's service."
        ),
        validators=[Length(max=5000)],
    )
    required = BooleanField(
        _l("Only through the company's service: no Lernwerk passwords for its people"),
    )
    create_people = BooleanField(
        _l(
            "Add people the service knows but Lernwerk does not, as employees, at their "
            "first sign-in"
        ),
    )
    group_claim = StringField(
        _l("Claim with the groups"),
        description=_l(
            "The name of the ID token's claim that lists the person's groups, "
            "e.g. groups. Leave empty if groups are not used."
        ),
        validators=[Length(max=100)],
    )
    provider_logout = BooleanField(_l("Signing out of Lernwerk also signs out at the service"))


class GroupForm(Form):
    group_name = StringField(
        _l("Group"),
        description=_l("As the service names it in the claim (a name or an ID)."),
        validators=[DataRequired(message=_l("Please fill in this field.")), Length(max=255)],
    )
    department = SelectField(_l("Department"), choices=[], validators=[Optional()])
    makes_manager = BooleanField(
        _l("Members are managers"),
        description=_l(
            "Once a group makes managers, the manager role follows the groups at each "
            "sign-in: a person in none of these groups loses a manager role given by hand."
        ),
    )


def _group_form(company_id: int, posted: bool = False) -> GroupForm:
    form = GroupForm() if posted else GroupForm(formdata=None)
    rows = db.session.scalars(
        select(Department).where(Department.company_id == company_id).order_by(Department.name)
    )
    form.department.choices = [("", _("No department")), *((str(d.id), d.name) for d in rows)]
    return form


def _page(
    form: SettingsForm,
    group_form: GroupForm | None = None,
    test_result: dict[str, Any] | None = None,
    status: int = 200,
) -> ResponseReturnValue:
    place = places.current()
    company = place.company
    settings = service.settings_of(db.session, company.id)
    return render_template(
        "sso/settings.html",
        form=form,
        group_form=group_form or _group_form(company.id),
        place=place,
        company=company,
        settings=settings,
        mappings=service.mappings_of(db.session, company.id),
        test_result=test_result,
        callback_url=url_for("sso.callback", _external=True),
        logout_url=url_for("auth.login", _external=True),
    ), status


def _settings_form(company_id: int, posted: bool) -> SettingsForm:
    """The settings form: as posted, or as stored (the secret never)."""
    if posted:
        return SettingsForm()
    form = SettingsForm(formdata=None)
    settings = service.settings_of(db.session, company_id)
    if settings is not None:
        form.process(formdata=None, obj=settings)
    else:
        form.provider_logout.data = True
    form.client_secret.data = ""
    form.domains.data = "\n".join(service.domains_of(db.session, company_id))
    return form


_SETTING_ERRORS = {
    "issuer-missing": ("issuer", _l("Please enter the issuer address to switch sign-in on.")),
    "client-id-missing": ("client_id", _l("Please enter the client ID to switch sign-in on.")),
    "secret-missing": ("client_secret", _l("Please enter the client secret to switch sign-in on.")),
}


@settings_bp.route("/", methods=["GET", "POST"])
def edit() -> ResponseReturnValue:
    place = places.current()
    company = place.company
    form = _settings_form(company.id, posted=request.method == "POST")
    if form.validate_on_submit():
        issuer = (form.issuer.data or "").strip()
        if issuer:
            problem = outbound.address_problem(issuer)
            if problem:
                form.issuer.errors = [problem]
                return _page(form, status=422)
        fields = service.SettingsFields(
            enabled=bool(form.enabled.data),
            issuer=issuer,
            client_id=form.client_id.data or "",
            client_secret=form.client_secret.data or "",
            domains=service.parse_domains(form.domains.data or ""),
            required=bool(form.required.data),
            create_people=bool(form.create_people.data),
            group_claim=form.group_claim.data or "",
            provider_logout=bool(form.provider_logout.data),
        )
        try:
            changed = service.save_settings(db.session, current_actor(), company, fields, now())
        except service.SsoError as exc:
            _show_error(form, exc)
            return _page(form, status=422)
        if changed:
            flash(_("The sign-in settings are saved."), "success")
        return redirect(url_for(".edit"))
    return _page(form, status=422 if request.method == "POST" else 200)


def _show_error(form: SettingsForm, exc: service.SsoError) -> None:
    if exc.code == "domain-invalid":
        form.domains.errors = [_("“%(domain)s” is not an e-mail domain.", domain=exc.value)]
    elif exc.code == "domain-taken":
        form.domains.errors = [
            _("The domain %(domain)s belongs to the company %(company)s already. A domain "
              "can sign in through one company's service only.",
              domain=exc.value, company=exc.other)
        ]  # fmt: skip
    elif exc.code in _SETTING_ERRORS:
        name, text = _SETTING_ERRORS[exc.code]
        getattr(form, name).errors = [str(text)]


@settings_bp.post("/test")
def test_connection() -> ResponseReturnValue:
    """Read the provider's discovery document and keys for the issuer typed (saved or
    not) and say what was found; nothing is stored."""
    place = places.current()
    form = SettingsForm()
    form.validate_on_submit()  # only to read the typed values; nothing is stored
    issuer = (form.issuer.data or "").strip()
    result: dict[str, Any] = {"ok": False, "issuer": issuer}
    if not issuer:
        result["text"] = _("Please enter the issuer address first.")
        return _page(form, test_result=result, status=422)
    db.session.commit()  # no transaction stays open while the provider is asked
    try:
        provider = oidc.discover(issuer, fresh=True)
        keys = oidc.provider_keys(provider, fresh=True)
    except SsoFailure as failure:
        log.info("connection test of company %s failed: %s %s",
                 place.company.id, failure.code, failure.detail)  # fmt: skip
        texts = {
            "unreachable": _("The service cannot be reached at %(address)s. Check the address "
                             "and that the service is running.",
                             address=oidc.discovery_url(issuer)),
            "address": outbound.address_problem(issuer) or "",
            "wrong-issuer": _("The service at this address names a different issuer. Enter the "
                              "issuer exactly as the service's documentation gives it."),
        }  # fmt: skip
        result["text"] = texts.get(
            failure.code,
            _("The service answered, but not with an OpenID Connect discovery document."),
        )
        return _page(form, test_result=result)
    result.update(
        ok=True,
        text=ngettext(
            "The service answers. It names itself %(issuer)s and publishes %(num)d signing key.",
            "The service answers. It names itself %(issuer)s and publishes %(num)d signing keys.",
            len(keys.get("keys", [])),
            issuer=provider.issuer,
        ),
        logout=bool(provider.end_session_endpoint),
    )  # fmt: skip
    return _page(form, test_result=result)


@settings_bp.post("/groups")
def add_group() -> ResponseReturnValue:
    place = places.current()
    company = place.company
    group_form = _group_form(company.id, posted=True)
    if group_form.validate_on_submit():
        department = (
            get_for_company(db.session, Department, int(group_form.department.data), company.id)
            if group_form.department.data
            else None
        )
        try:
            service.add_group_mapping(
                db.session, current_actor(), company, group_form.group_name.data or "",
                department, bool(group_form.makes_manager.data), now(),
            )  # fmt: skip
        except service.SsoError as exc:
            group_form.group_name.errors = [
                _("This group is mapped already.")
                if exc.code == "group-taken"
                else _("Choose a department, or make the group's members managers, or both.")
            ]
        else:
            flash(_("The group is mapped."), "success")
            return redirect(url_for(".edit") + "#groups")
    return _page(_settings_form(company.id, posted=False), group_form, status=422)


@settings_bp.post("/groups/<int:mapping_id>/remove")
def remove_group(mapping_id: int) -> ResponseReturnValue:
    place = places.current()
    mapping = get_for_company(db.session, SsoGroupMapping, mapping_id, place.company.id)
    if Form().validate_on_submit():
        service.remove_group_mapping(db.session, current_actor(), place.company, mapping, now())
        flash(_("The group is no longer mapped."), "success")
    return redirect(url_for(".edit") + "#groups")


@dataclass(frozen=True)
class CompanySso:
    """A company's single sign-on at a glance, for its page: "off", "on" or
    "required", and its domains."""

    state: str
    domains: list[str]


@bp.app_template_global("sso_of_company")
def sso_of_company(company_id: int) -> CompanySso:
    settings = service.settings_of(db.session, company_id)
    state = "off"
    if settings is not None and settings.enabled:
        state = "required" if settings.required else "on"
    return CompanySso(state, service.domains_of(db.session, company_id))
