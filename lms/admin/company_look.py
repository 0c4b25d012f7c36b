"""The "Look" section of a company's page: its logo (upload, remove) and accent colour.

A refused upload or colour answers the company's page again (422) with the reason
under its field and, for the colour, what the admin typed."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import format_decimal
from flask_babel import gettext as _

from lms.admin import bp
from lms.admin.companies import company_or_404, company_page
from lms.audit.trail import current_actor
from lms.clock import now
from lms.company_look import service
from lms.company_look.service import LookError
from lms.db import db


def error_text(error: LookError) -> str:
    texts = {
        "logo-missing": _("Please choose the logo file."),
        "logo-too-large": _("The file is larger than 512 KB. Please save the logo smaller."),
        "logo-svg": _(
            "SVG files are not accepted: they can contain scripts. "
            "Please save the logo as PNG (or JPEG, WebP) and upload that."
        ),
        "logo-type": _("The file is not a PNG, JPEG or WebP image, whatever its name says."),
        "logo-dimensions": _(
            "The image must be between 16 and 2,000 pixels wide and high. "
            "Please save the logo in a size within these limits."
        ),
        "accent-format": _("Enter the colour as # and six hexadecimal digits, e.g. #0b5cad."),
    }
    if error.code == "accent-contrast":
        return _(
            "White text on this colour has a contrast of only %(ratio)s:1; at least "
            "4.5:1 is needed so that everyone can read it. Choose a darker colour, "
            "e.g. %(suggestion)s.",
            ratio=format_decimal(service.shown_ratio(error.ratio), format="0.0"),
            suggestion=error.suggestion,
        )
    return texts.get(error.code, error.code)


def _look_url(company_id: int) -> str:
    return url_for("admin.company", company_id=company_id, _anchor="look")


@bp.post("/companies/<int:company_id>/look/logo")
def upload_company_logo(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    upload = request.files.get("logo")
    data = upload.read(service.MAX_LOGO_BYTES + 1) if upload is not None else b""
    filename = (upload.filename or "") if upload is not None else ""
    try:
        service.set_logo(db.session, current_actor(), company, data, filename, now())
    except LookError as error:
        return company_page(company, look={"logo_error": error_text(error)}), 422
    flash(_("The logo of %(company)s is saved.", company=company.name), "success")
    return redirect(_look_url(company.id))


@bp.post("/companies/<int:company_id>/look/logo/remove")
def remove_company_logo(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    if service.remove_logo(db.session, current_actor(), company, now()):
        flash(_("The logo of %(company)s is removed.", company=company.name), "success")
    return redirect(_look_url(company.id))


@bp.post("/companies/<int:company_id>/look/accent")
def save_company_accent(company_id: int) -> ResponseReturnValue:
    """Save the accent colour: the text field if it was changed, else the colour picker
    (without JavaScript both are sent); "reset" or an empty field: Lernwerk's blue."""
    company = company_or_404(company_id)
    form = request.form
    typed = form.get("accent", "")[:20].strip()
    picked = form.get("accent_picker", "")[:20]
    if form.get("action") == "reset":
        chosen: str | None = None
    elif typed != form.get("shown_text", "")[:20].strip():
        chosen = typed or None
    elif picked and picked.lower() != form.get("shown_picker", "")[:20].lower():
        chosen = typed = picked
    else:
        chosen = typed or None
    try:
        changed = service.set_accent(db.session, current_actor(), company, chosen, now())
    except LookError as error:
        # The picker shows the colour typed where it is one, else what it showed.
        picker = service.normalize_color(typed) or company.accent_color or "#0b5cad"
        refused = {
            "accent_typed": typed,
            "accent_picker": picker,
            "accent_error": error_text(error),
        }
        return company_page(company, look=refused), 422
    if changed:
        flash(_("The accent colour of %(company)s is saved.", company=company.name), "success")
    return redirect(_look_url(company.id))
