"""The logos and the accent's stylesheet, served under `/look` (blueprint "look",
registered in the main blueprint: every logged-in user, nobody else).

A company's logo goes to its own people and to admins (404 for everyone else); the
provider's logo and an accent's stylesheet to anyone logged in. Each answer carries
its media type and `nosniff`; addresses carry a version (`?v=`, or the colour), so
what is asked for by its version is cached for a year.
"""

from __future__ import annotations

import logging

from flask import Blueprint, abort, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms.company_look import service
from lms.company_look.page import provider_logo_path, provider_logo_version
from lms.db import db
from lms.models import CompanyLogo, Role

bp = Blueprint("look", __name__)
log = logging.getLogger("lms.company_look")

# Asked for by its version: the same bytes for a year.
VERSIONED = "private, max-age=31536000, immutable"
# An old or missing version: ask again each time.
UNVERSIONED = "private, no-cache"


def _image(data: bytes, media_type: str, versioned: bool) -> ResponseReturnValue:
    response = make_response(data)
    response.headers["Content-Type"] = media_type
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = VERSIONED if versioned else UNVERSIONED
    return response


@bp.get("/companies/<int:company_id>/logo")
def company_logo(company_id: int) -> ResponseReturnValue:
    """The company's logo, for its own people and admins."""
    if current_user.company_id != company_id and not current_user.has_role(Role.ADMIN):
        abort(404)
    logo = db.session.get(CompanyLogo, company_id)
    if logo is None:
        abort(404)
    versioned = request.args.get("v") == service.logo_digest(logo.data)
    return _image(logo.data, logo.media_type, versioned)


@bp.get("/provider-logo")
def provider_logo() -> ResponseReturnValue:
    """The provider's logo (`LMS_PROVIDER_LOGO`), checked as an uploaded one is."""
    path = provider_logo_path()
    if path is None:
        abort(404)
    data = path.read_bytes()
    try:
        checked = service.check_logo(data, path.name)
    except service.LookError as error:
        log.warning("LMS_PROVIDER_LOGO %s is not shown: %s", path, error.code)
        abort(404)
    versioned = request.args.get("v") == provider_logo_version(path)
    return _image(data, checked.media_type, versioned)


@bp.get("/accent-<color>.css")
def accent_css(color: str) -> ResponseReturnValue:
    """The stylesheet that makes `color` (rrggbb, passing the contrast check) the accent."""
    try:
        accent = service.check_accent(color)
    except service.LookError:
        abort(404)
    if accent != f"#{color}":
        abort(404)  # one address per colour
    css = render_template("look/accent.css", accent=accent, dark=service.darker(accent, 0.25))
    response = make_response(css)
    response.headers["Content-Type"] = "text/css; charset=utf-8"
    response.headers["Cache-Control"] = "public, max-age=31536000, immutable"
    return response
