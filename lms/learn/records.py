"""A learner's training done elsewhere: their records, and uploading a proof for their
manager to confirm."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.learn import bp
from lms.models import ExternalRecord, User
from lms.training_records import service as external_records
from lms.training_records import views as records_pages
from lms.training_records.service import RecordError


def _me() -> User:
    user = db.session.get(User, current_user.id)
    if user is None or user.company_id is None:
        abort(404)
    return user


def _own(record_id: int) -> ExternalRecord:
    record = db.session.get(ExternalRecord, record_id)
    if record is None or record.user_id != current_user.id:
        abort(404)
    return record


@bp.route("/records", methods=["GET", "POST"])
def records() -> ResponseReturnValue:
    """GET: my records and the upload form; POST: upload a proof."""
    me = _me()
    assert me.company_id is not None
    form = records_pages.RecordForm()
    form.course.choices = records_pages.module_choices(me.company_id)
    if form.validate_on_submit():
        try:
            external_records.submit_own(db.session, current_actor(), me, form.values(), now())
        except RecordError as error:
            form.proof.errors = [str(records_pages.ERRORS[error.code])]
        else:
            flash(_("Your proof is uploaded. Your manager will confirm it."), "success")
            return redirect(url_for("learn.records"))
    status = 422 if request.method == "POST" else 200
    mine = records_pages.records_of(me)
    return render_template(
        "learn/records.html",
        form=form,
        records=mine,
        module_titles=records_pages.module_titles(mine),
        **records_pages.labels(),
    ), status


@bp.post("/records/<int:record_id>/withdraw")
def withdraw_record(record_id: int) -> ResponseReturnValue:
    me = _me()
    record = _own(record_id)
    title = record.title
    try:
        external_records.withdraw_own(db.session, current_actor(), record, me, now())
    except RecordError as error:
        db.refuse(error.code)
        flash(str(records_pages.ERRORS[error.code]), "error")
        return redirect(url_for("learn.records"))
    flash(_("Your proof “%(title)s” is withdrawn.", title=title), "success")
    return redirect(url_for("learn.records"))


@bp.get("/records/<int:record_id>/file")
def record_file(record_id: int) -> ResponseReturnValue:
    return records_pages.file_response(_own(record_id))
