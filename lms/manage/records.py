"""External training records of the manager's people (their departments, where limited)."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms.db import db
from lms.manage import bp
from lms.models import User
from lms.permissions import get_person_for_manager, managed_department_ids
from lms.training_records import views as records_pages

ENDPOINTS = {
    "list": "manage.records",
    "new": "manage.new_record",
    "decide": "manage.decide_record",
    "delete": "manage.delete_record",
    "file": "manage.record_file",
    "import": "manage.import_records",
    "apply": "manage.apply_record_import",
}


def place() -> records_pages.Place:
    manager: User = current_user._get_current_object()
    assert manager.company is not None
    return records_pages.Place(
        company=manager.company,
        actor=manager,
        department_ids=managed_department_ids(manager),
        endpoints=ENDPOINTS,
        person_url=lambda person: url_for("manage.person", user_id=person.id),
        home=(url_for("manage.index"), _("My team")),
    )


@bp.get("/records")
def records() -> ResponseReturnValue:
    return records_pages.list_page(place())


@bp.route("/people/<int:user_id>/records/new", methods=["GET", "POST"])
def new_record(user_id: int) -> ResponseReturnValue:
    where = place()
    person = get_person_for_manager(db.session, where.actor, user_id)
    return records_pages.new_record_page(where, person)


@bp.post("/records/<int:record_id>/decide")
def decide_record(record_id: int) -> ResponseReturnValue:
    return records_pages.decide(place(), record_id)


@bp.post("/records/<int:record_id>/delete")
def delete_record(record_id: int) -> ResponseReturnValue:
    return records_pages.delete(place(), record_id)


@bp.get("/records/<int:record_id>/file")
def record_file(record_id: int) -> ResponseReturnValue:
    return records_pages.file_download(place(), record_id)


@bp.route("/records/import", methods=["GET", "POST"])
def import_records() -> ResponseReturnValue:
    return records_pages.import_page(place())


@bp.post("/records/import/apply")
def apply_record_import() -> ResponseReturnValue:
    return records_pages.apply_import(place())
