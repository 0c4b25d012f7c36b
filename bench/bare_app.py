"""A bare Flask app: the baseline bench/http_bench.py compares Lernwerk against.

`GET /?bytes=N` answers 200 with an HTML body of exactly N bytes; without the
query string the size comes from the environment variable BARE_BODY_BYTES
(default 1024). `POST /?bytes=N` does the same after parsing the form it was
sent, as any Flask view that reads a form does. Nothing else happens per
request: no database, no session, no templates, no extensions. Serve it with
gunicorn, e.g.

    .venv/bin/gunicorn --chdir bench --workers 5 --bind 127.0.0.1:8001 bare_app:app
"""

from __future__ import annotations

import os

from flask import Flask, Response, request

DEFAULT_BYTES = int(os.environ.get("BARE_BODY_BYTES", "1024"))
MAX_BYTES = 16 * 1024 * 1024

app = Flask(__name__)


@app.route("/", methods=["GET", "POST"])
def body() -> Response:
    if request.method == "POST":
        request.form  # noqa: B018  (parse the body, as a view reading a form would)
    return sized_body()


def sized_body() -> Response:
    """A body of the size asked for (`?bytes=N`), made of one repeated character."""
    size = request.args.get("bytes", DEFAULT_BYTES, type=int)
    if size is None or not 0 <= size <= MAX_BYTES:
        return Response("bytes must be between 0 and 16 MiB\n", status=400, mimetype="text/plain")
    return Response(b"x" * size, mimetype="text/html")
