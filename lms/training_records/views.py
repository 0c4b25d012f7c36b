"""External training records in the browser, shared by the manager's pages (their
company, their departments) and the admin's (any company): a person's records,
recording one, confirming or rejecting what a learner uploaded, deleting, the scan's
download and the import from a spreadsheet with its dry run.

The pages live on `bp`, which each area registers under itself ("admin.training_records.index"
below /companies/<id>/, "manage.training_records.index" for the manager's own company). The
area hands over a `Place` with `places.register`: whose records a page may touch. Every
person and record is loaded through `Place.person` and `Place.record`, which answer 404
outside it.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf.file import FileField
from sqlalchemy import select
from sqlalchemy.orm import selectinload
from werkzeug.datastructures import FileStorage
from wtforms import SelectChoice, SelectField, StringField, TextAreaField
from wtforms.validators import InputRequired, Length, Optional, ValidationError

from lms import kept_uploads
from lms.areas import Places, company_in_url, feature_url
from lms.audit.trail import current_actor
from lms.clock import local_zone, now, today
from lms.content.importer import catalogue
from lms.db import db
from lms.forms import Form
from lms.input_checks import DateField
from lms.models import Company, ExternalRecord, RecordStatus, User
from lms.permissions import get_for_company
from lms.reports import compliance
from lms.templating import page_language
from lms.training_records import importing as records_import
from lms.training_records import service as external_records
from lms.training_records.service import Proof, RecordError, RecordInput

STATUS_LABELS = {
    RecordStatus.PENDING.value: _l("waiting for confirmation"),
    RecordStatus.CONFIRMED.value: _l("confirmed"),
    RecordStatus.REJECTED.value: _l("rejected"),
}
STATUS_CLASSES = {
    RecordStatus.PENDING.value: "warn",
    RecordStatus.CONFIRMED.value: "ok",
    RecordStatus.REJECTED.value: "danger",
}
ERRORS = {
    "file-too-large": _l("The file is larger than 5 MB."),
    "file-type": _l("The file is not a PDF, PNG or JPEG image."),
    "file-missing": _l("Please attach the certificate (PDF or photo)."),
    "valid-before-done": _l("“Valid until” lies before the date of the training."),
    "decided": _l("This record has been decided already."),
    "own-record": _l("You cannot confirm your own record."),
    "own-proof": _l(
        "You cannot confirm or reject your own proof. Another manager or an administrator "
        "decides on it."
    ),
    "too-many-pending": _l(
        "Ten of your proofs are waiting for your manager. Upload more once they are decided."
    ),
}


class RecordForm(Form):
    title = StringField(
        _l("Training"),
        description=_l("For example: forklift licence, first aid, course “Excel for beginners”."),
        validators=[InputRequired(message=_l("Please enter the training.")), Length(max=200)],
    )
    provider = StringField(_l("Provider"), validators=[Optional(), Length(max=200)])
    completed_on = DateField(
        _l("Completed on"),
        validators=[InputRequired(message=_l("Please enter the date of the training."))],
    )
    valid_until = DateField(
        _l("Valid until"),
        description=_l("Leave empty if it does not expire."),
        validators=[Optional()],
    )
    course = SelectField(
        _l("Counts for the module"),
        coerce=int,
        description=_l("Once confirmed, it counts like completing this module."),
        default=0,
    )
    proof = FileField(
        _l("Certificate"),
        description=_l("A PDF or a photo (PNG, JPEG), at most 5 MB."),
    )

    def validate_completed_on(self, field: DateField) -> None:
        if field.data is not None and field.data > today():
            raise ValidationError(_l("The date lies in the future."))

    def validate_valid_until(self, field: DateField) -> None:
        done = self.completed_on.data
        if field.data is not None and done is not None and field.data < done:
            raise ValidationError(ERRORS["valid-before-done"])

    def values(self) -> RecordInput:
        assert self.completed_on.data is not None
        upload = self.proof.data
        proof = None
        if isinstance(upload, FileStorage) and upload.filename:
            proof = Proof(upload.filename, upload.read(external_records.MAX_FILE_BYTES + 1))
        return RecordInput(
            title=self.title.data or "",
            provider=self.provider.data or "",
            completed_on=self.completed_on.data,
            valid_until=self.valid_until.data,
            course_id=self.course.data or None,
            proof=proof,
        )


class DecisionForm(Form):
    # The button pressed: confirm or reject.
    extra_fields = frozenset({"decision"})

    reason = TextAreaField(
        _l("Reason, if you reject it"),
        description=_l("The employee sees it, e.g. “The certificate is not legible.”"),
        validators=[Length(max=1000)],
    )


def module_choices(company_id: int) -> list[SelectChoice]:
    choices = [SelectChoice(0, _("– does not count for a module –"))]
    choices += [
        SelectChoice(course.id, version.title)
        for course, version in catalogue(db.session, company_id)
    ]
    return choices


def records_of(person: User) -> list[ExternalRecord]:
    """The person's records, newest first, with their modules and deciders."""
    return list(
        db.session.scalars(
            select(ExternalRecord)
            .where(
                ExternalRecord.user_id == person.id, ExternalRecord.company_id == person.company_id
            )
            .options(selectinload(ExternalRecord.course), selectinload(ExternalRecord.decided_by))
            .order_by(ExternalRecord.completed_at.desc(), ExternalRecord.id.desc())
        )
    )


def module_titles(records: list[ExternalRecord]) -> dict[int, str]:
    """The live title of each record's module, in the page's language."""
    ids = sorted({r.course_id for r in records if r.course_id is not None})
    return compliance.course_titles(db.session, ids, page_language())


def local_day(record_time: Any) -> date | None:
    return record_time.astimezone(local_zone()).date() if record_time else None


def file_response(record: ExternalRecord) -> Response:
    """The scan: an image shown in the browser, a PDF downloaded; never cached by a proxy."""
    if record.file_data is None or record.file_type is None:
        abort(404)
    response = send_file(
        io.BytesIO(record.file_data),
        mimetype=record.file_type,
        download_name=record.file_name or "nachweis",
        # Browsers refuse to show a PDF in a sandboxed page: it is downloaded instead.
        as_attachment=record.file_type == "application/pdf",
        max_age=0,
    )
    response.headers["Cache-Control"] = "private, no-store"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "default-src 'none'; img-src 'self'; sandbox"
    return response


bp = Blueprint("training_records", __name__)
company_in_url(bp)


@dataclass(frozen=True)
class Place:
    """Whose records a page may touch: one company, maybe only some departments; where
    a person's page is (`person_url`, the one with the records section) and the link
    back (`home`)."""

    company: Company
    actor: User
    department_ids: list[int] | None
    person_url: Callable[[User], str]
    home: tuple[str, str]  # (url, label)

    def url(self, name: str, **values: Any) -> str:
        """The URL of this feature's page `name` ("index", "new", ...) in this area."""
        return feature_url("training_records", name, **values)

    def reaches(self, person: User) -> bool:
        if person.company_id != self.company.id:
            return False
        return self.department_ids is None or person.department_id in self.department_ids

    def person(self, user_id: int) -> User:
        person = get_for_company(db.session, User, user_id, self.company.id)
        if not self.reaches(person):
            abort(404)
        return person

    def record(self, record_id: int) -> ExternalRecord:
        record = db.session.get(ExternalRecord, record_id)
        if record is None or record.company_id != self.company.id or not self.reaches(record.user):
            abort(404)
        return record


# Each area's place: `@places.register("admin")`; `places.current()` in a request.
places: Places[Place] = Places()


@bp.get("/records")
def index() -> ResponseReturnValue:
    """The records of the people in reach: those waiting for confirmation first."""
    place = places.current()
    status = request.args.get("status", "")
    query = (
        select(ExternalRecord)
        .join(User, User.id == ExternalRecord.user_id)
        .where(ExternalRecord.company_id == place.company.id)
        .options(selectinload(ExternalRecord.user), selectinload(ExternalRecord.course))
    )
    if place.department_ids is not None:
        query = query.where(User.department_id.in_(place.department_ids))
    newest_first = (ExternalRecord.created_at.desc(), ExternalRecord.id.desc())
    pending = list(
        db.session.scalars(
            query.where(ExternalRecord.status == RecordStatus.PENDING.value).order_by(*newest_first)
        )
    )
    decided = query.where(ExternalRecord.status != RecordStatus.PENDING.value)
    if status in STATUS_LABELS:
        decided = decided.where(ExternalRecord.status == status)
    records = list(db.session.scalars(decided.order_by(*newest_first).limit(501)))
    others = records
    return render_template(
        "records/list.html",
        place=place,
        pending=pending,
        records=others[:500],
        more=len(records) > 500,
        status=status,
        decision_form=DecisionForm(),
        # The pending proofs' modules too: the manager decides knowing what it counts for.
        module_titles=module_titles(pending + records),
        **labels(),
    )


def labels() -> dict[str, Any]:
    return {
        "status_labels": STATUS_LABELS,
        "status_classes": STATUS_CLASSES,
        "local_day": local_day,
    }


@bp.route("/people/<int:user_id>/records/new", methods=["GET", "POST"])
def new(user_id: int) -> ResponseReturnValue:
    """GET: the form; POST: record a training for the person, confirmed at once."""
    place = places.current()
    person = place.person(user_id)
    form = RecordForm()
    form.course.choices = module_choices(place.company.id)
    if form.validate_on_submit():
        try:
            external_records.record_for(db.session, current_actor(), person, form.values(), now())
        except RecordError as error:
            form.proof.errors = [str(ERRORS[error.code])]
        else:
            flash(_("The training is recorded for %(name)s.", name=person.display_name), "success")
            return redirect(place.person_url(person))
    status = 422 if request.method == "POST" else 200
    return render_template(
        "records/form.html", form=form, person=person, place=place, back=place.person_url(person)
    ), status


@bp.post("/records/<int:record_id>/decide")
def decide(record_id: int) -> ResponseReturnValue:
    """Confirm or reject a learner's upload (the button pressed says which)."""
    place = places.current()
    record = place.record(record_id)
    form = DecisionForm()
    if not form.validate_on_submit():
        flash(_("The reason is too long (at most 1,000 characters)."), "error")
        return redirect(place.url("index"))
    confirm = request.form.get("decision") == "confirm"
    try:
        external_records.decide(
            db.session, current_actor(), record, confirm, form.reason.data or "", now()
        )
    except RecordError as error:
        db.refuse(error.code)
        flash(str(ERRORS[error.code]), "error")
        return redirect(place.url("index"))
    if confirm:
        flash(
            _(
                "Confirmed: %(title)s of %(name)s.",
                title=record.title,
                name=record.user.display_name,
            ),
            "success",
        )
    else:
        flash(
            _(
                "Rejected: %(title)s of %(name)s.",
                title=record.title,
                name=record.user.display_name,
            ),
            "success",
        )
    return redirect(place.url("index"))


@bp.post("/records/<int:record_id>/delete")
def delete(record_id: int) -> ResponseReturnValue:
    place = places.current()
    record = place.record(record_id)
    person = record.user
    title = record.title
    external_records.delete(db.session, current_actor(), record, now())
    flash(_("The record “%(title)s” is deleted.", title=title), "success")
    back = request.form.get("back", "")
    return redirect(place.person_url(person) if back == "person" else place.url("index"))


@bp.get("/records/<int:record_id>/file")
def file(record_id: int) -> ResponseReturnValue:
    return file_response(places.current().record(record_id))


# --- Import ---------------------------------------------------------------------------


def _modules(company_id: int) -> dict[int, tuple[str, str]]:
    return {
        course.id: (course.slug, version.title)
        for course, version in catalogue(db.session, company_id)
    }


def _plan(place: Place, data: bytes, filename: str) -> records_import.RecordPlan:
    return records_import.plan(
        db.session,
        place.company,
        data,
        filename,
        modules=_modules(place.company.id),
        department_ids=place.department_ids,
        today=today(),
        importer=place.actor,
    )


@bp.route("/records/import", methods=["GET", "POST"])
def import_page() -> ResponseReturnValue:
    """GET: the upload form; POST: the dry run of the uploaded file (kept for applying)."""
    place = places.current()
    if request.method == "GET":
        return render_template("records/import.html", place=place, plan=None)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(_("Please choose a file."), "error")
        return render_template("records/import.html", place=place, plan=None), 422
    data = upload.read(records_import.MAX_BYTES + 1)
    plan = _plan(place, data, upload.filename)
    token = None
    if not plan.has_errors:
        meta = {"filename": upload.filename}
        token = kept_uploads.keep("records", place.company.id, place.actor.id, data, meta)
    return render_template(
        "records/import.html", place=place, plan=plan, token=token, filename=upload.filename
    ), (422 if plan.has_errors else 200)


@bp.post("/records/import/apply")
def apply_import() -> ResponseReturnValue:
    """Apply the file of the dry run, checked again (the records may have changed)."""
    place = places.current()
    token = request.form.get("token", "")
    kept = kept_uploads.kept("records", place.company.id, place.actor.id, token)
    if kept is None:
        flash(_("The uploaded file has expired. Please upload it again."), "error")
        return redirect(place.url("import_page"))
    data, meta = kept
    plan = _plan(place, data, meta["filename"])
    if plan.has_errors:
        flash(_("The records changed since the check. Please check the file again."), "error")
        return redirect(place.url("import_page"))
    records = records_import.apply(
        db.session, current_actor(), place.company, plan, meta["filename"], now()
    )
    kept_uploads.drop(token)
    flash(
        _("%(new)s records imported, %(same)s unchanged.", new=len(records), same=plan.unchanged),
        "success",
    )
    return redirect(place.url("index"))
