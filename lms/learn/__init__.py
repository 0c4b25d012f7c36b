"""The learner's area: "Meine Lernmodule"."""

from flask import Blueprint

from lms.evaluation import views as evaluation
from lms.models import Role
from lms.offline import views as offline
from lms.permissions import guard_blueprint

bp = Blueprint("learn", __name__)
guard_blueprint(bp, Role.LEARNER)
# Feature pages of other packages; they inherit this area's role guard.
bp.register_blueprint(evaluation.bp, url_prefix="/evaluation")
# What "Für unterwegs speichern" fetches (lms/offline): /learn/courses/<slug>/offline.json.
bp.register_blueprint(offline.learner_bp, url_prefix="/courses")

from lms.learn import (  # noqa: E402,F401
    certificates,
    handins,
    paths,
    quiz,
    records,
    refreshers,
    routes,
    sessions,
)

# A package unit's launch, player and commits (lms/packages/views.py), under this area's
# guard; registered after `routes`, whose enrolment look-ups they use.
from lms.packages import views as packages  # noqa: E402

bp.register_blueprint(packages.bp)
