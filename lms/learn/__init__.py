"""The learner's area: "Meine Lernmodule"."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("learn", __name__)
guard_blueprint(bp, Role.LEARNER)

from lms.learn import paths, quiz, records, refreshers, routes, sessions  # noqa: E402,F401
