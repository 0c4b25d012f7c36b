"""Where the external training records pages (`lms.training_records.views`) stand in the
admin area: any company, all its people."""

from __future__ import annotations

from flask import g, url_for
from flask_login import current_user

from lms.admin.companies import company_or_404
from lms.models import Company, User
from lms.training_records import views as records_pages


@records_pages.places.register("admin")
def place() -> records_pages.Place:
    """The company of the URL (/companies/<id>/...), kept in `g.company_id`."""
    company: Company = company_or_404(g.company_id)
    admin: User = current_user._get_current_object()
    return records_pages.Place(
        company=company,
        actor=admin,
        department_ids=None,
        person_url=lambda person: url_for("admin.people.edit", user_id=person.id),
        home=(url_for("admin.company", company_id=company.id), company.name),
    )
