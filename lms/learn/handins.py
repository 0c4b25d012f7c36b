"""The learner's hand-in: a photo or file for a hand-in unit, handed in from the unit
page (also from a phone's camera) and shown back to its owner."""

from __future__ import annotations

from flask import abort, flash, redirect, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField, FileRequired

from lms.audit.trail import current_actor
from lms.clock import now
from lms.db import db
from lms.forms import Form
from lms.grading import service as grading
from lms.grading.service import HandinError
from lms.grading.views import file_response
from lms.learn import bp
from lms.learn.routes import _enrolled_unit

ERRORS = {
    "file-empty": _l("The file is empty. Please choose your photo or file again."),
    "file-too-large": _l("The file is larger than 10 MB."),
    "file-type": _l("This kind of file is not taken here. Please hand in what the task asks for."),
    "image-too-large": _l("The picture is too large. Please take a photo with a lower resolution."),
    "accepted-already": _l("Your hand-in is accepted already."),
    "not-a-handin": _l("This unit takes no hand-in."),
}


class HandinForm(Form):
    file = FileField(
        _l("Photo or file"), validators=[FileRequired(message=_l("Please choose a photo or file."))]
    )


@bp.post("/courses/<slug>/<unit_id>/handin")
def hand_in(slug: str, unit_id: str) -> ResponseReturnValue:
    """Hand in (or replace) the photo or file of a hand-in unit."""
    enrollment, _progress, _index = _enrolled_unit(slug, unit_id)
    back = url_for("learn.unit", slug=slug, unit_id=unit_id) + "#handin"
    form = HandinForm()
    if not form.validate_on_submit():
        flash(_("Please choose a photo or file."), "error")
        return redirect(back)
    upload = form.file.data
    with upload.stream:  # a large upload is a temporary file: closed at once
        data = upload.stream.read(grading.MAX_FILE_BYTES + 1)
    try:
        grading.hand_in(
            db.session, current_actor(), enrollment, unit_id, upload.filename or "", data, now()
        )
    except HandinError as error:
        db.refuse(error.code)
        flash(str(ERRORS.get(error.code, error.code)), "error")
        return redirect(back)
    flash(_("Handed in. Your trainer looks at it and gives you feedback here."), "success")
    return redirect(back)


@bp.get("/courses/<slug>/<unit_id>/handin/file")
def handin_file(slug: str, unit_id: str) -> ResponseReturnValue:
    """The learner's own hand-in of the current round."""
    enrollment, _progress, _index = _enrolled_unit(slug, unit_id)
    row = grading.current(db.session, enrollment, unit_id)
    if row is None:
        abort(404)
    return file_response(row)
