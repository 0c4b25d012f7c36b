"""Pages every visitor shares: the start page redirect, language switch, health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from lms.main import calendar, routes  # noqa: E402,F401
