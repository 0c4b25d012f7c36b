"""The manifest, the service worker and the list of what a module needs offline."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("offline", __name__)
