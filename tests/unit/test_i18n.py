"""German first: every string translated, the right language chosen, formats right."""

from __future__ import annotations

import ast
import re
from datetime import UTC, datetime
from pathlib import Path

from babel.messages.extract import extract_from_dir, extract_python
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po
from jinja2.ext import babel_extract

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


# Where each keyword's message ids are among its arguments (ngettext: singular, plural).
MSGID_ARGUMENTS = {
    name: (0,) if spec is None else tuple(i - 1 for i in spec) for name, spec in KEYWORDS.items()
}


def unextractable_calls(root: Path = LMS) -> list[str]:
    """Every translation call in `root` whose message `pybabel extract -F babel.cfg`
    cannot read.

    Babel's own extractors run over the files babel.cfg names, as `pybabel extract`
    does; where they see a call but no literal message (`_(name)`, `_(f"…")` in Python,
    anything but a literal in a template) the message never reaches the catalogue,
    and the page shows it untranslated. In Python, Babel reads `_("a" + b)` and
    `_("… %s" % x)` as their first literal, which is not what the code looks up at
    run time: the syntax tree finds those.
    """
    found: list[str] = []

    def watching(method):
        def extract(fileobj, keywords, comment_tags, options):
            where = Path(fileobj.name).relative_to(root.parent)
            for lineno, funcname, messages, comments in method(
                fileobj, keywords, comment_tags, options
            ):
                texts = messages if isinstance(messages, tuple) else (messages,)
                wanted = MSGID_ARGUMENTS.get(funcname, ())
                if any(i >= len(texts) or texts[i] is None for i in wanted):
                    found.append(f"{where}:{lineno or '?'}: {funcname}() without a literal")
                yield lineno, funcname, messages, comments

        return extract

    methods = {"python": extract_python, "jinja2": babel_extract}
    watched = [(pattern, watching(methods[method])) for pattern, method in METHOD_MAP]
    for _message in extract_from_dir(root, watched, OPTIONS, keywords=KEYWORDS):
        pass
    for path in sorted(root.rglob("*.py")):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)):
                continue
            for i in MSGID_ARGUMENTS.get(node.func.id, ()):
                argument = node.args[i] if i < len(node.args) else None
                if isinstance(argument, ast.BinOp):  # "a" + b, "… %s" % x
                    where = f"{path.relative_to(root.parent)}:{node.lineno}"
                    found.append(f"{where}: {node.func.id}() of {ast.unparse(argument)}")
    return sorted(set(found))


def test_every_user_facing_string_can_be_extracted():
    assert not unextractable_calls(), "Write the message as a literal:\n" + "\n".join(
        unextractable_calls()
    )


def test_the_extraction_check_finds_what_babel_cannot_read(tmp_path):
    """The check above sees each way of writing a message that the catalogue misses."""
    package = tmp_path / "lms"
    (package / "templates").mkdir(parents=True)
    (package / "bad.py").write_text(
        "from flask_babel import gettext as _, ngettext\n"
        "_(name)\n"
        "_(f'Hallo {name}')\n"
        "_('Hallo ' + name)\n"
        "_('Hallo %s' % name)\n"
        "ngettext('one', plural, n)\n"
        "_('fine %(name)s', name=name)\n",
        encoding="utf-8",
    )
    (package / "templates" / "bad.html").write_text(
        "{{ _(label) }} {{ _('a' ~ b) }} {{ _('fine') }}", encoding="utf-8"
    )
    found = unextractable_calls(package)
    assert [line.split(":")[:2] for line in found] == [
        ["lms/bad.py", "2"], ["lms/bad.py", "4"], ["lms/bad.py", "5"], ["lms/bad.py", "6"],
        ["lms/bad.py", "?"], ["lms/templates/bad.html", "1"],
    ]  # fmt: skip


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


def test_a_new_lesson_starts_in_the_language_of_the_course_not_the_trainers(
    app, client, db, world, login, tmp_path
):
    """A German course gets „Neue Lektion“ from a trainer who reads the pages in English
    (learners read the title); a file of its English translation, "New lesson"."""
    from sqlalchemy import select

    from lms.content.importer import import_course
    from lms.models import CourseDraft, CourseEditor, DraftFile
    from tests.unit.test_course_parser import write_course

    with app.test_request_context():
        import_course(db, write_course(tmp_path, {}), datetime.now(UTC))  # language: de
    db.add(CourseEditor(slug="testkurs", user_id=world.trainer.id))
    world.trainer.language = "en"
    db.flush()
    login(world.trainer)
    client.post("/author/courses/testkurs/draft")

    def new_file(name: str) -> str:
        client.post("/author/drafts/testkurs/files", data={"path": name})
        data = db.scalar(
            select(DraftFile.data)
            .join(CourseDraft, CourseDraft.id == DraftFile.draft_id)
            .where(CourseDraft.slug == "testkurs", DraftFile.path == f"{name}.md")
        )
        return data.decode()

    assert "title: Neue Lektion\n" in new_file("02-neu")
    assert "title: New lesson\n" in new_file("03-neu.en")
