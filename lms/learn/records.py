"""A learner's training done elsewhere: their records, and uploading a proof for their
manager to confirm."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms import records_pages
from lms.audit_trail import log_change
from lms.clock import now
from lms.db import db
from lms.learn import bp
from lms.models import ExternalRecord, User
from lms.services import external_records
from lms.services.external_records import RecordError


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
            record = external_records.submit_own(db.session, me, form.values(), now())
        except RecordError as error:
            db.session.rollback()
            form.proof.errors = [str(records_pages.ERRORS[error.code])]
        else:
            log_change(
                "record.submit",
                me.company_id,
                subject=records_pages.subject(me, record),
                subject_id=record.id,
                changes=records_pages.audit_values(record),
            )
            db.session.commit()
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
    values = records_pages.audit_values(record)
    title, subject_id = record.title, record.id
    try:
        external_records.withdraw_own(db.session, record, me)
    except RecordError as error:
        db.session.rollback()
        flash(str(records_pages.ERRORS[error.code]), "error")
        return redirect(url_for("learn.records"))
    log_change(
        "record.withdraw",
        me.company_id,
        subject=f"{me.display_name}: {title}",
        subject_id=subject_id,
        changes={name: [after, None] for name, (_before, after) in values.items()},
    )
    db.session.commit()
    flash(_("Your proof “%(title)s” is withdrawn.", title=title), "success")
    return redirect(url_for("learn.records"))


@bp.get("/records/<int:record_id>/file")
def record_file(record_id: int) -> ResponseReturnValue:
    return records_pages.file_response(_own(record_id))
