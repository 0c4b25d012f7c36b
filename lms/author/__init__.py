"""The trainer's area: courses, their checks and previews, and the in-person sessions."""

from flask import Blueprint

from lms.evaluation import views as evaluation
from lms.grading import views as grading
from lms.models import Role
from lms.permissions import guard_blueprint
from lms.signoff import views as signoff

bp = Blueprint("author", __name__)
guard_blueprint(bp, Role.TRAINER)

# Feature pages shared with other areas; they inherit this area's role guard.
bp.register_blueprint(signoff.bp, url_prefix="/tasks")
bp.register_blueprint(evaluation.results_bp, url_prefix="/evaluation")
bp.register_blueprint(grading.bp, url_prefix="/grading")

from lms.author import drafts, routes, sessions, stats, tasks  # noqa: E402,F401
