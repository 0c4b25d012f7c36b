"""The security baseline every response gets: CSRF, headers, cookies, throttling.

- CSRF on every POST (Flask-WTF), checked before any view runs.
- A Content-Security-Policy without inline script or style, no framing,
  nosniff, a referrer policy that keeps the same-origin Referer the CSRF check
  needs over HTTPS, and HSTS when served over HTTPS.
- `Cache-Control: no-store` on every page of a logged-in user, and on every
  answer to a company's shared device (kiosk mode).
- Login throttling through Flask-Limiter, whose storage (memory or Redis) is
  configured by URL so that several workers and instances share the counts.
- The session cookie is sent again only when the session changed or the
  cookie is older than `SESSION_RESIGN_AFTER` (see `SessionCookies`).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from urllib.parse import urlsplit

from flask import Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_limiter import Limiter
from flask_limiter.util import get_remote_address
from flask_login import current_user
from flask_wtf.csrf import CSRFProtect
from itsdangerous import BadSignature
from werkzeug.middleware.proxy_fix import ProxyFix

csrf = CSRFProtect()
# The cookie of a company's shared device (lms.shared_devices.cookie.COOKIE_NAME).
SHARED_DEVICE_COOKIE = "lms_shared_device"
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


def policy_with(**directives: str) -> str:
    """The Content-Security-Policy with some directives changed or added
    (`frame_src="'self'"` for `frame-src 'self'`), for a view that needs one more source."""
    policy = dict(part.split(" ", 1) for part in CONTENT_SECURITY_POLICY.split("; "))
    policy.update({name.replace("_", "-"): value for name, value in directives.items()})
    return "; ".join(f"{name} {value}" for name, value in policy.items())


def package_file_policy(lms_origin: str, package_origin: str | None) -> str:
    """The policy of every file of a bought package (lms/packages/views.py).

    The package runs sandboxed: scripts, forms and pop-ups, but same-origin rights
    only on a package origin of its own (`PACKAGE_ORIGIN`), where they reach nothing
    of Lernwerk's. Without one the sandbox gives it an opaque origin, so it cannot read
    Lernwerk's cookies, pages or CSRF tokens although it is served from the same host.
    On a package origin only Lernwerk's player and the package's own pages may frame
    it; in the sandbox nothing can tell them from other pages (see below).
    """
    sandbox = "sandbox allow-scripts allow-forms allow-popups allow-popups-to-escape-sandbox"
    if package_origin:
        # The package's own pages frame one another (a frameset package).
        sandbox += " allow-same-origin"
        return f"{sandbox}; frame-ancestors {lms_origin} {package_origin}"
    # In the sandbox a package page that frames another one has an opaque origin, and
    # browsers let no frame-ancestors list but none at all match an opaque ancestor:
    # with one, frameset packages could not play. Framing gives a page elsewhere
    # nothing: the files are reached by the launch's secret token only, carry no
    # cookie, run with an opaque origin, and reach the SCORM API only through
    # Lernwerk's player, which takes messages from its own frame alone.
    return sandbox


def package_host(app: Flask) -> str | None:
    """The host (and port) of the package origin, when one is configured."""
    origin = app.config.get("PACKAGE_ORIGIN")
    return urlsplit(origin).netloc.lower() if origin else None


# The only blueprints that answer on the package origin's host: the package files
# (lms/packages/views.py) and the cmi5 statement endpoint AUs talk to.
PACKAGE_HOST_BLUEPRINTS = frozenset({"package_files", "xapi_cmi5"})


def _only_package_files_on_package_host() -> Response | None:
    """On the package origin's host nothing but package files answers: no page, no
    login, no cookie of Lernwerk's is reachable from a package's origin."""
    host = package_host(current_app)
    if host is None or request.host.lower() != host:
        return None
    if request.blueprint in PACKAGE_HOST_BLUEPRINTS:
        return None
    return Response("Not Found", status=404, mimetype="text/plain")


def _set_headers(response: Response) -> Response:
    headers = response.headers
    # One look at the names instead of a `setdefault` each: Werkzeug's scans the
    # headers and raises a KeyError for every missing name (tens of µs per answer).
    present = {name.lower() for name, _value in headers.items()}
    if request.blueprint == "package_files" or "frame-ancestors" in headers.get(
        "Content-Security-Policy", ""
    ):
        # The view says who may frame it (an LTI platform; package files: the player
        # and the package's own pages, see package_file_policy); a
        # `X-Frame-Options: DENY` would forbid every frame.
        present.add("x-frame-options")
    wanted = (*SECURITY_HEADERS, HSTS) if request.is_secure else SECURITY_HEADERS
    for key, name, value in wanted:
        if key not in present:
            headers.add(name, value)
    if request.endpoint != "static" and SHARED_DEVICE_COOKIE in request.cookies:
        # A shared device (kiosk mode): no answer is kept for the next person, nor
        # shown again by "back" (lms/shared_devices).
        headers["Cache-Control"] = "no-store"
        headers["Vary"] = "Cookie"
        return response
    cacheable = request.endpoint == "static" or "cache-control" in present
    if current_user and current_user.is_authenticated and not cacheable:
        # Pages of logged-in users are never cached; views that serve immutable
        # files (static, course assets) set their own Cache-Control.
        headers["Cache-Control"] = "no-store"
        headers["Vary"] = "Cookie"
    return response


# A permanent session's cookie is signed again, and sent again, once it is this
# old: the 12 hours of `PERMANENT_SESSION_LIFETIME` still count from the last
# request give or take this much, and the other requests skip signing and the
# Set-Cookie header (issue 4: a tenth of a lesson page's time).
SESSION_RESIGN_AFTER = timedelta(minutes=5)


class SignedSession(SecureCookieSession):
    """The session of one request, knowing when its cookie was signed."""

    signed_at: datetime | None = None


class SessionCookies(SecureCookieSessionInterface):
    """Flask's signed-cookie session that sends the cookie again only when needed.

    Flask signs and sends a permanent session's cookie again with every answer
    (`SESSION_REFRESH_EACH_REQUEST`). This one sends it when the session changed or
    the cookie is older than `SESSION_RESIGN_AFTER`, so the lifetime still counts
    from the last request, give or take a few minutes. The signature and the age
    limit (`PERMANENT_SESSION_LIFETIME`) are checked on every request, as Flask does.
    """

    session_class = SignedSession

    def open_session(self, app: Flask, request: Request) -> SignedSession | None:
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        lifetime = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=lifetime, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        host = package_host(app)
        if request.blueprint in PACKAGE_HOST_BLUEPRINTS or (
            host is not None and request.host.lower() == host
        ):
            # The package origin, and a package's files on any host, never get a
            # cookie (lms/packages/views.py).
            return
        if response.status_code >= 400 and self.get_cookie_name(app) not in request.cookies:
            # A request without the session cookie may come from a browser that holds
            # one and withheld it (SameSite=Lax on a form posted from another site).
            # A new cookie set by the error page (its CSRF token) would replace the
            # real one and sign the person out: an error answer never sets one.
            return
        super().save_session(app, session, response)

    def should_set_cookie(self, app: Flask, session: SessionMixin) -> bool:
        if session.modified:
            return True
        if not (session.permanent and app.config["SESSION_REFRESH_EACH_REQUEST"]):
            return False
        signed_at = getattr(session, "signed_at", None)
        return signed_at is None or datetime.now(UTC) - signed_at >= SESSION_RESIGN_AFTER


def init_app(app: Flask) -> None:
    if app.config["PROXY_COUNT"]:
        count = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=count, x_proto=count, x_host=count, x_port=count
        )
    app.session_interface = SessionCookies()
    # Before every other check (CSRF, login): the package origin's host serves files only.
    app.before_request(_only_package_files_on_package_host)
    csrf.init_app(app)
    limiter.init_app(app)
    app.after_request(_set_headers)
