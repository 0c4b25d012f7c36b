"""The trainer's area: course authoring (filled by the course-format issue)."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("author", __name__)
guard_blueprint(bp, Role.TRAINER)

from lms.author import routes  # noqa: E402,F401
