"""Where the external training records pages (`lms.training_records.views`) stand in the
manager's area: their own company, their departments where they are limited to some."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext as _
from flask_login import current_user

from lms.models import User
from lms.permissions import managed_department_ids
from lms.training_records import views as records_pages


@records_pages.places.register("manage")
def place() -> records_pages.Place:
    manager: User = current_user._get_current_object()
    assert manager.company is not None
    return records_pages.Place(
        company=manager.company,
        actor=manager,
        department_ids=managed_department_ids(manager),
        # The person's overview, which shows their records (the edit page may be closed
        # to managers: `Company.managers_manage_people`).
        person_url=lambda person: url_for("manage.person", user_id=person.id),
        home=(url_for("manage.index"), _("My team")),
    )
