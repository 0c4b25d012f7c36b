"""The trainer's place for the sign-off of practical tasks: the people of the companies
the trainer serves."""

from __future__ import annotations

from flask import abort
from sqlalchemy import Select, select

from lms.author.sessions import current_trainer
from lms.db import db
from lms.models import User
from lms.signoff import views as signoff


@signoff.places.register("author")
def _people_of_served_companies() -> signoff.SignoffPlace:
    trainer = current_trainer()
    served: Select[User] = select(User).where(
        User.company_id.in_([company.id for company in trainer.trainer_companies])
    )

    def person(user_id: int) -> User:
        found = db.session.scalar(served.where(User.id == user_id))
        if found is None:
            abort(404)
        return found

    return signoff.SignoffPlace(signer=trainer, learners=served, person=person)
