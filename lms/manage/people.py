"""A manager adds, edits and deactivates their own people, where their company allows it
(`Company.managers_manage_people`, set by an admin). The pages are `lms.people.views`,
shared with admins; a manager reaches only the employees (and, managing the whole
company, the managers) of their departments."""

from __future__ import annotations

from flask import abort, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

from lms.manage import bp
from lms.models import Role, User
from lms.people import views as people_pages
from lms.permissions import managed_department_ids

ENDPOINTS = {
    "list": "manage.people",
    "new": "manage.new_person",
    "edit": "manage.edit_person",
    "deactivate": "manage.deactivate_person",
    "reactivate": "manage.reactivate_person",
    "invite": "manage.invite_person",
}


def place() -> people_pages.PeoplePlace:
    """The manager's reach, or 404 where their company keeps people to its admins."""
    manager: User = current_user._get_current_object()
    company = manager.company
    if company is None or not company.managers_manage_people:
        abort(404)
    limited = managed_department_ids(manager)
    grants = {Role.LEARNER} if limited is not None else {Role.LEARNER, Role.MANAGER}
    # Out of reach: the provider's roles, and managers for a manager limited to departments.
    hidden = {Role.ADMIN, Role.TRAINER} | ({Role.MANAGER} if limited is not None else set())
    return people_pages.PeoplePlace(
        company=company,
        actor=manager,
        department_ids=limited,
        grants=frozenset(grants),
        hidden=frozenset(hidden),
        changes_used_addresses=False,
        endpoints=ENDPOINTS,
        home=(url_for("manage.index"), _("My team")),
    )


@bp.get("/people")
def people() -> ResponseReturnValue:
    return people_pages.list_page(place())


@bp.route("/people/new", methods=["GET", "POST"])
def new_person() -> ResponseReturnValue:
    return people_pages.new_page(place())


@bp.post("/people/<int:user_id>/deactivate")
def deactivate_person(user_id: int) -> ResponseReturnValue:
    return people_pages.deactivate(place(), user_id)


@bp.post("/people/<int:user_id>/reactivate")
def reactivate_person(user_id: int) -> ResponseReturnValue:
    return people_pages.reactivate(place(), user_id)


@bp.post("/people/<int:user_id>/invite")
def invite_person(user_id: int) -> ResponseReturnValue:
    return people_pages.invite(place(), user_id)


@bp.route("/people/<int:user_id>/edit", methods=["GET", "POST"])
def edit_person(user_id: int) -> ResponseReturnValue:
    return people_pages.edit_page(place(), user_id)
