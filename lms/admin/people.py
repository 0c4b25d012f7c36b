"""Admins find and keep a company's people (the pages are `lms.people.views`, shared
with managers)."""

from __future__ import annotations

from typing import Any

from flask import url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms.admin import bp
from lms.admin import records as admin_records
from lms.admin.companies import company_or_404
from lms.models import Role, User
from lms.people import views as people_pages
from lms.training_records import views as records_pages

ENDPOINTS = {
    "list": "admin.people",
    "new": "admin.new_person",
    "edit": "admin.edit_person",
    "deactivate": "admin.deactivate_person",
    "reactivate": "admin.reactivate_person",
    "invite": "admin.invite_person",
    "import": "admin.import_people",
}


def place(company_id: int) -> people_pages.PeoplePlace:
    company = company_or_404(company_id)
    admin: User = current_user._get_current_object()

    def edit_context(person: User) -> dict[str, Any]:
        """The person's training elsewhere and the privacy section (admins only)."""
        external = records_pages.records_of(person)
        return {
            "records": external,
            "module_titles": records_pages.module_titles(external),
            "records_place": admin_records.place(company.id),
            "privacy": True,
            **records_pages.labels(),
        }

    return people_pages.PeoplePlace(
        company=company,
        actor=admin,
        department_ids=None,
        grants=frozenset({Role.LEARNER, Role.MANAGER}),
        hidden=frozenset(),
        endpoints=ENDPOINTS,
        url_args={"company_id": company.id},
        home=(url_for("admin.company", company_id=company.id), company.name),
        edit_context=edit_context,
    )


@bp.get("/companies/<int:company_id>/people")
def people(company_id: int) -> ResponseReturnValue:
    return people_pages.list_page(place(company_id))


@bp.route("/companies/<int:company_id>/people/new", methods=["GET", "POST"])
def new_person(company_id: int) -> ResponseReturnValue:
    return people_pages.new_page(place(company_id))


@bp.post("/companies/<int:company_id>/people/<int:user_id>/deactivate")
def deactivate_person(company_id: int, user_id: int) -> ResponseReturnValue:
    return people_pages.deactivate(place(company_id), user_id)


@bp.post("/companies/<int:company_id>/people/<int:user_id>/reactivate")
def reactivate_person(company_id: int, user_id: int) -> ResponseReturnValue:
    return people_pages.reactivate(place(company_id), user_id)


@bp.post("/companies/<int:company_id>/people/<int:user_id>/invite")
def invite_person(company_id: int, user_id: int) -> ResponseReturnValue:
    return people_pages.invite(place(company_id), user_id)


@bp.route("/companies/<int:company_id>/people/<int:user_id>/edit", methods=["GET", "POST"])
def edit_person(company_id: int, user_id: int) -> ResponseReturnValue:
    return people_pages.edit_page(place(company_id), user_id)
