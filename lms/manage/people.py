"""A manager adds, edits and deactivates their own people, where their company allows it
(`Company.managers_manage_people`, set by an admin): the manager's area's place for the
pages of `lms.people.views` (at /team/people, shared with admins). A manager reaches only
the employees (and, managing the whole company, the managers) of their departments."""

from __future__ import annotations

from flask import abort, url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.models import Role, User
from lms.people import views as people
from lms.permissions import managed_department_ids


@people.places.register("manage")
def place() -> people.PeoplePlace:
    """The manager's reach, or 404 where their company keeps people to its admins."""
    manager: User = current_user._get_current_object()
    company = manager.company
    if company is None or not company.managers_manage_people:
        abort(404)
    limited = managed_department_ids(manager)
    grants = {Role.LEARNER} if limited is not None else {Role.LEARNER, Role.MANAGER}
    # Out of reach: the provider's roles, and managers for a manager limited to departments.
    hidden = {Role.ADMIN, Role.TRAINER} | ({Role.MANAGER} if limited is not None else set())
    return people.PeoplePlace(
        company=company,
        actor=manager,
        department_ids=limited,
        grants=frozenset(grants),
        hidden=frozenset(hidden),
        changes_used_addresses=False,
        home=(url_for("manage.index"), _("My team")),
    )
