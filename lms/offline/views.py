"""The manifest, the service worker, the offline page and the list of what a module
needs offline.

`bp` is registered on the app at the site's root, so that the service worker's scope
is the whole site; `learner_bp` lives in the learner's area (lms/learn/__init__.py)
and inherits its role guard.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

from flask import Blueprint, abort, current_app, jsonify, make_response, render_template, url_for
from flask.typing import ResponseReturnValue
from flask_babel import gettext as _
from flask_login import current_user

import lms
from lms.db import db
from lms.offline import service
from lms.permissions import public
from lms.templating import page_language

bp = Blueprint("offline", __name__)
learner_bp = Blueprint("offline", __name__)

# Workbox, shipped in the package (lms/static/vendor/): nothing loads from a CDN.
WORKBOX_VERSION = "7.4.1"
WORKBOX_DIR = f"vendor/workbox-{WORKBOX_VERSION}/"

# Kept by every service worker when it installs: the page's look, the script that
# registers the worker, the icons. The offline page is added with its own revision.
SHELL_FILES = (
    "css/app.css",
    "js/offline.js",
    "img/favicon.svg",
    "img/icon-192.png",
)

# The stylesheet's accent colour (--color-accent in static/css/app.css).
THEME_COLOUR = "#0b5cad"


@bp.get("/manifest.webmanifest")
@public
def manifest() -> ResponseReturnValue:
    """The web app manifest: Lernwerk can be added to a phone's or tablet's home screen."""
    body = {
        "id": "/",
        "name": "Lernwerk",
        "short_name": "Lernwerk",
        "description": _("Your modules, also on the way."),
        "lang": page_language(),
        "start_url": url_for("main.index"),
        "scope": "/",
        "display": "standalone",
        "background_color": "#ffffff",
        "theme_color": THEME_COLOUR,
        "icons": [
            {
                "src": url_for("static", filename="img/icon-192.png"),
                "sizes": "192x192",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": url_for("static", filename="img/icon-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "any",
            },
            {
                "src": url_for("static", filename="img/icon-maskable-512.png"),
                "sizes": "512x512",
                "type": "image/png",
                "purpose": "maskable",
            },
        ],
    }
    response = jsonify(body)
    response.mimetype = "application/manifest+json"
    response.headers["Cache-Control"] = "public, max-age=3600"
    return response


@bp.get("/sw.js")
@public
def service_worker() -> ResponseReturnValue:
    """The service worker, served from the root so that its scope is the whole site.

    Its script is a template (templates/offline/sw.js); only the addresses and
    revisions of the files it keeps are filled in, so a new stylesheet or offline page
    makes browsers install the new worker. `no-cache`: the browser asks every time."""
    script = render_template(
        "offline/sw.js",
        workbox=url_for("static", filename=WORKBOX_DIR),
        workbox_version=WORKBOX_VERSION,
        precache=_precache_entries(),
        offline_page=url_for("offline.offline_page"),
    )
    response = make_response(script)
    response.headers["Content-Type"] = "text/javascript; charset=utf-8"
    response.headers["Cache-Control"] = "no-cache"
    return response


def _precache_entries() -> list[dict[str, str]]:
    static = Path(current_app.static_folder or "")
    entries = [
        {"url": url_for("static", filename=name), "revision": service.file_revision(static / name)}
        for name in SHELL_FILES
    ]
    entries.append({"url": url_for("offline.offline_page"), "revision": _offline_page_revision()})
    return entries


def _offline_page_revision() -> str:
    """Changes with the offline page's template, its translations and the release."""
    root = Path(lms.__file__).parent
    digest = hashlib.sha256(lms.__version__.encode())
    for path in (
        root / "templates" / "offline" / "offline.html",
        *sorted((root / "translations").glob("*/LC_MESSAGES/messages.mo")),
    ):
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


@bp.get("/offline")
@public
def offline_page() -> ResponseReturnValue:
    """What the service worker shows for a page it does not have while there is no
    network. The same for everyone (the worker keeps one copy for every sign-in): it
    names no person; the modules saved on this device are listed by offline.js."""
    response = make_response(render_template("offline/offline.html"))
    # Not `no-store` even for a signed-in person: the page holds nothing of them.
    response.headers["Cache-Control"] = "no-cache"
    return response


@learner_bp.get("/<slug>/offline.json")
def module_files(slug: str) -> ResponseReturnValue:
    """The addresses "Für unterwegs speichern" fetches for the module `slug`: its page,
    its lesson pages and their images (the learner's own enrolment only; 404 else)."""
    enrollment = service.enrollment_of(db.session, current_user._get_current_object(), slug)
    if enrollment is None:
        abort(404)
    lessons = service.offline_lessons(enrollment, page_language())
    return jsonify(
        {
            "module": url_for("learn.course", slug=slug),
            "version": enrollment.version.content_hash[:16],
            "lessons": [
                {
                    "url": url_for("learn.unit", slug=slug, unit_id=lesson.unit_id),
                    "title": lesson.title,
                    "assets": list(lesson.assets),
                }
                for lesson in lessons
            ],
        }
    )
