"""The trainer's area: courses, their checks and previews, and the in-person dates."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("author", __name__)
guard_blueprint(bp, Role.TRAINER)

from lms.author import drafts, routes, sessions, stats, tasks  # noqa: E402,F401
