"""PIN sign-in, choosing a PIN, and a manager's or admin's PIN reset."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("pins", __name__)
people_bp = Blueprint("pin_reset", __name__)
