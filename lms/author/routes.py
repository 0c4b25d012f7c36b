"""The trainer's start page."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms.author import bp


@bp.get("/")
def index() -> ResponseReturnValue:
    companies = list(current_user.trainer_companies)
    if current_user.company is not None and current_user.company not in companies:
        companies.insert(0, current_user.company)
    return render_template("author/index.html", companies=companies)
