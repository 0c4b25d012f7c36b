"""German first: every string translated, the right language chosen, formats right."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

from lms.i18n import SOURCE_DIR, compile_catalogues
from lms.templating import date_filter, datetime_filter

LMS = Path(__file__).resolve().parents[2] / "lms"
# What `pybabel extract -F babel.cfg` reads, with template errors raised instead of
# skipped: a tag Babel does not know (an extension missing in babel.cfg) would
# otherwise drop the template's strings from the catalogue without a word.
with (LMS.parent / "babel.cfg").open() as _cfg:
    METHOD_MAP, OPTIONS = parse_mapping_cfg(_cfg)
for _pattern, _method in METHOD_MAP:
    if _method == "jinja2":
        OPTIONS.setdefault(_pattern, {})["silent"] = "false"
KEYWORDS = {"_": None, "gettext": None, "ngettext": (1, 2), "_l": None, "lazy_gettext": None}


def source_messages() -> set[str]:
    found = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
        LMS, METHOD_MAP, OPTIONS, keywords=KEYWORDS
    ):
        found.add(message if isinstance(message, str) else message[0])
    return found


def german_catalog():
    with (SOURCE_DIR / "de" / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return read_po(handle, locale="de")


def test_every_string_in_the_code_has_a_german_translation():
    catalog = german_catalog()
    missing = []
    for message in sorted(source_messages()):
        entry = catalog.get(message)
        strings = (
            entry.string
            if entry is not None and isinstance(entry.string, tuple)
            else ((entry.string,) if entry is not None else ("",))
        )
        if entry is None or not all(strings) or entry.fuzzy:
            missing.append(message)
    assert not missing, "German translation missing for:\n" + "\n".join(missing)


def test_the_extraction_finds_the_strings_of_templates_and_code():
    messages = source_messages()
    assert "Log in" in messages  # template
    assert "E-mail address or password is not correct." in messages  # Python


def test_no_string_is_translated_inside_an_f_string():
    """Babel's extraction skips `_()` inside an f-string: the string never reaches the
    catalogue, and German pages show it in English (the matrix's "not assigned")."""
    found = []
    for path in sorted(LMS.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not isinstance(node, ast.JoinedStr):
                continue
            for inner in ast.walk(node):
                if (
                    isinstance(inner, ast.Call)
                    and isinstance(inner.func, ast.Name)
                    and inner.func.id in KEYWORDS
                ):
                    found.append(f"{path.relative_to(LMS.parent)}:{inner.lineno}")
    assert not found, "Translate before the f-string:\n" + "\n".join(found)


def test_translations_keep_their_placeholders():
    for entry in german_catalog():
        if not entry.id:
            continue
        source = entry.id if isinstance(entry.id, str) else entry.id[0]
        translations = entry.string if isinstance(entry.string, tuple) else (entry.string,)
        placeholders = set(re.findall(r"%\(\w+\)[sd]", source))
        for translation in translations:
            assert set(re.findall(r"%\(\w+\)[sd]", translation)) == placeholders, source


def test_catalogues_compile_without_a_manual_step(tmp_path):
    target = compile_catalogues(tmp_path)
    assert (target / "de" / "LC_MESSAGES" / "messages.mo").stat().st_size > 1000


def test_language_from_user_preference_then_session_then_browser(client, world, login):
    assert 'lang="en"' in client.get(
        "/login", headers={"Accept-Language": "en-US,en;q=0.9"}
    ).get_data(as_text=True)
    assert 'lang="de"' in client.get("/login", headers={"Accept-Language": "fr"}).get_data(
        as_text=True
    )
    client.post("/language", data={"lang": "en", "next": "/login"})
    assert 'lang="en"' in client.get("/login", headers={"Accept-Language": "de"}).get_data(
        as_text=True
    )
    user = world.a.employees[0]
    login(user)
    client.post("/language", data={"lang": "de", "next": "/learn/"})
    page = client.get("/learn/", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'lang="de"' in page and "Meine Lernmodule" in page


def test_language_switch_stores_the_users_preference(client, db, world, login):
    user = world.a.employees[0]
    login(user)
    response = client.post("/language", data={"lang": "en", "next": "/learn/"})
    assert response.location == "/learn/"
    db.refresh(user)
    assert user.language == "en"


def test_language_switch_ignores_unknown_languages_and_foreign_next(client):
    response = client.post("/language", data={"lang": "xx", "next": "https://evil.example/"})
    assert response.location == "/"


def test_dates_follow_the_design_sheet(app):
    moment = datetime(2026, 11, 23, 13, 30, tzinfo=UTC)  # 14:30 in Berlin
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert date_filter(moment) == "23.11.2026"
        assert datetime_filter(moment) == "23.11.2026, 14:30 Uhr"
    with app.test_request_context(headers={"Accept-Language": "en"}):
        assert date_filter(moment) == "23 Nov 2026"
        assert datetime_filter(moment).startswith("23 Nov 2026, 2:30")


def test_summer_time_is_shown_in_berlin_time(app):
    with app.test_request_context(headers={"Accept-Language": "de"}):
        assert datetime_filter(datetime(2026, 7, 1, 12, 0, tzinfo=UTC)) == "01.07.2026, 14:00 Uhr"
