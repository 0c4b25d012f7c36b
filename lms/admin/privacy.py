"""Privacy operations on one person: the data export (GDPR Art. 15/20) and erasure (Art. 17)."""

from __future__ import annotations

from flask import flash, redirect, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _

from lms.admin import bp
from lms.admin.companies import company_or_404
from lms.audit_trail import log_change
from lms.clock import now
from lms.db import db
from lms.models import User
from lms.permissions import get_for_company
from lms.reports import json_download
from lms.services.erasure import erase_person
from lms.services.personal_data import export_personal_data


@bp.get("/companies/<int:company_id>/people/<int:user_id>/data.json")
def person_data(company_id: int, user_id: int) -> ResponseReturnValue:
    """The same export the person downloads themselves; the download is logged."""
    company = company_or_404(company_id)
    person = get_for_company(db.session, User, user_id, company.id)
    data = export_personal_data(db.session, person)
    db.session.commit()  # ends the reading transaction: the entry is written in one of its own
    with db.writing() as session:
        log_change(
            "person.export",
            company.id,
            subject=person.display_name,
            subject_id=person.id,
            session=session,
        )
    return json_download(data, f"lernwerk-daten-{person.id}.json")


@bp.post("/companies/<int:company_id>/people/<int:user_id>/erase")
def erase(company_id: int, user_id: int) -> ResponseReturnValue:
    """Erase a person once their e-mail address is typed again as confirmation."""
    company = company_or_404(company_id)
    person = get_for_company(db.session, User, user_id, company.id)
    typed = request.form.get("confirm", "").strip().lower()
    if typed != person.email.lower():
        flash(_("Type the person's e-mail address to confirm the erasure."), "error")
        return redirect(url_for("admin.edit_person", company_id=company.id, user_id=person.id))
    erased = erase_person(db.session, person, now())
    # The entry names only the pseudonym: the log must not keep what was erased.
    log_change("person.erase", company.id, subject=erased.pseudonym, subject_id=erased.user_id)
    db.session.commit()
    flash(
        _("The person's data is erased. Completed instructions stay as %(pseudonym)s.",
          pseudonym=erased.pseudonym),
        "success",
    )  # fmt: skip
    return redirect(url_for("admin.people", company_id=company.id))
