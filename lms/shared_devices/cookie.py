"""The shared-device cookie: which browser is a shared device of which company.

The cookie holds the device's id and a long random secret, signed with the app's
secret key (a salt of its own, so no other signed value of the app passes for it).
Only the secret's SHA-256 is stored (`SharedDevice.secret_hash`): a copy of the
database names no cookie. A revoked or unknown device is ignored, and its cookie is
cleared with the next answer.
"""

from __future__ import annotations

import hashlib
import hmac
from datetime import timedelta

from flask import current_app, g, has_request_context, request
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from lms.db import db
from lms.models.shop_floor import SharedDevice
from lms.security import SHARED_DEVICE_COOKIE

COOKIE_NAME = SHARED_DEVICE_COOKIE  # "lms_shared_device"
SALT = "lms.shared-device"
# A shared tablet stays one until a manager revokes it; the browser keeps the cookie
# this long (browsers cap it at about 400 days; every answer that sets it renews it).
COOKIE_LIFETIME = timedelta(days=730)


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(str(current_app.secret_key), salt=SALT)


def cookie_value(device_id: int, secret: str) -> str:
    """The signed cookie value naming `device_id` with its secret."""
    return _serializer().dumps({"d": device_id, "s": secret})


def _read(value: str) -> tuple[int, str] | None:
    try:
        data = _serializer().loads(value)
    except BadSignature:
        return None
    if not isinstance(data, dict):
        return None
    device_id, secret = data.get("d"), data.get("s")
    if not isinstance(device_id, int) or not isinstance(secret, str) or not secret:
        return None
    return device_id, secret


def current_device() -> SharedDevice | None:
    """The shared device this request comes from: from the signed cookie, not revoked;
    None anywhere else. Looked up once per request (memoised in `flask.g`).

    A cookie that names no usable device (forged, revoked, unknown) marks the request
    so that its answer clears the cookie (`clear_stale_cookie`).
    """
    if not has_request_context():
        return None
    if "shared_device" in g:
        found: SharedDevice | None = g.shared_device
        return found
    device = None
    value = request.cookies.get(COOKIE_NAME)
    if value:
        parsed = _read(value)
        if parsed is not None:
            device_id, secret = parsed
            candidate = db.session.get(SharedDevice, device_id)
            if (
                candidate is not None
                and candidate.revoked_at is None
                and hmac.compare_digest(candidate.secret_hash, hash_secret(secret))
            ):
                device = candidate
        g.shared_device_cookie_stale = device is None
    g.shared_device = device
    return device


def set_device_cookie(response: Response, value: str) -> None:
    """Make the browser of this answer keep `value` (from `service.enrol`)."""
    response.set_cookie(
        COOKIE_NAME,
        value,
        max_age=int(COOKIE_LIFETIME.total_seconds()),
        path="/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def clear_device_cookie(response: Response) -> None:
    response.delete_cookie(
        COOKIE_NAME,
        path="/",
        secure=bool(current_app.config.get("SESSION_COOKIE_SECURE")),
        httponly=True,
        samesite="Lax",
    )


def clear_stale_cookie(response: Response) -> Response:
    """After every request: clear a cookie that named no usable device."""
    if g.get("shared_device_cookie_stale"):
        clear_device_cookie(response)
    return response
