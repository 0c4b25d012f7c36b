"""The security baseline every response gets: CSRF, headers, cookies, throttling.

- CSRF on every POST (Flask-WTF), checked before any view runs.
- A Content-Security-Policy without inline script or style, no framing,
  nosniff, a referrer policy that keeps the same-origin Referer the CSRF check
  needs over HTTPS, and HSTS when served over HTTPS.
- `Cache-Control: no-store` on every page of a logged-in user.
- Login throttling through Flask-Limiter, whose storage (memory or Redis) is
  configured by URL so that several workers and instances share the counts.
"""

from __future__ import annotations

from flask import Flask, Response, request
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()
limiter = Limiter(key_func=get_remote_address, default_limits=[])

CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "font-src 'self'",
        "media-src 'self'",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


# Every answer gets these unless its view set its own: (lower-case name, name, value).
SECURITY_HEADERS = tuple(
    (name.lower(), name, value)
    for name, value in (
        ("Content-Security-Policy", CONTENT_SECURITY_POLICY),
        ("X-Content-Type-Options", "nosniff"),
        ("X-Frame-Options", "DENY"),
        ("Referrer-Policy", "same-origin"),
        ("Cross-Origin-Opener-Policy", "same-origin"),
        ("Permissions-Policy", "camera=(), microphone=(), geolocation=()"),
    )
)
HSTS = (
    "strict-transport-security",
    "Strict-Transport-Security",
    "max-age=31536000; includeSubDomains",
)


def _set_headers(response: Response) -> Response:
    headers = response.headers
    # One look at the names instead of a `setdefault` each: Werkzeug's scans the
    # headers and raises a KeyError for every missing name (tens of µs per answer).
    present = {name.lower() for name, _value in headers.items()}
    wanted = (*SECURITY_HEADERS, HSTS) if request.is_secure else SECURITY_HEADERS
    for key, name, value in wanted:
        if key not in present:
            headers.add(name, value)
    cacheable = request.endpoint == "static" or "cache-control" in present
    if current_user and current_user.is_authenticated and not cacheable:
        # Pages of logged-in users are never cached; views that serve immutable
        # files (static, course assets) set their own Cache-Control.
        headers["Cache-Control"] = "no-store"
        headers["Vary"] = "Cookie"
    return response


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_set_headers)
