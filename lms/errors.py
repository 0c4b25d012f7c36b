"""Friendly error pages: translated, no stack traces, nothing half-written kept."""

from __future__ import annotations

import errno
import logging
import sqlite3

from flask import Flask, current_app, make_response, render_template, request
from flask.typing import ResponseReturnValue
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError
from sqlalchemy.exc import DBAPIError, OperationalError
from sqlalchemy.exc import TimeoutError as SQLAlchemyTimeoutError
from werkzeug.exceptions import HTTPException, InternalServerError

from lms.db import db, write_intent
from lms.serving import mask  # a path may carry a token (a package launch, a link)

log = logging.getLogger("lms.errors")

MESSAGES = {
    400: (
        _l("This request could not be processed"),
        _l("Please go back, reload the page and try again."),
    ),
    401: (_l("Please log in"), _l("You need to log in to see this page.")),
    403: (
        _l("No access"),
        _l(
            "Your account has no access to this page. "
            "If you think it should, ask your manager or the administrator."
        ),
    ),
    404: (
        _l("Page not found"),
        _l(
            "This page does not exist or is not available to you. "
            "Check the address or go to the start page."
        ),
    ),
    405: (
        _l("This request could not be processed"),
        _l("Please go back, reload the page and try again."),
    ),
    413: (_l("The upload is too large"), _l("Please send a smaller file or less text.")),
    429: (_l("Too many attempts"), _l("Please wait a few minutes and try again.")),
    500: (
        _l("Something went wrong"),
        _l("We could not finish this action and nothing was saved. Please try again in a moment."),
    ),
}

CSRF_MESSAGE = (
    _l("The form has expired"),
    _l("For your security this form could not be sent. Please reload the page and send it again."),
)


def _render(code: int, title: object, message: object) -> ResponseReturnValue:
    try:
        return render_template("errors/error.html", code=code, title=title, message=message), code
    except Exception:  # the error page itself failed: answer plainly, never with a trace
        log.exception("Error page %s failed to render", code)
        return f"{title}\n\n{message}\n", code, {"Content-Type": "text/plain; charset=utf-8"}


def handle_http_error(error: HTTPException) -> ResponseReturnValue:
    code = error.code or 500
    if code == 401:
        # Anonymous users are sent to the login page rather than shown an error.
        return current_app.login_manager.unauthorized()  # type: ignore[attr-defined]
    title, message = MESSAGES.get(code, MESSAGES[400 if code < 500 else 500])
    return _render(code, title, message)


def handle_csrf_error(error: CSRFError) -> ResponseReturnValue:
    path = mask(request.path)
    log.info("CSRF check failed for %s %s: %s", request.method, path, error.description)
    return _render(400, *CSRF_MESSAGE)


def handle_unexpected(error: Exception) -> ResponseReturnValue:
    if isinstance(error, HTTPException):
        return handle_http_error(error)
    if unavailable(error):
        return _unavailable(error)
    log.exception("Unhandled error on %s %s", request.method, mask(request.path))
    db.session.rollback()
    return _render(500, *MESSAGES[500])


# Errors that mean "not now" rather than "broken": the disk is full, the database is
# locked or cannot be reached. They answer 503 with Retry-After, not 500.
RETRY_AFTER_S = 30
_SQLITE_UNAVAILABLE = {
    sqlite3.SQLITE_BUSY,  # database is locked
    sqlite3.SQLITE_LOCKED,
    sqlite3.SQLITE_FULL,  # database or disk is full
    sqlite3.SQLITE_IOERR,  # disk I/O error
    sqlite3.SQLITE_CANTOPEN,  # unable to open database file
}
_SQLITE_UNAVAILABLE_MESSAGES = (
    "database is locked",
    "database table is locked",
    "database or disk is full",
    "disk i/o error",
    "unable to open database file",
)


def unavailable(error: BaseException) -> bool:
    """Whether `error` says the database or the disk cannot serve now (try again later)."""
    if isinstance(error, SQLAlchemyTimeoutError):  # no connection free in the pool
        return True
    reason: BaseException | None = error
    if isinstance(error, DBAPIError):
        if error.connection_invalidated:
            return True
        reason = error.orig  # the driver's own
        if isinstance(error, OperationalError) and not isinstance(reason, sqlite3.Error):
            return True  # psycopg: connection lost, server shutting down, disk full, …
    if isinstance(reason, OSError):
        return reason.errno in (errno.ENOSPC, errno.EDQUOT)
    if isinstance(reason, sqlite3.OperationalError):
        code = getattr(reason, "sqlite_errorcode", None)
        if code is not None:
            return code & 0xFF in _SQLITE_UNAVAILABLE  # extended codes too
        return str(reason).lower().startswith(_SQLITE_UNAVAILABLE_MESSAGES)
    return False


def _unavailable(error: Exception) -> ResponseReturnValue:
    reason = error.orig if isinstance(error, DBAPIError) else error
    # The driver's message only: SQLAlchemy's would add the statement's parameters.
    log.error("Unavailable on %s %s: %r", request.method, mask(request.path), reason)
    # The error page only reads (the user, for the header): it must not queue for
    # SQLite's write lock again.
    write_intent.set(False)
    try:
        db.session.rollback()
    except Exception:  # the connection may be gone with the database
        log.warning("Rollback after %s failed", type(reason).__name__)
    response = make_response(_render(503, *MESSAGES[500]))
    response.headers["Retry-After"] = str(RETRY_AFTER_S)
    return response


def init_app(app: Flask) -> None:
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_unexpected)
    app.register_error_handler(Exception, handle_unexpected)
