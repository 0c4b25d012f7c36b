"""German first, English second: locale choice, compiled catalogues, formats.

Catalogues (`lms/translations/<lang>/LC_MESSAGES/messages.po`) are compiled to
`.mo` files when the app starts and a `.po` is newer than its `.mo`, so no
manual step is needed after install or after editing a translation.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import Babel, get_locale, get_translations
from flask_login import current_user

SOURCE_DIR = Path(__file__).parent / "translations"

babel = Babel()


def select_locale() -> str:
    """The user's preference, then the choice made in this session, then the browser's."""
    supported = current_app.config["LANGUAGES"]
    if not has_request_context():
        return str(current_app.config["BABEL_DEFAULT_LOCALE"])
    if current_user and current_user.is_authenticated and current_user.language in supported:
        return str(current_user.language)
    chosen = session.get("lang")
    if chosen in supported:
        return str(chosen)
    best = request.accept_languages.best_match(supported)
    return best or current_app.config["BABEL_DEFAULT_LOCALE"]


def _writable(directory: Path) -> bool:
    return os.access(directory, os.W_OK)


def compile_catalogues(target: Path | None = None) -> Path:
    """Compile every `.po` newer than its `.mo`; return the directory holding the `.mo` files."""
    if target is None:
        target = (
            SOURCE_DIR
            if _writable(SOURCE_DIR)
            else Path(tempfile.gettempdir()) / "lms-translations"
        )
    for po_path in sorted(SOURCE_DIR.glob("*/LC_MESSAGES/messages.po")):
        relative = po_path.relative_to(SOURCE_DIR).with_suffix(".mo")
        mo_path = target / relative
        if mo_path.exists() and mo_path.stat().st_mtime >= po_path.stat().st_mtime:
            continue
        mo_path.parent.mkdir(parents=True, exist_ok=True)
        with po_path.open("rb") as po_file:
            catalog = read_po(po_file, locale=relative.parts[0])
        # Write atomically: several workers may start at the same time.
        fd, tmp = tempfile.mkstemp(dir=mo_path.parent, suffix=".mo.tmp")
        with os.fdopen(fd, "wb") as mo_file:
            write_mo(mo_file, catalog, use_fuzzy=False)
        os.replace(tmp, mo_path)
    return target


def catalogue() -> NullTranslations:
    """The translations of the locale in force, as `flask_babel.get_translations()`.

    Flask-Babel looks them up anew on every call (about 10 µs, and a page
    translates some 30 strings); this asks it once per request and locale. The
    memo is keyed on the locale object, so `force_locale` blocks get their own.
    """
    if not has_app_context():
        return get_translations()
    locale = get_locale()
    memo: tuple[object, NullTranslations] | None = g.get("_lms_catalogue")
    if memo is None or memo[0] is not locale:
        memo = (locale, get_translations())
        g._lms_catalogue = memo
    return memo[1]


def init_app(app: Flask) -> None:
    directory = compile_catalogues()
    app.config["BABEL_TRANSLATION_DIRECTORIES"] = str(directory)
    babel.init_app(app, locale_selector=select_locale)
    # Templates translate through the memo, replacing the callables Flask-Babel
    # installed (the method comes with the jinja2.ext.i18n extension).
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: catalogue().ugettext(s),
        ngettext=lambda s, p, n: catalogue().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: catalogue().upgettext(c, s),
        npgettext=lambda c, s, p, n: catalogue().unpgettext(c, s, p, n),
    )
