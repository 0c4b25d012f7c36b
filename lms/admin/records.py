"""External training records of any company's people, for admins."""

from __future__ import annotations

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms.admin import bp
from lms.admin.companies import company_or_404
from lms.db import db
from lms.models import Company, User
from lms.permissions import get_for_company
from lms.training_records import views as records_pages

ENDPOINTS = {
    "list": "admin.records",
    "new": "admin.new_record",
    "decide": "admin.decide_record",
    "delete": "admin.delete_record",
    "file": "admin.record_file",
    "import": "admin.import_records",
    "apply": "admin.apply_record_import",
}


def place(company_id: int) -> records_pages.Place:
    company: Company = company_or_404(company_id)
    admin: User = current_user._get_current_object()
    return records_pages.Place(
        company=company,
        actor=admin,
        department_ids=None,
        endpoints=ENDPOINTS,
        url_args={"company_id": company.id},
        person_url=lambda person: url_for(
            "admin.edit_person", company_id=company.id, user_id=person.id
        ),
        home=(url_for("admin.company", company_id=company.id), company.name),
    )


@bp.get("/companies/<int:company_id>/records")
def records(company_id: int) -> ResponseReturnValue:
    return records_pages.list_page(place(company_id))


@bp.route("/companies/<int:company_id>/people/<int:user_id>/records/new", methods=["GET", "POST"])
def new_record(company_id: int, user_id: int) -> ResponseReturnValue:
    where = place(company_id)
    person = get_for_company(db.session, User, user_id, where.company.id)
    return records_pages.new_record_page(where, person)


@bp.post("/companies/<int:company_id>/records/<int:record_id>/decide")
def decide_record(company_id: int, record_id: int) -> ResponseReturnValue:
    return records_pages.decide(place(company_id), record_id)


@bp.post("/companies/<int:company_id>/records/<int:record_id>/delete")
def delete_record(company_id: int, record_id: int) -> ResponseReturnValue:
    return records_pages.delete(place(company_id), record_id)


@bp.get("/companies/<int:company_id>/records/<int:record_id>/file")
def record_file(company_id: int, record_id: int) -> ResponseReturnValue:
    return records_pages.file_download(place(company_id), record_id)


@bp.route("/companies/<int:company_id>/records/import", methods=["GET", "POST"])
def import_records(company_id: int) -> ResponseReturnValue:
    return records_pages.import_page(place(company_id))


@bp.post("/companies/<int:company_id>/records/import/apply")
def apply_record_import(company_id: int) -> ResponseReturnValue:
    return records_pages.apply_import(place(company_id))
