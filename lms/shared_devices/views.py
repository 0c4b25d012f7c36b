"""The kiosk start screen and the company's list of shared devices."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("kiosk", __name__)
area_bp = Blueprint("shared_devices", __name__)
