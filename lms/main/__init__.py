"""Pages every visitor shares: the start page redirect, language switch, health check."""

from flask import Blueprint

bp = Blueprint("main", __name__)

from lms.company_look import views as look  # noqa: E402
from lms.main import calendar, routes  # noqa: E402,F401

# Logos and the accent's stylesheet (lms/company_look): "main.look.company_logo", ...
bp.register_blueprint(look.bp, url_prefix="/look")
