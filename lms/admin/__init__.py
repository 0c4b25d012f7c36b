"""The platform operator's area: companies and their people."""

from flask import Blueprint

from lms.models import Role
from lms.permissions import guard_blueprint

bp = Blueprint("admin", __name__)
guard_blueprint(bp, Role.ADMIN)

from lms.admin import (  # noqa: E402, F401
    catalogue,
    companies,
    people,
    people_import,
    platform,
    privacy,
    records,
    routes,
    staff,
)
