"""The manager's place for the sign-off of practical tasks: the people they see."""

from __future__ import annotations

from flask_login import current_user

from lms.db import db
from lms.models import User
from lms.permissions import get_person_for_manager, people_visible_to_manager
from lms.signoff import views as signoff


@signoff.places.register("manage")
def _people_of_my_team() -> signoff.SignoffPlace:
    manager: User = current_user._get_current_object()
    return signoff.SignoffPlace(
        signer=manager,
        learners=people_visible_to_manager(manager),
        person=lambda user_id: get_person_for_manager(db.session, manager, user_id),
    )
