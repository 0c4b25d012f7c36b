"""Admins find and keep a company's people: the admin area's place for the pages of
`lms.people.views` (registered below /companies/<id>/people, shared with managers)."""

from __future__ import annotations

from typing import Any

from flask import g, url_for
from flask_login import current_user

from lms.admin.companies import company_or_404
from lms.models import Role, User
from lms.people import views as people
from lms.training_records import views as records


@people.places.register("admin")
def place() -> people.PeoplePlace:
    """Everyone of the company in the address (`g.company_id`, see `areas.company_in_url`)."""
    company = company_or_404(g.company_id)
    admin: User = current_user._get_current_object()

    def edit_context(person: User) -> dict[str, Any]:
        """The person's training elsewhere and the privacy section (admins only)."""
        external = records.records_of(person)
        return {
            "records": external,
            "module_titles": records.module_titles(external),
            "records_place": records.places.current(),
            "privacy": True,
            **records.labels(),
        }

    return people.PeoplePlace(
        company=company,
        actor=admin,
        department_ids=None,
        grants=frozenset({Role.LEARNER, Role.MANAGER}),
        hidden=frozenset(),
        home=(url_for("admin.company", company_id=company.id), company.name),
        import_url=url_for("admin.import_people", company_id=company.id),
        edit_context=edit_context,
    )
