"""The manager's area: the own company's team."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("manage", __name__)
guard_blueprint(bp, Role.MANAGER)

from lms.manage import audit, bookings, paths, people, proof, records, routes, tasks  # noqa: E402,F401
