"""The steps between a bare Flask route and a Lernwerk page, one app each.

bench/floor_bench.py serves each under gunicorn beside bench/bare_app.py and the
lesson page, to show what share of the bare route's throughput each step of
answering a logged-in user leaves (issue 4). Every app answers `GET /floor` with
the same body as the bare app (`?bytes=N`) after doing its step:

- `session_app`: Flask reads Lernwerk's signed session cookie (same key, cookie
  and salt) and takes the user id from it. Nothing is signed again.
- `row_app`: the same, plus the user's row through SQLAlchemy Core (pooled
  connection, one statement), as any check that a session's account is still
  active must read it.
- `lernwerk_app`: Lernwerk itself (`create_app()`) with one more route that needs
  a logged-in user and does nothing else: the cost of Lernwerk's frame (session,
  Flask-Login's user, rate limiter, language, security headers) without a view.

Each reads the same environment as `lms serve` (LMS_SECRET_KEY, LMS_INSTANCE_PATH,
LMS_DATABASE_URL), so one cookie from logging in to Lernwerk works for all.
"""

from __future__ import annotations

import os

from bare_app import sized_body
from flask import Flask, Response, abort, session
from http_bench import SESSION_COOKIE
from sqlalchemy import create_engine, text


def _session_only() -> Flask:
    app = Flask("session_app")
    app.secret_key = os.environ["LMS_SECRET_KEY"]
    app.config.update(SESSION_COOKIE_NAME=SESSION_COOKIE, SESSION_REFRESH_EACH_REQUEST=False)
    app.add_url_rule("/healthz", "healthz", lambda: "ok")  # for the benchmark's start-up
    return app


def _user_id() -> int:
    user_id, _sep, _version = str(session.get("_user_id", "")).partition(":")
    if not user_id.isdigit():
        abort(401)
    return int(user_id)


session_app = _session_only()


@session_app.get("/floor")
def session_floor() -> Response:
    _user_id()
    return sized_body()


row_app = _session_only()
_database_url = os.environ.get("LMS_DATABASE_URL") or (
    f"sqlite:///{os.environ.get('LMS_INSTANCE_PATH', '.')}/lms.sqlite3"
)
_engine = create_engine(_database_url)
_USER_ROW = text("SELECT id, session_version, is_active, company_id FROM users WHERE id = :id")


@row_app.get("/floor")
def row_floor() -> Response:
    with _engine.connect() as connection:
        if connection.execute(_USER_ROW, {"id": _user_id()}).first() is None:
            abort(401)
    return sized_body()


def _lernwerk() -> Flask:
    from flask_login import current_user, login_required

    from lms import create_app

    app = create_app()

    @app.get("/floor")
    @login_required
    def floor() -> Response:
        current_user.id  # noqa: B018  (the user is loaded, as every page loads it)
        return sized_body()

    return app


def __getattr__(name: str) -> Flask:
    # Built on first use only: the other apps' workers need not build Lernwerk.
    if name == "lernwerk_app":
        app = _lernwerk()
        globals()[name] = app
        return app
    raise AttributeError(name)
