"""The learner's start page."""

from __future__ import annotations

from flask import render_template
from flask.typing import ResponseReturnValue
from flask_login import current_user

from lms.learn import bp


@bp.get("/")
def index() -> ResponseReturnValue:
    return render_template("learn/index.html", user=current_user)
