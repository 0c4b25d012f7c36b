"""Importing a company's people from a spreadsheet in the browser: upload, dry run, apply.

The uploaded file is kept for an hour (`lms.kept_uploads`), so the admin applies
exactly the file the dry run showed; applying plans it again (the company may have
changed meanwhile) and refuses if problems appeared.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from lms import kept_uploads
from lms.admin import bp
from lms.admin.companies import company_or_404
from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.models import Company, User
from lms.people import importing as people_import
from lms.people.importing import Action


def _keep(company: Company, data: bytes, filename: str, deactivate_missing: bool) -> str:
    meta = {"filename": filename, "deactivate_missing": deactivate_missing}
    return kept_uploads.keep("people", company.id, current_user.id, data, meta)


def _kept(company: Company, token: str) -> tuple[bytes, dict[str, Any]] | None:
    return kept_uploads.kept("people", company.id, current_user.id, token)


def _plan(company: Company, data: bytes, filename: str, deactivate_missing: bool) -> Any:
    me = db.session.get(User, current_user.id)
    return people_import.plan(
        db.session,
        company,
        people_import.read_file(data, filename),
        deactivate_missing=deactivate_missing,
        importer=me,
    )


@bp.route("/companies/<int:company_id>/import", methods=["GET", "POST"])
def import_people(company_id: int) -> ResponseReturnValue:
    """GET: the upload form; POST: the dry run of the uploaded file."""
    company = company_or_404(company_id)
    if request.method == "GET":
        return render_template("admin/import.html", company=company, plan=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Please choose a file."), "error")
        return render_template("admin/import.html", company=company, plan=None), 422
    data = upload.read(people_import.MAX_BYTES + 1)
    deactivate_missing = request.form.get("deactivate_missing") == "y"
    plan = _plan(company, data, upload.filename, deactivate_missing)
    token = None if plan.has_errors else _keep(company, data, upload.filename, deactivate_missing)
    return render_template(
        "admin/import.html",
        company=company,
        plan=plan,
        counts=plan.counts(),
        token=token,
        filename=upload.filename,
        deactivate_missing=deactivate_missing,
        departments={d.id: d.name for d in company.departments},
    ), (422 if plan.has_errors else 200)


@bp.post("/companies/<int:company_id>/import/apply")
def apply_import(company_id: int) -> ResponseReturnValue:
    company = company_or_404(company_id)
    token = request.form.get("token", "")
    kept = _kept(company, token)
    if kept is None:
        flash(_("The uploaded file has expired. Please upload it again."), "error")
        return redirect(url_for("admin.import_people", company_id=company.id))
    data, meta = kept
    plan = _plan(company, data, meta["filename"], bool(meta["deactivate_missing"]))
    if plan.has_errors:
        flash(_("The company changed since the check. Please check the file again."), "error")
        return redirect(url_for("admin.import_people", company_id=company.id))
    try:
        # The invitations are queued with the import: kept with it, or not at all; sent
        # by the outbox's sender, so the request never waits for the mail server.
        summary = people_import.apply_and_invite(
            db.session,
            current_actor(),
            company,
            plan,
            source=meta["filename"],
            now=now(),
            invite_lifetime=timedelta(days=current_app.config["INVITE_TOKEN_DAYS"]),
        )
    except people_import.ImportRefused:
        abort(409)  # the boundary rolls back whatever was begun
    kept_uploads.drop(token)
    counts = summary.counts
    flash(
        _(
            "The import is done: %(created)d added and invited, %(updated)d updated, "
            "%(moved)d moved, %(deactivated)d deactivated.",
            created=counts[Action.CREATE],
            updated=counts[Action.UPDATE],
            moved=counts[Action.MOVE],
            deactivated=counts[Action.DEACTIVATE],
        ),
        "success",
    )
    if summary.without_email:
        flash(
            ngettext(
                "%(num)d person without an e-mail address got no invitation: print an "
                "invitation letter or a login card for them.",
                "%(num)d people without an e-mail address got no invitation: print "
                "invitation letters or login cards for them.",
                summary.without_email,
            ),
            "info",
        )
    return redirect(url_for("admin.people.index", company_id=company.id))
