"""Privacy operations on one person: the data export (GDPR Art. 15/20) and erasure (Art. 17)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from lms.admin import bp
from lms.admin.companies import company_or_404
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.models import User
from lms.permissions import get_for_company
from lms.reports import json_download
from lms.services import erasure, personal_data
from lms.services.personal_data import export_personal_data


@bp.get("/companies/<int:company_id>/people/<int:user_id>/data.json")
def person_data(company_id: int, user_id: int) -> ResponseReturnValue:
    """The same export the person downloads themselves; the download is logged."""
    with db.reading():  # the audit entry is then written in a transaction of its own
        company = company_or_404(company_id)
        person = get_for_company(db.session, User, user_id, company.id)
        data = export_personal_data(db.session, person)
    with db.writing() as session:
        personal_data.record_export(session, current_actor(session), person, now())
    return json_download(data, f"lernwerk-daten-{person.id}.json")


@bp.post("/companies/<int:company_id>/people/<int:user_id>/erase")
def erase(company_id: int, user_id: int) -> ResponseReturnValue:
    """Erase a person once their e-mail address (without one: their personnel number)
    is typed again as confirmation."""
    company = company_or_404(company_id)
    person = get_for_company(db.session, User, user_id, company.id)
    typed = request.form.get("confirm", "").strip().lower()
    expected = person.sign_in_name.lower()
    if not expected or typed != expected:
        flash(
            _("Type the person's e-mail address to confirm the erasure.")
            if person.has_email
            else _("Type the person's personnel number to confirm the erasure."),
            "error",
        )
        return redirect(url_for("admin.people.edit", company_id=company.id, user_id=person.id))
    erased = erasure.erase_on_request(db.session, current_actor(), person, now())
    flash(
        _("The person's data is erased. Completed instructions stay as %(pseudonym)s.",
          pseudonym=erased.pseudonym),
        "success",
    )  # fmt: skip
    return redirect(url_for("admin.people.index", company_id=company.id))
