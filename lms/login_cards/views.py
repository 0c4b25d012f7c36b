"""Signing in with a card, and the cards of a company's people."""

from __future__ import annotations

from flask import Blueprint

bp = Blueprint("cards", __name__)
area_bp = Blueprint("login_cards", __name__)
